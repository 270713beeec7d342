//! Contact Me (联系我): C1–C6.

use serde::{Deserialize, Serialize, Serializer};

use super::{ContactType, Scene, config_id_request};
#[cfg(feature = "schema")]
use crate::limits::{
    MAX_CONCLUSION_LINK_DESC_BYTES, MAX_CONCLUSION_LINK_TITLE_BYTES, MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES,
    MAX_CONCLUSION_TEXT_BYTES, MAX_LIST_LIMIT, MAX_MEMBERS_PER_CONTACT_WAY, MAX_REMARK_CHARS, MAX_STATE_CHARS,
    MAX_TEMP_EXPIRES_SECS, SINGLE_STYLES,
};
use crate::patch::{Patch, PatchValue};
#[cfg(feature = "schema")]
use crate::schema::external_userid_pattern;

/// C1 `add_contact_way`: create a Contact Me config.
///
/// ```
/// use wecom_types::api::{AddContactWay, Scene};
/// let req = AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("spring-campaign");
/// assert_eq!(
///     serde_json::to_string(&req).unwrap(),
///     r#"{"type":1,"scene":2,"state":"spring-campaign","user":["zhangsan"]}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct AddContactWay {
    /// 1 = one member, 2 = several. Required.
    #[cfg_attr(feature = "schema", schemars(required))]
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub contact_type: Option<ContactType>,
    /// 1 = mini-program plug-in, 2 = QR code. Required.
    #[cfg_attr(feature = "schema", schemars(required))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
    /// Plug-in style, only for scene 1: 1–3 for type 1, 1–2 for type 2.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = *SINGLE_STYLES.end())))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<i32>,
    /// Up to 30 characters.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_REMARK_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Add without the member's confirmation; default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_verify: Option<bool>,
    /// Up to 30 characters; comes back in the add_external_contact callback.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_STATE_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Member userids: exactly one for type 1.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_MEMBERS_PER_CONTACT_WAY)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Vec<String>>,
    /// Department ids, type 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Vec<u32>>,
    /// Temp-chat mode (medical corps, type 1 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_temp: Option<bool>,
    /// Temp QR validity in seconds; default 7 days, at most 14.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_TEMP_EXPIRES_SECS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Temp chat lifetime in seconds after the add; default 24 h, at most 14 days.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_TEMP_EXPIRES_SECS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_expires_in: Option<i64>,
    /// Only this WeChat user may start the temp chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// One member per customer of an external corp (self-built apps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_exclusive: Option<bool>,
    /// Closing messages of a temp chat.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub conclusions: Option<Conclusions>,
    /// Mark customers added this way as coming from the app; default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_source: Option<bool>,
}

impl AddContactWay {
    /// A type-1 config for one member.
    pub fn single(userid: impl Into<String>, scene: Scene) -> Self {
        AddContactWay {
            contact_type: Some(ContactType::SINGLE),
            scene: Some(scene),
            user: Some(vec![userid.into()]),
            ..Default::default()
        }
    }

    /// A type-2 config for several members and departments.
    pub fn multi(
        users: impl IntoIterator<Item = impl Into<String>>,
        parties: impl IntoIterator<Item = u32>,
        scene: Scene,
    ) -> Self {
        let user: Vec<String> = users.into_iter().map(Into::into).collect();
        let party: Vec<u32> = parties.into_iter().collect();
        AddContactWay {
            contact_type: Some(ContactType::MULTI),
            scene: Some(scene),
            user: (!user.is_empty()).then_some(user),
            party: (!party.is_empty()).then_some(party),
            ..Default::default()
        }
    }

    /// A type-1, scene-2 temp-chat config with its QR and chat lifetimes.
    pub fn temp(userid: impl Into<String>, expires_in: i64, chat_expires_in: i64) -> Self {
        AddContactWay {
            is_temp: Some(true),
            expires_in: Some(expires_in),
            chat_expires_in: Some(chat_expires_in),
            ..AddContactWay::single(userid, Scene::QR_CODE)
        }
    }

    /// Sets `state`.
    pub fn with_state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Sets `remark`.
    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Sets `style`.
    pub fn with_style(mut self, style: i32) -> Self {
        self.style = Some(style);
        self
    }

    /// Sets `skip_verify`.
    pub fn with_skip_verify(mut self, skip_verify: bool) -> Self {
        self.skip_verify = Some(skip_verify);
        self
    }

    /// Sets `conclusions`.
    pub fn with_conclusions(mut self, conclusions: Conclusions) -> Self {
        self.conclusions = Some(conclusions);
        self
    }

