//! `--mock-tools`: the mock's customer (scan, join, clock, messages) over its `/__admin`
//! routes, with `WECOM_MOCK_ADMIN_TOKEN` as the bearer token when set.

use rmcp::model::JsonObject;
use serde_json::Value;

use super::reply::ToolError;
use crate::cli::Global;
use crate::error::CliError;

/// The mock's control surface at the configured base URL.
pub(crate) struct Admin {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
    corpid: Option<String>,
}

impl Admin {
    pub(crate) fn new(global: &Global, token: Option<String>) -> Result<Admin, CliError> {
        let http = reqwest::Client::builder()
            .timeout(global.timeout)
            .build()
            .map_err(|err| CliError::Usage(format!("cannot make an HTTP client for the mock tools: {err}")))?;
        Ok(Admin {
            http,
            base_url: global.base_url.trim_end_matches('/').to_owned(),
            token: token.filter(|token| !token.is_empty()),
            corpid: global.corpid.clone().filter(|corpid| !corpid.is_empty()),
        })
    }

    /// Runs a mock tool.
    pub(crate) async fn call(&self, name: &str, args: JsonObject) -> Result<Value, ToolError> {
        match name {
            "mock_scan" => self.post("/__admin/scan", self.with_corpid(args)).await,
            "mock_join" => self.post("/__admin/join", self.with_corpid(args)).await,
            "mock_clock" => self.post("/__admin/clock", self.with_corpid(args)).await,
            "mock_messages" => {
                let query: Vec<(&str, &str)> =
                    self.corpid.as_deref().map(|corpid| ("corpid", corpid)).into_iter().collect();
                self.send(self.http.get(self.url("/__admin/messages")).query(&query)).await
            }
            other => Err(CliError::Usage(format!("no mock tool is called {other}")).into()),
        }
    }

    /// The body with `corpid` set to the configured corp unless given.
    fn with_corpid(&self, mut args: JsonObject) -> JsonObject {
        if let Some(corpid) = &self.corpid
            && args.get("corpid").is_none_or(Value::is_null)
        {
            args.insert("corpid".into(), Value::String(corpid.clone()));
        }
        args
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn post(&self, path: &str, body: JsonObject) -> Result<Value, ToolError> {
        let bytes = serde_json::to_vec(&body)
            .map_err(|source| CliError::Json { what: "the mock tool's body".into(), source })?;
        self.send(self.http.post(self.url(path)).header("content-type", "application/json").body(bytes)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ToolError> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let answer = request.send().await.map_err(ToolError::AdminUnreachable)?;
        let status = answer.status();
        let bytes = answer.bytes().await.map_err(ToolError::AdminUnreachable)?;
        let body: Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        if status.is_success() { Ok(body) } else { Err(ToolError::Admin { status: status.as_u16(), body }) }
    }
}
