//! The `/__admin` control surface over HTTP: authorization, the route table (`routes.rs`), and
//! the admin error shape, HTTP 4xx / 5xx with `{"error": "snake_case_code", "message": "..."}`.
//! What each route does is [`Control`](crate::Control)'s.

mod reply;
pub(crate) mod routes;

pub(crate) use reply::error_response;

use hyper::body::Incoming;
use hyper::header::{ALLOW, AUTHORIZATION, HeaderValue};
use hyper::{Method, Request, Response};

use crate::api::{AdminError, AdminErrorKind};
use crate::http::response::Body;
use crate::state::{Act, MockState, Scope};

/// The bearer token of a request, if it has one.
pub(crate) fn bearer(req: &Request<Incoming>) -> Option<&str> {
    req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

/// Whose control surface the request's bearer token opens (401 for a wrong one).
pub(crate) fn authorize(state: &MockState, req: &Request<Incoming>) -> Result<Scope, AdminError> {
    state.scope_of(bearer(req))
}

/// Serves one authorized admin request (the body read); answers once the journal has what it
/// changed.
pub(crate) async fn handle(
    state: &MockState,
    scope: Scope,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Response<Body> {
    let rest = path.strip_prefix("/__admin").unwrap_or(path);
    let found = routes::find(method, rest);
    // Without a token only signing up may go on (and only with `--tenant-signup open`, which
    // `Control::create_tenant` checks): an unknown path is 401 too, as it always was.
    let signup = found.as_ref().is_ok_and(|m| m.route == routes::Route::Tenants);
    if let Err(denied) = scope.may(Act::Route { signup }) {
        return error_response(&denied);
    }
    let matched = match found {
        Ok(matched) => matched,
        Err(err) => {
            let mut response = error_response(&err);
            if err.kind == AdminErrorKind::MethodNotAllowed {
                let allowed = routes::allowed(rest);
                let allowed: Vec<&str> = allowed.iter().map(Method::as_str).collect();
                if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
                    response.headers_mut().insert(ALLOW, value);
                }
            }
            return response;
        }
    };
    let (answer, lsn) =
        crate::durability::track_async(routes::serve(state.control_as(scope), &matched, query, body)).await;
    let response = match answer {
        Ok(response) => response,
        Err(err) => error_response(&err),
    };
    // The change is in memory; it is acknowledged only once the journal has it.
    match state.durable(lsn).await {
        Ok(()) => response,
        Err(unavailable) => error_response(&unavailable.into()),
    }
}
