//! One WeCom call with what operators see and steer around it. In the order of checks of
//! `errcodes.md`:
//!
//! 1. size and path: [`super::handle`] (413 / 404, counted by [`unrouted`]);
//! 2. an injected fault matching the path (`traffic::faults`): an errcode answers at once, a
//!    drop closes the connection, a delay is remembered;
//! 3. token, 4. permission, 5. rate limits (`traffic::ratelimit`), 6.… the rest: `call.rs`;
//!
//! then the journal wait, the injected delay, and [`finish`]: metrics, the hygiene counters and
//! the request journal, each a few atomic operations when nothing is to be said.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::{Method, Response, StatusCode};
use wecom_types::{Api, ErrCode};

use super::query::query_param;
use super::response::{Body, api_error};
use crate::core::domain::ApiError;
use crate::state::{Corp, MockState};
use crate::traffic::faults::Action;
use crate::traffic::hygiene::{Call, asks_for_backoff};
use crate::traffic::metrics::{FaultKind, UNKNOWN_PATH};
use crate::traffic::request_log::{CallPath, Recorded};

pub(super) mod call;
mod notes;

pub(crate) use notes::CallNotes;

/// Marks a response that must not be sent: the server closes the connection instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// `true` when `response` stands for a dropped connection.
pub(crate) fn is_dropped(response: &Response<Body>) -> bool {
    response.extensions().get::<DropConnection>().is_some()
}

/// The corp a call names before its token is checked: gettoken's `corpid`, or the corp of the
/// token (one the mock knows, even expired). Only asked when a fault rule is limited to a corp, or when a refused
/// call has to be attributed.
fn corp_of_call(state: &MockState, api: Api, query: &str) -> Option<Arc<str>> {
    if api == Api::GetToken {
        return query_param(query, "corpid").filter(|id| !id.is_empty()).map(|id| Arc::from(&*id));
    }
    query_param(query, "access_token").and_then(|token| state.token_corpid(&token))
}

/// Serves one call of `api` (the path is known and the body read).
pub(super) async fn serve(
    state: &MockState,
    api: Api,
    method: &Method,
    query: &str,
    body: &[u8],
    from_ip: IpAddr,
    started: Instant,
) -> Response<Body> {
    let mut notes = CallNotes::default();
    let mut delay = None;
    if let Some(applied) = state.traffic.faults.draw(api, || corp_of_call(state, api, query)) {
        notes.fault = Some(applied.id);
        match applied.action {
            Action::Errcode(code) => {
                state.traffic.metrics.fault(api as usize, FaultKind::Errcode);
                notes.errcode = code;
                let response = api_error(state, StatusCode::OK, &ApiError::new(code), from_ip);
                finish(state, api, method, query, &mut notes, started, Some(StatusCode::OK));
                return response;
            }
            Action::Drop => {
                state.traffic.metrics.fault(api as usize, FaultKind::Drop);
                finish(state, api, method, query, &mut notes, started, None);
                let mut response = Response::new(Body::default());
                response.extensions_mut().insert(DropConnection);
                return response;
            }
            Action::Delay(ms) => delay = Some(Duration::from_millis(ms)),
        }
    }
    let (response, lsn) = crate::durability::track(|| call::handle(state, api, query, body, from_ip, &mut notes));
    // The change is in memory; it is acknowledged only once the journal has it. The waits are
    // boxed, and only made when needed: a future holds the state of every await in it, and
    // hyper moves each call's future (a memcpy of its size) whether it waits or not.
    let durable = if lsn > 0 { Box::pin(state.durable(lsn)).await } else { Ok(()) };
    let response = match durable {
        Ok(()) => response,
        Err(unavailable) => {
            let err: ApiError = unavailable.into();
            notes.errcode = err.code;
            api_error(state, StatusCode::OK, &err, from_ip)
        }
    };
    if let Some(delay) = delay {
        state.traffic.metrics.fault(api as usize, FaultKind::Delay);
        // The call stays in flight (its concurrency slot held) until the answer goes.
        Box::pin(tokio::time::sleep(delay)).await;
    }
    finish(state, api, method, query, &mut notes, started, Some(response.status()));
    response
}

/// Counts a call answered before it reached an API: an unknown path (404) or a body too large
/// (413).
pub(super) fn unrouted(
    state: &MockState,
    api: Option<Api>,
    method: &Method,
    path: &str,
    started: Instant,
    errcode: ErrCode,
    response: Response<Body>,
) -> Response<Body> {
    let answered = Instant::now();
    let traffic = &state.traffic;
    traffic.metrics.record(api.map_or(UNKNOWN_PATH, |api| api as usize), errcode, answered - started);
    let id = traffic.next_request_id();
    if traffic.requests.enabled() {
        traffic.requests.push(Recorded {
            id,
            at_ms: traffic.wall_ms(traffic.micros(answered)),
            method: method.clone(),
            path: api.map_or_else(|| CallPath::other(path), CallPath::Api),
            corpid: None,
            agentid: None,
            answer: Some((errcode, response.status().as_u16())),
            latency_us: micros(answered - started),
            fault: None,
        });
    }
    response
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Records an answered (or dropped, `status` `None`) call: metrics, hygiene, request journal.
fn finish(
    state: &MockState,
    api: Api,
    method: &Method,
    query: &str,
    notes: &mut CallNotes,
    started: Instant,
    status: Option<StatusCode>,
) {
    // The answer is about to leave: the call is no longer in flight.
    drop(notes.slot.take());
    let traffic = &state.traffic;
    let answered = Instant::now();
    let latency = answered - started;
    // The journal's wall time and hygiene's retry gaps both derive from this one reading.
    let answered_us = traffic.micros(answered);
    let errcode = status.map(|_| notes.errcode);
    if let Some(code) = errcode {
        traffic.metrics.record(api as usize, code, latency);
    }
    let id = traffic.next_request_id();
    // A call refused before its token was accepted still belongs to a corp for the journal
    // and for hygiene (gettoken, retries after a fault): looked up only then.
    let wants_corp = traffic.requests.enabled()
        || api == Api::GetToken
        || errcode.is_none_or(asks_for_backoff)
        || notes.fault.is_some();
    let corp: Option<Arc<Corp>> = match notes.corp.take() {
        Some(corp) => Some(corp),
        None if wants_corp => corp_of_call(state, api, query).and_then(|id| state.corp(&id)),
        None => None,
    };
    if let Some(corp) = &corp {
        corp.touch(answered_us / 1_000_000);
        corp.traffic.hygiene.record(&Call {
            api,
            errcode,
            facts: notes.facts.get(),
            request_id: id,
            answered_us,
            latency_us: micros(latency),
        });
    }
    if traffic.requests.enabled() {
        traffic.requests.push(Recorded {
            id,
            at_ms: traffic.wall_ms(answered_us),
            method: method.clone(),
            path: CallPath::Api(api),
            corpid: corp.map(|c| Arc::clone(&c.traffic.corpid)),
            agentid: notes.agentid,
            answer: errcode.zip(status.map(|s| s.as_u16())),
            latency_us: micros(latency),
            fault: notes.fault,
        });
    }
}
