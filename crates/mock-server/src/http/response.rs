//! The answers every route writes: JSON with its status, and the WeCom error envelope.

use std::net::IpAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use wecom_types::{ErrMsg, ErrorBody};

use crate::core::domain::ApiError;
use crate::state::MockState;
use crate::state::clock::wall_now;

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
