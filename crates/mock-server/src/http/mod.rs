//! The HTTP layer: thin. It reads the request, routes it (the WeCom paths by `API_TABLE`, the
//! control surface by its route table), and writes the answer: the WeCom envelope, or the admin
//! error shape. No business rule lives here.

mod admin;
mod body;
mod health;
mod inprocess;
pub(crate) mod metrics;
pub(crate) mod openapi;
mod proxy;
mod qr;
pub(crate) mod query;
mod response;
mod ui;
mod wecom;

pub use body::{DRAIN_BYTES, MAX_ADMIN_BODY_BYTES, MAX_BODY_BYTES};
pub use proxy::DRIFT_HEADER;
pub(crate) use wecom::is_dropped;

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use wecom_types::Api;

use crate::api::{AdminError, AdminErrorKind};
use crate::core::domain::ApiError;
use crate::durability::Unavailable;
use crate::state::MockState;
use crate::traffic::connections::Timeout;
use body::{Unread, body_deadline, closing, read_body, seconds};
use health::health;
use response::{Body, api_error, json_response};

/// Where the OpenAPI document is served.
const OPENAPI_PATH: &str = "/__admin/openapi.json";

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
        return metrics::serve(&state);
    }
    if path == "/healthz" {
        let (status, body) = health(&state);
        return json_response(status, body);
    }
    if let Some(upstream) = &state.settings.upstream
        && !proxy::served_by_the_proxy(path)
    {
        // Boxed for the reason the control surface's future is (below).
        return Box::pin(proxy::serve(&state, upstream, req, started)).await;
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
        if let Err(why) = read_body(req, MAX_BODY_BYTES, body_deadline(state.settings.body_timeout, started)).await {
            return unread_body(&state, (None, &method, path), from_ip, started, &why);
        }
        let err = ApiError::with_detail(wecom_types::fidelity::UNKNOWN_PATH, format!("api not found: {path}"));
        let response = api_error(&state, StatusCode::NOT_FOUND, &err, from_ip);
        return wecom::unrouted(&state, None, &method, path, started, err.code, response);
    };
    // The address the apps' trusted IPs judge (and the errmsg's `from ip` names).
    let from_ip = caller_ip(&state, &req, from_ip);
    let body = match read_body(req, MAX_BODY_BYTES, body_deadline(state.settings.body_timeout, started)).await {
        Ok(body) => body,
        Err(why) => return unread_body(&state, (Some(api), &method, path), from_ip, started, &why),
    };
    // Faults, token, permission, rate limits, the call, the journal wait, then metrics,
    // hygiene and the request journal.
    wecom::serve(&state, api, &method, query, &body, from_ip, started).await
}

/// The caller's address: the TCP peer (an IPv4-mapped IPv6 peer as IPv4), or, when the peer
/// is a proxy inside `--trust-forwarded-for`, the last `X-Forwarded-For` entry (the one that
/// proxy added) when it is an address; otherwise still the peer's (FORWARDED_FOR_MALFORMED).
fn caller_ip(state: &MockState, req: &Request<Incoming>, peer: IpAddr) -> IpAddr {
    let peer = peer.to_canonical();
    let Some(proxies) = &state.settings.trust_forwarded_for else { return peer };
    if !proxies.contains(&peer) {
        return peer;
    }
    let forwarded = req.headers().get_all("x-forwarded-for").iter().next_back().and_then(|value| value.to_str().ok());
    forwarded
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok())
        .map_or(peer, |ip| ip.to_canonical())
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
    let body = match read_body(req, MAX_ADMIN_BODY_BYTES, body_deadline(state.settings.body_timeout, started)).await {
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
