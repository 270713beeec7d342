//! What the control surface answers: JSON, 204, or the admin error shape (`{"error": code,
//! "message": …}` with the status of its kind), written here and nowhere else.

use hyper::{Response, StatusCode};
use serde::Serialize;

use crate::api::AdminError;
use crate::http::response::{Body, json_response};

/// An admin error as a response.
pub(crate) fn error_response(err: &AdminError) -> Response<Body> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, serde_json::to_vec(err).unwrap_or_default())
}

/// 200 with `value` as JSON.
pub(super) fn ok<T: Serialize>(value: &T) -> Result<Response<Body>, AdminError> {
    serde_json::to_vec(value)
        .map(|bytes| json_response(StatusCode::OK, bytes))
        .map_err(|e| AdminError::internal(e.to_string()))
}

/// 204.
pub(super) fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}
