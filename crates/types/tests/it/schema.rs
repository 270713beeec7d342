//! The JSON Schemas (feature `schema`): their bounds are the limits validation uses, and every
//! struct-typed position they describe in a request body refuses a JSON array.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Value, json};
use wecom_types::api::*;
use wecom_types::endpoint::{API_TABLE, Method};
use wecom_types::fidelity as assumed;
use wecom_types::limits::*;
use wecom_types::wire::decode_body;
use wecom_types::{Api, Endpoint, EndpointVisitor};

fn request_schema<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>().to_value()
}

fn answer_schema<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.contract = Contract::Serialize;
    settings.into_generator().into_root_schema_for::<T>().to_value()
}

#[track_caller]
fn check_bound(schema: &Value, pointer: &str, expected: Value) {
    assert_eq!(schema.pointer(pointer), Some(&expected), "{pointer} in {schema:#}");
}

#[test]
fn the_schema_bounds_are_the_limits_validation_uses() {
    let add = request_schema::<AddContactWay>();
    let cases: &[(&str, Value)] = &[
        ("/properties/type/enum", json!([ContactType::SINGLE.0, ContactType::MULTI.0])),
        ("/properties/scene/enum", json!([Scene::MINI_PROGRAM.0, Scene::QR_CODE.0])),
        ("/properties/remark/maxLength", json!(MAX_REMARK_CHARS)),
        ("/properties/state/maxLength", json!(MAX_STATE_CHARS)),
        ("/properties/user/maxItems", json!(MAX_MEMBERS_PER_CONTACT_WAY)),
        ("/properties/style/maximum", json!(SINGLE_STYLES.end())),
        ("/properties/expires_in/maximum", json!(MAX_TEMP_EXPIRES_SECS)),
        ("/properties/chat_expires_in/maximum", json!(MAX_TEMP_EXPIRES_SECS)),
        ("/properties/chat_expires_in/minimum", json!(0)),
        ("/required", json!(["scene", "type"])),
        ("/$defs/ConclusionText/properties/content/x-maxBytes", json!(MAX_CONCLUSION_TEXT_BYTES)),
        ("/$defs/ConclusionLink/properties/title/x-maxBytes", json!(MAX_CONCLUSION_LINK_TITLE_BYTES)),
        ("/$defs/ConclusionLink/properties/desc/x-maxBytes", json!(MAX_CONCLUSION_LINK_DESC_BYTES)),
        ("/$defs/ConclusionMiniprogram/properties/title/x-maxBytes", json!(MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES)),
    ];
    for (pointer, expected) in cases {
        check_bound(&add, pointer, expected.clone());
    }

    let join = request_schema::<AddJoinWay>();
    let cases: &[(&str, Value)] = &[
        ("/properties/chat_id_list/maxItems", json!(MAX_CHATS_PER_JOIN_WAY)),
        ("/properties/chat_id_list/minItems", json!(1)),
        ("/properties/chat_id_list/items/pattern", json!(wecom_types::schema::chat_id_pattern())),
        ("/properties/room_base_name/maxLength", json!(MAX_ROOM_BASE_NAME_CHARS)),
        ("/properties/state/maxLength", json!(MAX_STATE_CHARS)),
        ("/properties/auto_create_room/minimum", json!(AUTO_CREATE_ROOM_VALUES.start())),
        ("/properties/auto_create_room/maximum", json!(AUTO_CREATE_ROOM_VALUES.end())),
        ("/required", json!(["chat_id_list", "scene"])),
    ];
    for (pointer, expected) in cases {
        check_bound(&join, pointer, expected.clone());
    }
    // A Join Group remark over the limit is truncated, not refused: the request has no bound,
    // the stored config has.
    assert_eq!(join.pointer("/properties/remark/maxLength"), None);
    check_bound(&answer_schema::<JoinWay>(), "/properties/remark/maxLength", json!(MAX_REMARK_CHARS));

    check_bound(&request_schema::<ListContactWay>(), "/properties/limit/maximum", json!(MAX_LIST_LIMIT));
    check_bound(&answer_schema::<ListContactWayResponse>(), "/properties/contact_way/maxItems", json!(MAX_LIST_LIMIT));
    check_bound(&request_schema::<UpdateContactWay>(), "/properties/user/maxItems", json!(MAX_MEMBERS_PER_CONTACT_WAY));
    check_bound(
        &request_schema::<CloseTempChat>(),
        "/properties/external_userid/pattern",
        json!(format!(
            "^({})[A-Za-z0-9_-]{{{},{}}}$",
            assumed::EXTERNAL_USERID_PREFIXES.join("|"),
            assumed::EXTERNAL_USERID_MIN_TAIL,
            assumed::EXTERNAL_USERID_MAX_TAIL
        )),
    );
}

