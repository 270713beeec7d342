//! The corps, the clock and the tenants: `/__admin/corps…`, `/__admin/clock`, `/__admin/reset`,
//! `/__admin/tenants`.

use serde::{Deserialize, Serialize};

/// `POST /__admin/clock`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    {"required": ["set"], "properties": {"set": {"type": "integer"}}},
    {"required": ["advance"], "properties": {"advance": {"type": "integer"}}},
    {"required": ["real"], "properties": {"real": {"const": true}}},
]))]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClockResponse {
    /// Unix seconds.
    pub now: i64,
    /// `false` when following wall time.
    pub frozen: bool,
}

/// One use/limit pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuotaUse {
    /// Used.
    pub used: u32,
    /// Limit.
    pub limit: u32,
}

/// Today's temp quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TempQuotaUse {
    /// Temp configs created today (Beijing day).
    pub used: u32,
    /// Daily limit.
    pub limit: u32,
    /// When the count resets (next Beijing midnight, unix seconds).
    pub resets_at: i64,
}

/// `GET /__admin/corps/{corpid}/quotas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuotasResponse {
    /// Non-temp Contact Me plus Join Group configs.
    pub contact_ways: QuotaUse,
    /// Temp Contact Me configs today.
    pub temp_today: TempQuotaUse,
}

/// One app in a corp summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppSummary {
    /// The app's id.
    pub agentid: u32,
    /// Its secret (the mock is a test tool: listing secrets is the point).
    pub secret: String,
}

/// One corp in `GET /__admin/corps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CorpSummary {
    /// The corp id.
    pub corpid: String,
    /// Its name.
    pub name: String,
    /// Its apps.
    pub apps: Vec<AppSummary>,
}

/// `POST /__admin/tenants`: `{}`, or a name and the corp in the fixtures format.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantRequest {
    /// The tenant's name (and its corp's); default `Tenant <corpid>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The corp, one element of the fixtures format's `corps` (its corpid is the mock's);
    /// default the default directory with new secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixture: Option<serde_json::Value>,
}

/// The answer of `POST /__admin/tenants`: a fresh corp and the token that steers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TenantResponse {
    /// The new corp's id.
    pub corpid: String,
    /// Its customer-contact app's secret.
    pub secret: String,
    /// That app's id.
    pub agentid: u32,
    /// `Authorization: Bearer <admin_token>` opens the control surface for this corp only.
    /// Shown once: the mock keeps only its digest.
    pub admin_token: String,
}

/// `POST /__admin/reset`: `{}` for every corp, or `{"corpid"}` for one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Only this corp; default every corp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpid: Option<String>,
}
