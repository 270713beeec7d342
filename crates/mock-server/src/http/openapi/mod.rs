//! The OpenAPI 3.1 document of every path the mock serves, generated, never written by hand:
//! the WeCom paths from `API_TABLE` and the JSON Schemas of `wecom-types` (feature `schema`,
//! bounded by the same limits validation uses), the control surface from its route table
//! (`http/admin/routes.rs`) and the `api` types. Built once, served at
//! `GET /__admin/openapi.json` (no admin token needed), printed by `wecom-mock openapi`, and
//! committed as `docs/openapi.json` (a test keeps it up to date).

mod components;
mod control;
mod prose;
mod wecom;

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use components::Components;
use prose::clean_descriptions;

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
            {"name": wecom::TAG_AFTER_THE_SCAN, "description": "After the scan (§8): the members who may be put on a code, a member's customers, and the welcome message of an add event (its `WelcomeCode`, valid 20 s, used once)."},
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

#[cfg(test)]
mod tests {
    use super::*;

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
