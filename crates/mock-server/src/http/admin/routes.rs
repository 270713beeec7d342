//! Every `/__admin` route in one table ([`ROUTES`]): method, path, what it does. The router is
//! built from it, and so is the 405 answer (with `Allow`) for a known path and another method:
//! a route cannot be reachable under one method and forgotten under the others.

use std::sync::OnceLock;

use hyper::{Method, Response};
use serde::de::DeserializeOwned;

use super::reply::{no_content, ok};
use crate::api::*;
use crate::core::fixtures::Fixtures;
use crate::http::Body;
use crate::http::query::{query_pairs, query_value};
use crate::state::Control;

/// What an admin route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Reset,
    ListCorps,
    GetCorp,
    PutCorp,
    DeleteCorp,
    Quotas,
    RevokeTokens,
    Checkpoint,
    Restore,
    Checkpoints,
    Hygiene,
    VerifyCallback,
    Clock,
    Scan,
    Join,
    Messages,
    Tenants,
    AddFault,
    ListFaults,
    ClearFaults,
    RemoveFault,
    Requests,
    Drift,
    ClearDrift,
}

/// The table: method, path under `/__admin` (`{name}` is one path segment), route.
pub(crate) const ROUTES: &[(Method, &str, Route)] = &[
    (Method::POST, "/reset", Route::Reset),
    (Method::GET, "/corps", Route::ListCorps),
    (Method::GET, "/corps/{corpid}", Route::GetCorp),
    (Method::PUT, "/corps/{corpid}", Route::PutCorp),
    (Method::DELETE, "/corps/{corpid}", Route::DeleteCorp),
    (Method::GET, "/corps/{corpid}/quotas", Route::Quotas),
    (Method::POST, "/corps/{corpid}/tokens/revoke", Route::RevokeTokens),
    (Method::POST, "/corps/{corpid}/checkpoint", Route::Checkpoint),
    (Method::POST, "/corps/{corpid}/restore", Route::Restore),
    (Method::GET, "/corps/{corpid}/checkpoints", Route::Checkpoints),
    (Method::GET, "/corps/{corpid}/hygiene", Route::Hygiene),
    (Method::POST, "/corps/{corpid}/apps/{agentid}/verify_callback", Route::VerifyCallback),
    (Method::POST, "/clock", Route::Clock),
    (Method::POST, "/scan", Route::Scan),
    (Method::POST, "/join", Route::Join),
    (Method::GET, "/messages", Route::Messages),
    (Method::POST, "/tenants", Route::Tenants),
    (Method::POST, "/faults", Route::AddFault),
    (Method::GET, "/faults", Route::ListFaults),
    (Method::DELETE, "/faults", Route::ClearFaults),
    (Method::DELETE, "/faults/{id}", Route::RemoveFault),
    (Method::GET, "/requests", Route::Requests),
    (Method::GET, "/drift", Route::Drift),
    (Method::DELETE, "/drift", Route::ClearDrift),
];

/// The routes of one path, by method.
type Methods = Vec<(Method, Route)>;

fn router() -> &'static matchit::Router<Methods> {
    static ROUTER: OnceLock<matchit::Router<Methods>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut paths: Vec<(&str, Methods)> = Vec::new();
        for (method, path, route) in ROUTES {
            match paths.iter_mut().find(|(p, _)| p == path) {
                Some((_, methods)) => methods.push((method.clone(), *route)),
                None => paths.push((path, vec![(method.clone(), *route)])),
            }
        }
        let mut router = matchit::Router::new();
        for (path, methods) in paths {
            // The table is a constant: a path that does not insert is a bug caught by every test.
            if let Err(err) = router.insert(path, methods) {
                panic!("admin route table: {path}: {err}");
            }
        }
        router
    })
}

/// A request matched to its route, with the path's parameters.
pub(crate) struct Matched {
    pub route: Route,
    pub corpid: Option<String>,
    pub id: Option<String>,
    pub agentid: Option<String>,
}

/// Finds the route of `method` on `path` (the part after `/__admin`, empty segments ignored as
/// they always were): 404 for an unknown path, 405 naming the allowed methods for another one.
pub(crate) fn find(method: &Method, path: &str) -> Result<Matched, AdminError> {
    let normalized: String = path.split('/').filter(|s| !s.is_empty()).flat_map(|s| ["/", s]).collect();
    let found = router()
        .at(&normalized)
        .map_err(|_| AdminError::new(AdminErrorKind::RouteNotFound, format!("no admin route /__admin{path}")))?;
    let Some((_, route)) = found.value.iter().find(|(m, _)| m == method) else {
        let allowed: Vec<&str> = found.value.iter().map(|(m, _)| m.as_str()).collect();
        return Err(AdminError::new(
            AdminErrorKind::MethodNotAllowed,
            format!("{method} is not allowed on /__admin{path} (allowed: {})", allowed.join(", ")),
        ));
    };
    let param = |name: &str| found.params.get(name).map(str::to_owned);
    Ok(Matched { route: *route, corpid: param("corpid"), id: param("id"), agentid: param("agentid") })
}

/// The methods a path allows, for the `Allow` header of a 405.
pub(crate) fn allowed(path: &str) -> Vec<Method> {
    let normalized: String = path.split('/').filter(|s| !s.is_empty()).flat_map(|s| ["/", s]).collect();
    router().at(&normalized).map(|found| found.value.iter().map(|(m, _)| m.clone()).collect()).unwrap_or_default()
}

/// Refuses a body that is not a JSON object: serde would read a top-level array as the
/// struct's fields in order (`["ww1","cfg"]` as a scan).
fn require_object(body: &[u8]) -> Result<(), AdminError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(()),
        _ => Err(AdminError::bad_request("invalid body: it must be a JSON object")),
    }
}

