//! `gettoken`: the access token of one app.

use serde::{Deserialize, Serialize};

/// `GET gettoken?corpid=ID&corpsecret=SECRET`. Sent as the query string, not a body.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct GetToken {
    /// The corp's id. Required (41002).
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpid: Option<String>,
    /// The app's secret. Required (41004).
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpsecret: Option<String>,
}

impl GetToken {
    /// A request for the token of `corpid`'s app with `corpsecret`.
    pub fn new(corpid: impl Into<String>, corpsecret: impl Into<String>) -> Self {
        GetToken { corpid: Some(corpid.into()), corpsecret: Some(corpsecret.into()) }
    }
}

/// Never prints the secret.
impl std::fmt::Debug for GetToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetToken")
            .field("corpid", &self.corpid)
            .field("corpsecret", &self.corpsecret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// gettoken answer.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetTokenResponse {
    /// The token for `?access_token=`.
    #[serde(default)]
    pub access_token: String,
    /// Seconds it stays valid: 7200 when fresh, then the seconds it has left (more on a mock
    /// whose virtual clock was moved back).
    #[cfg_attr(feature = "schema", schemars(range(min = 0)))]
    #[serde(default)]
    pub expires_in: i64,
}

/// Never prints the token.
impl std::fmt::Debug for GetTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetTokenResponse")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}
