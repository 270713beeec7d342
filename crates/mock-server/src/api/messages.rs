//! What the mock "sent": `GET /__admin/messages`, closing messages of temp chats and callback
//! deliveries, oldest first.

use serde::{Deserialize, Serialize};
use wecom_types::api::{Attachment, Conclusions, WelcomeText};

use crate::core::model;

/// One entry of `GET /__admin/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MessageEntry {
    /// The corp it belongs to.
    pub corpid: String,
    /// The message.
    #[serde(flatten)]
    pub message: Message,
}

/// Something the mock sent, by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// The closing messages of a temp chat that ended.
    Conclusions(Box<ConclusionsSent>),
    /// A callback delivery (an event) or a URL verification.
    Callback(CallbackSent),
    /// One part of a welcome message (`send_welcome_msg`): its text or one attachment.
    Welcome(Box<WelcomeSent>),
}

/// One part of a welcome message: the text, or one attachment as sent. A send records the
/// text first, then each attachment in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WelcomeSent {
    /// When it was sent (virtual clock, unix seconds).
    pub at: i64,
    /// The member it was sent as.
    pub from: String,
    /// The customer (external_userid).
    pub to: String,
    /// The app that sent it.
    pub agentid: u32,
    /// The text part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<WelcomeText>,
    /// One attachment, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// The closing messages of a temp chat that ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConclusionsSent {
    /// When the chat ended (virtual clock, unix seconds).
    pub at: i64,
    /// The customer (external_userid).
    pub to: String,
    /// The member who sent them.
    pub from: String,
    /// The messages, as configured on the temp config (none when it had none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusions: Option<Conclusions>,
    /// Why the chat ended.
    pub reason: ChatEnd,
}

/// A callback delivery (an event) or a URL verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallbackSent {
    /// The instant of the event (virtual clock, unix seconds).
    pub at: i64,
    /// The callback URL.
    pub to: String,
    /// The event (`change_external_contact/add_external_contact`, …, `url_verification`).
    pub event: String,
    /// The HTTP status of the last attempt, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Attempts made.
    pub attempts: u32,
    /// Why the delivery failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a temp chat ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatEnd {
    /// `close_temp_chat` ended it.
    Closed,
    /// Its `chat_expires_in` ran out.
    Expired,
}

impl Message {
    /// When it was sent (virtual clock, unix seconds).
    pub fn at(&self) -> i64 {
        match self {
            Message::Conclusions(sent) => sent.at,
            Message::Callback(sent) => sent.at,
            Message::Welcome(sent) => sent.at,
        }
    }

    /// The welcome message part, if this is one.
    pub fn as_welcome(&self) -> Option<&WelcomeSent> {
        match self {
            Message::Welcome(sent) => Some(sent),
            _ => None,
        }
    }

    /// The callback delivery, if this is one.
    pub fn as_callback(&self) -> Option<&CallbackSent> {
        match self {
            Message::Callback(sent) => Some(sent),
            _ => None,
        }
    }

    /// The closing messages, if these are.
    pub fn as_conclusions(&self) -> Option<&ConclusionsSent> {
        match self {
            Message::Conclusions(sent) => Some(sent),
            _ => None,
        }
    }
}

impl From<&model::Message> for Message {
    fn from(message: &model::Message) -> Self {
        match message.kind {
            model::MessageKind::Conclusions => Message::Conclusions(Box::new(ConclusionsSent {
                at: message.at,
                to: message.to.clone(),
                from: message.from.clone().unwrap_or_default(),
                conclusions: message.conclusions.clone(),
                reason: if message.reason.as_deref() == Some("closed") { ChatEnd::Closed } else { ChatEnd::Expired },
            })),
            model::MessageKind::Callback => Message::Callback(CallbackSent {
                at: message.at,
                to: message.to.clone(),
                event: message.event.clone().unwrap_or_default(),
                status: message.status,
                attempts: message.attempts.unwrap_or_default(),
                reason: message.reason.clone(),
            }),
            model::MessageKind::Welcome => Message::Welcome(Box::new(WelcomeSent {
                at: message.at,
                from: message.from.clone().unwrap_or_default(),
                to: message.to.clone(),
                agentid: message.agentid.unwrap_or_default(),
                text: message.text.clone(),
                attachment: message.attachment.as_deref().cloned(),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_as_before_kind_tagged_and_flat() {
        let entry = MessageEntry {
            corpid: "ww1".into(),
            message: Message::Callback(CallbackSent {
                at: 5,
                to: "http://h/cb".into(),
                event: "url_verification".into(),
                status: Some(200),
                attempts: 1,
                reason: None,
            }),
        };
        let json: serde_json::Value = serde_json::to_value(&entry).expect("encodes");
        assert_eq!(
            json,
            serde_json::json!({"corpid":"ww1","kind":"callback","at":5,"to":"http://h/cb","event":"url_verification","status":200,"attempts":1})
        );
        assert_eq!(serde_json::from_value::<MessageEntry>(json).expect("decodes"), entry);
    }
}