#[test]
fn required_fields_are_required_and_not_nullable() {
    let cases: &[(Value, &str, &str)] = &[
        (request_schema::<GetContactWay>(), "config_id", "string"),
        (request_schema::<UpdateContactWay>(), "config_id", "string"),
        (request_schema::<UpdateJoinWay>(), "config_id", "string"),
        (request_schema::<CloseTempChat>(), "userid", "string"),
        (request_schema::<GetGroupChat>(), "chat_id", "string"),
        (request_schema::<GetToken>(), "corpsecret", "string"),
        (request_schema::<AddContactWay>(), "type", "integer"),
    ];
    for (schema, field, json_type) in cases {
        let required = schema["required"].as_array().expect("a required list");
        assert!(required.contains(&json!(field)), "{field} in {schema:#}");
        assert_eq!(schema["properties"][field]["type"], json!(json_type), "{field} in {schema:#}");
    }
}

/// The dotted paths of the struct-typed positions a schema describes (objects reached through
/// properties, `$ref` and nullable `anyOf`).
fn struct_positions(schema: &Value) -> BTreeSet<String> {
    fn resolve<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let pointer = reference.trim_start_matches('#');
            return root.pointer(pointer).map(|s| resolve(root, s)).unwrap_or_default();
        }
        if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
            return alternatives.iter().flat_map(|s| resolve(root, s)).collect();
        }
        vec![schema]
    }
    fn is_object(schema: &Value) -> bool {
        match &schema["type"] {
            Value::String(t) => t == "object",
            Value::Array(types) => types.contains(&json!("object")),
            _ => false,
        }
    }
    fn walk(root: &Value, schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
        for (name, property) in properties {
            let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            for resolved in resolve(root, property).into_iter().filter(|s| is_object(s)) {
                out.insert(path.clone());
                walk(root, resolved, &path, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(schema, schema, "", &mut out);
    out
}

/// `{"a":{"b":value}}` for the path `a.b`.
fn body_with(path: &str, value: Value) -> Vec<u8> {
    let body = path.rsplit('.').fold(value, |inner, key| json!({ key: inner }));
    serde_json::to_vec(&body).expect("encodes")
}

/// Every struct-typed position of the visited request's body: an array whose elements serde
/// would read as the struct's fields in order is a wrong type naming the position; the empty
/// array is `{}`.
struct StructsRefuseArrays;

impl EndpointVisitor for StructsRefuseArrays {
    type Output = (Api, BTreeSet<String>);

    fn visit<T: Endpoint>(self) -> (Api, BTreeSet<String>) {
        let positions = struct_positions(&request_schema::<T>());
        for path in &positions {
            let body = body_with(path, json!([null]));
            let Err(err) = decode_body::<T>(&body) else {
                panic!("{:?}: an array is not an object: {}", T::API, String::from_utf8_lossy(&body))
            };
            assert_eq!(err.field.as_deref(), Some(path.as_str()), "{}", String::from_utf8_lossy(&body));
            assert_eq!(err.expected, Some("object"));
            let body = body_with(path, json!([]));
            assert!(decode_body::<T>(&body).is_ok(), "{}", String::from_utf8_lossy(&body));
        }
        (T::API, positions)
    }
}

#[test]
fn every_struct_of_every_request_body_refuses_an_array() {
    let checked: Vec<(Api, BTreeSet<String>)> = API_TABLE
        .iter()
        .filter(|row| row.method == Method::Post)
        .map(|row| row.api.visit(StructsRefuseArrays))
        .collect();
    // The walk finds what is known to be there (so an empty walk cannot pass).
    let conclusions =
        ["conclusions", "conclusions.image", "conclusions.link", "conclusions.miniprogram", "conclusions.text"];
    for api in [Api::AddContactWay, Api::UpdateContactWay] {
        let (_, positions) = checked.iter().find(|(a, _)| *a == api).expect("checked");
        assert_eq!(positions.iter().map(String::as_str).collect::<Vec<_>>(), conclusions, "{api:?}");
    }
}
