//! The spec cases: `spec/cases.jsonl`, one line per case of "which mistake gets which errcode",
//! each checked at the layers it names, by four suites that read this one file:
//!
//! | layer | suite | what it checks |
//! |---|---|---|
//! | `types` | `crates/types/tests/it/rules.rs` | the pure `Validate` rule gives the errcode and field (`expect: 0`: the request is valid) |
//! | `client` | `crates/client/tests/it/validation.rs` | `wecom-client` refuses the request with that errcode and field, and nothing reaches the server |
//! | `mock` | `crates/mock-server/tests/it/errcodes.rs` | the errcode (and status) over HTTP, and a refused request leaves the corp's dump byte for byte unchanged |
//! | `conformance` | `wecom-conformance` (`cases.rs`, and the binary against any server) | the target answers as the table says, and so does the reference model |
//!
//! A line is a JSON object:
//!
//! | key | meaning |
//! |---|---|
//! | `id` | unique, `api/what-happens` |
//! | `row` | the `errcodes.md` row it covers (the situation column, verbatim), or what it covers beyond the table |
//! | `layers` | where it applies: any of `types`, `client`, `mock`, `conformance` |
//! | `api` | the API's short name (`add_contact_way`, `gettoken`, …) or its path under `/cgi-bin/` (`externalcontact/get`), another path under `/cgi-bin/` (an unknown API), or `__admin/join` |
//! | `body` / `raw` / `query` | a JSON body, a body sent byte for byte, or gettoken's query |
//! | `expect` | the errcode, `0` for an accepted request (or, for `__admin/…`, the HTTP status) |
//! | `field` | the field the violation names (required for a refused case at the `types` or `client` layer) |
//! | `status` | the HTTP status, when it is not 200 |
//! | `error` | the admin error code |
//! | `token` | `none`, `bogus` or `expired` instead of a valid token |
//! | `app` | the app index of the corp (1: no customer contact, 2: sees department 2 only) |
//! | `corp` | run in a corp of its own with these [`CorpOverrides`] |
//! | `given` | a set-up step that makes `$ID` / `$EXT`: `contact_way`, `multi_contact_way`, `deleted_contact_way`, `temp_way`, `temp_used`, `temp_expired`, `relationship`, `join_way`, `full_join_way` |
//! | `needs` | `mock` (the mock's own answers), `faults` (the expected errcode is injected with `POST /__admin/faults`) or `rate_limits` (the case's corp gets tiny limits and a frozen clock) |
//! | `fidelity` | the names of the fidelity-table rows (`wecom_types::fidelity::FIDELITY_TABLE`) whose assumption the case checks: a `wecom verify` run against a real corp confirms or contradicts them |
//! | `could_create` | `true` when the service would create a config if it disagreed with the table (a refused create): `wecom verify` sends such a case only while its create budget has room |
//!
//! Placeholders in strings: `$CORPID`, `$SECRET`; the **roles** a case needs from the corp's
//! directory, `$MEMBER` (a usable member), `$INACTIVE_MEMBER`, `$UNVERIFIED_MEMBER`,
//! `$NO_CONTACT_MEMBER` (members that fail a check) and `$CHAT` (a customer group), which every
//! suite resolves against the default corp and `wecom verify` against its flags of the same
//! names (`--member`, `--inactive-member`, …); `$USER2` (a second usable member), `$ID`, `$EXT`, `$CODE` (a welcome code; made by `given`), `$HUGE` (a body over the size limit),
//! `$CHARS(n)` (n CJK characters), `$BYTES(n)` (n ASCII bytes); a whole string `$USERS(n)` or
//! `$CHATS(n)` is a list of n user ids or chat ids.
//!
//! This file is compiled into each suite (`#[path]`), so it uses only what all four have:
//! serde, serde_json, thiserror and `wecom-types`.

#![allow(dead_code, unreachable_pub)] // each suite uses the part it needs

use serde::Deserialize;
use serde_json::{Map, Value};
use wecom_types::Api;

/// The case table, embedded: the conformance binary carries it to any target.
pub const CASES_JSONL: &str = include_str!("cases.jsonl");

/// A suite that checks cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// `wecom-types`: the pure rule.
    Types,
    /// `wecom-client`: refused before sending.
    Client,
    /// `wecom-mock`: the errcode over HTTP, the state unchanged.
    Mock,
    /// `wecom-conformance`: the target and the model agree with the table.
    Conformance,
}

