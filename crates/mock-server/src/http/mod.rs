//! The HTTP layer: thin. It reads the request, routes by `API_TABLE` or the admin paths,
//! decodes, calls the domain and writes the WeCom envelope. No business rule lives here.

mod admin;
mod inprocess;
mod qr;
mod traffic;
mod ui;
mod verify;
mod wecom;

pub(crate) use traffic::is_dropped;

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use wecom_types::{Api, ErrMsg, ErrorBody};

use crate::domain::ApiError;
use crate::model::wall_now;
use crate::state::MockState;

/// The largest request body accepted (answered 413 with a WeCom envelope beyond).
pub const MAX_BODY_BYTES: usize = 1 << 20;

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

/// Reads the body, up to [`MAX_BODY_BYTES`].
async fn read_body(req: Request<Incoming>) -> Result<Bytes, ()> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(());
    }
    // A small body arrives in one frame: keep that frame's bytes instead of collecting (the
    // generic collector was a tenth of a get's own instructions in a profile).
    let mut body = req.into_body();
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| ())?.into_data() else { continue };
        let so_far = joined.as_ref().map_or_else(|| first.as_ref().map_or(0, Bytes::len), Vec::len);
        if so_far + data.len() > MAX_BODY_BYTES {
            return Err(());
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

/// Serves one request.
pub(crate) async fn handle(state: Arc<MockState>, req: Request<Incoming>, from_ip: IpAddr) -> Response<Body> {
    let started = std::time::Instant::now();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    if path == "/metrics" {
        // Like /healthz, never behind the admin token: scrapers rarely carry one.
        return traffic::metrics(&state);
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
    if path == ui::PATH {
        // Checks the admin token itself: a browser opening a link can only bring it in the query.
        return ui::page(&state, &req, &query);
    }
    let is_admin = path == "/__admin" || path.starts_with("/__admin/");
    let api = Api::from_path(&path);
    if !is_admin && api.is_none() {
        let method = req.method().clone();
        // Read (and drop) the body before answering: answering an unread body makes hyper close
        // the keep-alive connection, and the client's next request on it would fail.
        if read_body(req).await.is_err() {
            let err = ApiError::with_detail(wecom_types::fidelity::BODY_TOO_LARGE, "request body too large");
            let response = api_error(&state, StatusCode::PAYLOAD_TOO_LARGE, &err, from_ip);
            return traffic::unrouted(&state, None, &method, &path, started, err.code, response);
        }
        let err = ApiError::with_detail(wecom_types::fidelity::UNKNOWN_PATH, format!("api not found: {path}"));
        let response = api_error(&state, StatusCode::NOT_FOUND, &err, from_ip);
        return traffic::unrouted(&state, None, &method, &path, started, err.code, response);
    }
    if is_admin && let Err(denied) = admin::authorize(&state, &req) {
        return admin::error_response(&denied);
    }
    let method = req.method().clone();
    let Ok(body) = read_body(req).await else {
        if is_admin {
            return admin::error_response(&crate::control::AdminError::new(
                413,
                "body_too_large",
                "request body too large",
            ));
        }
        let err = ApiError::with_detail(wecom_types::fidelity::BODY_TOO_LARGE, "request body too large");
        let response = api_error(&state, StatusCode::PAYLOAD_TOO_LARGE, &err, from_ip);
        return traffic::unrouted(&state, api, &method, &path, started, err.code, response);
    };
    if is_admin && method != hyper::Method::GET && state.journal_failed() {
        // Corp lifecycle changes have no errcode path of their own: refuse them here.
        return admin::error_response(&crate::durability::Unavailable.into());
    }
    if is_admin && let Some(response) = verify::route(&state, &method, &path).await {
        return response;
    }
    if let Some(api) = api {
        // Faults, token, permission, rate limits, the call, the journal wait, then metrics,
        // hygiene and the request journal.
        return traffic::serve(&state, api, &method, &query, &body, from_ip, started).await;
    }
    let (response, lsn) = crate::durability::track(|| admin::handle(&state, &method, &path, &query, &body));
    // The change is in memory; it is acknowledged only once the journal has it.
    match state.durable(lsn).await {
        Ok(()) => response,
        Err(unavailable) => admin::error_response(&unavailable.into()),
    }
}

/// Splits and percent-decodes a query string.
/// The first value of `key` in a query string, borrowed when nothing needs decoding (the usual
/// `access_token=…`), without splitting the rest.
pub(crate) fn query_param<'a>(query: &'a str, key: &str) -> Option<std::borrow::Cow<'a, str>> {
    // One pass over the pairs; only a pair whose key or value carries an escape is decoded.
    for part in query.split('&') {
        if part.bytes().any(|b| b == b'%' || b == b'+') {
            let mut decoded = form_urlencoded::parse(part.as_bytes());
            if let Some((k, v)) = decoded.next()
                && k == key
            {
                return Some(std::borrow::Cow::Owned(v.into_owned()));
            }
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if k == key && !part.is_empty() {
            return Some(std::borrow::Cow::Borrowed(v));
        }
    }
    None
}

pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    // The usual `access_token=…` has nothing to decode: split it without the byte-by-byte
    // decoder (which was a tenth of a get's instructions in a profile).
    if !query.bytes().any(|b| b == b'%' || b == b'+') {
        let pair = |part: &str| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (key.to_owned(), value.to_owned())
        };
        return query.split('&').filter(|part| !part.is_empty()).map(pair).collect();
    }
    form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The first value of `key` in a query string.
pub(crate) fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_borrows_plain_values_and_decodes_escaped_ones() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("access_token=abc", "access_token", Some("abc")),
            ("a=1&access_token=abc&b=2", "access_token", Some("abc")),
            ("access_token=first&access_token=second", "access_token", Some("first")),
            ("access_token", "access_token", Some("")),
            ("access_token=", "access_token", Some("")),
            ("other=1", "access_token", None),
            ("", "access_token", None),
            ("corpid=ww%31&x=a+b", "corpid", Some("ww1")),
            ("corpid=ww1&x=a+b", "x", Some("a b")),
        ];
        for (query, key, expected) in cases {
            assert_eq!(query_param(query, key).as_deref(), *expected, "{query} / {key}");
        }
    }
}
