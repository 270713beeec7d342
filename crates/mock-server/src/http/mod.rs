//! The HTTP layer: thin. It reads the request, routes it (the WeCom paths by `API_TABLE`, the
//! control surface by its route table), and writes the answer: the WeCom envelope, or the admin
//! error shape. No business rule lives here.

mod admin;
mod inprocess;
pub(crate) mod openapi;
mod qr;
pub(crate) mod query;
mod ui;
mod wecom;

pub(crate) use wecom::is_dropped;

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use wecom_types::{Api, ErrMsg, ErrorBody};

use crate::api::{AdminError, AdminErrorKind};
use crate::core::domain::ApiError;
use crate::core::model::wall_now;
use crate::durability::Unavailable;
use crate::state::MockState;
use crate::traffic::connections::Timeout;

/// The largest request body accepted (answered 413 with a WeCom envelope beyond).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Where the OpenAPI document is served.
const OPENAPI_PATH: &str = "/__admin/openapi.json";

/// The response body type of every answer.
pub(crate) type Body = Full<Bytes>;

const JSON: &str = "application/json; charset=UTF-8";

/// `/healthz` while the mock serves normally: the status and the crate's version, so that an
/// operator (or the image smoke test) sees which build answers.
const HEALTHY: &str = concat!(r#"{"status":"ok","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#);
/// `/healthz` once a journal write failed (changes are refused): 503, so an orchestrator restarts it.
const JOURNAL_FAILED: &str = concat!(r#"{"status":"journal_failed","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#);

/// The `/healthz` answer, over HTTP and in-process ([`MockState::handle`]) alike.
fn health(state: &MockState) -> (StatusCode, &'static str) {
    if state.journal_failed() { (StatusCode::SERVICE_UNAVAILABLE, JOURNAL_FAILED) } else { (StatusCode::OK, HEALTHY) }
}

/// A JSON response with a status.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// A WeCom error envelope, with errmsg in the real shape.
pub(crate) fn api_error(state: &MockState, status: StatusCode, err: &ApiError, from_ip: IpAddr) -> Response<Body> {
    let hint = state.request_id(wall_now());
    let body = ErrorBody {
        errcode: err.code,
        errmsg: ErrMsg::format(err.code, err.detail.as_deref(), &hint, &from_ip.to_string()),
        field_info: err.field_info.then(Vec::new),
    };
    json_response(status, wecom_types::wire::encode_error(&body))
}

/// The largest admin body accepted (a corp's fixture in `PUT /__admin/corps/{corpid}` or
/// `POST /__admin/tenants`: some 20 000 members), answered 413 in the admin error shape beyond.
pub const MAX_ADMIN_BODY_BYTES: usize = 4 << 20;

/// A body over its limit is still read (and thrown away) up to this many bytes before the 413
/// goes out, so that clients which send the whole body before reading the answer (Python's
/// http.client, Java's HttpURLConnection) see the answer and not a broken pipe; beyond it the
/// connection is closed after the answer.
pub const DRAIN_BYTES: u64 = 16 << 20;

/// Why a body was not read: over its limit, or not arrived in time.
#[derive(Debug)]
enum Unread {
    /// Over its limit; `close` when it was not read to its end (the connection must then close
    /// after the 413), or did not arrive whole.
    TooLarge { close: bool },
    /// Not all of it arrived within `--body-timeout` (the connection closes after the 408).
    TimedOut(std::time::Duration),
}

/// Reads the body, up to `limit` bytes; a larger one is drained up to [`DRAIN_BYTES`]. All of
/// it must have come by `deadline` (`--body-timeout` after the head).
async fn read_body(
    req: Request<Incoming>,
    limit: usize,
    deadline: Option<(tokio::time::Instant, std::time::Duration)>,
) -> Result<Bytes, Unread> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_BYTES) {
        return Err(Unread::TooLarge { close: true });
    }
    // A small body arrives in one frame: keep that frame's bytes instead of collecting (the
    // generic collector was a tenth of a get's own instructions in a profile).
    let mut body = req.into_body();
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut seen: u64 = 0;
    loop {
        let frame = match deadline {
            Some((at, timeout)) => {
                // Nearly every body is in by the time its head is read: a frame that is ready is
                // taken without making a timer; only a body still on its way waits under the
                // deadline (boxed, so the timer does not grow every request's future).
                let mut next = body.frame();
                match std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut next).poll(cx))).await {
                    std::task::Poll::Ready(frame) => frame,
                    std::task::Poll::Pending => {
                        Box::pin(tokio::time::timeout_at(at, next)).await.map_err(|_| Unread::TimedOut(timeout))?
                    }
                }
            }
            None => body.frame().await,
        };
        let Some(frame) = frame else { break };
        let Ok(data) = frame.map_err(|_| Unread::TooLarge { close: true })?.into_data() else { continue };
        seen += data.len() as u64;
        // All the declared bytes are in: hyper has read the body to its end already, so do not
        // wait for it to say so (one more poll and wake-up per request).
        let complete = declared == Some(seen) && seen <= limit as u64;
        if seen > limit as u64 {
            // Over the limit: keep reading, and drop what comes, up to the drain bound.
            if seen > DRAIN_BYTES {
                return Err(Unread::TooLarge { close: true });
            }
            first = None;
            joined = None;
            continue;
        }
        match (&mut joined, first.take()) {
            (Some(all), _) => all.extend_from_slice(&data),
            (None, Some(earlier)) => {
                let mut all = Vec::with_capacity(earlier.len() + data.len());
                all.extend_from_slice(&earlier);
                all.extend_from_slice(&data);
                joined = Some(all);
            }
            (None, None) => first = Some(data),
        }
        if complete {
            break;
        }
    }
    if seen > limit as u64 {
        return Err(Unread::TooLarge { close: false });
    }
    Ok(joined.map(Bytes::from).or(first).unwrap_or_default())
}