/// Corp overrides of a case: knobs over the default corp.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpOverrides {
    /// Medical industry (temp chats allowed).
    pub medical: Option<bool>,
    /// Shared quota of Contact Me plus Join Group configs.
    pub quota: Option<u32>,
    /// Temp configs per Beijing day.
    pub temp_daily: Option<u32>,
    /// The errcode of an expired token.
    pub expired_token_errcode: Option<i32>,
    /// Capacity of the first three customer groups.
    pub group_limit: Option<u32>,
    /// Adds department 3 with 98 members.
    pub big_department: Option<bool>,
    /// The first app's `trusted_ips` (the callers of the suites call from loopback).
    pub trusted_ips: Option<Vec<String>>,
}

/// One line of the table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique name.
    pub id: String,
    /// The `errcodes.md` row.
    pub row: String,
    /// Where it applies.
    pub layers: Vec<Layer>,
    /// The API (short name or path under `/cgi-bin/`), another path, or `__admin/join`.
    pub api: String,
    /// Corp overrides: run in a corp of its own.
    #[serde(default)]
    pub corp: Option<CorpOverrides>,
    /// Set-up step.
    #[serde(default)]
    pub given: Option<String>,
    /// App index.
    #[serde(default)]
    pub app: Option<usize>,
    /// Token variant.
    #[serde(default)]
    pub token: Option<String>,
    /// A feature the target must have.
    #[serde(default)]
    pub needs: Option<String>,
    /// gettoken's query.
    #[serde(default)]
    pub query: Option<Map<String, Value>>,
    /// JSON body.
    #[serde(default)]
    pub body: Option<Value>,
    /// Raw body.
    #[serde(default)]
    pub raw: Option<String>,
    /// Expected errcode (or admin HTTP status).
    pub expect: i32,
    /// The field a refusal names.
    #[serde(default)]
    pub field: Option<String>,
    /// Expected HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Expected admin error code.
    #[serde(default)]
    pub error: Option<String>,
    /// The service would create a config if it disagreed with the table.
    #[serde(default)]
    pub could_create: bool,
    /// The fidelity-table rows (`wecom_types::fidelity`) whose assumption the case checks.
    #[serde(default)]
    pub fidelity: Vec<String>,
    /// Line number in the file (1-based).
    #[serde(skip)]
    pub line: usize,
}

/// A line of the table that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// Not a case.
    #[error("cases.jsonl line {line}: {source}")]
    Json {
        /// Where.
        line: usize,
        /// What serde says.
        source: serde_json::Error,
    },
    /// An id used twice.
    #[error("cases.jsonl line {line}: the id `{id}` is already used on line {first}")]
    DuplicateId {
        /// Where.
        line: usize,
        /// Which.
        id: String,
        /// Its first use.
        first: usize,
    },
    /// A case that runs nowhere, or breaks a rule of its layers.
    #[error("cases.jsonl line {line} ({id}): {reason}")]
    Invalid {
        /// Where.
        line: usize,
        /// Which.
        id: String,
        /// Why.
        reason: &'static str,
    },
}

impl Case {
    /// Whether the case is checked at `layer`.
    pub fn applies(&self, layer: Layer) -> bool {
        self.layers.contains(&layer)
    }

    /// The table API it calls: its path under `/cgi-bin/`, or its short name when that is
    /// unique (`get` is not: two read-backs end with it).
    pub fn table_api(&self) -> Option<Api> {
        let by_path = Api::ALL.into_iter().find(|api| api.path().strip_prefix("/cgi-bin/") == Some(self.api.as_str()));
        let mut by_name = Api::ALL.into_iter().filter(|api| api.short_name() == self.api);
        by_path.or_else(|| match (by_name.next(), by_name.next()) {
            (Some(api), None) => Some(api),
            _ => None,
        })
    }

    /// A short name for reports.
    pub fn name(&self) -> String {
        format!("{} → {}", self.id, self.expect)
    }

    /// The body as sent: `raw`, `body` or gettoken's `query` (as a JSON object), placeholders
    /// expanded; `{}` without any.
    pub fn body_text(&self, vars: &Vars) -> String {
        match (&self.raw, &self.body, &self.query) {
            (Some(raw), _, _) => vars.expand_str(raw),
            (None, Some(body), _) => vars.expand(body).to_string(),
            (None, None, Some(query)) => vars.expand(&Value::Object(query.clone())).to_string(),
            (None, None, None) => "{}".to_owned(),
        }
    }

    /// gettoken's query, placeholders expanded.
    pub fn query_pairs(&self, vars: &Vars) -> Vec<(String, String)> {
        self.query.iter().flatten().map(|(k, v)| (k.clone(), vars.expand_str(v.as_str().unwrap_or_default()))).collect()
    }

