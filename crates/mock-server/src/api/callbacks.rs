//! The URL check WeCom makes when a callback URL is saved, on demand:
//! `POST /__admin/corps/{corpid}/apps/{agentid}/verify_callback`.

use serde::{Deserialize, Serialize};

/// `POST /__admin/corps/{corpid}/apps/{agentid}/verify_callback`: what the handshake found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VerifyCallbackResponse {
    /// The answer was exactly the decrypted `echostr`.
    pub ok: bool,
    /// The callback URL asked.
    pub url: String,
    /// The HTTP status, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The plain text the answer had to be.
    pub expected: String,
    /// What came back (at most 64 KiB, lossily decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
