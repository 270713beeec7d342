//! The OpenAPI 3.1 document of every path the mock serves, generated, never written by hand:
//! the WeCom paths from `API_TABLE` and the JSON Schemas of `wecom-types` (feature `schema`,
//! bounded by the same limits validation uses), the control surface from its route table
//! (`http/admin/routes.rs`) and the `api` types. Built once, served at
//! `GET /__admin/openapi.json` (no admin token needed), printed by `wecom-mock openapi`, and
//! committed as `docs/openapi.json` (a test keeps it up to date).

mod control;
mod wecom;

use std::sync::LazyLock;

use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// Where the named schemas live in the document.
const SCHEMAS: &str = "/components/schemas";

/// The document as served: pretty JSON ending in a newline, the bytes of `docs/openapi.json`.
pub fn document() -> &'static [u8] {
    static DOCUMENT: LazyLock<Vec<u8>> = LazyLock::new(|| {
        // A `Value` always serialises; an empty document would fail its own test.
        let mut bytes = serde_json::to_vec_pretty(&build()).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    });
    &DOCUMENT
}

/// The document.
pub(crate) fn build() -> Value {
    let mut components = Components::new();
    let mut paths = Map::new();
    for (path, item) in wecom::paths(&mut components).into_iter().chain(control::paths(&mut components)) {
        match (paths.get_mut(&path).and_then(Value::as_object_mut), item) {
            (Some(methods), Value::Object(more)) => methods.extend(more),
            (_, item) => {
                paths.insert(path, item);
            }
        }
    }
    let mut schemas = components.into_schemas();
    schemas.insert(wecom::OK_ENVELOPE.into(), wecom::ok_envelope());
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "wecom-mock",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "A stateful fake of WeCom's Contact Me and Join Group APIs, and its control surface",
            "description": "The WeCom paths answer exactly as the real service: HTTP 200 with the errcode \
                envelope (`errcode` 0 and the answer, or an error), except 413 for a body over the size \
                limit and 408 for one not all arrived within --body-timeout. The control surface (`/__admin/…`, `/healthz`, `/metrics`) drives the mock in \
                tests: simulated customers, the virtual clock, faults, dumps. With `--admin-token`, \
                `/__admin` needs `Authorization: Bearer <token>` (this document and `/healthz` never do).",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": wecom::TAG_TOKEN, "description": "The access token of an app (doc 91039)."},
            {"name": wecom::TAG_CONTACT_ME, "description": "Contact Me (联系我): C1–C6."},
            {"name": wecom::TAG_JOIN_GROUP, "description": "Join Group (加入群聊): J1–J4."},
            {"name": wecom::TAG_READ_BACKS, "description": "The customer's and the group's detail, where a config's `state` comes back."},
            {"name": control::TAG_CONTROL, "description": "The mock's own surface: `/__admin/…`, `/healthz`, `/metrics`."},
            {"name": control::TAG_PICTURES, "description": "The pictures behind the URLs the mock hands out."},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                wecom::ACCESS_TOKEN: {
                    "type": "apiKey",
                    "in": "query",
                    "name": "access_token",
                    "description": "From `gettoken`; every API but gettoken needs it.",
                },
                control::ADMIN_TOKEN: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The `--admin-token` of the server, when it has one.",
                },
            },
        },
    });
    clean_descriptions(&mut document);
    document
}

/// The schema generators of the document: requests as the server reads them (a field with a
/// default is optional), answers as it writes them (a field it always writes is required).
pub(crate) struct Components {
    requests: SchemaGenerator,
    answers: SchemaGenerator,
}

impl Components {
    fn new() -> Self {
        let mut requests = SchemaSettings::draft2020_12();
        requests.definitions_path = SCHEMAS.into();
        requests.meta_schema = None;
        let mut answers = requests.clone();
        answers.contract = Contract::Serialize;

        Components { requests: requests.into_generator(), answers: answers.into_generator() }
    }

    /// The schema (usually a `$ref`) of a request type.
    fn request<T: JsonSchema>(&mut self) -> Value {
        self.requests.subschema_for::<T>().to_value()
    }

    /// The schema (usually a `$ref`) of an answer type.
    fn answer<T: JsonSchema>(&mut self) -> Value {
        self.answers.subschema_for::<T>().to_value()
    }

