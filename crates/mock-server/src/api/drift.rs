//! The drift proxy's report (`wecom-mock --upstream URL`): `GET /__admin/drift`. How each
//! exchange is judged is `traffic::drift`.

use serde::{Deserialize, Serialize};

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// The answer lacks a documented field, or has one with another JSON type.
    Shape,
    /// The request's pure-input rules and the upstream's errcode disagree.
    Rule,
    /// The answer has a field the wire types do not document: worth a look, not drift.
    Info,
}

impl DriftKind {
    /// Every kind, in the order `/metrics` lists them.
    pub const ALL: [DriftKind; 3] = [DriftKind::Shape, DriftKind::Rule, DriftKind::Info];

    /// The name on the wire and in `/metrics`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DriftKind::Shape => "shape",
            DriftKind::Rule => "rule",
            DriftKind::Info => "info",
        }
    }
}

/// One finding of the drift proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DriftFinding {
    /// When the exchange was answered (wall clock, unix milliseconds).
    pub at: i64,
    /// The WeCom path of the exchange, without its query string.
    pub path: String,
    /// What the finding is about.
    pub kind: DriftKind,
    /// What differs, in words; it names fields and errcodes, never a value of the request or
    /// the answer.
    pub detail: String,
    /// The exchange's number on this proxy (1, 2, …): the findings of one exchange share it.
    pub request_id: u64,
    /// The JSON field concerned, as a path (`contact_way.user[]`): of the answer for `shape`
    /// and `info`, of the request for `rule`; absent when the whole answer is concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /__admin/drift`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DriftReport {
    /// The findings kept, newest last (bounded like the request log, `--request-log-size`).
    pub findings: Vec<DriftFinding>,
    /// Exchanges on WeCom paths since the start (or the last `DELETE /__admin/drift`).
    pub exchanges: u64,
    /// Of those, the ones that could not be judged: -1, 45009, 45033, 60020, an upstream that
    /// could not be reached or did not answer in time, or answered 5xx.
    pub could_not_check: u64,
}
