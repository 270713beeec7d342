//! Callbacks: the encrypted events WeCom posts to an app's callback URL when a customer arrives
//! (`change_external_contact` / `add_external_contact`, `change_external_chat`), and the
//! URL-verification handshake WeCom performs when a callback URL is saved.
//!
//! What to send is decided inside the write, from the state and the change's events
//! ([`notices`], pure); the sending happens after the write has returned (and, with a data dir,
//! once the journal has the change), in a spawned task, so no corp lock is held while the
//! network is waited on. Each delivery ends as one
//! `MessageRecorded` event, written like any other change, with its HTTP status and attempts.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use serde::{Deserialize, Serialize};
use wecom_callback_crypto::{CallbackCrypto, cdata, envelope};
use wecom_types::fidelity as assumed;

use crate::control::AdminError;
use crate::domain::customer::member_version;
use crate::model::{Callback, CorpState, Event, GroupChatRecord, GroupMemberRecord, Message, MessageKind};
use crate::state::{Corp, MockState};

/// The `event` of a Contact Me add in `/__admin/messages`.
pub(crate) const CONTACT_ADDED: &str = "change_external_contact/add_external_contact";
/// The `event` of a group join.
pub(crate) const CHAT_MEMBER_ADDED: &str = "change_external_chat/update/add_member";
/// The `event` of a group the mock created for a join.
pub(crate) const CHAT_CREATED: &str = "change_external_chat/create";
/// The `event` of a URL verification.
pub(crate) const URL_VERIFICATION: &str = "url_verification";

/// How a customer joined: by the group's QR code (documented value 3).
const JOIN_SCENE_QR_CODE: i32 = 3;

/// Bytes read of an answer; the verification only needs a short echo.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One event to post to one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub corpid: String,
    pub agentid: u32,
    pub callback: Callback,
    /// The event's instant on the corp's virtual clock.
    pub at: i64,
    /// What `/__admin/messages` calls it.
    pub label: &'static str,
    /// The event's XML, before encryption.
    pub xml: String,
}

/// Refuses callback settings that could never be delivered: a URL the mock cannot post to or
/// an EncodingAESKey that is not 43 base64 characters.
pub(crate) fn check_settings(url: &str, encoding_aes_key: &str) -> Result<(), String> {
    let uri: Uri = url.parse().map_err(|e| format!("callback url `{url}` is not a URL: {e}"))?;
    if uri.scheme_str() != Some(assumed::CALLBACK_URL_SCHEME) || uri.authority().is_none() {
        return Err(format!("callback url `{url}` must start with http:// (the mock has no TLS client)"));
    }
    wecom_callback_crypto::decode_aes_key(encoding_aes_key)
        .map(|_| ())
        .map_err(|e| format!("callback encoding_aes_key: {e} (got {} characters)", encoding_aes_key.chars().count()))
}

fn tag(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", cdata(text))
}

fn header(corpid: &str, at: i64, event: &str) -> String {
    format!(
        "<xml>{}{}<CreateTime>{at}</CreateTime>{}{}",
        tag("ToUserName", corpid),
        tag("FromUserName", "sys"),
        tag("MsgType", "event"),
        tag("Event", event),
    )
}

/// `change_external_contact` / `add_external_contact`, as in the docs' example.
fn contact_added_xml(corpid: &str, at: i64, userid: &str, external_userid: &str, state: &str, welcome: &str) -> String {
    let mut xml = header(corpid, at, "change_external_contact");
    xml.push_str(&tag("ChangeType", "add_external_contact"));
    xml.push_str(&tag("UserID", userid));
    xml.push_str(&tag("ExternalUserID", external_userid));
    // A config without a state has nothing to report; the read-back omits it the same way.
    if !state.is_empty() {
        xml.push_str(&tag("State", state));
    }
    xml.push_str(&tag("WelcomeCode", welcome));
    xml.push_str("</xml>");
    xml
}

/// `change_external_chat` / `update` / `add_member` for one customer joining by QR code.
fn member_added_xml(corpid: &str, at: i64, chat_id: &str, members_before: usize, external_userid: &str) -> String {
    let mut xml = header(corpid, at, "change_external_chat");
    xml.push_str(&tag("ChatId", chat_id));
    xml.push_str(&tag("ChangeType", "update"));
    xml.push_str(&tag("UpdateDetail", "add_member"));
    xml.push_str(&format!(
        "<JoinScene>{JOIN_SCENE_QR_CODE}</JoinScene><QuitScene>0</QuitScene><MemChangeCnt>1</MemChangeCnt>"
    ));
    xml.push_str(&format!("<MemChangeList>{}</MemChangeList>", tag("Item", external_userid)));
    xml.push_str(&tag("LastMemVer", &member_version(members_before)));
    xml.push_str(&tag("CurMemVer", &member_version(members_before + 1)));
    xml.push_str("</xml>");
    xml
}

