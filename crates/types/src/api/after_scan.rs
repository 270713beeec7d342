//! After the scan (spec §8): which members may be put on a code (`get_follow_user_list`), which
//! customers a member has (`externalcontact/list`), and the welcome message a callback handler
//! sends a new customer with the add event's `WelcomeCode` (`send_welcome_msg`).

use serde::{Deserialize, Serialize};

use super::{ConclusionImage, ConclusionLink, ConclusionMiniprogram};
#[cfg(feature = "schema")]
use crate::limits::*;

/// `GET externalcontact/get_follow_user_list`: no parameter besides the token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetFollowUserList {}

/// `get_follow_user_list` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GetFollowUserListResponse {
    /// The userids of the members with customer contact in the calling app's visible range.
    #[serde(default)]
    pub follow_user: Vec<String>,
}

/// `GET externalcontact/list?userid=…`. Sent as the query string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct ListExternalContact {
    /// The member whose customers are listed. Required (40058).
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
}

impl ListExternalContact {
    /// The customers of `userid`.
    pub fn new(userid: impl Into<String>) -> Self {
        ListExternalContact { userid: Some(userid.into()) }
    }
}

/// `externalcontact/list` answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ListExternalContactResponse {
    /// The member's customers, oldest add first.
    #[serde(default)]
    pub external_userid: Vec<String>,
}

/// `POST externalcontact/send_welcome_msg`.
///
/// Build one with [`SendWelcomeMsg::new`] and the `with_*` methods; [`Validate`](crate::Validate)
/// checks the limits (4000 bytes of text, 9 attachments, each attachment's fields) before it
/// is sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(transform = crate::schema::require_non_nullable))]
pub struct SendWelcomeMsg {
    /// The `WelcomeCode` of the `add_external_contact` event. Required (41049).
    #[cfg_attr(feature = "schema", schemars(required, length(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_code: Option<String>,
    /// The text part.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub text: Option<WelcomeText>,
    /// Up to 9 attachments, sent after the text in this order.
    #[cfg_attr(feature = "schema", schemars(length(max = MAX_WELCOME_ATTACHMENTS)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

impl SendWelcomeMsg {
    /// A welcome message for the add event's `welcome_code`, still empty: add a text, attachments
    /// or both.
    pub fn new(welcome_code: impl Into<String>) -> Self {
        SendWelcomeMsg { welcome_code: Some(welcome_code.into()), text: None, attachments: None }
    }

    /// A welcome message of `text` (none when `None` or empty) and `attachments`, with every
    /// limit checked now: the same [`Violation`](crate::Violation) the service would answer
    /// (40058 for a text over 4000 bytes or a tenth attachment, 41049 for an empty code).
    ///
    /// ```
    /// use wecom_types::api::{Attachment, SendWelcomeMsg};
    /// use wecom_types::ErrCode;
    ///
    /// let ok = SendWelcomeMsg::build("CODE", Some("Welcome!"), [Attachment::image("MEDIA_ID")]);
    /// assert!(ok.is_ok());
    /// let long = "x".repeat(4001);
    /// let refused = SendWelcomeMsg::build("CODE", Some(long.as_str()), []).unwrap_err();
    /// assert_eq!((refused.code, refused.field), (ErrCode::INVALID_PARAMETER, "text.content"));
    /// let ten = (0..10).map(|i| Attachment::file(format!("MEDIA_{i}")));
    /// assert_eq!(SendWelcomeMsg::build("CODE", None, ten).unwrap_err().field, "attachments");
    /// ```
    pub fn build(
        welcome_code: impl Into<String>,
        text: Option<&str>,
        attachments: impl IntoIterator<Item = Attachment>,
    ) -> Result<Self, crate::Violation> {
        let mut message = SendWelcomeMsg::new(welcome_code);
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            message = message.with_text(text);
        }
        let attachments: Vec<Attachment> = attachments.into_iter().collect();
        if !attachments.is_empty() {
            message.attachments = Some(attachments);
        }
        crate::Validate::validate(&message)?;
        Ok(message)
    }

    /// With `content` as its text.
    pub fn with_text(mut self, content: impl Into<String>) -> Self {
        self.text = Some(WelcomeText { content: Some(content.into()) });
        self
    }

    /// With `attachment` after the ones already added.
    pub fn with_attachment(mut self, attachment: Attachment) -> Self {
        self.attachments.get_or_insert_with(Vec::new).push(attachment);
        self
    }

    /// The parts a successful send delivers, in order: the text (when it has content), then
    /// each attachment as given.
    pub fn parts(&self) -> impl Iterator<Item = WelcomePart<'_>> {
        let text = self.text.as_ref().filter(|t| t.content.as_deref().is_some_and(|c| !c.is_empty()));
        text.map(WelcomePart::Text).into_iter().chain(self.attachments.iter().flatten().map(WelcomePart::Attachment))
    }
}

