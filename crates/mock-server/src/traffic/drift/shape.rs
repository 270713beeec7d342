//! The shape check: an answer against the fields its wire type documents, with their JSON
//! types. The shapes are compiled once from the JSON Schemas of `wecom-types` (the serialize
//! contract, as the OpenAPI document has them): a field that is always written is required, an
//! `Option` one may be absent; values (lengths, ranges, patterns) are not judged here.

use std::sync::OnceLock;

use schemars::JsonSchema;
use schemars::generate::{Contract, SchemaSettings};
use serde_json::{Map, Value};
use wecom_types::endpoint::{API_COUNT, Api, Endpoint, EndpointVisitor};
use wecom_types::{ErrCode, ErrorBody};

use super::Found;
use crate::api::DriftKind;

/// How deep `$ref`s are followed: the wire types nest a few levels, never recursively.
const MAX_DEPTH: usize = 16;

/// A set of JSON types, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Kinds(u8);

impl Kinds {
    const NULL: Kinds = Kinds(1);
    const BOOLEAN: Kinds = Kinds(2);
    const INTEGER: Kinds = Kinds(4);
    /// A number with a fraction; an integer is a number too.
    const NUMBER: Kinds = Kinds(8);
    const STRING: Kinds = Kinds(16);
    const ARRAY: Kinds = Kinds(32);
    const OBJECT: Kinds = Kinds(64);
    const ANY: Kinds = Kinds(127);

    fn union(self, other: Kinds) -> Kinds {
        Kinds(self.0 | other.0)
    }

    fn admits(self, kind: Kinds) -> bool {
        // An integer is also a number; a number is not an integer.
        self.0 & kind.0 != 0 || (kind == Kinds::INTEGER && self.0 & Kinds::NUMBER.0 != 0)
    }

    fn named(name: &str) -> Kinds {
        match name {
            "null" => Kinds::NULL,
            "boolean" => Kinds::BOOLEAN,
            "integer" => Kinds::INTEGER,
            "number" => Kinds::NUMBER,
            "string" => Kinds::STRING,
            "array" => Kinds::ARRAY,
            "object" => Kinds::OBJECT,
            _ => Kinds::ANY,
        }
    }

    /// The JSON type of a value.
    pub(super) fn of(value: &Value) -> Kinds {
        match value {
            Value::Null => Kinds::NULL,
            Value::Bool(_) => Kinds::BOOLEAN,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kinds::INTEGER,
            Value::Number(_) => Kinds::NUMBER,
            Value::String(_) => Kinds::STRING,
            Value::Array(_) => Kinds::ARRAY,
            Value::Object(_) => Kinds::OBJECT,
        }
    }

    /// `string`, `integer or null`: for the findings' words.
    pub(super) fn describe(self) -> String {
        const NAMES: [(Kinds, &str); 7] = [
            (Kinds::OBJECT, "object"),
            (Kinds::ARRAY, "array"),
            (Kinds::STRING, "string"),
            (Kinds::INTEGER, "integer"),
            (Kinds::NUMBER, "number"),
            (Kinds::BOOLEAN, "boolean"),
            (Kinds::NULL, "null"),
        ];
        let names: Vec<&str> = NAMES.iter().filter(|(k, _)| self.0 & k.0 != 0).map(|(_, name)| *name).collect();
        if names.is_empty() { "nothing".to_owned() } else { names.join(" or ") }
    }
}

/// What a documented value looks like.
#[derive(Debug, Clone, Default)]
pub(super) struct Shape {
    /// The JSON types it may have.
    kinds: Kinds,
    /// Its documented fields, when it is an object with a fixed set of them.
    fields: Option<Vec<Field>>,
    /// Its items' shape, when it is an array.
    items: Option<Box<Shape>>,
}

/// A documented field of an object.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    required: bool,
    shape: Shape,
}

impl Shape {
    fn any() -> Shape {
        Shape { kinds: Kinds::ANY, fields: None, items: None }
    }

    /// Adds what `other` allows to what `self` allows (the branches of `anyOf`, `allOf`).
    fn merge(&mut self, other: Shape) {
        self.kinds = self.kinds.union(other.kinds);
        if let Some(fields) = other.fields {
            let mine = self.fields.get_or_insert_with(Vec::new);
            for field in fields {
                match mine.iter_mut().find(|f| f.name == field.name) {
                    Some(existing) => {
                        existing.required |= field.required;
                        existing.shape.merge(field.shape);
                    }
                    None => mine.push(field),
                }
            }
        }
        if let Some(items) = other.items {
            match &mut self.items {
                Some(mine) => mine.merge(*items),
                None => self.items = Some(items),
            }
        }
    }