    /// `is_temp`, with the absent default (false).
    pub fn is_temp(&self) -> bool {
        self.is_temp.unwrap_or(false)
    }
}

/// C1 answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AddContactWayResponse {
    /// The only key to the new config: store it.
    #[serde(default)]
    pub config_id: String,
    /// The QR code URL, scene 2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
}

config_id_request! {
    /// C2 `get_contact_way`.
    GetContactWay
}

/// C2 answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetContactWayResponse {
    /// The stored config.
    pub contact_way: ContactWay,
}

/// A stored Contact Me config as `get_contact_way` returns it. Every field but `config_id` is
/// optional: the service leaves out what was never set or was ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactWay {
    /// The config's id.
    #[serde(default)]
    pub config_id: String,
    /// 1 = one member, 2 = several.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub contact_type: Option<ContactType>,
    /// 1 = mini-program plug-in, 2 = QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<Scene>,
    /// Plug-in style (scene 1).
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = *SINGLE_STYLES.end())))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<i32>,
    /// Remark.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_REMARK_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// Whether adds skip the member's confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_verify: Option<bool>,
    /// Channel state.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_STATE_CHARS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// QR code URL (scene 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    /// Members.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_MEMBERS_PER_CONTACT_WAY)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Vec<String>>,
    /// Departments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Vec<u32>>,
    /// Temp-chat mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_temp: Option<bool>,
    /// Temp QR validity in seconds.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_TEMP_EXPIRES_SECS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Temp chat lifetime in seconds.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_TEMP_EXPIRES_SECS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_expires_in: Option<i64>,
    /// Only this WeChat user may start the temp chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// One member per customer of an external corp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_exclusive: Option<bool>,
    /// Closing messages (the image part comes back as `pic_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusions: Option<Conclusions>,
    /// Whether customers are marked as coming from the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_source: Option<bool>,
}

/// C3 `list_contact_way`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct ListContactWay {
    /// Window start (creation time, unix seconds, inclusive); default end − 90 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Window end (inclusive); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size; default 100, at most 1000.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_LIST_LIMIT)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Only configs that use this member (seed-only filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// Only configs with this skip_verify (seed-only filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_verify: Option<bool>,
}

impl ListContactWay {
    /// The same filter at another cursor.
    pub fn at_cursor(&self, cursor: impl Into<String>) -> Self {
        ListContactWay { cursor: Some(cursor.into()), ..self.clone() }
    }
}

/// C3 answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListContactWayResponse {
    /// The page's config ids.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_LIST_LIMIT)))]
    #[serde(default)]
    pub contact_way: Vec<ConfigIdItem>,
    /// The next page's cursor; empty on the last page.
    #[serde(default)]
    pub next_cursor: String,
}

/// One entry of a list page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConfigIdItem {
    /// A config id.
    pub config_id: String,
}

/// C4 `update_contact_way`: every field is a [`Patch`], absent unless set.
///
/// ```
/// use wecom_types::{api::UpdateContactWay, Patch};
/// let mut req = UpdateContactWay::new("42b34949e138eb6e027c123cba77fAAA");
/// req.remark = Patch::Set("new remark".into());
/// // Members are not mentioned, so they are kept.
/// assert_eq!(
///     serde_json::to_string(&req).unwrap(),
///     r#"{"config_id":"42b34949e138eb6e027c123cba77fAAA","remark":"new remark"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct UpdateContactWay {
    /// The config to change. Required.
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<String>,
    /// Remark.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_REMARK_CHARS)))]
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub remark: Patch<String>,
    /// Skip the member's confirmation.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub skip_verify: Patch<bool>,
    /// Plug-in style.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = *SINGLE_STYLES.end())))]
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub style: Patch<i32>,
    /// Channel state.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_STATE_CHARS)))]
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub state: Patch<String>,
    /// Members: a present list **replaces** the stored one.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_MEMBERS_PER_CONTACT_WAY)))]
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub user: Patch<Vec<String>>,
    /// Departments: a present list replaces the stored one.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub party: Patch<Vec<u32>>,
    /// Temp QR validity (restarts from the update).
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_TEMP_EXPIRES_SECS)))]
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub expires_in: Patch<i64>,
    /// Temp chat lifetime.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = MAX_TEMP_EXPIRES_SECS)))]
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub chat_expires_in: Patch<i64>,
    /// Only this WeChat user may start the temp chat.
    #[serde(default, skip_serializing_if = "Patch::is_keep")]
    pub unionid: Patch<String>,
    /// Closing messages.
    #[serde(default, skip_serializing_if = "Patch::is_keep", deserialize_with = "crate::wire::object_patch")]
    pub conclusions: Patch<Conclusions>,
}

