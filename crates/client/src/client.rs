//! [`Client`] and its one call path: validate, encode, attach the token, send, decode, and let
//! [`decide`] say whether to resend.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;
use wecom_types::api::{GetToken, GetTokenResponse};
use wecom_types::{Api, Endpoint, Method, wire};

use crate::error::{Delivery, Error, TransportCause};
use crate::retry::{Attempt, Decision, Outcome, RetryPolicy, decide, full_jitter};
use crate::token::TokenCache;

/// How much of a non-WeCom body an [`Error::Http`] keeps.
const BODY_SNIPPET_BYTES: usize = 256;

/// An async client for one WeCom app (a corpid and the app's secret).
///
/// Cheap to clone: clones share the HTTP connection pool and the token cache, so make one per
/// app and hand clones to your tasks.
///
/// ```
/// fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
/// assert_shareable::<wecom_client::Client>();
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) corpid: String,
    pub(crate) secret: String,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) user_agent: HeaderValue,
    pub(crate) token: TokenCache,
    /// Where creates are written down before they are sent.
    #[cfg(feature = "ledger")]
    pub(crate) ledger: Option<crate::ledger::Ledger>,
}

/// Never prints the secret or the token.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("corpid", &self.inner.corpid)
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

/// A request, encoded once and resent as is.
enum Payload {
    Query(Vec<(String, String)>),
    Json(Vec<u8>),
}

impl Payload {
    fn encode<E: Endpoint>(req: &E) -> Result<Payload, Error> {
        let encode_error = |source| Error::Encode { api: E::API, source: Arc::new(source) };
        match E::API.method() {
            Method::Post => serde_json::to_vec(req).map(Payload::Json).map_err(encode_error),
            Method::Get => {
                serde_json::to_value(req).map(|value| Payload::Query(query_pairs(value))).map_err(encode_error)
            }
        }
    }
}

/// A GET request's fields as query pairs: strings as they are, other scalars in their JSON
/// spelling, absent and null fields left out.
fn query_pairs(value: serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    let Value::Object(fields) = value else {
        return Vec::new();
    };
    fields
        .into_iter()
        .filter_map(|(key, value)| match value {
            Value::Null => None,
            Value::String(text) => Some((key, text)),
            other => Some((key, other.to_string())),
        })
        .collect()
}