    /// Compiles a JSON Schema (`$ref`s resolved in `defs`).
    fn compile(schema: &Value, defs: &Map<String, Value>, depth: usize) -> Shape {
        let Some(object) = schema.as_object() else {
            // `true` (anything) or `false` (nothing, which an answer never has: anything).
            return Shape::any();
        };
        if depth > MAX_DEPTH {
            return Shape::any();
        }
        let mut shape = Shape::default();
        let mut constrained = false;
        if let Some(target) = object.get("$ref").and_then(Value::as_str) {
            let name = target.rsplit('/').next().unwrap_or_default();
            match defs.get(name) {
                Some(def) => shape.merge(Shape::compile(def, defs, depth + 1)),
                None => shape.merge(Shape::any()),
            }
            constrained = true;
        }
        match object.get("type") {
            Some(Value::String(name)) => {
                shape.kinds = shape.kinds.union(Kinds::named(name));
                constrained = true;
            }
            Some(Value::Array(names)) => {
                for name in names.iter().filter_map(Value::as_str) {
                    shape.kinds = shape.kinds.union(Kinds::named(name));
                }
                constrained = true;
            }
            _ => {}
        }
        if let Some(value) = object.get("const") {
            shape.kinds = shape.kinds.union(Kinds::of(value));
            constrained = true;
        }
        if let Some(Value::Array(values)) = object.get("enum") {
            for value in values {
                shape.kinds = shape.kinds.union(Kinds::of(value));
            }
            constrained = true;
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let Some(Value::Array(branches)) = object.get(key) {
                let mut merged = Shape::default();
                for branch in branches {
                    merged.merge(Shape::compile(branch, defs, depth + 1));
                }
                shape.merge(merged);
                constrained = true;
            }
        }
        if let Some(Value::Object(properties)) = object.get("properties") {
            let required: Vec<&str> = object
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let fields = properties
                .iter()
                .map(|(name, schema)| Field {
                    name: name.clone(),
                    required: required.contains(&name.as_str()),
                    shape: Shape::compile(schema, defs, depth + 1),
                })
                .collect();
            shape.merge(Shape { kinds: Kinds::OBJECT, fields: Some(fields), items: None });
            constrained = true;
        }
        if let Some(items) = object.get("items") {
            shape.merge(Shape {
                kinds: Kinds::ARRAY,
                fields: None,
                items: Some(Box::new(Shape::compile(items, defs, depth + 1))),
            });
            constrained = true;
        }
        if !constrained {
            return Shape::any();
        }
        shape
    }

    /// The findings of `value` against this shape, at `path` (`""` for the whole answer).
    pub(super) fn check(&self, value: &Value, path: &str, out: &mut Vec<Found>) {
        let kind = Kinds::of(value);
        if !self.kinds.admits(kind) {
            out.push(Found::at(
                DriftKind::Shape,
                path,
                format!("{} is {}, documented as {}", named(path), kind.describe(), self.kinds.describe()),
            ));
            return;
        }
        match value {
            Value::Object(members) => {
                let Some(fields) = &self.fields else { return };
                for field in fields {
                    let at = join(path, &field.name);
                    match members.get(&field.name) {
                        Some(member) => field.shape.check(member, &at, out),
                        None if field.required => out.push(Found::at(
                            DriftKind::Shape,
                            &at,
                            format!("`{at}` is missing, documented as {}", field.shape.kinds.describe()),
                        )),
                        None => {}
                    }
                }
                for (name, member) in members {
                    if !fields.iter().any(|f| &f.name == name) {
                        let at = join(path, name);
                        out.push(Found::at(
                            DriftKind::Info,
                            &at,
                            format!("`{at}` is not documented (it is {})", Kinds::of(member).describe()),
                        ));
                    }
                }
            }
            Value::Array(items) => {
                let Some(shape) = &self.items else { return };
                let at = format!("{path}[]");
                for item in items {
                    shape.check(item, &at, out);
                }
            }
            _ => {}
        }
    }
}

