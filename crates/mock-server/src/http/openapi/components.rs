//! The schemas of the document: one generator for requests, one for answers, both into
//! `components/schemas`.

use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::prose::strip_doc_links;

/// Where the named schemas live in the document.
const SCHEMAS: &str = "/components/schemas";

/// The schema generators of the document: requests as the server reads them (a field with a
/// default is optional), answers as it writes them (a field it always writes is required).
pub(crate) struct Components {
    requests: SchemaGenerator,
    answers: SchemaGenerator,
}

impl Components {
    pub(super) fn new() -> Self {
        let mut requests = SchemaSettings::draft2020_12();
        requests.definitions_path = SCHEMAS.into();
        requests.meta_schema = None;
        let mut answers = requests.clone();
        answers.contract = Contract::Serialize;

        Components { requests: requests.into_generator(), answers: answers.into_generator() }
    }

    /// The schema (usually a `$ref`) of a request type.
    pub(super) fn request<T: JsonSchema>(&mut self) -> Value {
        self.requests.subschema_for::<T>().to_value()
    }

    /// The schema (usually a `$ref`) of an answer type.
    pub(super) fn answer<T: JsonSchema>(&mut self) -> Value {
        self.answers.subschema_for::<T>().to_value()
    }

    /// A request schema itself, its `$ref` followed.
    pub(super) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let name = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"));
        name.and_then(|name| self.requests.definitions().get(name)).unwrap_or(schema)
    }

    /// The first line of a request type's description.
    pub(super) fn summary_of(&self, schema: &Value) -> Option<String> {
        let description = self.resolve(schema).get("description").and_then(Value::as_str)?;
        description.lines().next().map(|line| strip_doc_links(line).trim_end_matches('.').to_owned())
    }

    /// A request read from the query string: one parameter per field (a query cannot say
    /// `null`, so the types lose it).
    pub(super) fn query_parameters<T: JsonSchema>(&mut self) -> Vec<Value> {
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
    pub(super) fn into_schemas(mut self) -> Map<String, Value> {
        let mut schemas = std::mem::take(self.requests.definitions_mut());
        for (name, mut answer) in std::mem::take(self.answers.definitions_mut()) {
            remove_defaults(&mut answer);
            schemas.entry(name).or_insert(answer);
        }
        schemas
    }

    #[cfg(test)]
    pub(super) fn conflicts(&self) -> Vec<String> {
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