impl UpdateContactWay {
    /// An update of `config_id` that changes nothing yet.
    pub fn new(config_id: impl Into<String>) -> Self {
        UpdateContactWay { config_id: Some(config_id.into()), ..Default::default() }
    }

    /// The full overwrite that makes the stored config equal to `desired`: every field the
    /// update can carry is set (or cleared when `desired` has none).
    pub fn overwrite_with(config_id: impl Into<String>, desired: &ContactWay) -> Self {
        UpdateContactWay {
            config_id: Some(config_id.into()),
            remark: desired.remark.clone().into(),
            skip_verify: desired.skip_verify.into(),
            style: desired.style.into(),
            state: desired.state.clone().into(),
            user: desired.user.clone().into(),
            party: desired.party.clone().into(),
            expires_in: desired.expires_in.into(),
            chat_expires_in: desired.chat_expires_in.into(),
            unionid: desired.unionid.clone().into(),
            conclusions: desired.conclusions.clone().into(),
        }
    }
}

config_id_request! {
    /// C5 `del_contact_way`.
    DelContactWay
}

/// C6 `close_temp_chat`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct CloseTempChat {
    /// The member. Required.
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// The customer. Required; `wm…` / `wo…`.
    #[cfg_attr(feature = "schema", schemars(required, pattern(external_userid_pattern())))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
}

impl CloseTempChat {
    /// Close the temp chat between `userid` and `external_userid`.
    pub fn new(userid: impl Into<String>, external_userid: impl Into<String>) -> Self {
        CloseTempChat { userid: Some(userid.into()), external_userid: Some(external_userid.into()) }
    }
}

/// Closing messages of a temp chat (§3.7): text plus at most one of image / link /
/// mini-program (image > link > miniprogram when several are given).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conclusions {
    /// A text message.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub text: Option<ConclusionText>,
    /// An image: `media_id` when sent, `pic_url` when read back.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub image: Option<ConclusionImage>,
    /// A link card.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub link: Option<ConclusionLink>,
    /// A mini-program card.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub miniprogram: Option<ConclusionMiniprogram>,
}

impl Conclusions {
    /// Just a text message.
    pub fn text(content: impl Into<String>) -> Self {
        Conclusions { text: Some(ConclusionText { content: Some(content.into()) }), ..Default::default() }
    }

    /// What is actually sent to the customer (§3.7): the text, plus only the first of
    /// image > link > miniprogram.
    pub fn as_sent(&self) -> Conclusions {
        let image = self.image.clone();
        let link = if image.is_none() { self.link.clone() } else { None };
        let miniprogram = if image.is_none() && link.is_none() { self.miniprogram.clone() } else { None };
        Conclusions { text: self.text.clone(), image, link, miniprogram }
    }

    /// `true` when no part is present at all (`{}` means "no conclusions").
    pub fn is_absent(&self) -> bool {
        self.text.is_none() && self.image.is_none() && self.link.is_none() && self.miniprogram.is_none()
    }
}

impl PatchValue for Conclusions {
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
    fn is_empty_value(&self) -> bool {
        self.is_absent()
    }
}

/// `conclusions.text`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConclusionText {
    /// Up to 4000 bytes.
    #[cfg_attr(
        feature = "schema",
        schemars(length(max = MAX_CONCLUSION_TEXT_BYTES), extend("x-maxBytes" = MAX_CONCLUSION_TEXT_BYTES))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// `conclusions.image`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConclusionImage {
    /// Sent: an uploaded image's media id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// Read back: a URL to the picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_url: Option<String>,
}

/// `conclusions.link`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConclusionLink {
    /// Up to 128 bytes. Required in a link.
    #[cfg_attr(
        feature = "schema",
        schemars(length(max = MAX_CONCLUSION_LINK_TITLE_BYTES), extend("x-maxBytes" = MAX_CONCLUSION_LINK_TITLE_BYTES))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Cover picture URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picurl: Option<String>,
    /// Up to 512 bytes.
    #[cfg_attr(
        feature = "schema",
        schemars(length(max = MAX_CONCLUSION_LINK_DESC_BYTES), extend("x-maxBytes" = MAX_CONCLUSION_LINK_DESC_BYTES))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// Target URL. Required in a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `conclusions.miniprogram`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConclusionMiniprogram {
    /// Up to 64 bytes. Required.
    #[cfg_attr(
        feature = "schema",
        schemars(
            length(max = MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES),
            extend("x-maxBytes" = MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES)
        )
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Cover image media id. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_media_id: Option<String>,
    /// The mini-program's appid. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// The page to open. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}