/// A path as the findings' words name it.
fn named(path: &str) -> String {
    if path.is_empty() { "the answer".to_owned() } else { format!("`{path}`") }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn settings() -> SchemaSettings {
    let mut settings = SchemaSettings::draft2020_12();
    settings.contract = Contract::Serialize;
    settings
}

/// The compiled shape of a type's serialized form.
fn shape_of<T: JsonSchema>() -> Shape {
    let schema = settings().into_generator().into_root_schema_for::<T>();
    let value = schema.as_value();
    let defs = value.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
    Shape::compile(value, &defs, 0)
}

/// `errcode` and `errmsg`, required at the start of every answer.
fn envelope() -> Vec<Field> {
    let leaf = |kinds| Shape { kinds, fields: None, items: None };
    vec![
        Field { name: "errcode".to_owned(), required: true, shape: leaf(Kinds::INTEGER) },
        Field { name: "errmsg".to_owned(), required: true, shape: leaf(Kinds::STRING) },
    ]
}

/// A success of the API visited: the envelope and the answer's own fields.
struct Success;

impl EndpointVisitor for Success {
    type Output = Shape;

    fn visit<E: Endpoint>(self) -> Shape {
        let mut shape = Shape { kinds: Kinds::OBJECT, fields: Some(envelope()), items: None };
        shape.merge(shape_of::<E::Response>());
        // An answer is an object whatever its payload's schema allows besides.
        shape.kinds = Kinds::OBJECT;
        shape
    }
}

/// The shapes every answer is checked against, compiled once.
struct Shapes {
    success: Vec<Shape>,
    error: Shape,
}

fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let mut error = Shape { kinds: Kinds::OBJECT, fields: Some(envelope()), items: None };
        error.merge(shape_of::<ErrorBody>());
        error.kinds = Kinds::OBJECT;
        let success: Vec<Shape> = Api::ALL.iter().map(|api| api.visit(Success)).collect();
        debug_assert_eq!(success.len(), API_COUNT);
        Shapes { success, error }
    })
}

/// Compiles every shape now (at start-up), so the first exchange does not pay for it.
pub(crate) fn prepare() {
    let _ = shapes();
}

/// The shape findings of an answer of `api` with errcode `errcode` (`None` when the answer
/// has none: it is then checked as a success, which requires one).
pub(super) fn check(api: Api, errcode: Option<ErrCode>, answer: &Value, out: &mut Vec<Found>) {
    let shapes = shapes();
    let shape = match errcode {
        Some(code) if !code.is_ok() => &shapes.error,
        _ => &shapes.success[api as usize],
    };
    shape.check(answer, "", out);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn findings(api: Api, answer: Value) -> Vec<(DriftKind, Option<String>)> {
        let mut out = Vec::new();
        let code = answer.get("errcode").and_then(Value::as_i64).map(|c| ErrCode(c as i32));
        check(api, code, &answer, &mut out);
        out.into_iter().map(|f| (f.kind, f.field)).collect()
    }

    #[test]
    fn a_documented_answer_has_no_finding() {
        let cases = [
            (Api::GetToken, json!({"errcode": 0, "errmsg": "ok", "access_token": "t", "expires_in": 7200})),
            (Api::AddContactWay, json!({"errcode": 0, "errmsg": "ok", "config_id": "c", "qr_code": "u"})),
            (Api::AddContactWay, json!({"errcode": 0, "errmsg": "ok", "config_id": "c"})),
            (
                Api::GetContactWay,
                json!({"errcode": 0, "errmsg": "ok", "contact_way": {"config_id": "c", "type": 1, "user": ["a"]}}),
            ),
            (Api::DelContactWay, json!({"errcode": 0, "errmsg": "ok"})),
            (Api::DelContactWay, json!({"errcode": 41044, "errmsg": "invalid config_id", "field_info": []})),
        ];
        for (api, answer) in cases {
            assert_eq!(findings(api, answer.clone()), [], "{api:?} {answer}");
        }
    }

    #[test]
    fn each_deviation_is_reported_with_its_field() {
        let shape = |field: &str| (DriftKind::Shape, Some(field.to_owned()));
        let info = |field: &str| (DriftKind::Info, Some(field.to_owned()));
        let cases = [
            (Api::AddContactWay, json!({"errcode": 0, "errmsg": "ok", "qr_code": "u"}), vec![shape("config_id")]),
            (Api::AddContactWay, json!({"errcode": 0, "errmsg": "ok", "config_id": 5}), vec![shape("config_id")]),
            (
                Api::AddContactWay,
                json!({"errcode": 0, "errmsg": "ok", "config_id": "c", "configId": "c"}),
                vec![info("configId")],
            ),
            (
                Api::GetContactWay,
                json!({"errcode": 0, "errmsg": "ok", "contact_way": {"config_id": "c", "type": "1"}}),
                vec![shape("contact_way.type")],
            ),
            (
                Api::GetContactWay,
                json!({"errcode": 0, "errmsg": "ok", "contact_way": {"config_id": "c", "user": ["a", 2]}}),
                vec![shape("contact_way.user[]")],
            ),
            (
                Api::GetToken,
                json!({"errcode": 0, "errmsg": "ok", "expires_in": 7200.5}),
                vec![shape("access_token"), shape("expires_in")],
            ),
            (Api::DelContactWay, json!({"errcode": "0", "errmsg": "ok"}), vec![shape("errcode")]),
            (Api::DelContactWay, json!({"errcode": 40014}), vec![shape("errmsg")]),
            (Api::DelContactWay, json!([1]), vec![(DriftKind::Shape, None)]),
        ];
        for (api, answer, expected) in cases {
            assert_eq!(findings(api, answer.clone()), expected, "{api:?} {answer}");
        }
    }
}
