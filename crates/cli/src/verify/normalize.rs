//! Normalising an answer for a snapshot: what stays the same between two runs against the same
//! service stays, everything volatile or private becomes a stable placeholder.
//!
//! The normalised answer is `{"status", "errcode", "errmsg", "fields", "values"}`: errmsg is
//! its phrase before `, hint:`; `fields` maps every JSON path (array items as `[]`) to its JSON
//! type; `values` maps every scalar's path (array items by index) to its value, or to a
//! placeholder: `<config_id:N>` (numbered by first appearance, so the same id is the same
//! placeholder everywhere in the probe), `<qr_code>`, `<time>`, `<cursor>`, `<name>`,
//! `<external_userid:N>`, `<userid:N>` for any member that is not one of the run's roles,
//! `<chat_id:N>` for any chat that is not, and `<run>` for the run's state prefix.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::verify::wire::Reply;

/// Turns answers into their normalised form; one per probe, so numbering starts at 1 in each.
pub(crate) struct Normalizer<'a> {
    /// Values that are the run's own input and stay as they are (the roles).
    keep: &'a [&'a str],
    /// The run's state prefix.
    run_prefix: &'a str,
    seen: BTreeMap<(&'static str, String), usize>,
}

impl<'a> Normalizer<'a> {
    pub(crate) fn new(keep: &'a [&'a str], run_prefix: &'a str) -> Normalizer<'a> {
        Normalizer { keep, run_prefix, seen: BTreeMap::new() }
    }

    /// The normalised form of a reply; a reply without an answer is `{"lost": reason}`.
    pub(crate) fn answer(&mut self, reply: &Reply) -> Value {
        let (status, body) = match reply {
            Reply::Lost(reason) => return json!({ "lost": reason }),
            Reply::Answer { status, body } => (*status, body),
        };
        let mut fields = BTreeMap::new();
        let mut values = BTreeMap::new();
        if let Value::Object(map) = body {
            for (key, value) in map {
                if key == "errcode" || key == "errmsg" {
                    fields.insert(key.clone(), json_type(value));
                    continue;
                }
                self.walk(key, key, value, &mut fields, &mut values);
            }
        }
        // An id the answer (or an earlier step) named is its placeholder in the phrase too.
        let errmsg = body.get("errmsg").and_then(Value::as_str).map(|errmsg| {
            self.seen.iter().fold(self.unprefix(&phrase(errmsg)), |text, ((kind, value), n)| {
                text.replace(value.as_str(), &format!("<{kind}:{n}>"))
            })
        });
        json!({
            "status": status,
            "errcode": body.get("errcode").cloned().unwrap_or(Value::Null),
            "errmsg": errmsg,
            "fields": fields,
            "values": values,
        })
    }

    /// A request body for the snapshot: the run's prefix, times and the ids an earlier answer
    /// named (as their placeholders) replaced.
    pub(crate) fn request_value(&self, value: &Value) -> Value {
        match value {
            Value::String(text) => match self.seen.iter().find(|((_, seen), _)| seen == text) {
                Some(((kind, _), n)) => Value::String(format!("<{kind}:{n}>")),
                None => Value::String(self.unprefix(text)),
            },
            Value::Array(items) => Value::Array(items.iter().map(|item| self.request_value(item)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let value = if key.ends_with("_time") { json!("<time>") } else { self.request_value(value) };
                        (key.clone(), value)
                    })
                    .collect::<Map<String, Value>>(),
            ),
            other => other.clone(),
        }
    }

    /// `text` with the run's state prefix as `<run>`.
    pub(crate) fn unprefix(&self, text: &str) -> String {
        if self.run_prefix.is_empty() { text.to_owned() } else { text.replace(self.run_prefix, "<run>") }
    }

    fn walk(
        &mut self,
        key: &str,
        path: &str,
        value: &Value,
        fields: &mut BTreeMap<String, &'static str>,
        values: &mut BTreeMap<String, Value>,
    ) {
        fields.insert(type_path(path), json_type(value));
        match value {
            Value::Object(map) => {
                for (child, item) in map {
                    self.walk(child, &format!("{path}.{child}"), item, fields, values);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    // An item is named by the key of its list.
                    self.walk(key, &format!("{path}[{i}]"), item, fields, values);
                }
            }
            scalar => {
                let normal = self.scalar(key, scalar);
                values.insert(path.to_owned(), normal);
            }
        }
    }

    fn scalar(&mut self, key: &str, value: &Value) -> Value {
        let text = match value {
            Value::String(text) => text.as_str(),
            Value::Number(_) if is_time(key) => return json!("<time>"),
            other => return other.clone(),
        };
        if self.keep.contains(&text) {
            return json!(text);
        }
        let kind = match key {
            "config_id" => "config_id",
            "qr_code" => return json!("<qr_code>"),
            "next_cursor" if !text.is_empty() => return json!("<cursor>"),
            "access_token" => return json!("<access_token>"),
            "name" | "room_base_name" if !text.starts_with(self.run_prefix) => return json!("<name>"),
            _ if is_time(key) => return json!("<time>"),
            _ if key.contains("external_userid") => "external_userid",
            "userid" | "user" | "follow_user" | "owner" | "invitor" => "userid",
            "chat_id" | "chat_id_list" => "chat_id",
            _ => return json!(self.unprefix(text)),
        };
        let next = self.seen.iter().filter(|((k, _), _)| *k == kind).count() + 1;
        let n = *self.seen.entry((kind, text.to_owned())).or_insert(next);
        json!(format!("<{kind}:{n}>"))
    }
}