/// Decodes an admin body (a JSON object); an empty body reads as `{}`.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    require_object(body)?;
    serde_json::from_slice(body).map_err(|e| AdminError::bad_request(format!("invalid body: {e}")))
}

/// A number in the query, when given.
fn number<T: std::str::FromStr>(pairs: &[(String, String)], key: &str) -> Result<Option<T>, AdminError> {
    match query_value(pairs, key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => {
            text.parse().map(Some).map_err(|_| AdminError::bad_request(format!("`{key}` is not a number: {text:?}")))
        }
    }
}

/// A text in the query, when given and not empty.
fn text(pairs: &[(String, String)], key: &str) -> Option<String> {
    query_value(pairs, key).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Performs one matched admin request.
pub(crate) async fn serve(
    control: Control<'_>,
    matched: &Matched,
    query: &str,
    body: &[u8],
) -> Result<Response<Body>, AdminError> {
    let corpid = || matched.corpid.as_deref().unwrap_or_default();
    let pairs = || query_pairs(query);
    match matched.route {
        Route::Reset => {
            let reset: ResetRequest = decode(body)?;
            control.reset(reset.corpid.as_deref())?;
            ok(&serde_json::json!({}))
        }
        Route::ListCorps => ok(&serde_json::json!({ "corps": control.corps()? })),
        Route::GetCorp => ok(&control.dump(corpid())?),
        Route::PutCorp => {
            require_object(body)?;
            let fixture =
                Fixtures::parse_corp(body).map_err(|e| AdminError::bad_request(format!("invalid corp: {e}")))?;
            if fixture.corpid != corpid() {
                return Err(AdminError::bad_request(format!(
                    "the body's corpid `{}` differs from the path's `{}`",
                    fixture.corpid,
                    corpid()
                )));
            }
            control.put_corp(&fixture)?;
            ok(&serde_json::json!({}))
        }
        Route::DeleteCorp => control.delete_corp(corpid()).map(|()| no_content()),
        Route::Quotas => ok(&control.quotas(corpid())?),
        Route::RevokeTokens => {
            control.revoke_tokens(corpid())?;
            ok(&serde_json::json!({}))
        }
        Route::Checkpoint => ok(&control.checkpoint(corpid(), &decode::<CheckpointRequest>(body)?.name)?),
        Route::Restore => ok(&control.restore(corpid(), &decode::<CheckpointRequest>(body)?.name)?),
        Route::Checkpoints => ok(&serde_json::json!({ "checkpoints": control.checkpoints(corpid())? })),
        Route::Hygiene => ok(&control.hygiene(corpid())?),
        Route::VerifyCallback => {
            let agentid = matched.agentid.as_deref().unwrap_or_default();
            let agentid: u32 =
                agentid.parse().map_err(|_| AdminError::bad_request(format!("`{agentid}` is not an agentid")))?;
            ok(&control.verify_callback(corpid(), agentid).await?)
        }
        Route::Clock => ok(&control.clock(&decode::<ClockRequest>(body)?)?),
        Route::Scan => ok(&control.scan(&decode::<ScanRequest>(body)?)?),
        Route::Join => ok(&control.join(&decode::<JoinRequest>(body)?)?),
        Route::Messages => ok(&serde_json::json!({ "messages": control.messages(query_value(&pairs(), "corpid"))? })),
        Route::Tenants => ok(&control.create_tenant(&decode::<TenantRequest>(body)?)?),
        Route::AddFault => ok(&control.add_fault(&decode::<FaultRule>(body)?)?),
        Route::ListFaults => ok(&serde_json::json!({ "faults": control.faults()? })),
        Route::ClearFaults => control.clear_faults(text(&pairs(), "corpid").as_deref()).map(|()| no_content()),
        Route::RemoveFault => control.remove_fault(matched.id.as_deref().unwrap_or_default()).map(|()| no_content()),
        Route::Requests => {
            let pairs = pairs();
            let query = RequestQuery {
                path: text(&pairs, "path"),
                errcode: number(&pairs, "errcode")?,
                corpid: text(&pairs, "corpid"),
                limit: number(&pairs, "limit")?,
            };
            ok(&serde_json::json!({ "requests": control.requests(&query)? }))
        }
        Route::Drift => ok(&control.drift()?),
        Route::ClearDrift => control.clear_drift().map(|()| no_content()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_is_found_under_its_method() {
        for (method, path, route) in ROUTES {
            let concrete = path.replace("{corpid}", "ww1").replace("{agentid}", "1000001").replace("{id}", "f1");
            let matched = find(method, &concrete).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
            assert_eq!(matched.route, *route, "{method} {path}");
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_405_naming_the_allowed_ones() {
        let err = find(&Method::PATCH, "/corps/ww1").err().expect("405");
        assert_eq!(err.kind, AdminErrorKind::MethodNotAllowed);
        assert!(err.message.contains("GET, PUT, DELETE"), "{}", err.message);
        assert_eq!(allowed("/faults"), [Method::POST, Method::GET, Method::DELETE]);
        assert_eq!(find(&Method::GET, "/nowhere").err().map(|e| e.kind), Some(AdminErrorKind::RouteNotFound));
    }

    #[test]
    fn empty_path_segments_are_ignored() {
        assert_eq!(find(&Method::GET, "//corps/").ok().map(|m| m.route), Some(Route::ListCorps));
        assert_eq!(find(&Method::GET, "/corps//ww1/quotas").ok().and_then(|m| m.corpid), Some("ww1".to_owned()));
    }
}
