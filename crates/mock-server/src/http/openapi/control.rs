//! The control surface of the document: every route of the admin table
//! (`http::admin::routes::ROUTES`) with the `api` types it reads and writes and the admin errors
//! it can answer, plus `/healthz`, `/metrics`, this document, the dashboard and the pictures.

use std::collections::BTreeMap;

use hyper::Method;
use serde_json::{Map, Value, json};

use super::components::Components;
use crate::api::*;
use crate::core::fixtures::{CorpFixture, DEFAULT_AGENTID, DEFAULT_CORPID};
use crate::http::admin::routes::{ROUTES, Route};

pub(super) const TAG_CONTROL: &str = "control surface";
pub(super) const TAG_PICTURES: &str = "pictures";
/// The security scheme of `--admin-token`.
pub(super) const ADMIN_TOKEN: &str = "admin_token";

/// What a route reads and answers besides the errors every route can give.
struct Spec {
    summary: &'static str,
    /// The JSON body, when it takes one; `true` when it must be given (an empty body reads as
    /// `{}` everywhere).
    body: Option<(Value, bool)>,
    query: Vec<Value>,
    /// The 200 answer's schema, or `None` for 204.
    answer: Option<Value>,
    /// The errors of this route besides 401, 403, 408, 413 and (for changes) 503.
    errors: &'static [AdminErrorKind],
}

fn object_with_list(key: &str, items: Value) -> Value {
    json!({"type": "object", "properties": {key: {"type": "array", "items": items}}, "required": [key]})
}

fn empty_object() -> Value {
    json!({"type": "object", "description": "An empty object."})
}

fn corpid_query(description: &str) -> Value {
    json!({"name": "corpid", "in": "query", "required": false, "schema": {"type": "string"}, "description": description})
}