    /// A request schema itself, its `$ref` followed.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let name = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"));
        name.and_then(|name| self.requests.definitions().get(name)).unwrap_or(schema)
    }

    /// The first line of a request type's description.
    fn summary_of(&self, schema: &Value) -> Option<String> {
        let description = self.resolve(schema).get("description").and_then(Value::as_str)?;
        description.lines().next().map(|line| strip_doc_links(line).trim_end_matches('.').to_owned())
    }

    /// A request read from the query string: one parameter per field (a query cannot say
    /// `null`, so the types lose it).
    fn query_parameters<T: JsonSchema>(&mut self) -> Vec<Value> {
        let schema = self.request::<T>();
        let schema = self.resolve(&schema).clone();
        let required: Vec<&str> =
            schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
        properties
            .iter()
            .map(|(name, property)| {
                let mut property = property.clone();
                let description = property.as_object_mut().and_then(|p| p.remove("description"));
                if let Some(Value::Array(types)) = property.get_mut("type") {
                    types.retain(|t| t != "null");
                    if let [only] = types.as_slice() {
                        let only = only.clone();
                        property["type"] = only;
                    }
                }
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": property,
                });
                if let Some(description) = description {
                    parameter["description"] = description;
                }
                parameter
            })
            .collect()
    }

    /// Every named schema. A type both read and written has one definition (the request
    /// side's); `a_type_read_and_written_has_one_schema` checks that both sides agree.
    fn into_schemas(mut self) -> Map<String, Value> {
        let mut schemas = std::mem::take(self.requests.definitions_mut());
        for (name, mut answer) in std::mem::take(self.answers.definitions_mut()) {
            remove_defaults(&mut answer);
            schemas.entry(name).or_insert(answer);
        }
        schemas
    }

    #[cfg(test)]
    fn conflicts(&self) -> Vec<String> {
        let requests = self.requests.definitions();
        self.answers
            .definitions()
            .iter()
            .filter(|(name, answer)| {
                let mut answer = (*answer).clone();
                remove_defaults(&mut answer);
                requests.get(*name).is_some_and(|request| *request != answer)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// A default says what a reader assumes for a missing field; the mock writes the fields of its
/// answers (and a type's `Default` may be no valid value, like a 0 enum).
fn remove_defaults(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("default");
            map.values_mut().for_each(remove_defaults);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_defaults),
        _ => {}
    }
}

/// Rustdoc in descriptions reads as prose: code examples dropped, intra-doc links as plain code.
fn clean_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => *text = strip_doc_links(&strip_code_blocks(text)),
                    _ => clean_descriptions(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(clean_descriptions),
        _ => {}
    }
}

/// Removes fenced code blocks (```` ``` ```` … ```` ``` ````).
fn strip_code_blocks(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            out.push(line);
        }
    }
    out.join("\n").trim().to_owned()
}

/// `[`X`](path)` and `[`X`]` become `` `X` ``.
fn strip_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(close) = rest[start..].find("`]").map(|i| start + i) else { break };
        out.push_str(&rest[..start]);
        out.push_str(&rest[start + 1..close + 1]);
        rest = &rest[close + 2..];
        if rest.starts_with('(')
            && let Some(end) = rest.find(')')
        {
            rest = &rest[end + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustdoc_reads_as_prose() {
        let text = "C1: every field is a [`Patch`], see [`Api::path`](Api::path).\n\n```\nlet x = 1;\n```";
        assert_eq!(strip_doc_links(&strip_code_blocks(text)), "C1: every field is a `Patch`, see `Api::path`.");
        assert_eq!(strip_doc_links("a [`b` c"), "a [`b` c");
    }

    #[test]
    fn a_type_read_and_written_has_one_schema() {
        let mut components = Components::new();
        let _ = wecom::paths(&mut components);
        let _ = control::paths(&mut components);
        assert_eq!(components.conflicts(), Vec::<String>::new(), "these types differ between request and answer");
    }

    #[test]
    fn every_reference_resolves() {
        fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        out.push(r);
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let document = build();
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(found.len() > 50, "{} references", found.len());
        for r in found {
            let pointer = r.strip_prefix('#').unwrap_or(r);
            assert!(document.pointer(pointer).is_some(), "{r} does not resolve");
        }
    }
}