    fn check(&self) -> Result<(), &'static str> {
        if self.layers.is_empty() {
            return Err("`layers` is empty: the case would run nowhere");
        }
        let offline = self.applies(Layer::Types) || self.applies(Layer::Client);
        if offline && self.table_api().is_none() {
            return Err("the types and client layers need an API of the table");
        }
        if offline && self.expect != 0 && self.field.is_none() {
            return Err("a refused case at the types or client layer names its `field`");
        }
        if self.applies(Layer::Client) && self.expect == 0 {
            return Err("the client layer checks refusals: an accepted request would be sent");
        }
        if self.could_create && self.expect == 0 {
            return Err("`could_create` marks a refused create: an accepted one always creates");
        }
        Ok(())
    }
}

/// Parses the table: blank lines and lines starting with `#` are skipped; every line is checked
/// for what its layers need.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, CaseError> {
    let mut cases: Vec<Case> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut case: Case = serde_json::from_str(trimmed).map_err(|source| CaseError::Json { line: i + 1, source })?;
        case.line = i + 1;
        if let Some(first) = cases.iter().find(|c| c.id == case.id) {
            return Err(CaseError::DuplicateId { line: case.line, id: case.id, first: first.line });
        }
        case.check().map_err(|reason| CaseError::Invalid { line: case.line, id: case.id.clone(), reason })?;
        cases.push(case);
    }
    Ok(cases)
}

/// The embedded table's cases at `layer`.
pub fn cases_for(layer: Layer) -> Result<Vec<Case>, CaseError> {
    Ok(parse_cases(CASES_JSONL)?.into_iter().filter(|case| case.applies(layer)).collect())
}

/// Values of the placeholders.
#[derive(Debug, Clone)]
pub struct Vars {
    pairs: Vec<(String, String)>,
}

impl Vars {
    /// Stand-ins for the layers that send nothing (types, client), and the default corp's
    /// members and chats for the roles: well-formed, fixed values.
    pub fn offline() -> Vars {
        let mut vars = Vars { pairs: Vec::new() };
        for (name, value) in [
            ("$CORPID", "wwmock0000000001"),
            ("$SECRET", "mock-secret"),
            ("$MEMBER", "zhangsan"),
            ("$INACTIVE_MEMBER", "zhouba"),
            ("$UNVERIFIED_MEMBER", "zhaoliu"),
            ("$NO_CONTACT_MEMBER", "sunqi"),
            ("$USER2", "lisi"),
            ("$CHAT", "wrmockchat0001"),
            ("$ID", "0123456789abcdef0123456789abcdef"),
            ("$EXT", "wmcasecustomer0001"),
            ("$CODE", "fedcba9876543210fedcba9876543210"),
        ] {
            vars.set(name, value);
        }
        vars
    }

    /// Sets (or replaces) a placeholder.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Vars {
        let value = value.into();
        match self.pairs.iter_mut().find(|(n, _)| n == name) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((name.to_owned(), value)),
        }
        // Longest names first, so no name is read as a shorter one followed by more text.
        self.pairs.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        self
    }

    /// A JSON value with every placeholder expanded.
    pub fn expand(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => list_of(s).unwrap_or_else(|| Value::String(self.expand_str(s))),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.expand(v)).collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self.expand(v))).collect()),
            other => other.clone(),
        }
    }

    /// A string with every placeholder expanded.
    pub fn expand_str(&self, text: &str) -> String {
        let mut out = repeat_each(text, "$CHARS(", "字");
        out = repeat_each(&out, "$BYTES(", "x");
        for (name, value) in &self.pairs {
            out = out.replace(name.as_str(), value);
        }
        out
    }
}

/// `$USERS(n)` and `$CHATS(n)`: a list of n ids.
fn list_of(text: &str) -> Option<Value> {
    let (prefix, n) = counted(text)?;
    let ids: Vec<Value> = match prefix {
        "$USERS(" => (0..n).map(|i| Value::String(format!("user{i}"))).collect(),
        "$CHATS(" => (1..=n).map(|i| Value::String(format!("wrmockchat{i:04}"))).collect(),
        _ => return None,
    };
    Some(Value::Array(ids))
}

/// `text` as exactly `$NAME(n)`: the `$NAME(` part and n.
fn counted(text: &str) -> Option<(&str, usize)> {
    let open = text.find('(')?;
    let n = text.strip_suffix(')')?.get(open + 1..)?.parse().ok()?;
    Some((&text[..=open], n))
}

/// Replaces every `{marker}n)` in `text` by `unit` n times.
fn repeat_each(text: &str, marker: &str, unit: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(marker) {
        let after = &rest[start + marker.len()..];
        let digits = after.find(')').and_then(|end| after[..end].parse::<usize>().ok().map(|n| (end, n)));
        out.push_str(&rest[..start]);
        match digits {
            Some((end, n)) => {
                out.push_str(&unit.repeat(n));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(marker);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
