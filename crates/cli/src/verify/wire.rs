//! The raw calls of a verify run: requests sent as the spec cases write them (wrong JSON types
//! and missing fields included, which the typed client would refuse before sending), paced,
//! and answered as the status and JSON the service gave, or as why no answer came.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::Mutex;
use tokio::time::Instant;
use wecom_types::{Api, ErrCode, Method};

/// Errcodes that say nothing about the request: the service was busy, throttled the caller or
/// refused its address. An answer with one of them is "could not check", never drift.
pub(crate) const UNJUDGEABLE: [ErrCode; 4] = [
    ErrCode::SYSTEM_BUSY,
    ErrCode::API_FREQ_OUT_OF_LIMIT,
    ErrCode::API_CONCURRENT_OUT_OF_LIMIT,
    ErrCode::IP_NOT_ALLOWED,
];

/// Which token a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenUse {
    /// The run's one token.
    Valid,
    /// No `access_token` at all.
    None,
    /// A made-up one.
    Bogus,
}

/// A token no service ever issued.
const BOGUS_TOKEN: &str = "wecom-verify-made-up-token";

/// One request as a probe sends it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// Where: an API of the table, or another path under `/cgi-bin/`.
    pub(crate) path: String,
    pub(crate) method: Method,
    pub(crate) token: TokenUse,
    /// The query besides the token (gettoken's corpid and secret; a GET API's fields).
    pub(crate) query: Vec<(String, String)>,
    /// The body of a POST, byte for byte.
    pub(crate) body: Option<String>,
}

impl Request {
    /// A POST of `body` to a table API with the run's token.
    pub(crate) fn post(api: Api, body: &Value) -> Request {
        Request {
            path: api.path().to_owned(),
            method: Method::Post,
            token: TokenUse::Valid,
            query: Vec::new(),
            body: Some(body.to_string()),
        }
    }

    /// The request of a table API given its body text: a GET API takes its fields as the query.
    pub(crate) fn for_api(api: Api, token: TokenUse, body_text: String) -> Request {
        match api.method() {
            Method::Post => Request {
                path: api.path().to_owned(),
                method: Method::Post,
                token,
                query: Vec::new(),
                body: Some(body_text),
            },
            Method::Get => {
                let fields: Map<String, Value> = serde_json::from_str(&body_text).unwrap_or_default();
                let query = fields
                    .into_iter()
                    .map(|(key, value)| {
                        let text = match value {
                            Value::String(text) => text,
                            other => other.to_string(),
                        };
                        (key, text)
                    })
                    .collect();
                Request { path: api.path().to_owned(), method: Method::Get, token, query, body: None }
            }
        }
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// An HTTP answer with a JSON body (`Value::Null` when the body was not JSON).
    Answer { status: u16, body: Value },
    /// No answer: the connection failed or the time ran out (the reason, secrets removed).
    Lost(String),
}

impl Reply {
    /// The errcode of a 200 JSON answer.
    pub(crate) fn errcode(&self) -> Option<i32> {
        match self {
            Reply::Answer { status: 200, body } => body.get("errcode").and_then(Value::as_i64).map(|code| code as i32),
            _ => None,
        }
    }

    /// Why the answer cannot be judged (`None` when it can): no answer, an HTTP error, no
    /// errcode, or an errcode that says nothing about the request.
    pub(crate) fn unjudgeable(&self) -> Option<String> {
        match self {
            Reply::Lost(reason) => Some(format!("no answer: {reason}")),
            Reply::Answer { status, .. } if !(200..300).contains(status) => Some(format!("HTTP {status}")),
            Reply::Answer { .. } => match self.errcode() {
                None => Some("the answer carries no errcode".to_owned()),
                Some(code) if UNJUDGEABLE.contains(&ErrCode(code)) => Some(format!("errcode {code}")),
                Some(_) => None,
            },
        }
    }
}

/// The sender: one HTTP client, one pace, the run's token once it has one.
pub(crate) struct Wire {
    http: reqwest::Client,
    base_url: String,
    /// The least time between two calls.
    gap: Duration,
    next: Mutex<Instant>,
    token: Option<String>,
}

impl Wire {
    /// `rate` calls a second at most (0: unpaced); each call waits `timeout` at most.
    pub(crate) fn new(base_url: &str, rate: f64, timeout: Duration) -> Result<Wire, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("wecom-contactway-cli/", env!("CARGO_PKG_VERSION"), " verify"))
            .build()?;
        let gap = if rate > 0.0 { Duration::from_secs_f64(1.0 / rate) } else { Duration::ZERO };
        Ok(Wire {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            gap,
            next: Mutex::new(Instant::now()),
            token: None,
        })
    }

    /// The host the run talks to, for `run.json` (no path, no credentials).
    pub(crate) fn host(&self) -> String {
        reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|url| {
                let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
                url.host_str().map(|host| format!("{}://{host}{port}", url.scheme()))
            })
            .unwrap_or_else(|| "(unparsable base URL)".to_owned())
    }

    /// The run's one successful gettoken; the error is the reply that refused it.
    pub(crate) async fn fetch_token(&mut self, corpid: &str, secret: &str) -> Result<(), Reply> {
        let request = Request {
            path: Api::GetToken.path().to_owned(),
            method: Method::Get,
            token: TokenUse::None,
            query: vec![("corpid".to_owned(), corpid.to_owned()), ("corpsecret".to_owned(), secret.to_owned())],
            body: None,
        };
        let reply = self.send(&request).await;
        match (&reply, reply.errcode()) {
            (Reply::Answer { body, .. }, Some(0)) => match body.get("access_token").and_then(Value::as_str) {
                Some(token) => {
                    self.token = Some(token.to_owned());
                    Ok(())
                }
                None => Err(reply),
            },
            _ => Err(reply),
        }
    }

    /// The token, for removing it from anything written.
    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Sends one request, after waiting for its turn.
    pub(crate) async fn send(&self, request: &Request) -> Reply {
        self.wait_turn().await;
        let url = format!("{}{}", self.base_url, request.path);
        let mut query = request.query.clone();
        match request.token {
            TokenUse::Valid => query.push(("access_token".to_owned(), self.token.clone().unwrap_or_default())),
            TokenUse::Bogus => query.push(("access_token".to_owned(), BOGUS_TOKEN.to_owned())),
            TokenUse::None => {}
        }
        let builder = match request.method {
            Method::Get => self.http.get(url),
            Method::Post => self.http.post(url).body(request.body.clone().unwrap_or_default()),
        };
        match builder.query(&query).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(bytes) => Reply::Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) },
                    Err(err) => Reply::Lost(describe(&err)),
                }
            }
            Err(err) => Reply::Lost(describe(&err)),
        }
    }

    async fn wait_turn(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep_until(*next).await;
        }
        *next = Instant::now() + self.gap;
    }
}

/// A transport error without its URL (which would carry the token).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() || err.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
