//! Callback delivery and the URL check: the mock's only outbound I/O. What to send, and the
//! event XML, were decided inside the write (`core::notices`); here it is encrypted, signed and
//! posted with WeCom's retries, after the write has returned (and, with a data dir, once the
//! journal has the change), with no corp lock held. Each outcome comes back as a `Message` for
//! the state to record (`Event::MessageRecorded`).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use wecom_callback_crypto::{CallbackCrypto, envelope};
use wecom_types::fidelity as assumed;

use crate::api::{AdminError, AdminErrorKind, VerifyCallbackResponse};
use crate::core::model::{Callback, Message, MessageKind};
use crate::core::notices::{Notice, URL_VERIFICATION};

/// Bytes read of an answer; the verification only needs a short echo.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why one attempt got no answer.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("bad callback url: {0}")]
    Url(#[from] hyper::http::uri::InvalidUri),
    #[error("bad callback request: {0}")]
    Request(#[from] hyper::http::Error),
    /// The transport error with its causes ("connection refused" rather than "client error").
    #[error("{0}")]
    Transport(String),
    #[error("no answer within {} s", assumed::CALLBACK_TIMEOUT_SECS)]
    Timeout,
}

/// The wait before the attempt after `attempt` (1-based), or `None` when it was the last.
pub(crate) fn retry_delay(attempt: u32) -> Option<Duration> {
    if attempt >= assumed::CALLBACK_MAX_ATTEMPTS {
        return None;
    }
    let factor = 1u64.checked_shl(attempt.saturating_sub(1)).unwrap_or(u64::MAX);
    Some(Duration::from_millis(assumed::CALLBACK_BACKOFF_MS.saturating_mul(factor)))
}

/// The message recording a delivery (or verification) of `notice`.
pub(crate) fn outcome(notice: &Notice, status: Option<u16>, attempts: u32, reason: Option<String>) -> Message {
    Message {
        at: notice.at,
        kind: MessageKind::Callback,
        to: notice.callback.url.clone(),
        from: None,
        conclusions: None,
        reason,
        event: Some(notice.label.to_owned()),
        status,
        attempts: Some(attempts),
        agentid: None,
        text: None,
        attachment: None,
    }
}

fn http_client() -> Client<HttpConnector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_secs(assumed::CALLBACK_TIMEOUT_SECS)));
    // A client per delivery and no pooling: callbacks are rare, and a pooled connection must
    // not outlive the runtime (each test has its own) that drives it.
    Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build(connector)
}

/// `url` with the query parameters appended.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> Result<Uri, Failure> {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}{query}").parse()?)
}

/// One request with the attempt timeout: the status and up to [`MAX_ANSWER_BYTES`] of the body.
async fn exchange(method: Method, uri: &Uri, body: Bytes) -> Result<(u16, Bytes), Failure> {
    let mut request = Request::builder().method(method).uri(uri.clone());
    if !body.is_empty() {
        request = request.header(CONTENT_TYPE, "text/xml; charset=utf-8");
    }
    let request = request.body(Full::new(body))?;
    let client = http_client();
    let call = async {
        let response = client.request(request).await.map_err(|e| Failure::Transport(transport_reason(&e)))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok((status, body))
    };
    tokio::time::timeout(Duration::from_secs(assumed::CALLBACK_TIMEOUT_SECS), call)
        .await
        .unwrap_or(Err(Failure::Timeout))
}

