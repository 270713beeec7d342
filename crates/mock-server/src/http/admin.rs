//! The `/__admin` routes of `mock-server.md`. Errors are HTTP 4xx with
//! `{"error": "snake_case_code", "message": "..."}`.

mod traffic;

use hyper::body::Incoming;
use hyper::header::AUTHORIZATION;
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Body, json_response, query_pairs, query_value};
use crate::control::{AdminError, ClockRequest, JoinRequest, ScanRequest};
use crate::fixtures::Fixtures;
use crate::state::{MockState, constant_time_eq};

/// An admin error as a response.
pub(super) fn error_response(err: &AdminError) -> Response<Body> {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, serde_json::to_vec(err).unwrap_or_default())
}

/// `401` unless the admin token (when one is set) is presented.
pub(super) fn authorize(state: &MockState, req: &Request<Incoming>) -> Result<(), AdminError> {
    let Some(expected) = state.settings.admin_token.as_deref() else { return Ok(()) };
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(AdminError::new(401, "unauthorized", "a valid `Authorization: Bearer <admin token>` is required"))
    }
}

fn ok<T: Serialize>(value: &T) -> Result<Response<Body>, AdminError> {
    serde_json::to_vec(value)
        .map(|bytes| json_response(StatusCode::OK, bytes))
        .map_err(|e| AdminError::new(500, "internal", e.to_string()))
}

fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// Decodes an admin body; an empty body reads as `{}`.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| AdminError::bad_request(format!("invalid body: {e}")))
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CorpSelector {
    #[serde(default)]
    corpid: Option<String>,
}

/// Serves one admin request.
pub(super) fn handle(state: &MockState, method: &Method, path: &str, query: &str, body: &[u8]) -> Response<Body> {
    match route(state, method, path, query, body) {
        Ok(response) => response,
        Err(err) => error_response(&err),
    }
}

fn route(
    state: &MockState,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Result<Response<Body>, AdminError> {
    let segments: Vec<&str> = path.trim_start_matches("/__admin").split('/').filter(|s| !s.is_empty()).collect();
    let wrong_method = || AdminError::new(405, "method_not_allowed", format!("{method} is not allowed on {path}"));
    // Faults, the request journal, checkpoints and hygiene.
    if let Some(response) = traffic::route(state, method, path, &segments, query, body) {
        return response;
    }
    match segments.as_slice() {
        ["reset"] if method == Method::POST => {
            let selector: CorpSelector = decode(body)?;
            state.reset(selector.corpid.as_deref())?;
            ok(&serde_json::json!({}))
        }
        ["corps"] if method == Method::GET => ok(&serde_json::json!({ "corps": state.corp_summaries() })),
        ["corps", corpid] => match *method {
            Method::GET => {
                let dump = state.dump(corpid)?;
                ok(&dump)
            }
            Method::PUT => {
                let fixture =
                    Fixtures::parse_corp(body).map_err(|e| AdminError::bad_request(format!("invalid corp: {e}")))?;
                state.replace_corp(corpid, &fixture)?;
                ok(&serde_json::json!({}))
            }
            Method::DELETE => {
                state.delete_corp(corpid)?;
                Ok(no_content())
            }
            _ => Err(wrong_method()),
        },
        ["corps", corpid, "quotas"] if method == Method::GET => ok(&state.quotas(corpid)?),
        ["corps", corpid, "tokens", "revoke"] if method == Method::POST => {
            state.revoke_tokens(corpid)?;
            ok(&serde_json::json!({}))
        }
        ["clock"] if method == Method::POST => ok(&state.clock(&decode::<ClockRequest>(body)?)?),
        ["scan"] if method == Method::POST => ok(&state.scan(&decode::<ScanRequest>(body)?)?),
        ["join"] if method == Method::POST => ok(&state.join(&decode::<JoinRequest>(body)?)?),
        ["messages"] if method == Method::GET => {
            let pairs = query_pairs(query);
            ok(&serde_json::json!({ "messages": state.messages(query_value(&pairs, "corpid"))? }))
        }
        ["tenants"] if method == Method::POST => {
            let _: serde_json::Value = decode(body)?;
            ok(&state.create_tenant()?)
        }
        ["reset"]
        | ["corps"]
        | ["corps", _, "quotas"]
        | ["corps", _, "tokens", "revoke"]
        | ["clock"]
        | ["scan"]
        | ["join"]
        | ["messages"]
        | ["tenants"] => Err(wrong_method()),
        _ => Err(AdminError::new(404, "not_found", format!("no admin route {path}"))),
    }
}
