//! How a request reaches the target: through `wecom-client`, through a bare reqwest loop
//! sending the same requests, or to the bare baseline.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wecom_client::{Client, Error, RetryPolicy};
use wecom_types::api::*;
use wecom_types::{Endpoint, Patch, wire};

use crate::BenchError;

/// Which code path sends the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `wecom-client` with retries off (every failure shows in the errcodes).
    Client,
    /// A reqwest loop with the same HTTP client settings, the same requests and the same
    /// answer decoding, without `wecom-client` (the token is fetched once at start).
    Raw,
    /// The raw loop against the bare baseline (`wecom-bench baseline`): every op is sent as a
    /// `get_contact_way` and answered with the fixed body.
    Baseline,
}

/// The per-request timeout, the client's default.
pub(crate) const TIMEOUT: Duration = wecom_client::DEFAULT_TIMEOUT;

/// One request to send.
#[derive(Debug, Clone)]
pub(crate) enum Call {
    Get(String),
    Add(AddContactWay),
    Update(UpdateContactWay),
    Delete(String),
    List(ListContactWay),
}

/// What a successful call gave back that a worker needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Done,
    Created(String),
    Page { ids: usize, next_cursor: String },
}

/// How a call failed, as counted in the report's errcodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A WeCom errcode other than 0.
    Code(i64),
    /// Connection refused, reset, timed out.
    Transport,
    /// An HTTP status without a WeCom body.
    Http(u16),
    /// A 200 whose body does not decode.
    Decode,
    /// Refused before sending (client validation) or anything else.
    Other,
}

impl Failure {
    /// The key in the report's errcode table.
    pub(crate) fn key(&self) -> String {
        match self {
            Failure::Code(code) => code.to_string(),
            Failure::Transport => "transport".to_owned(),
            Failure::Http(status) => format!("http_{status}"),
            Failure::Decode => "decode".to_owned(),
            Failure::Other => "other".to_owned(),
        }
    }
}

/// The shared HTTP client settings of both modes, so they differ only in the code around it.
pub(crate) fn http_client() -> Result<reqwest::Client, BenchError> {
    reqwest::Client::builder().build().map_err(|e| BenchError::Client { what: "HTTP client", reason: e.to_string() })
}

/// A connected sender.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Client(Client),
    Raw(Raw),
}

impl Backend {
    /// Connects: for the raw and baseline modes this fetches the token once.
    pub(crate) async fn connect(mode: Mode, url: &str, corpid: &str, secret: &str) -> Result<Backend, BenchError> {
        let http = http_client()?;
        let base = url.trim_end_matches('/').to_owned();
        match mode {
            Mode::Client => {
                let client = Client::builder(corpid, secret)
                    .base_url(base)
                    .http_client(http)
                    .retry_policy(RetryPolicy::none())
                    .build()
                    .map_err(|e| BenchError::Client { what: "client", reason: e.to_string() })?;
                // Fetched now so that the first measured call does not pay for it.
                client.access_token().await.map_err(|e| BenchError::Token(e.to_string()))?;
                Ok(Backend::Client(client))
            }
            Mode::Raw => {
                let mut raw = Raw { http, base, token: String::new(), baseline: false };
                raw.token = raw.fetch_token(corpid, secret).await?;
                Ok(Backend::Raw(raw))
            }
            // A token as long as the mock's, so both servers parse the same request line.
            Mode::Baseline => {
                Ok(Backend::Raw(Raw { http, base, token: "b".repeat(BASELINE_TOKEN_LEN), baseline: true }))
            }
        }
    }

    pub(crate) async fn execute(&self, call: Call) -> Result<Reply, Failure> {
        match self {
            Backend::Client(client) => execute_client(client, call).await,
            Backend::Raw(raw) => raw.execute(call).await,
        }
    }
}

fn client_failure(err: &Error) -> Failure {
    match err {
        Error::Api { code, .. } => Failure::Code(i64::from(code.get())),
        Error::Transport { .. } => Failure::Transport,
        Error::Http { status, .. } => Failure::Http(*status),
        Error::Decode { .. } => Failure::Decode,
        _ => Failure::Other,
    }
}

async fn execute_client(client: &Client, call: Call) -> Result<Reply, Failure> {
    let fail = |e: Error| client_failure(&e);
    match call {
        Call::Get(id) => client.get_contact_way(&id).await.map(|_| Reply::Done).map_err(fail),
        Call::Add(req) => client.add_contact_way(&req).await.map(|r| Reply::Created(r.config_id)).map_err(fail),
        Call::Update(req) => client.update_contact_way(&req).await.map(|()| Reply::Done).map_err(fail),
        Call::Delete(id) => client.del_contact_way(&id).await.map(|()| Reply::Done).map_err(fail),
        Call::List(req) => client
            .list_contact_way(&req)
            .await
            .map(|page| Reply::Page { ids: page.contact_way.len(), next_cursor: page.next_cursor })
            .map_err(fail),
    }
}

