//! `POST /__admin/corps/{corpid}/apps/{agentid}/verify_callback`: the URL-verification
//! handshake, on demand. Async, unlike the other admin routes, because it waits for the
//! callback URL's answer (with no lock held).

use hyper::{Method, Response, StatusCode};

use super::{Body, admin, json_response};
use crate::control::AdminError;
use crate::state::MockState;

/// The route's answer, or `None` when `path` is not this route.
pub(super) async fn route(state: &MockState, method: &Method, path: &str) -> Option<Response<Body>> {
    let rest = path.strip_prefix("/__admin/corps/")?;
    let (corpid, rest) = rest.split_once("/apps/")?;
    let agentid = rest.strip_suffix("/verify_callback")?;
    if corpid.is_empty() || corpid.contains('/') || agentid.contains('/') {
        return None;
    }
    if method != Method::POST {
        return Some(admin::error_response(&AdminError::new(
            405,
            "method_not_allowed",
            format!("{method} is not allowed on {path}"),
        )));
    }
    let Ok(agentid) = agentid.parse::<u32>() else {
        return Some(admin::error_response(&AdminError::bad_request(format!("`{agentid}` is not an agentid"))));
    };
    Some(match state.verify_callback(corpid, agentid).await {
        Ok(outcome) => match serde_json::to_vec(&outcome) {
            Ok(bytes) => json_response(StatusCode::OK, bytes),
            Err(err) => admin::error_response(&AdminError::new(500, "internal", err.to_string())),
        },
        Err(err) => admin::error_response(&err),
    })
}