/// `change_external_chat` / `create`.
fn chat_created_xml(corpid: &str, at: i64, chat_id: &str) -> String {
    let mut xml = header(corpid, at, "change_external_chat");
    xml.push_str(&tag("ChatId", chat_id));
    xml.push_str(&tag("ChangeType", "create"));
    xml.push_str("</xml>");
    xml
}

/// The events to post for a change, computed from the state before the change and its events.
/// Only the app that created the config hears of it, and only when it has a callback.
pub(crate) fn notices(state: &CorpState, now: i64, events: &[Event]) -> Vec<Notice> {
    let corpid = state.corpid.as_str();
    let notice = |agentid: u32, label: &'static str, xml: String| {
        let callback = state.directory.app(agentid)?.callback.clone()?;
        Some(Notice { corpid: corpid.to_owned(), agentid, callback, at: now, label, xml })
    };
    let join_app = |member: &GroupMemberRecord| member.via.and_then(|id| state.join_ways.get(&id)).map(|w| w.agentid);
    let mut out = Vec::new();
    for event in events {
        match event {
            Event::CustomerAdded { external_userid, userid, relationship } => {
                let app = relationship.config_id.and_then(|id| state.contact_ways.get(&id)).map(|w| w.agentid);
                let xml = contact_added_xml(
                    corpid,
                    now,
                    userid,
                    external_userid,
                    &relationship.state,
                    &relationship.welcome_code,
                );
                out.extend(app.and_then(|agentid| notice(agentid, CONTACT_ADDED, xml)));
            }
            Event::GroupChatCreated { chat } => {
                let Some((joiner, before)) = joined_by_code(chat) else { continue };
                let Some(agentid) = join_app(joiner) else { continue };
                out.extend(notice(agentid, CHAT_CREATED, chat_created_xml(corpid, now, &chat.chat_id)));
                let xml = member_added_xml(corpid, now, &chat.chat_id, before, &joiner.userid);
                out.extend(notice(agentid, CHAT_MEMBER_ADDED, xml));
            }
            Event::GroupJoined { chat_id, member } => {
                let Some(agentid) = join_app(member) else { continue };
                let before = state.group_chats.get(chat_id).map_or(0, |c| c.members.len());
                let xml = member_added_xml(corpid, now, chat_id, before, &member.userid);
                out.extend(notice(agentid, CHAT_MEMBER_ADDED, xml));
            }
            _ => {}
        }
    }
    out
}

/// In a group created for a join: the customer who joined by code, and how many were in before.
fn joined_by_code(chat: &GroupChatRecord) -> Option<(&GroupMemberRecord, usize)> {
    chat.members.iter().enumerate().find(|(_, m)| m.via.is_some()).map(|(i, m)| (m, i))
}

/// The wait before the attempt after `attempt` (1-based), or `None` when it was the last.
pub(crate) fn retry_delay(attempt: u32) -> Option<Duration> {
    if attempt >= assumed::CALLBACK_MAX_ATTEMPTS {
        return None;
    }
    let factor = 1u64.checked_shl(attempt.saturating_sub(1)).unwrap_or(u64::MAX);
    Some(Duration::from_millis(assumed::CALLBACK_BACKOFF_MS.saturating_mul(factor)))
}

/// Sends the notices of a committed change in the background, in order, and records each
/// outcome. Returns at once.
pub(crate) fn send(corp: &Arc<Corp>, notices: Vec<Notice>) {
    if notices.is_empty() {
        return;
    }
    let corp = Arc::clone(corp);
    let settled = corp.settled();
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(async move {
                if settled.await.is_err() {
                    // The change may not survive a restart: announcing it could tell the
                    // receiver about a customer the mock then forgets.
                    tracing::warn!("callbacks not sent: the journal failed before the change was durable");
                    return;
                }
                for notice in notices {
                    let message = deliver(&notice).await;
                    record(&corp, message);
                }
            });
        }
        Err(_) => {
            for notice in notices {
                let message = outcome(&notice, None, 0, Some("no async runtime to send from".to_owned()));
                record(&corp, message);
            }
        }
    }
}

fn record(corp: &Corp, message: Message) {
    // Only a failed journal refuses this; the delivery itself has happened either way.
    if let Err(err) = corp.write(|_, _, _| Ok::<_, AdminError>(((), vec![Event::MessageRecorded { message }]))) {
        tracing::warn!(%err, "a callback delivery could not be recorded");
    }
}

fn outcome(notice: &Notice, status: Option<u16>, attempts: u32, reason: Option<String>) -> Message {
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
fn with_query(url: &str, pairs: &[(&str, &str)]) -> Result<Uri, String> {
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}").parse().map_err(|e| format!("bad callback url: {e}"))
}