/// The raw loop: what a hand-written integration does with reqwest.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    http: reqwest::Client,
    base: String,
    token: String,
    /// Every call goes to the baseline as a `get_contact_way`.
    baseline: bool,
}

/// The length of the mock's access tokens, which the baseline mode's stand-in token copies.
const BASELINE_TOKEN_LEN: usize = 64;

/// The config id the baseline mode sends (the baseline does not read it).
const BASELINE_CONFIG_ID: &str = "0123456789abcdef0123456789abcdef";

impl Raw {
    async fn fetch_token(&self, corpid: &str, secret: &str) -> Result<String, BenchError> {
        let url = format!("{}{}", self.base, GetToken::API.path());
        let answer = self
            .http
            .get(url)
            .query(&[("corpid", corpid), ("corpsecret", secret)])
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| BenchError::Token(e.without_url().to_string()))?;
        let body = answer.bytes().await.map_err(|e| BenchError::Token(e.without_url().to_string()))?;
        match wire::decode_response::<GetTokenResponse>(&body) {
            Ok(Ok(token)) => Ok(token.access_token),
            Ok(Err(error)) => Err(BenchError::Token(format!("errcode {}: {}", error.errcode.get(), error.errmsg))),
            Err(e) => Err(BenchError::Token(format!("the answer does not decode: {e}"))),
        }
    }

    async fn execute(&self, call: Call) -> Result<Reply, Failure> {
        if self.baseline {
            return self.post(&GetContactWay::new(BASELINE_CONFIG_ID)).await.map(|_| Reply::Done);
        }
        match call {
            Call::Get(id) => self.post(&GetContactWay::new(id)).await.map(|_| Reply::Done),
            Call::Add(req) => self.post(&req).await.map(|r| Reply::Created(r.config_id)),
            Call::Update(req) => self.post(&req).await.map(|_| Reply::Done),
            Call::Delete(id) => self.post(&DelContactWay::new(id)).await.map(|_| Reply::Done),
            Call::List(req) => self
                .post(&req)
                .await
                .map(|page| Reply::Page { ids: page.contact_way.len(), next_cursor: page.next_cursor }),
        }
    }

    /// POSTs a JSON request with the token and decodes its answer, as the client does.
    async fn post<E: Endpoint>(&self, req: &E) -> Result<E::Response, Failure> {
        let body = serde_json::to_vec(req).map_err(|_| Failure::Other)?;
        let url = format!("{}{}?access_token={}", self.base, E::API.path(), self.token);
        let answer = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|_| Failure::Transport)?;
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.map_err(|_| Failure::Transport)?;
        decode::<E::Response>(status, &bytes)
    }
}

fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, Failure> {
    match wire::decode_response::<T>(body) {
        Ok(Ok(payload)) if (200..300).contains(&status) => Ok(payload),
        Ok(Ok(_)) => Err(Failure::Http(status)),
        Ok(Err(error)) => Err(Failure::Code(i64::from(error.errcode.get()))),
        Err(_) if (200..300).contains(&status) => Err(Failure::Decode),
        Err(_) => Err(Failure::Http(status)),
    }
}

/// The update a worker sends: a new remark, nothing else.
pub(crate) fn update_request(config_id: &str, n: u64) -> UpdateContactWay {
    UpdateContactWay { remark: Patch::Set(format!("upd{n:08}")), ..UpdateContactWay::new(config_id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_decode_to_payloads_or_failures() {
        let ok = br#"{"errcode":0,"errmsg":"ok","config_id":"c1"}"#;
        assert_eq!(decode::<AddContactWayResponse>(200, ok).map(|r| r.config_id), Ok("c1".to_owned()));
        let quota = br#"{"errcode":41045,"errmsg":"exceed"}"#;
        assert_eq!(decode::<AddContactWayResponse>(200, quota), Err(Failure::Code(41045)));
        assert_eq!(decode::<AddContactWayResponse>(502, b"<html>"), Err(Failure::Http(502)));
        assert_eq!(decode::<AddContactWayResponse>(200, b"<html>"), Err(Failure::Decode));
        assert_eq!(Failure::Http(502).key(), "http_502");
    }
}
