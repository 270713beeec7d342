//! The WeCom paths of the document: one operation per row of `API_TABLE`, with the request and
//! answer schemas of `wecom-types`, examples that work against the default corp, and links from
//! an add's `config_id` to the calls that take it (Schemathesis follows them).

use schemars::JsonSchema;
use serde_json::{Map, Value, json};
use wecom_types::endpoint::{Api, Endpoint, EndpointVisitor, Method};
use wecom_types::{ErrCode, ErrorBody};

use super::components::Components;
use super::control;
use crate::core::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use crate::http::admin::routes::Route;

pub(super) const TAG_TOKEN: &str = "token";
pub(super) const TAG_CONTACT_ME: &str = "Contact Me";
pub(super) const TAG_JOIN_GROUP: &str = "Join Group";
pub(super) const TAG_READ_BACKS: &str = "read-backs";
/// The tag of the calls after the scan (§8): members, customers, welcome messages.
pub(super) const TAG_AFTER_THE_SCAN: &str = "after the scan";
/// The security scheme of the `access_token` query parameter.
pub(super) const ACCESS_TOKEN: &str = "access_token";
/// The schema of `{"errcode": 0, "errmsg": "ok"}`.
pub(super) const OK_ENVELOPE: &str = "OkEnvelope";

/// A member and a customer group of the default corp, for the examples.
const EXAMPLE_MEMBER: &str = "zhangsan";
const EXAMPLE_CHAT: &str = "wrmockchat0001";

fn tag(api: Api) -> &'static str {
    match api {
        Api::GetToken => TAG_TOKEN,
        Api::AddContactWay
        | Api::GetContactWay
        | Api::ListContactWay
        | Api::UpdateContactWay
        | Api::DelContactWay
        | Api::CloseTempChat => TAG_CONTACT_ME,
        Api::AddJoinWay | Api::GetJoinWay | Api::UpdateJoinWay | Api::DelJoinWay => TAG_JOIN_GROUP,
        Api::GetExternalContact | Api::GetGroupChat => TAG_READ_BACKS,
        Api::GetFollowUserList | Api::ListExternalContact | Api::SendWelcomeMsg => TAG_AFTER_THE_SCAN,
    }
}

/// The operation's id: its path under `/cgi-bin/`, `/` as `_` (`externalcontact_get`).
fn operation_id(api: Api) -> String {
    api.path().trim_start_matches("/cgi-bin/").replace('/', "_")
}

/// A request that succeeds against the default corp (the rest need a config made first).
fn example(api: Api) -> Option<Value> {
    Some(match api {
        Api::GetToken => json!({"corpid": DEFAULT_CORPID, "corpsecret": DEFAULT_SECRET}),
        Api::AddContactWay => json!({"type": 1, "scene": 2, "user": [EXAMPLE_MEMBER], "state": "spring"}),
        Api::ListContactWay => json!({"limit": 10}),
        Api::AddJoinWay => json!({"scene": 2, "chat_id_list": [EXAMPLE_CHAT], "state": "vip"}),
        Api::GetGroupChat => json!({"chat_id": EXAMPLE_CHAT}),
        Api::GetFollowUserList => json!({}),
        _ => return None,
    })
}

/// The calls that take the `config_id` an add answers.
fn uses_of_config_id(api: Api) -> &'static [Api] {
    match api {
        Api::AddContactWay => &[Api::GetContactWay, Api::UpdateContactWay, Api::DelContactWay],
        Api::AddJoinWay => &[Api::GetJoinWay, Api::DelJoinWay],
        _ => &[],
    }
}

/// The control-surface route that simulates a customer using what `api` creates.
fn simulated_by(api: Api) -> Option<Route> {
    match api {
        Api::AddContactWay => Some(Route::Scan),
        Api::AddJoinWay => Some(Route::Join),
        _ => None,
    }
}

fn error_envelope() -> Value {
    json!({"$ref": format!("#/components/schemas/{}", ErrorEnvelope::NAME)})
}