/// A transport error with its cause ("connection refused" rather than "client error").
fn transport_reason(err: &hyper_util::client::legacy::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

fn nonce() -> String {
    rand::rng().random_range(100_000_000u32..4_000_000_000).to_string()
}

/// Encrypts, signs and posts one notice, retrying as WeCom does; the outcome as a message.
pub(crate) async fn deliver(notice: &Notice) -> Message {
    let crypto = match CallbackCrypto::new(
        notice.callback.token.clone(),
        &notice.callback.encoding_aes_key,
        notice.corpid.clone(),
    ) {
        Ok(crypto) => crypto,
        Err(err) => return outcome(notice, None, 0, Some(err.to_string())),
    };
    let timestamp = notice.at.to_string();
    let sealed = match crypto.encrypt_message(&notice.xml, &timestamp, &nonce()) {
        Ok(sealed) => sealed,
        Err(err) => return outcome(notice, None, 0, Some(err.to_string())),
    };
    let query = [
        ("msg_signature", sealed.msg_signature.as_str()),
        ("timestamp", sealed.timestamp.as_str()),
        ("nonce", sealed.nonce.as_str()),
    ];
    let uri = match with_query(&notice.callback.url, &query) {
        Ok(uri) => uri,
        Err(failure) => return outcome(notice, None, 0, Some(failure.to_string())),
    };
    let body = Bytes::from(envelope(&notice.corpid, &sealed.encrypt, notice.agentid));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (status, reason) = match exchange(Method::POST, &uri, body.clone()).await {
            Ok((status, _)) if (200..300).contains(&status) => return outcome(notice, Some(status), attempt, None),
            Ok((status, _)) => (Some(status), None),
            Err(failure) => (None, Some(failure.to_string())),
        };
        tracing::debug!(url = %notice.callback.url, attempt, ?status, ?reason, "callback not accepted");
        match retry_delay(attempt) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return outcome(notice, status, attempt, reason),
        }
    }
}

/// Performs the URL verification WeCom does when an app's callback URL is saved: a `GET` with
/// `msg_signature`, `timestamp`, `nonce` and `echostr`, whose answer must be the decrypted
/// `echostr`, exactly. Returns what it found and the message that records it.
pub(crate) async fn verify(
    corpid: &str,
    agentid: u32,
    callback: Callback,
    now: i64,
) -> Result<(VerifyCallbackResponse, Message), AdminError> {
    let crypto = CallbackCrypto::new(callback.token.clone(), &callback.encoding_aes_key, corpid)
        .map_err(|e| AdminError::new(AdminErrorKind::BadCallbackSettings, e.to_string()))?;
    let expected = rand::rng().random::<u64>().to_string();
    let sealed = crypto
        .encrypt_message(&expected, &now.to_string(), &nonce())
        .map_err(|e| AdminError::internal(e.to_string()))?;
    let query = [
        ("msg_signature", sealed.msg_signature.as_str()),
        ("timestamp", sealed.timestamp.as_str()),
        ("nonce", sealed.nonce.as_str()),
        ("echostr", sealed.encrypt.as_str()),
    ];
    let uri = with_query(&callback.url, &query).map_err(|failure| AdminError::bad_request(failure.to_string()))?;
    let (status, answer, reason) = match exchange(Method::GET, &uri, Bytes::new()).await {
        Ok((status, body)) => (Some(status), Some(String::from_utf8_lossy(&body).into_owned()), None),
        Err(failure) => (None, None, Some(failure.to_string())),
    };
    let ok = status == Some(200) && answer.as_deref() == Some(expected.as_str());
    let reason = match (&reason, ok, status) {
        (Some(_), _, _) | (None, true, _) => reason,
        (None, false, Some(200)) => Some("the answer is not the decrypted echostr".to_owned()),
        (None, false, _) => Some("the answer is not HTTP 200".to_owned()),
    };
    let url = callback.url.clone();
    let notice =
        Notice { corpid: corpid.to_owned(), agentid, callback, at: now, label: URL_VERIFICATION, xml: String::new() };
    let message = outcome(&notice, status, 1, reason.clone());
    Ok((VerifyCallbackResponse { ok, url, status, expected, answer, reason }, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling_and_stop_after_the_last_attempt() {
        let delays: Vec<Option<u64>> =
            (1..=assumed::CALLBACK_MAX_ATTEMPTS + 1).map(|a| retry_delay(a).map(|d| d.as_millis() as u64)).collect();
        let base = assumed::CALLBACK_BACKOFF_MS;
        assert_eq!(delays, [Some(base), Some(base * 2), Some(base * 4), None, None]);
        assert_eq!(retry_delay(u32::MAX), None);
    }
}