/// One part of a welcome message as delivered ([`SendWelcomeMsg::parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomePart<'a> {
    /// The text.
    Text(&'a WelcomeText),
    /// One attachment.
    Attachment(&'a Attachment),
}

/// `send_welcome_msg.text`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WelcomeText {
    /// Up to 4000 bytes (UTF-8).
    #[cfg_attr(
        feature = "schema",
        schemars(length(max = MAX_WELCOME_TEXT_BYTES), extend("x-maxBytes" = MAX_WELCOME_TEXT_BYTES))
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// The kinds of attachment (`msgtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AttachmentKind {
    /// `image`: `media_id` or `pic_url`.
    Image,
    /// `link`: `title` and `url`, optionally `picurl` and `desc`.
    Link,
    /// `miniprogram`: `title`, `pic_media_id`, `appid`, `page`.
    Miniprogram,
    /// `video`: `media_id`.
    Video,
    /// `file`: `media_id`.
    File,
}

impl AttachmentKind {
    /// Every kind, in the documented order.
    pub const ALL: [AttachmentKind; 5] = [
        AttachmentKind::Image,
        AttachmentKind::Link,
        AttachmentKind::Miniprogram,
        AttachmentKind::Video,
        AttachmentKind::File,
    ];

    /// Its `msgtype`, which is also the name of its object.
    pub const fn msgtype(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Link => "link",
            AttachmentKind::Miniprogram => "miniprogram",
            AttachmentKind::Video => "video",
            AttachmentKind::File => "file",
        }
    }

    /// The kind of a `msgtype`, or `None` for one the API does not know.
    pub fn from_msgtype(msgtype: &str) -> Option<AttachmentKind> {
        AttachmentKind::ALL.into_iter().find(|kind| kind.msgtype() == msgtype)
    }
}

/// One attachment: `{"msgtype": "<kind>", "<kind>": {...}}`.
///
/// On the wire the `msgtype` is a string and the object is named after it; both are kept as
/// received (an unknown msgtype or a missing object is a validation error, 40058, after the
/// welcome code's 41049), so the struct has one optional field per kind. Build one with
/// [`Attachment::image`], [`Attachment::link`], [`Attachment::miniprogram`],
/// [`Attachment::video`] or [`Attachment::file`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Attachment {
    /// `image`, `link`, `miniprogram`, `video` or `file`.
    #[cfg_attr(feature = "schema", schemars(with = "Option<AttachmentKind>"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgtype: Option<String>,
    /// For `image`: an uploaded image's `media_id`, or a `pic_url` (media_id wins when both).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub image: Option<ConclusionImage>,
    /// For `link`: `title` (128 bytes) and `url` required, `picurl` and `desc` (512 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub link: Option<ConclusionLink>,
    /// For `miniprogram`: `title` (64 bytes), `pic_media_id`, `appid` and `page`, all required.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub miniprogram: Option<ConclusionMiniprogram>,
    /// For `video`: an uploaded video's `media_id`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub video: Option<MediaAttachment>,
    /// For `file`: an uploaded file's `media_id`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::object")]
    pub file: Option<MediaAttachment>,
}

impl Attachment {
    /// An image already uploaded as `media_id`.
    pub fn image(media_id: impl Into<String>) -> Self {
        let image = ConclusionImage { media_id: Some(media_id.into()), pic_url: None };
        Attachment { msgtype: Some("image".into()), image: Some(image), ..Default::default() }
    }

    /// An image at `pic_url`.
    pub fn image_url(pic_url: impl Into<String>) -> Self {
        let image = ConclusionImage { media_id: None, pic_url: Some(pic_url.into()) };
        Attachment { msgtype: Some("image".into()), image: Some(image), ..Default::default() }
    }

    /// A link card to `url` titled `title` (add `picurl` / `desc` through [`Attachment::link`]'s
    /// field when needed).
    pub fn link(title: impl Into<String>, url: impl Into<String>) -> Self {
        let link = ConclusionLink { title: Some(title.into()), url: Some(url.into()), picurl: None, desc: None };
        Attachment { msgtype: Some("link".into()), link: Some(link), ..Default::default() }
    }

    /// A mini-program card.
    pub fn miniprogram(
        title: impl Into<String>,
        pic_media_id: impl Into<String>,
        appid: impl Into<String>,
        page: impl Into<String>,
    ) -> Self {
        let miniprogram = ConclusionMiniprogram {
            title: Some(title.into()),
            pic_media_id: Some(pic_media_id.into()),
            appid: Some(appid.into()),
            page: Some(page.into()),
        };
        Attachment { msgtype: Some("miniprogram".into()), miniprogram: Some(miniprogram), ..Default::default() }
    }

    /// A video already uploaded as `media_id`.
    pub fn video(media_id: impl Into<String>) -> Self {
        let video = MediaAttachment { media_id: Some(media_id.into()) };
        Attachment { msgtype: Some("video".into()), video: Some(video), ..Default::default() }
    }

    /// A file already uploaded as `media_id`.
    pub fn file(media_id: impl Into<String>) -> Self {
        let file = MediaAttachment { media_id: Some(media_id.into()) };
        Attachment { msgtype: Some("file".into()), file: Some(file), ..Default::default() }
    }

    /// Its kind, when its `msgtype` is one the API knows.
    pub fn kind(&self) -> Option<AttachmentKind> {
        self.msgtype.as_deref().and_then(AttachmentKind::from_msgtype)
    }
}

/// `attachments[].video` and `attachments[].file`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MediaAttachment {
    /// An uploaded media id. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
}
