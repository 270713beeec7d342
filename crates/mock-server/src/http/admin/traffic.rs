//! The operators' admin routes: faults, the request journal, checkpoints, hygiene.

use hyper::{Method, Response};

use super::super::{Body, query_pairs, query_value};
use super::{decode, no_content, ok};
use crate::checkpoints::CheckpointRequest;
use crate::control::AdminError;
use crate::faults::FaultRule;
use crate::requests::RequestQuery;
use crate::state::MockState;

fn wrong_method(method: &Method, path: &str) -> AdminError {
    AdminError::new(405, "method_not_allowed", format!("{method} is not allowed on {path}"))
}

fn parse<T: std::str::FromStr>(pairs: &[(String, String)], key: &str) -> Result<Option<T>, AdminError> {
    match query_value(pairs, key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => {
            text.parse().map(Some).map_err(|_| AdminError::bad_request(format!("`{key}` is not a number: {text:?}")))
        }
    }
}

/// Serves the routes of this module; `None` for any other path.
pub(super) fn route(
    state: &MockState,
    method: &Method,
    path: &str,
    segments: &[&str],
    query: &str,
    body: &[u8],
) -> Option<Result<Response<Body>, AdminError>> {
    let response = match segments {
        ["faults"] if method == Method::POST => decode::<FaultRule>(body).and_then(|rule| ok(&state.add_fault(&rule)?)),
        ["faults"] if method == Method::GET => ok(&serde_json::json!({ "faults": state.faults() })),
        ["faults"] if method == Method::DELETE => {
            let pairs = query_pairs(query);
            state.clear_faults(query_value(&pairs, "corpid").filter(|v| !v.is_empty()));
            Ok(no_content())
        }
        ["faults", id] if method == Method::DELETE => state.remove_fault(id).map(|()| no_content()),
        ["requests"] if method == Method::GET => {
            let pairs = query_pairs(query);
            let request = |pairs: &[(String, String)]| -> Result<RequestQuery, AdminError> {
                Ok(RequestQuery {
                    path: query_value(pairs, "path").filter(|v| !v.is_empty()).map(str::to_owned),
                    errcode: parse(pairs, "errcode")?,
                    corpid: query_value(pairs, "corpid").filter(|v| !v.is_empty()).map(str::to_owned),
                    limit: parse(pairs, "limit")?,
                })
            };
            request(&pairs).and_then(|q| ok(&serde_json::json!({ "requests": state.requests(&q) })))
        }
        ["corps", corpid, "checkpoint"] if method == Method::POST => {
            decode::<CheckpointRequest>(body).and_then(|req| ok(&state.checkpoint(corpid, &req.name)?))
        }
        ["corps", corpid, "restore"] if method == Method::POST => {
            decode::<CheckpointRequest>(body).and_then(|req| ok(&state.restore(corpid, &req.name)?))
        }
        ["corps", corpid, "checkpoints"] if method == Method::GET => {
            state.checkpoints(corpid).and_then(|list| ok(&serde_json::json!({ "checkpoints": list })))
        }
        ["corps", corpid, "hygiene"] if method == Method::GET => state.hygiene(corpid).and_then(|report| ok(&report)),
        ["faults"]
        | ["faults", _]
        | ["requests"]
        | ["corps", _, "checkpoint" | "restore" | "checkpoints" | "hygiene"] => Err(wrong_method(method, path)),
        _ => return None,
    };
    Some(response)
}