/// One request with the attempt timeout: the status and up to [`MAX_ANSWER_BYTES`] of the body.
async fn exchange(method: Method, uri: &Uri, body: Bytes) -> Result<(u16, Bytes), String> {
    let mut request = Request::builder().method(method).uri(uri.clone());
    if !body.is_empty() {
        request = request.header(CONTENT_TYPE, "text/xml; charset=utf-8");
    }
    let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
    let client = http_client();
    let call = async {
        let response = client.request(request).await.map_err(|e| transport_reason(&e))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Ok((status, body))
    };
    match tokio::time::timeout(Duration::from_secs(assumed::CALLBACK_TIMEOUT_SECS), call).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", assumed::CALLBACK_TIMEOUT_SECS)),
    }
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
async fn deliver(notice: &Notice) -> Message {
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
        Err(reason) => return outcome(notice, None, 0, Some(reason)),
    };
    let body = Bytes::from(envelope(&notice.corpid, &sealed.encrypt, notice.agentid));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (status, reason) = match exchange(Method::POST, &uri, body.clone()).await {
            Ok((status, _)) if (200..300).contains(&status) => return outcome(notice, Some(status), attempt, None),
            Ok((status, _)) => (Some(status), None),
            Err(reason) => (None, Some(reason)),
        };
        tracing::debug!(url = %notice.callback.url, attempt, ?status, ?reason, "callback not accepted");
        match retry_delay(attempt) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return outcome(notice, status, attempt, reason),
        }
    }
}

/// `POST /__admin/corps/{corpid}/apps/{agentid}/verify_callback`: what the handshake found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl MockState {
    /// Performs the URL verification WeCom does when an app's callback URL is saved: a `GET`
    /// with `msg_signature`, `timestamp`, `nonce` and `echostr`, whose answer must be the
    /// decrypted `echostr`, exactly. Recorded in `/__admin/messages` like a delivery.
    pub async fn verify_callback(&self, corpid: &str, agentid: u32) -> Result<VerifyCallbackResponse, AdminError> {
        let corp = self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        let (callback, now) = corp.read(|state, now| {
            let app = state.directory.app(agentid).ok_or_else(|| {
                AdminError::new(404, "app_not_found", format!("corp `{corpid}` has no app {agentid}"))
            })?;
            let callback = app
                .callback
                .clone()
                .ok_or_else(|| AdminError::new(409, "no_callback", format!("app {agentid} has no callback URL")))?;
            Ok::<_, AdminError>((callback, now))
        })?;
        let crypto = CallbackCrypto::new(callback.token.clone(), &callback.encoding_aes_key, corpid)
            .map_err(|e| AdminError::new(409, "bad_callback_settings", e.to_string()))?;
        let expected = rand::rng().random::<u64>().to_string();
        let sealed = crypto
            .encrypt_message(&expected, &now.to_string(), &nonce())
            .map_err(|e| AdminError::new(500, "internal", e.to_string()))?;
        let query = [
            ("msg_signature", sealed.msg_signature.as_str()),
            ("timestamp", sealed.timestamp.as_str()),
            ("nonce", sealed.nonce.as_str()),
            ("echostr", sealed.encrypt.as_str()),
        ];
        let uri = with_query(&callback.url, &query).map_err(AdminError::bad_request)?;
        let (status, answer, reason) = match exchange(Method::GET, &uri, Bytes::new()).await {
            Ok((status, body)) => (Some(status), Some(String::from_utf8_lossy(&body).into_owned()), None),
            Err(reason) => (None, None, Some(reason)),
        };
        let ok = status == Some(200) && answer.as_deref() == Some(expected.as_str());
        let reason = match (&reason, ok, status) {
            (Some(_), _, _) | (None, true, _) => reason,
            (None, false, Some(200)) => Some("the answer is not the decrypted echostr".to_owned()),
            (None, false, _) => Some("the answer is not HTTP 200".to_owned()),
        };
        let notice = Notice {
            corpid: corpid.to_owned(),
            agentid,
            callback: callback.clone(),
            at: now,
            label: URL_VERIFICATION,
            xml: String::new(),
        };
        record(&corp, outcome(&notice, status, 1, reason.clone()));
        Ok(VerifyCallbackResponse { ok, url: callback.url, status, expected, answer, reason })
    }
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

    #[track_caller]
    fn check(url: &str, key: &str, ok: bool) {
        assert_eq!(check_settings(url, key).is_ok(), ok, "{url} {key}: {:?}", check_settings(url, key));
    }

    #[test]
    fn only_http_urls_and_43_character_keys_are_accepted() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        check("http://127.0.0.1:9000/cb", key, true);
        check("http://service:8080/wecom?app=1", key, true);
        check("https://example.invalid/cb", key, false);
        check("/relative", key, false);
        check("not a url", key, false);
        check("http://127.0.0.1:9000/cb", "43 chars", false);
    }

    #[test]
    fn event_xml_escapes_what_would_end_its_cdata() {
        let xml = contact_added_xml("ww1", 5, "zhangsan", "wmx", "a]]>b", "w");
        assert_eq!(wecom_callback_crypto::xml_text(&xml, "State").as_deref(), Some("a]]>b"));
        let no_state = contact_added_xml("ww1", 5, "zhangsan", "wmx", "", "w");
        assert_eq!(wecom_callback_crypto::xml_text(&no_state, "State"), None);
    }
}