/// A key that holds a moment (`create_time`, `expires_in` of a token is not one: a duration).
fn is_time(key: &str) -> bool {
    key.ends_with("_time") || key == "createtime"
}

/// errmsg's phrase: what comes before `, hint:` (the hint, the caller's address and the link
/// differ on every call).
pub(crate) fn phrase(errmsg: &str) -> String {
    errmsg.split(", hint:").next().unwrap_or(errmsg).trim().to_owned()
}

/// A value path with array indexes as `[]`: `contact_way[3].config_id` → `contact_way[].config_id`.
fn type_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(body: Value, keep: &[&str]) -> Value {
        Normalizer::new(keep, "wcv20261206T0000").answer(&Reply::Answer { status: 200, body })
    }

    #[test]
    fn the_same_id_is_the_same_placeholder() {
        let got = normal(
            json!({"errcode": 0, "a": {"config_id": "x1"}, "b": {"config_id": "x1"}, "c": {"config_id": "x2"}}),
            &[],
        );
        assert_eq!(got["values"]["a.config_id"], "<config_id:1>");
        assert_eq!(got["values"]["b.config_id"], "<config_id:1>");
        assert_eq!(got["values"]["c.config_id"], "<config_id:2>");
    }

    #[test]
    fn roles_stay_and_other_members_become_placeholders() {
        let got = normal(json!({"errcode": 0, "user": ["zhangsan", "lisi"]}), &["zhangsan"]);
        assert_eq!(got["values"]["user[0]"], "zhangsan");
        assert_eq!(got["values"]["user[1]"], "<userid:1>");
        assert_eq!(got["fields"]["user[]"], "string");
    }

    #[test]
    fn volatile_values_become_placeholders() {
        let got = normal(
            json!({"errcode": 0, "errmsg": "ok", "qr_code": "https://q/1", "create_time": 17, "state": "wcv20261206T0000_a", "type": 1}),
            &[],
        );
        assert_eq!(got["values"]["qr_code"], "<qr_code>");
        assert_eq!(got["values"]["create_time"], "<time>");
        assert_eq!(got["values"]["state"], "<run>_a");
        assert_eq!(got["values"]["type"], 1);
    }

    #[test]
    fn an_id_named_in_errmsg_is_its_placeholder() {
        let mut normalizer = Normalizer::new(&[], "");
        normalizer.answer(&Reply::Answer { status: 200, body: json!({"errcode": 0, "config_id": "abc123"}) });
        let body = json!({"errcode": 41044, "errmsg": "invalid config_id: config_id `abc123`, hint: [1]"});
        let got = normalizer.answer(&Reply::Answer { status: 200, body });
        assert_eq!(got["errmsg"], "invalid config_id: config_id `<config_id:1>`");
    }

    #[test]
    fn a_request_names_an_id_of_an_earlier_answer_by_its_placeholder() {
        let mut normalizer = Normalizer::new(&[], "");
        normalizer.answer(&Reply::Answer { status: 200, body: json!({"errcode": 0, "config_id": "abc123"}) });
        let shown = normalizer.request_value(&json!({"config_id": "abc123", "remark": "x"}));
        assert_eq!(shown, json!({"config_id": "<config_id:1>", "remark": "x"}));
    }

    #[test]
    fn errmsg_keeps_its_phrase_only() {
        let got = normal(json!({"errcode": 40058, "errmsg": "invalid parameter, hint: [17], from ip: 1.2.3.4"}), &[]);
        assert_eq!(got["errmsg"], "invalid parameter");
        assert_eq!(got["errcode"], 40058);
    }
}