/// The one place that says what each route is: a new `Route` does not compile until it is here.
fn spec(route: Route, c: &mut Components) -> Spec {
    use AdminErrorKind as E;
    let plain =
        |summary, answer: Option<Value>, errors| Spec { summary, body: None, query: Vec::new(), answer, errors };
    match route {
        Route::Reset => Spec {
            summary: "Forget the state of every corp (tenants dropped) or of one, and load the fixtures again",
            body: Some((c.request::<ResetRequest>(), false)),
            query: Vec::new(),
            answer: Some(empty_object()),
            errors: &[E::BadRequest, E::CorpNotFound],
        },
        Route::ListCorps => {
            plain("The corps with their apps' secrets", Some(object_with_list("corps", c.answer::<CorpSummary>())), &[])
        }
        Route::GetCorp => {
            plain("The corp's deterministic state dump", Some(c.answer::<CorpDump>()), &[E::CorpNotFound])
        }
        Route::PutCorp => Spec {
            summary: "Create or replace a corp (its state emptied) from one corp of the fixtures format",
            body: Some((c.request::<CorpFixture>(), true)),
            query: Vec::new(),
            answer: Some(empty_object()),
            errors: &[E::BadRequest, E::TooManyCorps],
        },
        Route::DeleteCorp => plain("Delete a corp (and its checkpoints)", None, &[E::CorpNotFound]),
        Route::Quotas => plain("The corp's quota use", Some(c.answer::<QuotasResponse>()), &[E::CorpNotFound]),
        Route::RevokeTokens => plain(
            "Invalidate every access token of the corp (40014 from then on)",
            Some(empty_object()),
            &[E::CorpNotFound],
        ),
        Route::Checkpoint => Spec {
            summary: "Save the corp's state under a name",
            body: Some((c.request::<CheckpointRequest>(), true)),
            query: Vec::new(),
            answer: Some(c.answer::<CheckpointInfo>()),
            errors: &[E::BadRequest, E::CorpNotFound, E::TooManyCheckpoints],
        },
        Route::Restore => Spec {
            summary: "Make the corp's state exactly a saved one (its tokens are invalidated)",
            body: Some((c.request::<CheckpointRequest>(), true)),
            query: Vec::new(),
            answer: Some(c.answer::<CheckpointInfo>()),
            errors: &[E::BadRequest, E::CorpNotFound, E::CheckpointNotFound],
        },
        Route::Checkpoints => plain(
            "The corp's checkpoints",
            Some(object_with_list("checkpoints", c.answer::<CheckpointInfo>())),
            &[E::CorpNotFound],
        ),
        Route::Hygiene => plain(
            "What the corp's client does that the real service punishes",
            Some(c.answer::<HygieneReport>()),
            &[E::CorpNotFound],
        ),
        Route::VerifyCallback => plain(
            "Perform the URL check WeCom makes when a callback URL is saved",
            Some(c.answer::<VerifyCallbackResponse>()),
            &[E::BadRequest, E::CorpNotFound, E::AppNotFound, E::NoCallback, E::BadCallbackSettings],
        ),
        Route::Clock => Spec {
            summary: "Set, advance or release the virtual clock of every corp or of one",
            body: Some((c.request::<ClockRequest>(), true)),
            query: Vec::new(),
            answer: Some(c.answer::<ClockResponse>()),
            errors: &[E::BadRequest, E::CorpNotFound],
        },
        Route::Scan => Spec {
            summary: "A customer adds a member through a Contact Me config",
            body: Some((c.request::<ScanRequest>(), true)),
            query: Vec::new(),
            answer: Some(c.answer::<ScanResponse>()),
            errors: &[
                E::BadRequest,
                E::InvalidExternalUserid,
                E::NotAMember,
                E::CorpNotFound,
                E::ConfigNotFound,
                E::TempCodeUsed,
                E::UnionidMismatch,
                E::NoMembers,
                E::AlreadyFollowing,
                E::TempCodeExpired,
            ],
        },
        Route::Join => Spec {
            summary: "A customer joins a group through a Join Group config",
            body: Some((c.request::<JoinRequest>(), true)),
            query: Vec::new(),
            answer: Some(c.answer::<JoinResponse>()),
            errors: &[E::BadRequest, E::InvalidExternalUserid, E::CorpNotFound, E::ConfigNotFound, E::AllGroupsFull],
        },
        Route::Messages => Spec {
            summary: "Closing messages and callbacks sent, oldest first",
            body: None,
            query: vec![corpid_query("Only this corp's.")],
            answer: Some(object_with_list("messages", c.answer::<MessageEntry>())),
            errors: &[E::CorpNotFound],
        },
        Route::Tenants => Spec {
            summary: "A fresh corp (the default directory, or the fixture given) and the admin token that steers it",
            body: Some((c.request::<TenantRequest>(), false)),
            query: Vec::new(),
            answer: Some(c.answer::<TenantResponse>()),
            errors: &[E::BadRequest, E::TooManyCorps],
        },
        Route::AddFault => Spec {
            summary: "Add a fault rule: an errcode, a delay or a dropped connection for matching WeCom calls",
            body: Some((c.request::<FaultRule>(), true)),
            query: Vec::new(),
            answer: Some(c.answer::<FaultAdded>()),
            errors: &[E::BadRequest, E::TooManyFaults],
        },
        Route::ListFaults => {
            plain("The fault rules with their counts", Some(object_with_list("faults", c.answer::<FaultStatus>())), &[])
        }
        Route::ClearFaults => Spec {
            summary: "Remove every fault rule, or a corp's",
            body: None,
            query: vec![corpid_query("Only this corp's rules.")],
            answer: None,
            errors: &[],
        },
        Route::RemoveFault => plain("Remove one fault rule", None, &[E::FaultNotFound]),
        Route::Requests => Spec {
            summary: "The request journal: the last WeCom calls, newest last",
            body: None,
            query: c.query_parameters::<RequestQuery>(),
            answer: Some(object_with_list("requests", c.answer::<RequestEntry>())),
            errors: &[E::BadRequest],
        },
        Route::Drift => plain(
            "The drift proxy's findings (wecom-mock --upstream), newest last; empty on a mock without --upstream",
            Some(c.answer::<DriftReport>()),
            &[],
        ),
        Route::ClearDrift => plain("Clear the drift proxy's findings and its report's counters", None, &[]),
    }
}

