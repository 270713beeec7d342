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

/// The largest request body accepted (answered 413 with a WeCom envelope beyond).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Where the OpenAPI document is served.
const OPENAPI_PATH: &str = "/__admin/openapi.json";

/// The response body type of every answer.
pub(crate) type Body = Full<Bytes>;

const JSON: &str = "application/json; charset=UTF-8";

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

/// The body was over [`MAX_BODY_BYTES`] (or did not arrive whole).
#[derive(Debug)]
struct TooLarge;

/// Reads the body, up to [`MAX_BODY_BYTES`].
async fn read_body(req: Request<Incoming>) -> Result<Bytes, TooLarge> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(TooLarge);
    }
    // A small body arrives in one frame: keep that frame's bytes instead of collecting (the
    // generic collector was a tenth of a get's own instructions in a profile).
    let mut body = req.into_body();
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| TooLarge)?.into_data() else { continue };
        let so_far = joined.as_ref().map_or_else(|| first.as_ref().map_or(0, Bytes::len), Vec::len);
        if so_far + data.len() > MAX_BODY_BYTES {
            return Err(TooLarge);
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
    }
    Ok(joined.map(Bytes::from).or(first).unwrap_or_default())
}

/// The 413 of a WeCom path (or an unknown one): the envelope, counted like any answer.
fn too_large(
    state: &MockState,
    api: Option<Api>,
    method: &Method,
    path: &str,
    from_ip: IpAddr,
    started: std::time::Instant,
) -> Response<Body> {
    let err = ApiError::with_detail(wecom_types::fidelity::BODY_TOO_LARGE, "request body too large");
    let response = api_error(state, StatusCode::PAYLOAD_TOO_LARGE, &err, from_ip);
    wecom::unrouted(state, api, method, path, started, err.code, response)
}

/// Serves one request.
pub(crate) async fn handle(state: Arc<MockState>, req: Request<Incoming>, from_ip: IpAddr) -> Response<Body> {
    let started = std::time::Instant::now();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    if path == "/metrics" {
        // Like /healthz, never behind the admin token: scrapers rarely carry one.
        return wecom::metrics(&state);
    }
    if path == "/healthz" {
        if state.journal_failed() {
            return json_response(StatusCode::SERVICE_UNAVAILABLE, br#"{"status":"journal_failed"}"#.to_vec());
        }
        return json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec());
    }
    if let Some(picture) = qr::serve(&state, req.method(), &path) {
        return picture;
    }
    if path == OPENAPI_PATH && matches!(*req.method(), Method::GET | Method::HEAD) {
        // The contract is public: no admin token, like /healthz.
        return json_response(StatusCode::OK, Bytes::from_static(openapi::document()));
    }
    if path == ui::PATH {
        // Checks the admin token itself: a browser opening a link can only bring it in the query.
        return ui::page(&state, &req, &query);
    }
    let is_admin = path == "/__admin" || path.starts_with("/__admin/");
    if is_admin {
        if let Err(denied) = admin::authorize(&state, &req) {
            return admin::error_response(&denied);
        }
        let method = req.method().clone();
        let Ok(body) = read_body(req).await else {
            return admin::error_response(&AdminError::new(AdminErrorKind::BodyTooLarge, "request body too large"));
        };
        if method != Method::GET && state.journal_failed() {
            // Corp lifecycle changes have no errcode path of their own: refuse them here.
            return admin::error_response(&Unavailable.into());
        }
        return admin::handle(&state, &method, &path, &query, &body).await;
    }
    let method = req.method().clone();
    let Some(api) = Api::from_path(&path) else {
        // Read (and drop) the body before answering: answering an unread body makes hyper close
        // the keep-alive connection, and the client's next request on it would fail.
        if read_body(req).await.is_err() {
            return too_large(&state, None, &method, &path, from_ip, started);
        }
        let err = ApiError::with_detail(wecom_types::fidelity::UNKNOWN_PATH, format!("api not found: {path}"));
        let response = api_error(&state, StatusCode::NOT_FOUND, &err, from_ip);
        return wecom::unrouted(&state, None, &method, &path, started, err.code, response);
    };
    let Ok(body) = read_body(req).await else {
        return too_large(&state, Some(api), &method, &path, from_ip, started);
    };
    // Faults, token, permission, rate limits, the call, the journal wait, then metrics,
    // hygiene and the request journal.
    wecom::serve(&state, api, &method, &query, &body, from_ip, started).await
}
