//! The drift proxy (`wecom-mock --upstream URL`): every request but the few the proxy answers
//! itself (`/healthz`, `/metrics`, `/__admin/openapi.json`, `/__admin/drift`) goes to the
//! upstream as it came, and its answer comes back byte for byte. An exchange on a WeCom path
//! is judged on the way (`traffic::drift`, no call of its own), and its answer carries
//! `x-wecom-mock-drift: N` when it has N findings. No WeCom state, and no limit but the body
//! cap ([`MAX_PROXIED_BODY_BYTES`]).

use std::time::Instant;

use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use wecom_types::{Api, ErrCode};

use super::admin::error_response;
use super::body::{Unread, body_deadline, closing, read_body, seconds};
use super::response::{Body, json_response};
use crate::api::{AdminError, AdminErrorKind};
use crate::net::upstream::{MAX_PROXIED_BODY_BYTES, Upstream};
use crate::state::MockState;
use crate::traffic::connections::Timeout;
use crate::traffic::drift::{Exchange, Verdict, judge};

/// The header of a drift proxy's answer with findings: how many (`x-wecom-mock-drift: 2`).
pub const DRIFT_HEADER: &str = "x-wecom-mock-drift";

/// `true` for the paths a proxy answers itself besides `/healthz` and `/metrics`.
pub(super) fn served_by_the_proxy(path: &str) -> bool {
    path == super::OPENAPI_PATH || path.trim_end_matches('/') == "/__admin/drift"
}

/// Forwards one request and judges the exchange.
pub(super) async fn serve(
    state: &MockState,
    upstream: &Upstream,
    req: Request<Incoming>,
    started: Instant,
) -> Response<Body> {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let path = uri.path();
    let path_and_query = uri.path_and_query().map_or(path, |pq| pq.as_str());
    let api = Api::from_path(path);
    let body = match read_body(req, MAX_PROXIED_BODY_BYTES, body_deadline(state.settings.body_timeout, started)).await {
        Ok(body) => body,
        Err(why) => return unread(state, path, &why),
    };
    let answer = upstream.forward(&method, path_and_query, &headers, body.clone()).await;
    let traffic = &state.traffic;
    let request_id = traffic.next_request_id();
    let answered = Instant::now();
    let at = traffic.wall_ms(traffic.micros(answered));
    let answer = match answer {
        Ok(answer) => answer,
        Err(unreachable) => {
            tracing::warn!(path, request_id, reason = %unreachable, "upstream unreachable");
            if let Some(api) = api {
                traffic.drift.record(api.path(), request_id, at, Verdict::CouldNotCheck);
                traffic.metrics.record(api as usize, ErrCode::SYSTEM_BUSY, answered - started);
            }
            let body = serde_json::json!({
                "errcode": ErrCode::SYSTEM_BUSY.0,
                "errmsg": format!("upstream unreachable: {unreachable}"),
            });
            return json_response(StatusCode::BAD_GATEWAY, body.to_string());
        }
    };
    let mut findings = 0;
    if let Some(api) = api {
        let exchange = Exchange {
            api,
            query: uri.query().unwrap_or_default(),
            body: &body,
            status: answer.status.as_u16(),
            answer: &answer.body,
        };
        let (verdict, errcode) = judge(&exchange);
        findings = traffic.drift.record(api.path(), request_id, at, verdict);
        traffic.metrics.record(api as usize, errcode.unwrap_or(ErrCode::SYSTEM_BUSY), answered - started);
    }
    let mut response = Response::new(Body::new(answer.body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    if findings > 0 {
        response.headers_mut().insert(DRIFT_HEADER, HeaderValue::from(findings));
    }
    response
}

/// A body over the cap (413) or too slow (408): the WeCom envelope on a WeCom path, the admin
/// error shape on `/__admin`, as the mock answers them itself.
fn unread(state: &MockState, path: &str, why: &Unread) -> Response<Body> {
    let (kind, status, code, message) = match why {
        Unread::TooLarge { .. } => (
            AdminErrorKind::BodyTooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            wecom_types::fidelity::BODY_TOO_LARGE,
            format!("request body over the proxy's {} MiB", MAX_PROXIED_BODY_BYTES >> 20),
        ),
        Unread::TimedOut(timeout) => {
            state.traffic.connections.closed_by(Timeout::Body);
            (
                AdminErrorKind::BodyTimeout,
                StatusCode::REQUEST_TIMEOUT,
                wecom_types::fidelity::BODY_TIMEOUT,
                format!("request body not received within --body-timeout ({})", seconds(*timeout)),
            )
        }
    };
    let response = if path == "/__admin" || path.starts_with("/__admin/") {
        error_response(&AdminError::new(kind, message))
    } else {
        let body = serde_json::json!({"errcode": code.0, "errmsg": format!("{}: {message}", code.phrase())});
        json_response(status, body.to_string())
    };
    closing(response, why)
}