/// The error answers of a route, one per status, each naming its codes.
fn error_responses(errors: impl IntoIterator<Item = AdminErrorKind>) -> Map<String, Value> {
    let mut by_status: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for kind in errors {
        let codes = by_status.entry(kind.status()).or_default();
        if !codes.contains(&kind.code()) {
            codes.push(kind.code());
        }
    }
    by_status
        .into_iter()
        .map(|(status, codes)| {
            let schema = json!({
                "allOf": [
                    {"$ref": "#/components/schemas/AdminError"},
                    {"properties": {"error": {"enum": codes}}},
                ],
            });
            let response = json!({
                "description": format!("`error`: {}", codes.join(", ")),
                "content": {"application/json": {"schema": schema}},
            });
            (status.to_string(), response)
        })
        .collect()
}

fn path_parameter(name: &str) -> Value {
    let (schema, description, example) = match name {
        "corpid" => (json!({"type": "string", "minLength": 1}), "The corp.", json!(DEFAULT_CORPID)),
        "agentid" => {
            (json!({"type": "integer", "minimum": 0, "maximum": u32::MAX}), "The app.", json!(DEFAULT_AGENTID))
        }
        _ => (json!({"type": "string", "minLength": 1}), "The fault rule's id.", json!("f1")),
    };
    json!({"name": name, "in": "path", "required": true, "schema": schema, "description": description, "example": example})
}

