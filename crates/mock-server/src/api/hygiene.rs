//! The hygiene report: `GET /__admin/corps/{corpid}/hygiene`. How habits are noticed is
//! `traffic::hygiene`.

use serde::{Deserialize, Serialize};

/// A retry sooner than this (milliseconds) after a -1 / 45009 / 45033 answer did not back off.
/// A client with full-jitter backoff from 200 ms (wecom-client's default) waits less only one
/// time in ten; a client without backoff retries within a millisecond or two.
pub const QUICK_RETRY_MS: u64 = 20;

/// A habit of a client that the real service punishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingCode {
    /// A gettoken for (nearly) every call instead of keeping the token for its lifetime.
    GettokenEveryCall,
    /// Retries within [`QUICK_RETRY_MS`] of a -1 / 45009 / 45033 answer.
    RetryWithoutBackoff,
    /// List walks that stopped while a `next_cursor` was still to be followed.
    NextCursorIgnored,
    /// `update_contact_way` calls that sent `user` empty or null (every member removed).
    UpdateClearedMembers,
    /// Configs created and never read back (a lost id is a quota unit lost for good).
    ConfigNeverReadBack,
    /// Calls answered 60020: they came from an address outside the app's trusted IPs.
    UntrustedIp,
}

/// `GET /__admin/corps/{corpid}/hygiene`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HygieneReport {
    /// The corp.
    pub corpid: String,
    /// Successful gettoken calls seen.
    pub gettoken_calls: u64,
    /// Calls of the other APIs seen.
    pub calls: u64,
    /// What the client does that the real service punishes; empty for a well-behaved client.
    pub findings: Vec<Finding>,
}

/// One habit found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// What was found (a stable snake_case code on the wire).
    pub code: FindingCode,
    /// How many times it happened.
    pub count: u64,
    /// What it is and what to do instead.
    pub message: String,
    /// A few of the requests concerned (ids of `GET /__admin/requests`), newest last.
    pub request_ids: Vec<u64>,
    /// A few of the configs concerned.
    pub config_ids: Vec<String>,
}
