//! The request journal's answer shapes: `GET /__admin/requests`. The ring is
//! `traffic::request_log`.

use serde::{Deserialize, Serialize};

/// The default number of calls kept.
pub const DEFAULT_JOURNAL_SIZE: usize = 1000;
/// The most calls that can be kept (a bigger `--request-log-size` is capped).
pub const MAX_JOURNAL_SIZE: usize = 1_000_000;
/// One call in `GET /__admin/requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequestEntry {
    /// Increasing in the order answers were sent; the hygiene report's examples refer to it.
    pub id: u64,
    /// When it was answered (wall clock, unix milliseconds).
    pub at_ms: i64,
    /// HTTP method.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The corp, when known (from the token or gettoken's `corpid`, even when it was refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpid: Option<String>,
    /// The calling app, once its token was accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agentid: Option<u32>,
    /// The answer's errcode; none when the connection was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i32>,
    /// The HTTP status; none when the connection was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// From reading the request to the answer, microseconds.
    pub latency_us: u64,
    /// The fault rule applied to it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// `GET /__admin/requests?path=&errcode=&corpid=&limit=`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequestQuery {
    /// Only paths this pattern names (as in fault rules: a path, a short name or a glob).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only calls answered with this errcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i32>,
    /// Only calls of this corp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpid: Option<String>,
    /// At most this many (the newest), default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}
