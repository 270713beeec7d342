//! A server under test: its base URL, and its control surface when it has one.
//!
//! Everything goes over HTTP — the WeCom paths through `wecom-client` or raw `reqwest`, the
//! control surface through `/__admin/…` — so the same code drives an in-process
//! `wecom_mock::MockServer`, a `wecom-mock` binary, a container or the real service.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wecom_client::{Client, RetryPolicy};
use wecom_mock::api::{JoinResponse, ScanResponse};
use wecom_mock::fixtures::CorpFixture;
use wecom_types::{Api, ErrCode};

/// An admin answer that is not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminFailure {
    /// HTTP status (0 when the request did not get an answer).
    pub status: u16,
    /// The `error` code of the body, if any.
    pub error: Option<String>,
    /// The message or transport error, for the report.
    pub message: String,
}

/// The server under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Bearer token for `/__admin`, when the target wants one.
    pub admin_token: Option<String>,
    http: reqwest::Client,
}

impl Target {
    /// A target at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Target {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Target { base_url: base_url.into().trim_end_matches('/').to_owned(), admin_token: None, http }
    }

    /// Sends `Authorization: Bearer token` to `/__admin`.
    pub fn with_admin_token(mut self, token: Option<String>) -> Target {
        self.admin_token = token;
        self
    }

    /// A client of this target for one app, without retries (an answer is compared as it
    /// comes; a retried -1 would hide it).
    pub fn client(&self, corpid: &str, secret: &str) -> Result<Client, wecom_client::Error> {
        Client::builder(corpid, secret)
            .base_url(self.base_url.clone())
            .http_client(self.http.clone())
            .retry_policy(RetryPolicy::none())
            .build()
    }

    /// Whether the target has the control surface (`GET /__admin/corps` answers 200).
    pub async fn has_control(&self) -> bool {
        matches!(self.admin_get::<Value>("/__admin/corps").await, Ok(v) if v.get("corps").is_some())
    }

    /// Whether the target answers `GET /healthz`.
    pub async fn is_healthy(&self) -> bool {
        match self.http.get(format!("{}/healthz", self.base_url)).send().await {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    }

    /// Raw `gettoken`: the whole answer.
    pub async fn gettoken(&self, query: &[(&str, &str)]) -> Result<Value, String> {
        let url = format!("{}{}", self.base_url, Api::GetToken.path());
        let response = self.http.get(url).query(query).send().await.map_err(|e| e.without_url().to_string())?;
        response.json().await.map_err(|e| e.without_url().to_string())
    }

    /// Raw token of an app, or the errcode / failure.
    pub async fn token(&self, corpid: &str, secret: &str) -> Result<(String, i64), String> {
        let answer = self.gettoken(&[("corpid", corpid), ("corpsecret", secret)]).await?;
        match answer.get("access_token").and_then(Value::as_str) {
            Some(token) => Ok((token.to_owned(), answer.get("expires_in").and_then(Value::as_i64).unwrap_or(0))),
            None => Err(format!("gettoken failed: {answer}")),
        }
    }

    /// Raw POST of `body` (sent byte for byte) to `api` with `token` (none when `None`): the
    /// HTTP status and the answer as JSON.
    pub async fn post_raw(&self, api: Api, token: Option<&str>, body: &str) -> Result<(u16, Value), String> {
        let mut url = format!("{}{}", self.base_url, api.path());
        if let Some(token) = token {
            url.push_str("?access_token=");
            url.push_str(token);
        }
        let request = match api.method() {
            wecom_types::Method::Post => self.http.post(url).body(body.to_owned()),
            wecom_types::Method::Get => {
                let query: Vec<(String, String)> = serde_json::from_str::<Value>(body)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .map(|o| o.into_iter().map(|(k, v)| (k, v.as_str().map_or(v.to_string(), str::to_owned))).collect())
                    .unwrap_or_default();
                self.http.get(url).query(&query)
            }
        };
        let response = request.send().await.map_err(|e| e.without_url().to_string())?;
        let status = response.status().as_u16();
        let value = response.json().await.map_err(|e| e.without_url().to_string())?;
        Ok((status, value))
    }

    /// The errcode of a raw answer.
    pub fn errcode(answer: &Value) -> ErrCode {
        ErrCode(answer.get("errcode").and_then(Value::as_i64).unwrap_or(-9999) as i32)
    }

    fn admin(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.admin_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn admin_answer<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, AdminFailure> {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Err(AdminFailure {
                status,
                error: body.get("error").and_then(Value::as_str).map(str::to_owned),
                message: body.get("message").and_then(Value::as_str).unwrap_or(&text).to_owned(),
            });
        }
        let text = if text.is_empty() { "null".to_owned() } else { text };
        serde_json::from_str(&text).map_err(|e| AdminFailure { status, error: None, message: e.to_string() })
    }

    fn transport(e: reqwest::Error) -> AdminFailure {
        AdminFailure { status: 0, error: None, message: e.without_url().to_string() }
    }

    /// `GET` on the control surface.
    pub async fn admin_get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdminFailure> {
        let request = self.admin(self.http.get(format!("{}{path}", self.base_url)));
        Self::admin_answer(request.send().await.map_err(Self::transport)?).await
    }

    /// `POST` (or `PUT`, `DELETE`) of JSON on the control surface.
    pub async fn admin_send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, AdminFailure> {
        let request = self.admin(self.http.request(method, format!("{}{path}", self.base_url)).json(body));
        Self::admin_answer(request.send().await.map_err(Self::transport)?).await
    }

    /// Creates or replaces a corp (`PUT /__admin/corps/{corpid}`).
    pub async fn put_corp(&self, fixture: &CorpFixture) -> Result<(), AdminFailure> {
        let path = format!("/__admin/corps/{}", fixture.corpid);
        self.admin_send::<_, Value>(reqwest::Method::PUT, &path, fixture).await.map(drop)
    }

    /// Removes a corp.
    pub async fn delete_corp(&self, corpid: &str) -> Result<(), AdminFailure> {
        self.admin_send::<_, Value>(reqwest::Method::DELETE, &format!("/__admin/corps/{corpid}"), &json!({}))
            .await
            .map(drop)
    }

    /// Sets or advances one corp's clock.
    pub async fn clock(&self, corpid: &str, change: Value) -> Result<(), AdminFailure> {
        let mut body = change;
        body["corpid"] = json!(corpid);
        self.admin_send::<_, Value>(reqwest::Method::POST, "/__admin/clock", &body).await.map(drop)
    }

    /// A customer scans.
    pub async fn scan(&self, body: &Value) -> Result<ScanResponse, AdminFailure> {
        self.admin_send(reqwest::Method::POST, "/__admin/scan", body).await
    }

    /// A customer joins.
    pub async fn join(&self, body: &Value) -> Result<JoinResponse, AdminFailure> {
        self.admin_send(reqwest::Method::POST, "/__admin/join", body).await
    }

    /// Revokes a corp's tokens.
    pub async fn revoke_tokens(&self, corpid: &str) -> Result<(), AdminFailure> {
        let path = format!("/__admin/corps/{corpid}/tokens/revoke");
        self.admin_send::<_, Value>(reqwest::Method::POST, &path, &json!({})).await.map(drop)
    }

    /// A corp's state dump.
    pub async fn dump(&self, corpid: &str) -> Result<Value, AdminFailure> {
        self.admin_get(&format!("/__admin/corps/{corpid}")).await
    }

    /// A corp's messages.
    pub async fn messages(&self, corpid: &str) -> Result<Value, AdminFailure> {
        self.admin_get(&format!("/__admin/messages?corpid={corpid}")).await
    }

    /// A fresh corp with the default directory: (corpid, secret).
    pub async fn create_tenant(&self) -> Result<(String, String), AdminFailure> {
        let v: Value = self.admin_send(reqwest::Method::POST, "/__admin/tenants", &json!({})).await?;
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        Ok((field("corpid"), field("secret")))
    }
}
