//! The pure-input rules of `errcodes.md`: what can be decided from a request alone.
//!
//! Each request type implements [`Validate`]; the first failing rule answers, in the order of
//! `errcodes.md` (required fields, then values field by field in the order of the field tables).
//! A [`Violation`] carries the errcode the real service gives and the offending field, so the
//! client can refuse a request before sending it and the server can answer it exactly.
//!
//! Rules that need stored state (the config's type on update, the directory, quotas) are not
//! here; the server checks them. Fields that are only effective under a condition (party without
//! type 2, style without scene 1, temp-only fields without is_temp) are not validated when the
//! condition does not hold: they are ignored (see
//! [`IGNORED_FIELDS_ARE_NOT_VALIDATED`](crate::fidelity::IGNORED_FIELDS_ARE_NOT_VALIDATED)).

use std::fmt;

use crate::api::*;
use crate::errcode::ErrCode;
use crate::fidelity as assumed;
use crate::limits::*;

/// A request that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What the real service answers.
    pub code: ErrCode,
    /// The offending field, as a path into the body (`conclusions.link.title`, `user`).
    pub field: &'static str,
    /// Which rule.
    pub rule: Rule,
}

/// The rule a [`Violation`] breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A required field is absent or empty.
    Missing,
    /// An integer outside its allowed values.
    NotAllowed {
        /// What was sent.
        value: i64,
        /// What is allowed, for the message.
        allowed: &'static str,
    },
    /// A string longer than its limit.
    TooLong {
        /// The limit.
        max: usize,
        /// What was sent.
        actual: usize,
        /// "characters" or "bytes".
        unit: &'static str,
    },
    /// A list longer than its limit.
    TooMany {
        /// The limit.
        max: usize,
        /// What was sent.
        actual: usize,
    },
    /// A type-1 Contact Me with other than one user.
    NotExactlyOneUser {
        /// How many users were sent.
        actual: usize,
    },
    /// A type-2 Contact Me with neither user nor party.
    NoUserOrParty,
    /// is_temp with a type-2 config.
    TempNeedsSingle,
    /// A duration outside 0 to 14 days.
    DurationOutOfRange {
        /// What was sent.
        value: i64,
    },
    /// Conclusions whose given parts are all empty.
    EmptyConclusions,
    /// A conclusions part without a required sub-field.
    IncompletePart,
    /// A string that does not have the required shape.
    Malformed {
        /// The expected shape, for the message.
        expected: &'static str,
    },
    /// A welcome message with neither text nor attachments.
    EmptyWelcome,
    /// An attachment whose `msgtype` is missing or not one the API knows.
    UnknownMsgtype,
    /// A list window whose start is after its end.
    StartAfterEnd {
        /// start_time.
        start: i64,
        /// end_time.
        end: i64,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Missing => write!(f, "is required"),
            Rule::NotAllowed { value, allowed } => write!(f, "is {value}, allowed: {allowed}"),
            Rule::TooLong { max, actual, unit } => write!(f, "has {actual} {unit}, at most {max}"),
            Rule::TooMany { max, actual } => write!(f, "has {actual} entries, at most {max}"),
            Rule::NotExactlyOneUser { actual } => {
                write!(f, "must name exactly one member for type 1, has {actual}")
            }
            Rule::NoUserOrParty => write!(f, "type 2 needs at least one user or party"),
            Rule::TempNeedsSingle => write!(f, "temp-chat mode needs type 1"),
            Rule::DurationOutOfRange { value } => {
                write!(f, "is {value} s, allowed 0 to {MAX_TEMP_EXPIRES_SECS} s (14 days)")
            }
            Rule::EmptyConclusions => write!(f, "has only empty parts"),
            Rule::IncompletePart => write!(f, "lacks a required sub-field"),
            Rule::Malformed { expected } => write!(f, "is malformed, expected {expected}"),
            Rule::EmptyWelcome => write!(f, "and attachments are both empty"),
            Rule::UnknownMsgtype => write!(f, "is not image, link, miniprogram, video or file"),
            Rule::StartAfterEnd { start, end } => write!(f, "start_time {start} is after end_time {end}"),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}` {} (errcode {})", self.field, self.rule, self.code.0)
    }
}

impl std::error::Error for Violation {}

/// A request whose pure-input rules can be checked.
pub trait Validate {
    /// The first broken rule, in the service's order of checks.
    fn validate(&self) -> Result<(), Violation>;
}

fn violation(code: ErrCode, field: &'static str, rule: Rule) -> Result<(), Violation> {
    Err(Violation { code, field, rule })
}

/// An optional string that is absent or empty.
fn blank(value: &Option<String>) -> bool {
    value.as_deref().is_none_or(str::is_empty)
}

fn max_chars(code: ErrCode, field: &'static str, value: Option<&str>, max: usize) -> Result<(), Violation> {
    match value.map(char_len) {
        Some(actual) if actual > max => violation(code, field, Rule::TooLong { max, actual, unit: "characters" }),
        _ => Ok(()),
    }
}

fn max_bytes(field: &'static str, value: Option<&str>, max: usize) -> Result<(), Violation> {
    match value.map(str::len) {
        Some(actual) if actual > max => {
            violation(assumed::INVALID_CONCLUSIONS, field, Rule::TooLong { max, actual, unit: "bytes" })
        }
        _ => Ok(()),
    }
}

/// `expires_in` / `chat_expires_in`: 0 means "default"; otherwise 1 s to 14 days.
fn temp_duration(field: &'static str, value: Option<i64>) -> Result<(), Violation> {
    match value {
        Some(value) if !(0..=MAX_TEMP_EXPIRES_SECS).contains(&value) => {
            violation(assumed::TEMP_EXPIRES_OUT_OF_RANGE, field, Rule::DurationOutOfRange { value })
        }
        _ => Ok(()),
    }
}

/// `true` when `id` is `prefix` followed by 4 to 62 of `[A-Za-z0-9_-]`.
fn has_id_shape(id: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| {
        id.strip_prefix(prefix).is_some_and(|tail| {
            (assumed::EXTERNAL_USERID_MIN_TAIL..=assumed::EXTERNAL_USERID_MAX_TAIL).contains(&tail.len())
                && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
    })
}

/// `true` when `external_userid` has the shape of one (`wm` / `wo` + 4–62 of `[A-Za-z0-9_-]`).
pub fn is_external_userid(external_userid: &str) -> bool {
    has_id_shape(external_userid, &assumed::EXTERNAL_USERID_PREFIXES)
}

/// `true` when `chat_id` has the shape of a customer group id (`wr` + 4–62 of `[A-Za-z0-9_-]`).
pub fn is_chat_id(chat_id: &str) -> bool {
    has_id_shape(chat_id, &[assumed::CHAT_ID_PREFIX])
}

fn required_config_id(config_id: &Option<String>) -> Result<(), Violation> {
    validate_config_id(config_id.as_deref())
}

/// The check of a request that names one config (`get_contact_way`, `del_contact_way`, …) on a
/// borrowed `config_id`: what [`Validate`] checks of such a request, for a server that reads
/// the id without building the request.
pub fn validate_config_id(config_id: Option<&str>) -> Result<(), Violation> {
    if config_id.is_none_or(str::is_empty) {
        return violation(ErrCode::CONFIG_ID_MISSING, "config_id", Rule::Missing);
    }
    Ok(())
}

/// Conclusions of a temp config (§3.7). `None` and `{}` mean "no conclusions"; empty parts are
/// "not given" (SDKs send every part); a partly filled part is incomplete.
pub fn validate_conclusions(conclusions: Option<&Conclusions>) -> Result<(), Violation> {
    let Some(c) = conclusions.filter(|c| !c.is_absent()) else {
        return Ok(());
    };
    let filled = |value: &Option<String>| !blank(value);
    let mut given = 0;
    if let Some(text) = &c.text {
        max_bytes("conclusions.text.content", text.content.as_deref(), MAX_CONCLUSION_TEXT_BYTES)?;
        given += usize::from(filled(&text.content));
    }
    if let Some(image) = &c.image {
        given += usize::from(filled(&image.media_id) || filled(&image.pic_url));
    }
    if let Some(link) = &c.link {
        max_bytes("conclusions.link.title", link.title.as_deref(), MAX_CONCLUSION_LINK_TITLE_BYTES)?;
        max_bytes("conclusions.link.desc", link.desc.as_deref(), MAX_CONCLUSION_LINK_DESC_BYTES)?;
        let parts = [&link.title, &link.picurl, &link.desc, &link.url];
        if parts.iter().any(|p| filled(p)) {
            if !filled(&link.title) {
                return violation(assumed::INVALID_CONCLUSIONS, "conclusions.link.title", Rule::IncompletePart);
            }
            if !filled(&link.url) {
                return violation(assumed::INVALID_CONCLUSIONS, "conclusions.link.url", Rule::IncompletePart);
            }
            given += 1;
        }
    }
    if let Some(mp) = &c.miniprogram {
        max_bytes("conclusions.miniprogram.title", mp.title.as_deref(), MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES)?;
        let required = [
            ("conclusions.miniprogram.title", &mp.title),
            ("conclusions.miniprogram.pic_media_id", &mp.pic_media_id),
            ("conclusions.miniprogram.appid", &mp.appid),
            ("conclusions.miniprogram.page", &mp.page),
        ];
        if required.iter().any(|(_, p)| filled(p)) {
            if let Some((field, _)) = required.iter().find(|(_, p)| !filled(p)) {
                return violation(assumed::INVALID_CONCLUSIONS, field, Rule::IncompletePart);
            }
            given += 1;
        }
    }
    if given == 0 {
        return violation(assumed::INVALID_CONCLUSIONS, "conclusions", Rule::EmptyConclusions);
    }
    Ok(())
}

/// The allowed `style` values of a Contact Me type (scene 1 only).
pub fn style_range(contact_type: ContactType) -> std::ops::RangeInclusive<i32> {
    if contact_type == ContactType::SINGLE { SINGLE_STYLES } else { MULTI_STYLES }
}

/// `style`, which only matters for scene 1; 0 means "not given".
pub fn validate_style(contact_type: ContactType, scene: Scene, style: Option<i32>) -> Result<(), Violation> {
    match style {
        Some(style) if scene == Scene::MINI_PROGRAM && style != 0 && !style_range(contact_type).contains(&style) => {
            let allowed = if contact_type == ContactType::SINGLE { "1-3 for type 1" } else { "1-2 for type 2" };
            violation(
                ErrCode::INVALID_CONTACT_WAY_STYLE,
                "style",
                Rule::NotAllowed { value: i64::from(style), allowed },
            )
        }
        _ => Ok(()),
    }
}

/// The member rules of a Contact Me config that can be checked without the directory.
pub fn validate_members(contact_type: ContactType, users: &[String], parties: &[u32]) -> Result<(), Violation> {
    if contact_type == ContactType::SINGLE {
        if users.len() != 1 {
            return violation(assumed::SINGLE_NEEDS_ONE_USER, "user", Rule::NotExactlyOneUser { actual: users.len() });
        }
        return Ok(());
    }
    if users.len() > MAX_MEMBERS_PER_CONTACT_WAY {
        return violation(
            ErrCode::CONTACT_WAY_TOO_MANY_USERS,
            "user",
            Rule::TooMany { max: MAX_MEMBERS_PER_CONTACT_WAY, actual: users.len() },
        );
    }
    if users.is_empty() && parties.is_empty() {
        return violation(assumed::MULTI_NEEDS_USER_OR_PARTY, "user", Rule::NoUserOrParty);
    }
    Ok(())
}

/// The temp-only fields, checked when the config is (or becomes) a temp config.
pub fn validate_temp_fields(
    expires_in: Option<i64>,
    chat_expires_in: Option<i64>,
    conclusions: Option<&Conclusions>,
) -> Result<(), Violation> {
    temp_duration("expires_in", expires_in)?;
    temp_duration("chat_expires_in", chat_expires_in)?;
    validate_conclusions(conclusions)
}

impl Validate for AddContactWay {
    fn validate(&self) -> Result<(), Violation> {
        let Some(contact_type) = self.contact_type else {
            return violation(ErrCode::CONTACT_WAY_TYPE_MISSING, "type", Rule::Missing);
        };
        let Some(scene) = self.scene else {
            return violation(ErrCode::CONTACT_WAY_SCENE_MISSING, "scene", Rule::Missing);
        };
        if !contact_type.is_valid() {
            return violation(
                ErrCode::INVALID_CONTACT_WAY_TYPE,
                "type",
                Rule::NotAllowed { value: i64::from(contact_type.0), allowed: "1 or 2" },
            );
        }
        if !scene.is_valid() {
            return violation(
                ErrCode::INVALID_CONTACT_WAY_SCENE,
                "scene",
                Rule::NotAllowed { value: i64::from(scene.0), allowed: "1 or 2" },
            );
        }
        validate_style(contact_type, scene, self.style)?;
        max_chars(assumed::CONTACT_WAY_TEXT_TOO_LONG, "remark", self.remark.as_deref(), MAX_REMARK_CHARS)?;
        max_chars(assumed::CONTACT_WAY_TEXT_TOO_LONG, "state", self.state.as_deref(), MAX_STATE_CHARS)?;
        let users = self.user.as_deref().unwrap_or_default();
        let parties = if contact_type == ContactType::MULTI { self.party.as_deref().unwrap_or_default() } else { &[] };
        validate_members(contact_type, users, parties)?;
        if self.is_temp() {
            if contact_type != ContactType::SINGLE {
                return violation(assumed::TEMP_NEEDS_SINGLE, "is_temp", Rule::TempNeedsSingle);
            }
            validate_temp_fields(self.expires_in, self.chat_expires_in, self.conclusions.as_ref())?;
        }
        Ok(())
    }
}

impl Validate for GetContactWay {
    fn validate(&self) -> Result<(), Violation> {
        required_config_id(&self.config_id)
    }
}

impl Validate for DelContactWay {
    fn validate(&self) -> Result<(), Violation> {
        required_config_id(&self.config_id)
    }
}

impl Validate for GetJoinWay {
    fn validate(&self) -> Result<(), Violation> {
        required_config_id(&self.config_id)
    }
}

impl Validate for DelJoinWay {
    fn validate(&self) -> Result<(), Violation> {
        required_config_id(&self.config_id)
    }
}

impl Validate for ListContactWay {
    fn validate(&self) -> Result<(), Violation> {
        // 0 means "not given" for both ends; a window is only checkable here when both are set.
        if let (Some(start), Some(end)) = (self.start_time.filter(|t| *t != 0), self.end_time.filter(|t| *t != 0))
            && start > end
        {
            return violation(assumed::INVALID_LIST_PARAMETER, "start_time", Rule::StartAfterEnd { start, end });
        }
        match self.limit {
            Some(limit) if !(0..=i64::from(MAX_LIST_LIMIT)).contains(&limit) => violation(
                assumed::INVALID_LIST_PARAMETER,
                "limit",
                Rule::NotAllowed { value: limit, allowed: "0 (default 100) to 1000" },
            ),
            _ => Ok(()),
        }
    }
}

/// The update's rules that hold whatever the stored config is. The rest (style against the
/// stored type, temp-only fields of a temp config, the merged result) need the config: see
/// [`validate_update_against`].
impl Validate for UpdateContactWay {
    fn validate(&self) -> Result<(), Violation> {
        required_config_id(&self.config_id)?;
        max_chars(
            assumed::CONTACT_WAY_TEXT_TOO_LONG,
            "remark",
            self.remark.as_set().map(String::as_str),
            MAX_REMARK_CHARS,
        )?;
        max_chars(
            assumed::CONTACT_WAY_TEXT_TOO_LONG,
            "state",
            self.state.as_set().map(String::as_str),
            MAX_STATE_CHARS,
        )?;
        match self.user.as_set() {
            Some(users) if users.len() > MAX_MEMBERS_PER_CONTACT_WAY => violation(
                ErrCode::CONTACT_WAY_TOO_MANY_USERS,
                "user",
                Rule::TooMany { max: MAX_MEMBERS_PER_CONTACT_WAY, actual: users.len() },
            ),
            _ => Ok(()),
        }
    }
}

/// The update's value rules that depend on the stored config's type, scene and temp mode.
pub fn validate_update_against(
    update: &UpdateContactWay,
    contact_type: ContactType,
    scene: Scene,
    is_temp: bool,
) -> Result<(), Violation> {
    update.validate()?;
    validate_style(contact_type, scene, update.style.as_set().copied())?;
    if is_temp {
        validate_temp_fields(
            update.expires_in.as_set().copied(),
            update.chat_expires_in.as_set().copied(),
            update.conclusions.as_set(),
        )?;
    }
    Ok(())
}

impl Validate for CloseTempChat {
    fn validate(&self) -> Result<(), Violation> {
        if blank(&self.userid) {
            return violation(ErrCode::USERID_MISSING, "userid", Rule::Missing);
        }
        external_userid_rules(&self.external_userid)
    }
}

fn external_userid_rules(external_userid: &Option<String>) -> Result<(), Violation> {
    match external_userid.as_deref() {
        None | Some("") => violation(ErrCode::EXTERNAL_USERID_MISSING, "external_userid", Rule::Missing),
        Some(id) if !is_external_userid(id) => violation(
            ErrCode::INVALID_EXTERNAL_USERID,
            "external_userid",
            Rule::Malformed { expected: "wm/wo followed by 4-62 of [A-Za-z0-9_-]" },
        ),
        Some(_) => Ok(()),
    }
}

/// The fields shared by J1 and J3, borrowed.
struct JoinWayFields<'a> {
    scene: Option<Scene>,
    auto_create_room: Option<i32>,
    room_base_name: Option<&'a str>,
    room_base_id: Option<i64>,
    chat_id_list: Option<&'a [String]>,
    state: Option<&'a str>,
}

impl JoinWayFields<'_> {
    fn validate(&self) -> Result<(), Violation> {
        let code = assumed::INVALID_JOIN_WAY_PARAMETER;
        let Some(scene) = self.scene else {
            return violation(code, "scene", Rule::Missing);
        };
        let chats = match self.chat_id_list {
            Some(chats) if !chats.is_empty() => chats,
            _ => return violation(code, "chat_id_list", Rule::Missing),
        };
        if !scene.is_valid() {
            return violation(code, "scene", Rule::NotAllowed { value: i64::from(scene.0), allowed: "1 or 2" });
        }
        if let Some(auto) = self.auto_create_room.filter(|a| !AUTO_CREATE_ROOM_VALUES.contains(a)) {
            return violation(code, "auto_create_room", Rule::NotAllowed { value: i64::from(auto), allowed: "0 or 1" });
        }
        max_chars(assumed::JOIN_WAY_TEXT_TOO_LONG, "room_base_name", self.room_base_name, MAX_ROOM_BASE_NAME_CHARS)?;
        if let Some(id) = self.room_base_id.filter(|id| *id < 0) {
            return violation(code, "room_base_id", Rule::NotAllowed { value: id, allowed: "0 or more" });
        }
        if chats.len() > MAX_CHATS_PER_JOIN_WAY {
            return violation(
                ErrCode::JOIN_WAY_TOO_MANY_CHATS,
                "chat_id_list",
                Rule::TooMany { max: MAX_CHATS_PER_JOIN_WAY, actual: chats.len() },
            );
        }
        if chats.iter().any(|chat| !is_chat_id(chat)) {
            return violation(
                ErrCode::INVALID_CHAT_ID,
                "chat_id_list",
                Rule::Malformed { expected: "wr followed by 4-62 of [A-Za-z0-9_-]" },
            );
        }
        max_chars(assumed::JOIN_WAY_TEXT_TOO_LONG, "state", self.state, MAX_STATE_CHARS)
    }
}

impl Validate for AddJoinWay {
    fn validate(&self) -> Result<(), Violation> {
        JoinWayFields {
            scene: self.scene,
            auto_create_room: self.auto_create_room,
            room_base_name: self.room_base_name.as_deref(),
            room_base_id: self.room_base_id,
            chat_id_list: self.chat_id_list.as_deref(),
            state: self.state.as_deref(),
        }
        .validate()
    }
}

impl Validate for UpdateJoinWay {
    fn validate(&self) -> Result<(), Violation> {
        required_config_id(&self.config_id)?;
        JoinWayFields {
            scene: self.scene,
            auto_create_room: self.auto_create_room,
            room_base_name: self.room_base_name.as_deref(),
            room_base_id: self.room_base_id,
            chat_id_list: self.chat_id_list.as_deref(),
            state: self.state.as_deref(),
        }
        .validate()
    }
}

/// A Join Group remark as stored: truncated to 30 characters, never rejected (doc 99547).
pub fn truncate_join_way_remark(remark: &str) -> &str {
    match remark.char_indices().nth(MAX_REMARK_CHARS) {
        Some((cut, _)) => &remark[..cut],
        None => remark,
    }
}

impl Validate for GetToken {
    fn validate(&self) -> Result<(), Violation> {
        if blank(&self.corpid) {
            return violation(ErrCode::CORPID_MISSING, "corpid", Rule::Missing);
        }
        if blank(&self.corpsecret) {
            return violation(ErrCode::CORPSECRET_MISSING, "corpsecret", Rule::Missing);
        }
        Ok(())
    }
}

impl Validate for GetExternalContact {
    fn validate(&self) -> Result<(), Violation> {
        external_userid_rules(&self.external_userid)
    }
}

impl Validate for GetGroupChat {
    fn validate(&self) -> Result<(), Violation> {
        match self.chat_id.as_deref() {
            None | Some("") => violation(ErrCode::INVALID_PARAMETER, "chat_id", Rule::Missing),
            Some(id) if !is_chat_id(id) => violation(
                ErrCode::INVALID_CHAT_ID,
                "chat_id",
                Rule::Malformed { expected: "wr followed by 4-62 of [A-Za-z0-9_-]" },
            ),
            Some(_) => Ok(()),
        }
    }
}

impl Validate for GetFollowUserList {
    fn validate(&self) -> Result<(), Violation> {
        Ok(())
    }
}

impl Validate for ListExternalContact {
    fn validate(&self) -> Result<(), Violation> {
        if blank(&self.userid) {
            return violation(assumed::CUSTOMER_LIST_USERID_MISSING, "userid", Rule::Missing);
        }
        Ok(())
    }
}

/// A welcome message's byte limit: [`INVALID_WELCOME_MESSAGE`](assumed::INVALID_WELCOME_MESSAGE).
fn welcome_max_bytes(field: &'static str, value: Option<&str>, max: usize) -> Result<(), Violation> {
    match value.map(str::len) {
        Some(actual) if actual > max => {
            violation(assumed::INVALID_WELCOME_MESSAGE, field, Rule::TooLong { max, actual, unit: "bytes" })
        }
        _ => Ok(()),
    }
}

/// One attachment of a welcome message: a known msgtype, its object, its required fields and
/// byte limits.
pub fn validate_attachment(attachment: &Attachment) -> Result<(), Violation> {
    let code = assumed::INVALID_WELCOME_MESSAGE;
    let missing = |field| violation(code, field, Rule::IncompletePart);
    let Some(kind) = attachment.kind() else {
        return violation(code, "attachments.msgtype", Rule::UnknownMsgtype);
    };
    match kind {
        AttachmentKind::Image => match &attachment.image {
            None => missing("attachments.image"),
            Some(image) if blank(&image.media_id) && blank(&image.pic_url) => missing("attachments.image.media_id"),
            Some(_) => Ok(()),
        },
        AttachmentKind::Link => {
            let Some(link) = &attachment.link else { return missing("attachments.link") };
            welcome_max_bytes("attachments.link.title", link.title.as_deref(), MAX_WELCOME_LINK_TITLE_BYTES)?;
            welcome_max_bytes("attachments.link.desc", link.desc.as_deref(), MAX_WELCOME_LINK_DESC_BYTES)?;
            if blank(&link.title) {
                return missing("attachments.link.title");
            }
            if blank(&link.url) {
                return missing("attachments.link.url");
            }
            Ok(())
        }
        AttachmentKind::Miniprogram => {
            let Some(mp) = &attachment.miniprogram else { return missing("attachments.miniprogram") };
            welcome_max_bytes(
                "attachments.miniprogram.title",
                mp.title.as_deref(),
                MAX_WELCOME_MINIPROGRAM_TITLE_BYTES,
            )?;
            let required = [
                ("attachments.miniprogram.title", &mp.title),
                ("attachments.miniprogram.pic_media_id", &mp.pic_media_id),
                ("attachments.miniprogram.appid", &mp.appid),
                ("attachments.miniprogram.page", &mp.page),
            ];
            match required.iter().find(|(_, value)| blank(value)) {
                Some((field, _)) => missing(field),
                None => Ok(()),
            }
        }
        AttachmentKind::Video => match &attachment.video {
            Some(video) if !blank(&video.media_id) => Ok(()),
            Some(_) => missing("attachments.video.media_id"),
            None => missing("attachments.video"),
        },
        AttachmentKind::File => match &attachment.file {
            Some(file) if !blank(&file.media_id) => Ok(()),
            Some(_) => missing("attachments.file.media_id"),
            None => missing("attachments.file"),
        },
    }
}

/// The welcome code first (41049), then the message field by field: both parts empty, the
/// text's bytes, the number of attachments, then each attachment in order (all 40058).
impl Validate for SendWelcomeMsg {
    fn validate(&self) -> Result<(), Violation> {
        if blank(&self.welcome_code) {
            return violation(ErrCode::WELCOME_CODE_MISSING, "welcome_code", Rule::Missing);
        }
        let code = assumed::INVALID_WELCOME_MESSAGE;
        let content = self.text.as_ref().and_then(|text| text.content.as_deref());
        let attachments = self.attachments.as_deref().unwrap_or_default();
        if content.is_none_or(str::is_empty) && attachments.is_empty() {
            return violation(code, "text", Rule::EmptyWelcome);
        }
        welcome_max_bytes("text.content", content, MAX_WELCOME_TEXT_BYTES)?;
        if attachments.len() > MAX_WELCOME_ATTACHMENTS {
            return violation(
                code,
                "attachments",
                Rule::TooMany { max: MAX_WELCOME_ATTACHMENTS, actual: attachments.len() },
            );
        }
        attachments.iter().try_for_each(validate_attachment)
    }
}