impl Client {
    /// The base URL requests go to, without a trailing slash.
    ///
    /// ```
    /// let client = wecom_client::Client::builder("ww1", "s").base_url("http://127.0.0.1:8080").build()?;
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), wecom_client::Error>(())
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The corpid this client acts for.
    ///
    /// ```
    /// let client = wecom_client::Client::builder("ww1", "s").build()?;
    /// assert_eq!(client.corpid(), "ww1");
    /// # Ok::<(), wecom_client::Error>(())
    /// ```
    pub fn corpid(&self) -> &str {
        &self.inner.corpid
    }

    /// The current access token, from the cache or from `gettoken`; for calling an API this crate
    /// does not cover. Keep it out of logs.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let token = client.access_token().await?;
    /// # Ok(()) }
    /// ```
    pub async fn access_token(&self) -> Result<String, Error> {
        self.token().await.map(|token| token.to_string())
    }

    /// Sends any request of `wecom-types` and returns its answer's payload: the one path every
    /// typed method goes through.
    ///
    /// The request is validated first and never sent when it breaks a rule
    /// ([`Error::Validation`] names the field and the errcode the server would give). APIs that
    /// need it get the access token. A non-zero errcode becomes [`Error::Api`]; token errors,
    /// rate limits and transport errors are handled as [`crate::retry`] describes.
    ///
    /// ```no_run
    /// use wecom_types::api::GetContactWay;
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// let answer = client.call(&GetContactWay::new("42b34949e138eb6e027c123cba77fAAA")).await?;
    /// println!("{:?}", answer.contact_way.user);
    /// # Ok(()) }
    /// ```
    pub async fn call<E: Endpoint>(&self, req: &E) -> Result<E::Response, Error> {
        let api = E::API;
        let span = tracing::info_span!(
            "wecom.call",
            api = api.short_name(),
            path = api.path(),
            attempt = tracing::field::Empty,
            errcode = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let mut sends = 0;
            let result = self.call_inner(req, &mut sends).await;
            let span = tracing::Span::current();
            span.record("attempt", sends);
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok(_) => {
                    span.record("errcode", 0);
                    tracing::debug!("ok");
                }
                Err(err) => {
                    if let Some(code) = err.code() {
                        span.record("errcode", code.get());
                    }
                    tracing::debug!(error = %err, "failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn call_inner<E: Endpoint>(&self, req: &E, sends: &mut u32) -> Result<E::Response, Error> {
        req.validate()?;
        let payload = Payload::encode(req)?;
        #[cfg(feature = "ledger")]
        if let (Some(ledger), true, Payload::Json(body)) = (self.ledger(), E::API.info().creates, &payload) {
            let seq = crate::ledger_hook::record_intent(ledger, (self.corpid(), self.base_url()), E::API, body).await?;
            let result = self.send_with_retries::<E>(&payload, sends).await;
            crate::ledger_hook::settle(ledger, seq, &result).await;
            return result;
        }
        self.send_with_retries::<E>(&payload, sends).await
    }

    /// Sends until [`decide`] says to return.
    async fn send_with_retries<E: Endpoint>(&self, payload: &Payload, sends: &mut u32) -> Result<E::Response, Error> {
        let info = E::API.info();
        let mut attempt =
            Attempt { retries: 0, creates: info.once_only(), needs_token: info.needs_token, token_refreshed: false };
        loop {
            let token = if info.needs_token { Some(self.token().await?) } else { None };
            *sends += 1;
            let sent = Instant::now();
            let result = self.send_once::<E::Response>(E::API, payload, token.as_deref()).await;
            let outcome = Outcome::of(&result);
            tracing::debug!(attempt = *sends, ?outcome, latency_ms = sent.elapsed().as_millis() as u64, "sent");
            match decide(&self.inner.retry, &attempt, outcome) {
                Decision::Return => return result,
                Decision::RefreshToken => {
                    if let Some(token) = &token {
                        self.inner.token.invalidate(token);
                    }
                    attempt.token_refreshed = true;
                }
                Decision::Retry { ceiling } => {
                    let delay = full_jitter(ceiling, rand::random::<f64>());
                    tracing::debug!(?outcome, delay_ms = delay.as_millis() as u64, "backing off");
                    tokio::time::sleep(delay).await;
                    attempt.retries += 1;
                }
            }
        }
    }

    /// The cached token, or a fresh one from `gettoken` (one task fetches, the others wait).
    pub(crate) async fn token(&self) -> Result<Arc<str>, Error> {
        self.inner.token.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<GetTokenResponse, Error> {
        let req = GetToken::new(self.inner.corpid.as_str(), self.inner.secret.as_str());
        // Through the same path as every call, so gettoken is retried on -1 / 45009 as well.
        Box::pin(self.call(&req)).await
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        api: Api,
        payload: &Payload,
        token: Option<&str>,
    ) -> Result<T, Error> {
        let inner = &self.inner;
        let method = match api.method() {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut request = inner
            .http
            .request(method, format!("{}{}", inner.base_url, api.path()))
            .timeout(inner.timeout)
            .header(USER_AGENT, inner.user_agent.clone());
        if let Some(token) = token {
            request = request.query(&[("access_token", token)]);
        }
        request = match payload {
            Payload::Query(pairs) => request.query(pairs),
            Payload::Json(body) => {
                request.header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(body.clone())
            }
        };
        let url = || format!("{}{}", inner.base_url, api.path());
        let response = request.send().await.map_err(|err| transport_error(api, url(), err))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|err| transport_error(api, url(), err))?;
        interpret(api, status, &body)
    }
}

/// Classifies a reqwest error and strips its URL, which carries the token (or, for gettoken, the
/// secret) in its query string; `url` is the same URL without the query.
fn transport_error(api: Api, url: String, err: reqwest::Error) -> Error {
    if err.is_builder() {
        return Error::Build(Arc::new(err.without_url()));
    }
    let delivery = if err.is_connect() { Delivery::NotSent } else { Delivery::MaybeSent };
    let cause = transport_cause(&err);
    Error::Transport { api, delivery, cause, url, source: Arc::new(err.without_url()) }
}

/// What a reqwest error means for the user. reqwest and hyper expose only part of this as
/// types; the rest is read from the chain: the operating system's error kind, and the words
/// the connector and the TLS layer use ("dns error", "certificate", "handshake").
fn transport_cause(err: &reqwest::Error) -> TransportCause {
    if err.is_timeout() {
        return TransportCause::Timeout;
    }
    let mut texts = String::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            match io.kind() {
                ErrorKind::ConnectionRefused => return TransportCause::Refused,
                ErrorKind::TimedOut => return TransportCause::Timeout,
                ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof => return TransportCause::Closed,
                _ => {}
            }
        }
        texts.push_str(&e.to_string().to_ascii_lowercase());
        texts.push('\n');
        current = e.source();
    }
    if texts.contains("dns error") || texts.contains("failed to lookup address") {
        TransportCause::Dns
    } else if ["tls", "certificate", "handshake", "invalidcontenttype", "corrupt message"]
        .iter()
        .any(|w| texts.contains(w))
    {
        TransportCause::Tls
    } else if texts.contains("connection closed")
        || texts.contains("incomplete message")
        || texts.contains("connection reset")
    {
        TransportCause::Closed
    } else {
        TransportCause::Other
    }
}

/// Turns an HTTP answer into the payload or an error. WeCom reports failures in the body with
/// HTTP 200, so the errcode decides; the status only matters when the body is not a WeCom answer.
pub(crate) fn interpret<T: DeserializeOwned>(api: Api, status: u16, body: &[u8]) -> Result<T, Error> {
    let success = (200..300).contains(&status);
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let decoded = if is_object { Some(wire::decode_response::<T>(body)) } else { None };
    match decoded {
        Some(Ok(Err(error))) => Err(Error::Api { api, code: error.errcode, message: error.errmsg }),
        Some(Ok(Ok(payload))) if success => Ok(payload),
        Some(Err(source)) if success => Err(Error::Decode { api, source: Arc::new(source) }),
        None if success => {
            let source = <serde_json::Error as serde::de::Error>::custom("the answer is not a JSON object");
            Err(Error::Decode { api, source: Arc::new(source) })
        }
        _ => {
            let snippet = &body[..body.len().min(BODY_SNIPPET_BYTES)];
            Err(Error::Http { api, status, body: String::from_utf8_lossy(snippet).into_owned() })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wecom_types::ErrCode;
    use wecom_types::api::{AddContactWayResponse, Empty, GetExternalContact};

    use super::*;

    #[test]
    fn answers_are_judged_by_errcode_then_status() {
        type Got = Result<AddContactWayResponse, Error>;
        let ok = |got: Got| got.map(|answer| answer.config_id).ok();
        let code = |got: Got| got.err().and_then(|err| err.code()).map(ErrCode::get);
        let http = |got: Got| matches!(got, Err(Error::Http { .. }));
        let decode = |got: Got| matches!(got, Err(Error::Decode { .. }));
        let api = Api::AddContactWay;

        assert_eq!(ok(interpret(api, 200, br#"{"errcode":0,"errmsg":"ok","config_id":"c1"}"#)), Some("c1".into()));
        assert_eq!(code(interpret(api, 200, br#"{"errcode":41045,"errmsg":"exceed"}"#)), Some(41045));
        // The mock answers an unknown path with HTTP 404 and a WeCom body: the errcode wins.
        assert_eq!(code(interpret(api, 404, br#"{"errcode":404,"errmsg":"api not found"}"#)), Some(404));
        assert_eq!(code(interpret(api, 413, br#"{"errcode":40058,"errmsg":"too large"}"#)), Some(40058));
        assert!(http(interpret(api, 502, b"<html>Bad Gateway</html>")));
        assert!(http(interpret(api, 500, b"")));
        assert!(http(interpret(api, 503, br#"{"errcode":0,"config_id":"c1"}"#)));
        assert!(decode(interpret(api, 200, b"<html>")));
        assert!(decode(interpret(api, 200, b"[]")));
        assert!(decode(interpret(api, 200, br#"{"errcode":0,"config_id":5}"#)));
        assert!(decode(interpret(api, 200, br#"{"errcode":"zero"}"#)));
    }

    #[test]
    fn an_http_error_keeps_only_the_start_of_the_body() {
        let body = "x".repeat(10_000);
        let Err(Error::Http { body: kept, status: 502, .. }) =
            interpret::<Empty>(Api::DelJoinWay, 502, body.as_bytes())
        else {
            panic!("expected an HTTP error");
        };
        assert_eq!(kept.len(), BODY_SNIPPET_BYTES);
    }

    #[test]
    fn get_requests_become_query_pairs() {
        let req = GetExternalContact { external_userid: Some("wmABCDE".into()), cursor: None };
        assert_eq!(
            query_pairs(serde_json::to_value(req).expect("encodes")),
            [("external_userid".into(), "wmABCDE".into())]
        );
        let pairs = query_pairs(json!({"a": 1, "b": true, "c": null, "d": "x y"}));
        assert_eq!(pairs, [("a".into(), "1".into()), ("b".into(), "true".into()), ("d".into(), "x y".into())]);
    }
}