/// Closes the connection after `response` when the body was not read to its end.
fn closing(mut response: Response<Body>, unread: &Unread) -> Response<Body> {
    if matches!(unread, Unread::TooLarge { close: true } | Unread::TimedOut(_)) {
        response.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The 413 or 408 of a WeCom path (or an unknown one): the envelope, counted like any answer.
fn unread_body(
    state: &MockState,
    (api, method, path): (Option<Api>, &Method, &str),
    from_ip: IpAddr,
    started: std::time::Instant,
    why: &Unread,
) -> Response<Body> {
    let (status, err) = match why {
        Unread::TooLarge { .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::with_detail(wecom_types::fidelity::BODY_TOO_LARGE, "request body too large"),
        ),
        Unread::TimedOut(timeout) => {
            state.traffic.connections.closed_by(Timeout::Body);
            let detail = format!("request body not received within --body-timeout ({})", seconds(*timeout));
            (StatusCode::REQUEST_TIMEOUT, ApiError::with_detail(wecom_types::fidelity::BODY_TIMEOUT, detail))
        }
    };
    let response = api_error(state, status, &err, from_ip);
    closing(wecom::unrouted(state, api, method, path, started, err.code, response), why)
}

/// `60s`, `1500ms`: a timeout as the flags take it.
fn seconds(timeout: std::time::Duration) -> String {
    if timeout.subsec_millis() == 0 { format!("{}s", timeout.as_secs()) } else { format!("{}ms", timeout.as_millis()) }
}

/// When the body of a request whose head arrived at `started` must be in, with the timeout.
fn body_deadline(
    state: &MockState,
    started: std::time::Instant,
) -> Option<(tokio::time::Instant, std::time::Duration)> {
    state.settings.body_timeout.map(|timeout| (tokio::time::Instant::from_std(started) + timeout, timeout))
}

/// Serves one request.
pub(crate) async fn handle(state: Arc<MockState>, req: Request<Incoming>, from_ip: IpAddr) -> Response<Body> {
    let started = std::time::Instant::now();
    // A clone of the URI shares its bytes (a reference count, no copy): the request itself
    // moves on into the body reader.
    let uri = req.uri().clone();
    let path = uri.path();
    let query = uri.query().unwrap_or_default();
    if path == "/metrics" {
        // Like /healthz, never behind the admin token: scrapers rarely carry one.
        return wecom::metrics(&state);
    }
    if path == "/healthz" {
        let (status, body) = health(&state);
        return json_response(status, body);
    }
    if let Some(picture) = qr::serve(&state, req.method(), path) {
        return picture;
    }
    if path == OPENAPI_PATH && matches!(*req.method(), Method::GET | Method::HEAD) {
        // The contract is public: no admin token, like /healthz.
        return json_response(StatusCode::OK, Bytes::from_static(openapi::document()));
    }
    if path == ui::PATH {
        // Checks the admin token itself: a browser opening a link can only bring it in the query.
        return ui::page(&state, &req, query);
    }
    let is_admin = path == "/__admin" || path.starts_with("/__admin/");
    if is_admin {
        // Boxed: the control surface's future (callback URL checks, fixtures) is far larger
        // than a WeCom call's, and an async fn's future is as large as its largest branch, so
        // inline it made every WeCom call's future large enough that moving it into hyper's
        // dispatcher was a memcpy of a few hundred instructions per request.
        return Box::pin(serve_admin(&state, req, path, query, started)).await;
    }
    let method = req.method().clone();
    let Some(api) = Api::from_path(path) else {
        // Read (and drop) the body before answering: answering an unread body makes hyper close
        // the keep-alive connection, and the client's next request on it would fail.
        if let Err(why) = read_body(req, MAX_BODY_BYTES, body_deadline(&state, started)).await {
            return unread_body(&state, (None, &method, path), from_ip, started, &why);
        }
        let err = ApiError::with_detail(wecom_types::fidelity::UNKNOWN_PATH, format!("api not found: {path}"));
        let response = api_error(&state, StatusCode::NOT_FOUND, &err, from_ip);
        return wecom::unrouted(&state, None, &method, path, started, err.code, response);
    };
    let body = match read_body(req, MAX_BODY_BYTES, body_deadline(&state, started)).await {
        Ok(body) => body,
        Err(why) => return unread_body(&state, (Some(api), &method, path), from_ip, started, &why),
    };
    // Faults, token, permission, rate limits, the call, the journal wait, then metrics,
    // hygiene and the request journal.
    wecom::serve(&state, api, &method, query, &body, from_ip, started).await
}

/// Serves a request to the control surface (`/__admin/*`).
async fn serve_admin(
    state: &MockState,
    req: Request<Incoming>,
    path: &str,
    query: &str,
    started: std::time::Instant,
) -> Response<Body> {
    let scope = match admin::authorize(state, &req) {
        Ok(scope) => scope,
        Err(denied) => return admin::error_response(&denied),
    };
    let method = req.method().clone();
    let body = match read_body(req, MAX_ADMIN_BODY_BYTES, body_deadline(state, started)).await {
        Ok(body) => body,
        Err(why @ Unread::TooLarge { .. }) => {
            let message = format!("request body over {MAX_ADMIN_BODY_BYTES} bytes");
            return closing(admin::error_response(&AdminError::new(AdminErrorKind::BodyTooLarge, message)), &why);
        }
        Err(why @ Unread::TimedOut(timeout)) => {
            state.traffic.connections.closed_by(Timeout::Body);
            let message =
                format!("request body not received within --body-timeout ({}): nothing was changed", seconds(timeout));
            return closing(admin::error_response(&AdminError::new(AdminErrorKind::BodyTimeout, message)), &why);
        }
    };
    if method != Method::GET && state.journal_failed() {
        // Corp lifecycle changes have no errcode path of their own: refuse them here.
        return admin::error_response(&Unavailable.into());
    }
    admin::handle(state, scope, &method, path, query, &body).await
}
