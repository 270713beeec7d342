//! The control surface's request and answer bodies (`/__admin/…`, see `mock-server.md`), shared
//! by the HTTP layer and [`MockServer`](crate::MockServer)'s typed helpers.

use serde::{Deserialize, Serialize};

/// An admin error: HTTP 4xx with `{"error": "snake_case_code", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{status} {error}: {message}")]
pub struct AdminError {
    /// HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// A stable snake_case code.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}

impl AdminError {
    /// An error with its status, code and message.
    pub fn new(status: u16, error: &str, message: impl Into<String>) -> Self {
        AdminError { status, error: error.to_owned(), message: message.into() }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AdminError::new(400, "bad_request", message)
    }

    /// 404 for an unknown corp.
    pub fn unknown_corp(corpid: &str) -> Self {
        AdminError::new(404, "corp_not_found", format!("no corp `{corpid}`"))
    }
}

/// `POST /__admin/scan`: a customer adds a member through a Contact Me config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The corp.
    pub corpid: String,
    /// The Contact Me config scanned.
    pub config_id: String,
    /// The customer; default `wm` + 30 random characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
    /// The customer's WeChat unionid (checked against a temp config's unionid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// The member to add; default: round-robin over the config's members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
}

/// The relationship a scan created (or found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResponse {
    /// The customer.
    pub external_userid: String,
    /// The member they now follow.
    pub userid: String,
    /// The config's `state`.
    pub state: String,
    /// A temp chat.
    pub temp: bool,
    /// The welcome code of the add event.
    pub welcome_code: String,
}

/// `POST /__admin/join`: a customer joins a group through a Join Group config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The corp.
    pub corpid: String,
    /// The Join Group config used.
    pub config_id: String,
    /// The customer; default `wm` + 30 random characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
}

/// Where a join landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinResponse {
    /// The customer.
    pub external_userid: String,
    /// The group joined.
    pub chat_id: String,
    /// The config's `state`.
    pub state: String,
    /// The group was created for this join (auto_create_room).
    pub created_chat: bool,
}

/// `POST /__admin/clock`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRequest {
    /// Put the clock at this instant and freeze it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<i64>,
    /// Move the clock forward (or back) by this many seconds and freeze it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance: Option<i64>,
    /// Return to wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real: Option<bool>,
    /// Only this corp; default every corp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpid: Option<String>,
}

/// The clock after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockResponse {
    /// Unix seconds.
    pub now: i64,
    /// `false` when following wall time.
    pub frozen: bool,
}

/// One use/limit pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaUse {
    /// Used.
    pub used: u32,
    /// Limit.
    pub limit: u32,
}

/// Today's temp quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TempQuotaUse {
    /// Temp configs created today (Beijing day).
    pub used: u32,
    /// Daily limit.
    pub limit: u32,
    /// When the count resets (next Beijing midnight, unix seconds).
    pub resets_at: i64,
}

/// `GET /__admin/corps/{corpid}/quotas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotasResponse {
    /// Non-temp Contact Me plus Join Group configs.
    pub contact_ways: QuotaUse,
    /// Temp Contact Me configs today.
    pub temp_today: TempQuotaUse,
}

/// One app in a corp summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummary {
    /// The app's id.
    pub agentid: u32,
    /// Its secret (the mock is a test tool: listing secrets is the point).
    pub secret: String,
}

/// One corp in `GET /__admin/corps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpSummary {
    /// The corp id.
    pub corpid: String,
    /// Its name.
    pub name: String,
    /// Its apps.
    pub apps: Vec<AppSummary>,
}

/// `POST /__admin/tenants`: a fresh corp with the default directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantResponse {
    /// The new corp's id.
    pub corpid: String,
    /// Its customer-contact app's secret.
    pub secret: String,
    /// That app's id.
    pub agentid: u32,
}

/// A deliberately broken rule, for proving that a test suite notices (`wecom-conformance` runs
/// itself against a mock with one of these switched on and must fail). Only
/// [`MockServerBuilder::inject_bug`](crate::MockServerBuilder::inject_bug) sets one; nothing
/// else (no flag, no environment variable, no admin path) can.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bug {
    /// The shared quota check of `add_contact_way` lets one config more in than the limit.
    QuotaOffByOne,
    /// `update_contact_way` keeps the stored `user` / `party` when the update clears them with
    /// an empty value (C4 says a present empty list clears).
    UpdateKeepsClearedLists,
}