/// The names of a route path's `{parameters}`.
fn parameter_names(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

/// `admin_` and the route's name in snake case (`admin_list_corps`).
pub(super) fn operation_id(route: Route) -> String {
    let mut id = String::from("admin");
    for c in format!("{route:?}").chars() {
        if c.is_ascii_uppercase() {
            id.push('_');
        }
        id.push(c.to_ascii_lowercase());
    }
    id
}

fn admin_operation(method: &Method, path: &str, route: Route, c: &mut Components) -> Value {
    let spec = spec(route, c);
    let mut op = Map::new();
    op.insert("operationId".into(), json!(operation_id(route)));
    op.insert("tags".into(), json!([TAG_CONTROL]));
    op.insert("summary".into(), json!(spec.summary));
    let mut parameters: Vec<Value> = parameter_names(path).map(path_parameter).collect();
    parameters.extend(spec.query);
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some((schema, required)) = spec.body {
        op.insert(
            "requestBody".into(),
            json!({"required": required, "content": {"application/json": {"schema": schema}}}),
        );
    }
    // Every route: a missing or wrong token, a tenant's token beyond its corp, a body too large
    // or too slow (--body-timeout).
    let mut errors = vec![
        AdminErrorKind::Unauthorized,
        AdminErrorKind::Forbidden,
        AdminErrorKind::BodyTimeout,
        AdminErrorKind::BodyTooLarge,
    ];
    if method != Method::GET {
        errors.push(AdminErrorKind::JournalUnavailable);
    }
    errors.extend_from_slice(spec.errors);
    let mut responses = error_responses(errors);
    let mut success = match spec.answer {
        Some(schema) => ("200", json!({"description": "Done", "content": {"application/json": {"schema": schema}}})),
        None => ("204", json!({"description": "Done"})),
    };
    if route == Route::AddFault {
        success.1["links"] = json!({"remove": {
            "operationId": operation_id(Route::RemoveFault),
            "parameters": {"id": "$response.body#/id"},
            "description": "The rule just added",
        }});
    }
    responses.insert(success.0.into(), success.1);
    op.insert("responses".into(), Value::Object(responses));
    // With --admin-token the bearer token is needed, without it nothing is.
    op.insert("security".into(), json!([{ ADMIN_TOKEN: [] }, {}]));
    Value::Object(op)
}

/// The routes that are not in the admin table: never behind the admin token (the dashboard
/// takes it in its query too), or not JSON.
fn unrouted() -> Vec<(String, Value)> {
    let health = json!({
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "journal_failed"]},
            "version": {"type": "string", "description": "The crate version of the build that answers (`wecom-mock --version`)"},
        },
        "required": ["status", "version"],
    });
    let png = json!({"image/png": {"schema": {"type": "string", "contentMediaType": "image/png"}}});
    let text = json!({"text/plain": {"schema": {"type": "string"}}});
    let ui_errors = error_responses([AdminErrorKind::Unauthorized]);
    vec![
        (
            "/healthz".into(),
            json!({"get": {
                "operationId": "healthz",
                "tags": [TAG_CONTROL],
                "summary": "Liveness and readiness (never needs the admin token)",
                "responses": {
                    "200": {"description": "Serving", "content": {"application/json": {"schema": health}}},
                    "503": {"description": "With --data-dir, the journal failed: changes are refused", "content": {"application/json": {"schema": health}}},
                },
                "security": [],
            }}),
        ),
        (
            "/metrics".into(),
            json!({"get": {
                "operationId": "metrics",
                "tags": [TAG_CONTROL],
                "summary": "Prometheus metrics: requests by path and errcode, latency, configs and quotas per corp",
                "responses": {"200": {"description": "The Prometheus text format, version 0.0.4", "content": text}},
                "security": [],
            }}),
        ),
        (
            "/__admin/openapi.json".into(),
            json!({"get": {
                "operationId": "admin_openapi",
                "tags": [TAG_CONTROL],
                "summary": "This document (never needs the admin token)",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}},
                "security": [],
            }}),
        ),
        (
            "/__admin/ui".into(),
            json!({"get": {
                "operationId": "admin_ui",
                "tags": [TAG_CONTROL],
                "summary": "The dashboard (with --admin-token: `?token=` or the bearer header)",
                "parameters": [
                    {"name": "token", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The admin token, for a browser."},
                    {"name": "fragment", "in": "query", "required": false, "schema": {"type": "string"}, "description": "`1`: only the refreshed content."},
                ],
                "responses": Value::Object({
                    let mut responses = ui_errors;
                    responses.insert("200".into(), json!({"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}}));
                    responses
                }),
                "security": [{ ADMIN_TOKEN: [] }, {}],
            }}),
        ),
        (
            "/qr/{config_id}".into(),
            json!({"get": {
                "operationId": "qr_code",
                "tags": [TAG_PICTURES],
                "summary": "The QR code of a scene-2 config (what its `qr_code` URL shows)",
                "parameters": [{"name": "config_id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}],
                "responses": {
                    "200": {"description": "A PNG encoding the `qr_code` URL", "content": png},
                    "404": {"description": "No QR config has this id", "content": text},
                },
                "security": [],
            }}),
        ),
        (
            "/media/{media_id}".into(),
            json!({"get": {
                "operationId": "media",
                "tags": [TAG_PICTURES],
                "summary": "A conclusions image's `pic_url`: one placeholder picture",
                "parameters": [{"name": "media_id", "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}],
                "responses": {"200": {"description": "A placeholder PNG", "content": png}},
                "security": [],
            }}),
        ),
    ]
}

/// Every control-surface path.
pub(super) fn paths(c: &mut Components) -> Vec<(String, Value)> {
    let _ = c.answer::<AdminError>();
    let mut out = Vec::new();
    for (method, path, route) in ROUTES {
        let operation = admin_operation(method, path, *route, c);
        out.push((format!("/__admin{path}"), json!({ method.as_str().to_ascii_lowercase(): operation })));
    }
    out.extend(unrouted());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_snake_case() {
        assert_eq!(operation_id(Route::ListCorps), "admin_list_corps");
        assert_eq!(operation_id(Route::Scan), "admin_scan");
    }

    #[test]
    fn parameter_names_are_the_braced_segments() {
        let names: Vec<&str> = parameter_names("/corps/{corpid}/apps/{agentid}/verify_callback").collect();
        assert_eq!(names, ["corpid", "agentid"]);
    }

    #[test]
    fn errors_are_grouped_by_status_with_their_codes() {
        let responses = error_responses([
            AdminErrorKind::CorpNotFound,
            AdminErrorKind::ConfigNotFound,
            AdminErrorKind::TempCodeUsed,
        ]);
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["404", "409"]);
        assert_eq!(responses["404"]["description"], "`error`: corp_not_found, config_not_found");
    }
}
