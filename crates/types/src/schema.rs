//! JSON Schemas of the wire types (feature `schema`): what the mock's OpenAPI document is
//! generated from.
//!
//! Every request and answer type derives [`schemars::JsonSchema`]; the bounds in the schemas
//! (`maxLength`, `maxItems`, `minimum` / `maximum`, `enum`, `pattern`) are written with the
//! constants of [`limits`](crate::limits) and [`fidelity`](crate::fidelity) that validation
//! reads, so the document cannot drift from the rules. A schema describes a *valid* request:
//! a body outside it still gets the real service's answer (an errcode in the envelope), never
//! a different HTTP status. JSON Schema counts `maxLength` in characters, as the limits do; the
//! conclusions' limits are in UTF-8 bytes, which it cannot say: those fields carry the byte
//! limit as `maxLength` (a string within it has at most that many characters) and as
//! `x-maxBytes`, the real bound.
//!
//! Generate request schemas with the deserialize contract (a field with a default is not
//! required) and answer schemas with the serialize contract (a field that is always written is
//! required):
//!
//! ```
//! use schemars::generate::{Contract, SchemaSettings};
//! use wecom_types::api::{AddContactWay, ContactWay};
//!
//! let request = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<AddContactWay>();
//! assert_eq!(request.get("required"), Some(&serde_json::json!(["scene", "type"])));
//!
//! let mut settings = SchemaSettings::draft2020_12();
//! settings.contract = Contract::Serialize;
//! let answer = settings.into_generator().into_root_schema_for::<ContactWay>();
//! assert_eq!(answer.get("required"), Some(&serde_json::json!(["config_id"])));
//! ```

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use crate::fidelity as assumed;
use crate::patch::Patch;

/// The characters of an id's tail after its prefix, as `validate::has_id_shape` accepts them
/// (`is_ascii_alphanumeric`, `_`, `-`).
const ID_TAIL_CLASS: &str = "[A-Za-z0-9_-]";

fn id_pattern(prefixes: &[&str]) -> String {
    format!(
        "^({}){ID_TAIL_CLASS}{{{},{}}}$",
        prefixes.join("|"),
        assumed::EXTERNAL_USERID_MIN_TAIL,
        assumed::EXTERNAL_USERID_MAX_TAIL
    )
}

/// The shape of an `external_userid` ([`is_external_userid`](crate::validate::is_external_userid)).
pub fn external_userid_pattern() -> String {
    id_pattern(&assumed::EXTERNAL_USERID_PREFIXES)
}

/// The shape of a customer group `chat_id` ([`is_chat_id`](crate::validate::is_chat_id)).
pub fn chat_id_pattern() -> String {
    id_pattern(&[assumed::CHAT_ID_PREFIX])
}

/// The container transform of every request type: a property whose schema does not admit
/// `null` is required.
///
/// Request fields are all optional in the types (a missing required field is a validation
/// error with its own errcode, not a decode failure), so schemars would list none; the fields
/// marked `#[schemars(required)]` get their non-null schema, every other one is an `Option`
/// (nullable), and this lists exactly the marked ones.
pub fn require_non_nullable(schema: &mut Schema) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let required: Vec<Value> = properties
        .iter()
        .filter(|(_, property)| !admits_null(property))
        .map(|(name, _)| name.as_str().into())
        .collect();
    if !required.is_empty() {
        schema.insert("required".to_owned(), required.into());
    }
}

fn admits_null(schema: &Value) -> bool {
    let null = Value::from("null");
    match schema.get("type") {
        Some(Value::String(t)) if t == "null" => return true,
        Some(Value::Array(types)) if types.contains(&null) => return true,
        _ => {}
    }
    schema.get("anyOf").and_then(Value::as_array).is_some_and(|alternatives| alternatives.iter().any(admits_null))
}

/// The schema of an integer newtype that takes a few known values: its constants, as an enum.
/// Used beside the types (`api`), so this module needs none of them.
macro_rules! known_values_schema {
    ($($ty:ident: [$($value:ident),+], $description:literal;)+) => {$(
        impl schemars::JsonSchema for $ty {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "integer",
                    "enum": [$($ty::$value.0),+],
                    "description": $description,
                })
            }
        }
    )+};
}
pub(crate) use known_values_schema;

/// On the wire a patch is the value, or `null` (or an empty value) to clear it; an absent
/// field keeps the stored value.
impl<T: JsonSchema> JsonSchema for Patch<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Patch_of_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Option::<T>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{is_chat_id, is_external_userid};

    #[test]
    fn id_patterns_spell_out_the_shapes_validation_accepts() {
        assert_eq!(external_userid_pattern(), "^(wm|wo)[A-Za-z0-9_-]{4,62}$");
        assert_eq!(chat_id_pattern(), "^(wr)[A-Za-z0-9_-]{4,62}$");
        // The edges of the same shapes, as validation sees them.
        let tail = |n: usize| "a".repeat(n);
        assert!(is_external_userid(&format!("wm{}", tail(assumed::EXTERNAL_USERID_MIN_TAIL))));
        assert!(!is_external_userid(&format!("wo{}", tail(assumed::EXTERNAL_USERID_MAX_TAIL + 1))));
        assert!(is_chat_id(&format!("wr{}-_Z9", tail(assumed::EXTERNAL_USERID_MAX_TAIL - 4))));
        assert!(!is_chat_id("wrab.cd"));
    }
}