/// The operation of one API: its request as a body or as query parameters, its answers.
fn operation<T: Endpoint + JsonSchema>(components: &mut Components) -> (String, Value)
where
    T::Response: JsonSchema,
{
    let api = T::API;
    let info = api.info();
    let answer = components.answer::<T::Response>();
    let request = components.request::<T>();
    let mut op = Map::new();
    op.insert("operationId".into(), json!(operation_id(api)));
    op.insert("tags".into(), json!([tag(api)]));
    op.insert("summary".into(), json!(components.summary_of(&request).unwrap_or_else(|| info.path.to_owned())));
    let example = example(api);
    let method = match info.method {
        Method::Get => {
            let mut parameters = components.query_parameters::<T>();
            for parameter in &mut parameters {
                let value = parameter["name"].as_str().and_then(|name| example.as_ref()?.get(name)).cloned();
                if let Some(value) = value {
                    parameter["example"] = value;
                }
            }
            op.insert("parameters".into(), Value::Array(parameters));
            "get"
        }
        Method::Post => {
            let mut body = json!({"schema": request});
            if let Some(example) = example {
                body["example"] = example;
            }
            op.insert("requestBody".into(), json!({"required": true, "content": {"application/json": body}}));
            "post"
        }
    };
    let success = json!({"allOf": [{"$ref": format!("#/components/schemas/{OK_ENVELOPE}")}, answer]});
    let mut ok = json!({
        "description": "Every answer of the API: errcode 0 with the answer's fields, or the error envelope \
            (40058 naming a wrongly typed field, the errcodes of errcodes.md, or an injected fault)",
        "content": {"application/json": {"schema": {"oneOf": [success, error_envelope()]}}},
    });
    let mut links: Map<String, Value> = uses_of_config_id(api)
        .iter()
        .map(|used| {
            let link = json!({
                "operationId": operation_id(*used),
                "requestBody": {"config_id": "$response.body#/config_id"},
                "description": "The config just created",
            });
            (used.short_name().to_owned(), link)
        })
        .collect();
    if let Some(route) = simulated_by(api) {
        let link = json!({
            "operationId": control::operation_id(route),
            "requestBody": {"corpid": DEFAULT_CORPID, "config_id": "$response.body#/config_id"},
            "description": "A customer uses the config just created (in the default corp)",
        });
        links.insert(control::operation_id(route), link);
    }
    if !links.is_empty() {
        ok["links"] = Value::Object(links);
    }
    op.insert(
        "responses".into(),
        json!({
            "200": ok,
            "408": {
                "description": "A body not all arrived within --body-timeout of the head: the envelope with errcode 40058, then the connection is closed; nothing changed",
                "content": {"application/json": {"schema": error_envelope()}},
            },
            "413": {
                "description": "A body over the size limit: the envelope with errcode 40058",
                "content": {"application/json": {"schema": error_envelope()}},
            },
            "503": {
                "description": "With --data-dir, a change the journal cannot take: errcode -1, nothing changed",
                "content": {"application/json": {"schema": error_envelope()}},
            },
            "502": {
                "description": "With --upstream, the upstream could not be reached or did not answer within --upstream-timeout: errcode -1, `upstream unreachable: …`",
                "content": {"application/json": {"schema": error_envelope()}},
            },
        }),
    );
    let security = if info.needs_token { json!([{ ACCESS_TOKEN: [] }]) } else { json!([]) };
    op.insert("security".into(), security);
    (api.path().to_owned(), json!({ method: op }))
}

/// Every WeCom path, in `API_TABLE` order.
pub(super) fn paths(components: &mut Components) -> Vec<(String, Value)> {
    components.answer::<ErrorEnvelope>();
    Api::ALL.iter().map(|api| api.visit(Operation(components))).collect()
}

/// The operation of the API visited.
struct Operation<'a>(&'a mut Components);

impl EndpointVisitor for Operation<'_> {
    type Output = (String, Value);

    fn visit<E: Endpoint>(self) -> (String, Value) {
        operation::<E>(self.0)
    }
}

/// `{"errcode": 0, "errmsg": "ok"}`, the start of every success.
pub(super) fn ok_envelope() -> Value {
    json!({
        "type": "object",
        "description": "The status of a successful answer; the answer's own fields follow.",
        "properties": {
            "errcode": {"const": ErrCode::OK.0},
            "errmsg": {"const": ErrCode::OK.phrase()},
        },
        "required": ["errcode", "errmsg"],
    })
}

/// The error envelope: [`ErrorBody`] with an errcode that is not 0.
struct ErrorEnvelope;

impl ErrorEnvelope {
    const NAME: &'static str = "ErrorEnvelope";
}

impl JsonSchema for ErrorEnvelope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Self::NAME.into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = ErrorBody::json_schema(generator);
        if let Some(errcode) = schema.get_mut("properties").and_then(|p| p.get_mut("errcode")) {
            errcode["not"] = json!({"const": ErrCode::OK.0});
        }
        schema.insert(
            "description".into(),
            json!("An error answer: HTTP 200 on a WeCom path (413 for a body too large, 408 for one too slow), the outcome in errcode."),
        );
        schema
    }
}
