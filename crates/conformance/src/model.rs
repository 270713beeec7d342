//! The reference model: one corp's Contact Me / Join Group state, written from the spec
//! (`contact-way-api.md`, `errcodes.md`, `mock-server.md`), never from the mock's code.
//!
//! It behaves like a tiny sequential server over plain strings: requests in, errcode or payload
//! out. Everything the server invents (config ids, cursors, auto-created chat ids, tokens) is
//! handed in by the caller, so the same model both generates operation sequences (with made-up
//! ids) and checks a real server (with the ids that server returned).
//!
//! Each rule cites the spec line it comes from. Where the spec leaves a choice open, the comment
//! says which reading the model takes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use wecom_types::api::*;
use wecom_types::limits::{
    ACCESS_TOKEN_LIFETIME_SECS, DEFAULT_LIST_LIMIT, DEFAULT_LIST_WINDOW_SECS, DEFAULT_TEMP_CHAT_EXPIRES_SECS,
    DEFAULT_TEMP_QR_EXPIRES_SECS, LIST_CUTOFF_UNIX, MAX_CHATS_PER_JOIN_WAY, MAX_CONCLUSION_LINK_DESC_BYTES,
    MAX_CONCLUSION_LINK_TITLE_BYTES, MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES, MAX_CONCLUSION_TEXT_BYTES, MAX_LIST_LIMIT,
    MAX_MEMBERS_PER_CONTACT_WAY, MAX_REMARK_CHARS, MAX_ROOM_BASE_NAME_CHARS, MAX_STATE_CHARS, MAX_TEMP_EXPIRES_SECS,
    MAX_WELCOME_ATTACHMENTS, MAX_WELCOME_LINK_DESC_BYTES, MAX_WELCOME_LINK_TITLE_BYTES,
    MAX_WELCOME_MINIPROGRAM_TITLE_BYTES, MAX_WELCOME_TEXT_BYTES, WELCOME_CODE_LIFETIME_SECS, beijing_day,
};
use wecom_types::{ErrCode, Patch};

use crate::directory::Directory;

/// A model answer: the payload, or the errcode together with whether the request alone decides
/// it (a "pure" rule the client is expected to refuse before sending).
pub type Outcome<T> = Result<T, Refusal>;

/// Why the model refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The errcode.
    pub code: ErrCode,
    /// Decided by the request alone, without any stored state.
    pub pure: bool,
}

fn pure(code: ErrCode) -> Refusal {
    Refusal { code, pure: true }
}

fn stateful(code: ErrCode) -> Refusal {
    Refusal { code, pure: false }
}

const P40058: ErrCode = ErrCode::INVALID_PARAMETER;

/// An admin (control surface) refusal: HTTP status and snake_case code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRefusal {
    /// HTTP status.
    pub status: u16,
    /// The `error` code, when the spec names one.
    pub error: Option<&'static str>,
}

/// A stored Contact Me config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cw {
    /// Creation time.
    pub create_time: i64,
    /// 1 or 2.
    pub contact_type: i32,
    /// 1 or 2.
    pub scene: i32,
    /// Style (scene 1 only).
    pub style: Option<i32>,
    /// Remark ("" when none).
    pub remark: String,
    /// Skip verification.
    pub skip_verify: bool,
    /// State ("" when none).
    pub state: String,
    /// Members, deduplicated, in first-seen order.
    pub user: Vec<String>,
    /// Departments (type 2 only).
    pub party: Vec<u32>,
    /// Temp mode.
    pub is_temp: bool,
    /// Temp QR validity.
    pub expires_in: i64,
    /// Temp chat lifetime.
    pub chat_expires_in: i64,
    /// Temp unionid ("" when none).
    pub unionid: String,
    /// One member per customer.
    pub is_exclusive: bool,
    /// Temp conclusions, empty parts dropped.
    pub conclusions: Option<Conclusions>,
    /// Mark the source.
    pub mark_source: bool,
    /// The temp code was used.
    pub temp_used: bool,
    /// When the temp QR's validity started (creation, or the update that set expires_in).
    pub valid_from: i64,
    /// Round-robin position for scans.
    pub next_member: usize,
}

/// A stored Join Group config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jw {
    /// The app that created it.
    pub app: usize,
    /// 1 or 2.
    pub scene: i32,
    /// Remark, truncated to 30 characters.
    pub remark: String,
    /// 0 or 1.
    pub auto_create_room: i32,
    /// Name prefix.
    pub room_base_name: String,
    /// First serial number.
    pub room_base_id: i64,
    /// Groups in fill order.
    pub chat_id_list: Vec<String>,
    /// State.
    pub state: String,
    /// Mark the source.
    pub mark_source: bool,
    /// Rooms created so far (the `k` of `room_base_id + k`).
    pub rooms_created: i64,
}

/// A customer following a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// The state of the config used.
    pub state: String,
    /// The config used.
    pub config_id: String,
    /// A temp chat.
    pub temp: bool,
    /// When the temp chat ends.
    pub chat_expires_at: Option<i64>,
    /// What will be sent when the temp chat ends: the config's conclusions as they were when
    /// the customer added the member (a used temp config cannot be edited any more, and
    /// deleting it does not take back what the running chat will send).
    pub conclusions: Option<Conclusions>,
    /// When the member added the customer.
    pub created_at: i64,
    /// How: 1 by a QR code (scene 2), 0 otherwise (§7).
    pub add_way: i32,
    /// The add's welcome code, as the server named it.
    pub welcome_code: String,
    /// The corp's count of adds before this one (orders adds at one instant, §8).
    pub seq: u64,
}

/// A welcome code the model knows (§8): issued by an add, usable once within 20 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeCodeRec {
    /// The customer.
    pub external_userid: String,
    /// The member.
    pub userid: String,
    /// The add's instant.
    pub issued_at: i64,
    /// Delivered a welcome message.
    pub used: bool,
}

/// A group chat and who is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// Capacity, the owner included.
    pub member_limit: u32,
    /// A customer group.
    pub customer_group: bool,
    /// Members, the owner included, in join order.
    pub members: Vec<GroupMemberRec>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMemberRec {
    /// A member's userid or a customer's external_userid.
    pub userid: String,
    /// A customer who joined through a Join Group config (type 2, join_scene 3).
    pub external: bool,
    /// When a customer joined (the owner's time is the corp's creation, not modelled).
    pub join_time: i64,
    /// The state of the Join Group config used (customers only).
    pub state: Option<String>,
}

impl GroupMemberRec {
    fn owner(userid: &str) -> GroupMemberRec {
        GroupMemberRec { userid: userid.to_owned(), external: false, join_time: 0, state: None }
    }
}

/// A closing message sent when a temp chat ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// When.
    pub at: i64,
    /// The member.
    pub from: String,
    /// The customer.
    pub to: String,
    /// `closed` or `expired`.
    pub reason: &'static str,
    /// What was sent (text plus the first of image > link > miniprogram), if any.
    pub conclusions: Option<Conclusions>,
}

/// An access token of one app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    serial: u64,
    app: usize,
    issued_at: i64,
    revoked: bool,
}

/// A list position: the key of the last config a page returned.
pub type Position = (i64, String);

/// A list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Config ids in order.
    pub ids: Vec<String>,
    /// Where the next page starts, `None` on the last page.
    pub next: Option<Position>,
}

/// What a scan does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    /// The customer.
    pub external_userid: String,
    /// The member.
    pub userid: String,
    /// The relationship's state.
    pub state: String,
    /// A temp chat.
    pub temp: bool,
    /// The add's welcome code (the original one when the relationship existed).
    pub welcome_code: String,
}

/// What a join does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The group joined; for a created group, the id handed in.
    pub chat_id: String,
    /// The config's state.
    pub state: String,
    /// A group was created.
    pub created_chat: bool,
}

/// One corp's state.
#[derive(Clone)]
pub struct Model {
    /// The directory (fixed).
    pub dir: Arc<Directory>,
    /// The virtual clock.
    pub now: i64,
    /// Contact Me configs by id (deleted ones removed).
    pub contact_ways: BTreeMap<String, Cw>,
    /// Join Group configs by id.
    pub join_ways: BTreeMap<String, Jw>,
    /// Relationships by (external_userid, userid).
    pub customers: BTreeMap<(String, String), Relationship>,
    /// Group chats by id.
    pub groups: BTreeMap<String, Group>,
    /// Shared quota used.
    pub shared_used: u32,
    /// Temp configs created per Beijing day.
    pub temp_by_day: BTreeMap<i64, u32>,
    /// Closing messages, oldest first.
    pub messages: Vec<Message>,
    /// Welcome codes by code, kept after their relationship ends.
    pub welcome_codes: BTreeMap<String, WelcomeCodeRec>,
    /// Welcome messages delivered: (customer, parts), oldest first.
    pub welcomes: Vec<(String, usize)>,
    /// Adds so far.
    pub adds: u64,
    /// Cursors handed out: string → position.
    pub cursors: BTreeMap<String, Position>,
    /// Skips the permission check: the client checks a request's pure rules without knowing
    /// the app's permissions, so its refusals are computed with this set.
    pub skip_permission: bool,
    tokens: Vec<Token>,
    current_token: BTreeMap<usize, usize>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Shrunk failures print the model; its size would drown the sequence, so only the corp
        // parameters and counts are shown.
        write!(
            f,
            "Model {{ corpid: {:?}, medical: {}, quota: {}, temp_daily: {}, now: {}, contact_ways: {}, join_ways: {} }}",
            self.dir.corpid,
            self.dir.medical,
            self.dir.quota,
            self.dir.temp_daily,
            self.now,
            self.contact_ways.len(),
            self.join_ways.len()
        )
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `wm`/`wo` then 4–62 of `[A-Za-z0-9_-]` (C6, pattern A).
pub fn is_external_userid(s: &str) -> bool {
    let tail = s.strip_prefix("wm").or_else(|| s.strip_prefix("wo"));
    tail.is_some_and(is_id_tail)
}

/// `wr` then 4–62 of `[A-Za-z0-9_-]` (J1 / §7).
pub fn is_chat_id(s: &str) -> bool {
    s.strip_prefix("wr").is_some_and(is_id_tail)
}

fn is_id_tail(tail: &str) -> bool {
    (4..=62).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Deduplicates, keeping the first position (a member listed twice counts once).
fn dedup<T: Clone + Ord>(items: &[T]) -> Vec<T> {
    let mut seen = BTreeSet::new();
    items.iter().filter(|x| seen.insert((*x).clone())).cloned().collect()
}

/// Conclusions as stored: `None` for no conclusions, or the error. §3.7: `null` or `{}` is no
/// conclusions; a part whose fields are all empty is left out; a part that is given but lacks a
/// required field, or conclusions whose given parts are all empty, or a part over its byte limit
/// is 40058.
fn check_conclusions(c: &Conclusions) -> Result<Option<Conclusions>, ErrCode> {
    fn given(s: &Option<String>) -> bool {
        s.as_deref().is_some_and(|s| !s.is_empty())
    }
    fn over(s: &Option<String>, max: usize) -> bool {
        s.as_deref().is_some_and(|s| s.len() > max)
    }
    if c.text.is_none() && c.image.is_none() && c.link.is_none() && c.miniprogram.is_none() {
        return Ok(None);
    }
    let mut out = Conclusions::default();
    if let Some(text) = &c.text
        && given(&text.content)
    {
        if over(&text.content, MAX_CONCLUSION_TEXT_BYTES) {
            return Err(P40058);
        }
        out.text = Some(text.clone());
    }
    if let Some(image) = &c.image
        && (given(&image.media_id) || given(&image.pic_url))
    {
        if !given(&image.media_id) {
            return Err(P40058);
        }
        out.image = Some(image.clone());
    }
    if let Some(link) = &c.link
        && (given(&link.title) || given(&link.url) || given(&link.desc) || given(&link.picurl))
    {
        if !given(&link.title) || !given(&link.url) {
            return Err(P40058);
        }
        if over(&link.title, MAX_CONCLUSION_LINK_TITLE_BYTES) || over(&link.desc, MAX_CONCLUSION_LINK_DESC_BYTES) {
            return Err(P40058);
        }
        out.link = Some(link.clone());
    }
    if let Some(mp) = &c.miniprogram
        && (given(&mp.title) || given(&mp.pic_media_id) || given(&mp.appid) || given(&mp.page))
    {
        if !given(&mp.title) || !given(&mp.pic_media_id) || !given(&mp.appid) || !given(&mp.page) {
            return Err(P40058);
        }
        if over(&mp.title, MAX_CONCLUSION_MINIPROGRAM_TITLE_BYTES) {
            return Err(P40058);
        }
        out.miniprogram = Some(mp.clone());
    }
    if out.text.is_none() && out.image.is_none() && out.link.is_none() && out.miniprogram.is_none() {
        return Err(P40058);
    }
    Ok(Some(out))
}

/// What is sent at the end of a temp chat: the text plus the first of image > link > miniprogram.
fn as_sent(c: &Conclusions) -> Conclusions {
    let mut out = Conclusions { text: c.text.clone(), ..Default::default() };
    if c.image.is_some() {
        out.image = c.image.clone();
    } else if c.link.is_some() {
        out.link = c.link.clone();
    } else {
        out.miniprogram = c.miniprogram.clone();
    }
    out
}

/// How many messages a welcome body delivers (text, then each attachment), or `None` when
/// the body breaks a rule of §8: nothing to send, text over its bytes, too many attachments,
/// an attachment without its msgtype's object or a required field, a field over its bytes.
fn welcome_parts(req: &SendWelcomeMsg) -> Option<usize> {
    let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    let within = |v: &Option<String>, max: usize| v.as_deref().is_none_or(|s| s.len() <= max);
    let text = req.text.as_ref().map(|t| &t.content);
    let attachments = req.attachments.as_deref().unwrap_or_default();
    let has_text = text.is_some_and(filled);
    if !has_text && attachments.is_empty() {
        return None;
    }
    if !text.is_none_or(|t| within(t, MAX_WELCOME_TEXT_BYTES)) || attachments.len() > MAX_WELCOME_ATTACHMENTS {
        return None;
    }
    let ok = |a: &Attachment| match a.msgtype.as_deref() {
        Some("image") => a.image.as_ref().is_some_and(|i| filled(&i.media_id) || filled(&i.pic_url)),
        Some("link") => a.link.as_ref().is_some_and(|l| {
            filled(&l.title)
                && filled(&l.url)
                && within(&l.title, MAX_WELCOME_LINK_TITLE_BYTES)
                && within(&l.desc, MAX_WELCOME_LINK_DESC_BYTES)
        }),
        Some("miniprogram") => a.miniprogram.as_ref().is_some_and(|m| {
            [&m.title, &m.pic_media_id, &m.appid, &m.page].into_iter().all(filled)
                && within(&m.title, MAX_WELCOME_MINIPROGRAM_TITLE_BYTES)
        }),
        Some("video") => a.video.as_ref().is_some_and(|v| filled(&v.media_id)),
        Some("file") => a.file.as_ref().is_some_and(|f| filled(&f.media_id)),
        _ => false,
    };
    attachments.iter().all(ok).then_some(usize::from(has_text) + attachments.len())
}

fn temp_seconds_ok(value: i64) -> bool {
    (0..=MAX_TEMP_EXPIRES_SECS).contains(&value)
}

impl Model {
    /// A corp with nothing created yet, its clock at `now`.
    pub fn new(dir: Directory, now: i64) -> Model {
        let groups = dir
            .chats
            .iter()
            .map(|(id, chat)| {
                let members = if chat.owner.is_empty() { vec![] } else { vec![GroupMemberRec::owner(&chat.owner)] };
                let group = Group {
                    name: chat.name.clone(),
                    owner: chat.owner.clone(),
                    member_limit: chat.member_limit,
                    customer_group: chat.customer_group,
                    members,
                };
                (id.clone(), group)
            })
            .collect();
        Model {
            dir: Arc::new(dir),
            now,
            contact_ways: BTreeMap::new(),
            join_ways: BTreeMap::new(),
            customers: BTreeMap::new(),
            groups,
            shared_used: 0,
            temp_by_day: BTreeMap::new(),
            messages: Vec::new(),
            welcome_codes: BTreeMap::new(),
            welcomes: Vec::new(),
            adds: 0,
            cursors: BTreeMap::new(),
            skip_permission: false,
            tokens: Vec::new(),
            current_token: BTreeMap::new(),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Clock and tokens

    /// Moves the clock (either way) and ends the temp chats that are due (mock-server.md,
    /// Clock: "when the clock moves past the instant a temp chat expires, it ends at once").
    /// The model takes "past" as `expires_at <= now`: a chat of N seconds is over N seconds later.
    pub fn set_now(&mut self, now: i64) {
        self.now = now;
        let mut due: Vec<((String, String), i64)> = self
            .customers
            .iter()
            .filter_map(|(key, rel)| rel.chat_expires_at.filter(|&at| at <= now).map(|at| (key.clone(), at)))
            .collect();
        due.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        for (key, at) in due {
            self.end_temp_chat(&key, at, "expired");
        }
    }

    fn end_temp_chat(&mut self, key: &(String, String), at: i64, reason: &'static str) {
        if let Some(rel) = self.customers.remove(key) {
            let conclusions = rel.conclusions.as_ref().map(as_sent);
            self.messages.push(Message { at, from: key.1.clone(), to: key.0.clone(), reason, conclusions });
        }
    }

    fn token_valid(&self, index: usize) -> bool {
        let t = &self.tokens[index];
        !t.revoked && self.now < t.issued_at + ACCESS_TOKEN_LIFETIME_SECS
    }

    /// `gettoken` for `app`: the serial of the token handed out and its `expires_in`. Within its
    /// validity the same token with the seconds it has left; otherwise a new one (§2).
    pub fn gettoken(&mut self, app: usize) -> (u64, i64) {
        if let Some(&index) = self.current_token.get(&app)
            && self.token_valid(index)
        {
            let t = self.tokens[index];
            return (t.serial, t.issued_at + ACCESS_TOKEN_LIFETIME_SECS - self.now);
        }
        let serial = self.tokens.len() as u64;
        self.tokens.push(Token { serial, app, issued_at: self.now, revoked: false });
        self.current_token.insert(app, self.tokens.len() - 1);
        (serial, ACCESS_TOKEN_LIFETIME_SECS)
    }

    /// What the client does before a call it sends: reuse a valid token or fetch a new one.
    pub fn client_token(&mut self, app: usize) {
        self.gettoken(app);
    }

    /// Every token of the corp becomes invalid (40014).
    pub fn revoke_tokens(&mut self) {
        for t in &mut self.tokens {
            t.revoked = true;
        }
    }

    /// The answer to a call made with token `serial`: OK, the expired code, or 40014.
    pub fn token_check(&self, serial: u64) -> ErrCode {
        let Some(index) = self.tokens.iter().position(|t| t.serial == serial) else {
            return ErrCode::INVALID_ACCESS_TOKEN;
        };
        let t = self.tokens[index];
        if t.revoked {
            return ErrCode::INVALID_ACCESS_TOKEN;
        }
        if self.current_token.get(&t.app) == Some(&index) {
            return if self.token_valid(index) { ErrCode::OK } else { self.dir.expired_token_errcode };
        }
        // TOKEN_ROTATION: a token is replaced only once it has expired (or was revoked, above);
        // it answers "expired" from then on, whatever the clock says.
        self.dir.expired_token_errcode
    }

    /// Whether the clock was moved back before the latest token was issued.
    pub fn clock_before_latest_token(&self) -> bool {
        self.tokens.iter().any(|t| t.issued_at > self.now)
    }

    /// 48002 for an app without customer-contact permission (order of checks, step 4).
    fn permission(&self, app: usize) -> Outcome<()> {
        match self.dir.apps.get(app) {
            _ if self.skip_permission => Ok(()),
            Some(a) if a.customer_contact => Ok(()),
            _ => Err(stateful(ErrCode::API_FORBIDDEN)),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Directory checks (order of checks, step 11)

    fn check_users(&self, app: usize, users: &[String]) -> Outcome<()> {
        for u in users {
            let Some(m) = self.dir.members.get(u) else { return Err(stateful(ErrCode::USERID_NOT_FOUND)) };
            if !self.dir.member_visible(app, u) {
                return Err(stateful(ErrCode::NO_PRIVILEGE_TO_ACCESS));
            }
            if !m.activated {
                return Err(stateful(ErrCode::USER_NOT_ACTIVATED));
            }
            if !m.verified {
                return Err(stateful(ErrCode::USER_NOT_REAL_NAME_VERIFIED));
            }
            if !m.customer_contact {
                return Err(stateful(ErrCode::NOT_CUSTOMER_CONTACT_USER));
            }
        }
        Ok(())
    }

    fn check_parties(&self, app: usize, parties: &[u32]) -> Outcome<()> {
        for &p in parties {
            if !self.dir.departments.contains_key(&p) {
                return Err(stateful(ErrCode::DEPARTMENT_NOT_FOUND));
            }
            if !self.dir.department_visible(app, p) {
                return Err(stateful(ErrCode::NO_PRIVILEGE_TO_ACCESS));
            }
        }
        Ok(())
    }

    /// The members a config reaches: listed users in order, then department members sorted by
    /// userid (mock-server.md, Scan), without repeats.
    pub fn expanded(&self, user: &[String], party: &[u32]) -> Vec<String> {
        let mut out: Vec<String> = user.to_vec();
        let mut from_parties = BTreeSet::new();
        for &p in party {
            from_parties.extend(self.dir.members_of(p));
        }
        for m in from_parties {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }

    fn check_member_count(&self, user: &[String], party: &[u32]) -> Outcome<()> {
        if self.expanded(user, party).len() > MAX_MEMBERS_PER_CONTACT_WAY {
            return Err(stateful(ErrCode::CONTACT_WAY_TOO_MANY_USERS));
        }
        Ok(())
    }

    fn temp_today(&self) -> u32 {
        self.temp_by_day.get(&beijing_day(self.now)).copied().unwrap_or(0)
    }

    // ---------------------------------------------------------------------------------------
    // C1

    /// `add_contact_way`; `new_id` becomes the config's id on success.
    pub fn add_contact_way(&mut self, app: usize, req: &AddContactWay, new_id: &str) -> Outcome<bool> {
        self.permission(app)?;
        // Step 7: required fields.
        let Some(contact_type) = req.contact_type else { return Err(pure(ErrCode::CONTACT_WAY_TYPE_MISSING)) };
        let Some(scene) = req.scene else { return Err(pure(ErrCode::CONTACT_WAY_SCENE_MISSING)) };
        // Step 8: values in the order of the C1 table.
        if !matches!(contact_type.0, 1 | 2) {
            return Err(pure(ErrCode::INVALID_CONTACT_WAY_TYPE));
        }
        if !matches!(scene.0, 1 | 2) {
            return Err(pure(ErrCode::INVALID_CONTACT_WAY_SCENE));
        }
        let single = contact_type.0 == 1;
        // §1: 0 means "not given"; style is only effective for scene 1.
        let style = req.style.filter(|&s| s != 0 && scene.0 == 1);
        if let Some(s) = style {
            let max = if single { 3 } else { 2 };
            if !(1..=max).contains(&s) {
                return Err(pure(ErrCode::INVALID_CONTACT_WAY_STYLE));
            }
        }
        let remark = req.remark.clone().unwrap_or_default();
        if char_len(&remark) > MAX_REMARK_CHARS {
            return Err(pure(P40058));
        }
        let state = req.state.clone().unwrap_or_default();
        if char_len(&state) > MAX_STATE_CHARS {
            return Err(pure(P40058));
        }
        let listed = req.user.as_deref().unwrap_or_default();
        // "type 1: required, exactly one": the list itself must hold one entry (a member listed
        // twice is two entries here; duplicates are collapsed only when stored and counted).
        if single && listed.len() != 1 {
            return Err(pure(P40058));
        }
        // A list of more than 100 entries is over the limit whatever the directory says.
        if listed.len() > MAX_MEMBERS_PER_CONTACT_WAY {
            return Err(pure(ErrCode::CONTACT_WAY_TOO_MANY_USERS));
        }
        let user = dedup(listed);
        // party is only effective for type 2.
        let party = if single { vec![] } else { dedup(req.party.as_deref().unwrap_or_default()) };
        if !single && user.is_empty() && party.is_empty() {
            return Err(pure(P40058));
        }
        let is_temp = req.is_temp.unwrap_or(false);
        if is_temp && !single {
            return Err(pure(P40058));
        }
        // Temp-only fields are ignored (not validated, not stored) without is_temp.
        let (mut expires_in, mut chat_expires_in, mut unionid, mut conclusions) =
            (DEFAULT_TEMP_QR_EXPIRES_SECS, DEFAULT_TEMP_CHAT_EXPIRES_SECS, String::new(), None);
        if is_temp {
            if let Some(v) = req.expires_in.filter(|&v| v != 0) {
                if !temp_seconds_ok(v) {
                    return Err(pure(P40058));
                }
                expires_in = v;
            }
            if let Some(v) = req.chat_expires_in.filter(|&v| v != 0) {
                if !temp_seconds_ok(v) {
                    return Err(pure(P40058));
                }
                chat_expires_in = v;
            }
            unionid = req.unionid.clone().unwrap_or_default();
            if let Some(c) = &req.conclusions {
                conclusions = check_conclusions(c).map_err(pure)?;
            }
        }
        // Step 9: corp capabilities.
        if is_temp && !self.dir.medical {
            return Err(stateful(ErrCode::API_FORBIDDEN));
        }
        // Step 11: directory.
        self.check_users(app, &user)?;
        self.check_parties(app, &party)?;
        self.check_member_count(&user, &party)?;
        // Step 13: quotas. Temp configs have their own daily count (§3.8).
        if is_temp {
            if self.temp_today() >= self.dir.temp_daily {
                return Err(stateful(ErrCode::CONTACT_WAY_QUOTA_EXCEEDED));
            }
            *self.temp_by_day.entry(beijing_day(self.now)).or_default() += 1;
        } else {
            if self.shared_used >= self.dir.quota {
                return Err(stateful(ErrCode::CONTACT_WAY_QUOTA_EXCEEDED));
            }
            self.shared_used += 1;
        }
        let cw = Cw {
            create_time: self.now,
            contact_type: contact_type.0,
            scene: scene.0,
            style,
            remark,
            skip_verify: req.skip_verify.unwrap_or(true),
            state,
            user,
            party,
            is_temp,
            expires_in,
            chat_expires_in,
            unionid,
            is_exclusive: req.is_exclusive.unwrap_or(false),
            conclusions,
            mark_source: req.mark_source.unwrap_or(true),
            temp_used: false,
            valid_from: self.now,
            next_member: 0,
        };
        self.contact_ways.insert(new_id.to_owned(), cw);
        Ok(scene.0 == 2)
    }

    fn required_config_id(config_id: &Option<String>) -> Outcome<&str> {
        match config_id.as_deref() {
            None | Some("") => Err(pure(ErrCode::CONFIG_ID_MISSING)),
            Some(id) => Ok(id),
        }
    }

    // ---------------------------------------------------------------------------------------
    // C2

    /// `get_contact_way`: the config as it reads back.
    pub fn get_contact_way(&self, app: usize, req: &GetContactWay) -> Outcome<ContactWay> {
        self.permission(app)?;
        let id = Self::required_config_id(&req.config_id)?;
        let cw = self.contact_ways.get(id).ok_or(stateful(ErrCode::INVALID_CONFIG_ID))?;
        Ok(view_contact_way(id, cw))
    }

    /// Whether a temp config's code has expired.
    pub fn temp_expired(&self, cw: &Cw) -> bool {
        cw.is_temp && self.now >= cw.valid_from + cw.expires_in
    }

    // ---------------------------------------------------------------------------------------
    // C3

    /// `list_contact_way`.
    pub fn list_contact_way(&self, app: usize, req: &ListContactWay) -> Outcome<Page> {
        self.permission(app)?;
        // §1: on list, 0 / "" mean "not given".
        let end = req.end_time.filter(|&t| t != 0).unwrap_or(self.now);
        let start = req.start_time.filter(|&t| t != 0).unwrap_or(end - DEFAULT_LIST_WINDOW_SECS);
        // A given start after the (given or default) end is 40058; whether that is pure depends
        // on whether both ends were given.
        let both_given = req.start_time.is_some_and(|t| t != 0) && req.end_time.is_some_and(|t| t != 0);
        if start > end {
            return Err(if both_given { pure(P40058) } else { stateful(P40058) });
        }
        let limit = match req.limit {
            None | Some(0) => i64::from(DEFAULT_LIST_LIMIT),
            Some(l) if l < 0 || l > i64::from(MAX_LIST_LIMIT) => return Err(pure(P40058)),
            Some(l) => l,
        };
        let after = match req.cursor.as_deref() {
            None | Some("") => None,
            Some(c) => Some(self.cursors.get(c).cloned().ok_or(stateful(P40058))?),
        };
        let userid = req.userid.as_deref().filter(|u| !u.is_empty());
        let mut keys: Vec<Position> = self
            .contact_ways
            .iter()
            .filter(|(_, cw)| !cw.is_temp)
            .filter(|(_, cw)| cw.create_time >= LIST_CUTOFF_UNIX)
            .filter(|(_, cw)| (start..=end).contains(&cw.create_time))
            .filter(|(_, cw)| userid.is_none_or(|u| cw.user.iter().any(|x| x == u)))
            .filter(|(_, cw)| req.skip_verify.is_none_or(|s| cw.skip_verify == s))
            .map(|(id, cw)| (cw.create_time, id.clone()))
            .filter(|key| after.as_ref().is_none_or(|a| key > a))
            .collect();
        keys.sort();
        let more = keys.len() as i64 > limit;
        keys.truncate(limit as usize);
        let next = if more { keys.last().cloned() } else { None };
        Ok(Page { ids: keys.into_iter().map(|(_, id)| id).collect(), next })
    }

    /// Remembers a cursor the server handed out for a page the model predicted.
    pub fn bind_cursor(&mut self, cursor: &str, position: Position) {
        self.cursors.insert(cursor.to_owned(), position);
    }

    // ---------------------------------------------------------------------------------------
    // C4

    /// `update_contact_way` (C4): present fields replace, absent keep, empty clears.
    pub fn update_contact_way(&mut self, app: usize, req: &UpdateContactWay) -> Outcome<()> {
        self.permission(app)?;
        // C4: "a present null / 0 / "" / [] / {} resets that field to its default": an empty
        // value is a Clear, whichever way it was written.
        let req = &cleared(req);
        let id = Self::required_config_id(&req.config_id)?.to_owned();
        // Values that need no stored state.
        if let Patch::Set(r) = &req.remark
            && char_len(r) > MAX_REMARK_CHARS
        {
            return Err(pure(P40058));
        }
        if let Patch::Set(s) = &req.state
            && char_len(s) > MAX_STATE_CHARS
        {
            return Err(pure(P40058));
        }
        // Step 10: the config exists.
        let old = self.contact_ways.get(&id).cloned().ok_or(stateful(ErrCode::INVALID_CONFIG_ID))?;
        let mut new = old.clone();
        let single = old.contact_type == 1;
        // Values that depend on the stored type, scene and is_temp, in the C4 field order.
        match &req.remark {
            Patch::Keep => {}
            Patch::Clear => new.remark.clear(),
            Patch::Set(r) => new.remark = r.clone(),
        }
        match req.skip_verify {
            Patch::Keep => {}
            Patch::Clear => new.skip_verify = true,
            Patch::Set(b) => new.skip_verify = b,
        }
        if old.scene == 1 {
            match req.style {
                Patch::Keep => {}
                Patch::Clear | Patch::Set(0) => new.style = None,
                Patch::Set(s) => {
                    let max = if single { 3 } else { 2 };
                    if !(1..=max).contains(&s) {
                        return Err(stateful(ErrCode::INVALID_CONTACT_WAY_STYLE));
                    }
                    new.style = Some(s);
                }
            }
        }
        match &req.state {
            Patch::Keep => {}
            Patch::Clear => new.state.clear(),
            Patch::Set(s) => new.state = s.clone(),
        }
        let mut listed = new.user.len();
        match &req.user {
            Patch::Keep => {}
            Patch::Clear => {
                new.user.clear();
                listed = 0;
            }
            Patch::Set(u) => {
                new.user = dedup(u);
                listed = u.len();
            }
        }
        if !single {
            match &req.party {
                Patch::Keep => {}
                Patch::Clear => new.party.clear(),
                Patch::Set(p) => new.party = dedup(p),
            }
        }
        // The result must still be a valid config.
        if single && listed != 1 {
            return Err(stateful(P40058));
        }
        if !single && new.user.is_empty() && new.party.is_empty() {
            return Err(stateful(P40058));
        }
        if old.is_temp {
            match req.expires_in {
                Patch::Keep => {}
                Patch::Clear => {
                    new.expires_in = DEFAULT_TEMP_QR_EXPIRES_SECS;
                    new.valid_from = self.now;
                }
                Patch::Set(v) => {
                    if !temp_seconds_ok(v) {
                        return Err(stateful(P40058));
                    }
                    new.expires_in = v;
                    new.valid_from = self.now;
                }
            }
            match req.chat_expires_in {
                Patch::Keep => {}
                Patch::Clear => new.chat_expires_in = DEFAULT_TEMP_CHAT_EXPIRES_SECS,
                Patch::Set(v) => {
                    if !temp_seconds_ok(v) {
                        return Err(stateful(P40058));
                    }
                    new.chat_expires_in = v;
                }
            }
            match &req.unionid {
                Patch::Keep => {}
                Patch::Clear => new.unionid.clear(),
                Patch::Set(u) => new.unionid = u.clone(),
            }
            match &req.conclusions {
                Patch::Keep => {}
                Patch::Clear => new.conclusions = None,
                Patch::Set(c) => new.conclusions = check_conclusions(c).map_err(stateful)?,
            }
        }
        // Step 11: the directory, only for the lists present in the update
        // (UPDATE_CHECKS_ONLY_PRESENT_LISTS), then the count of the result.
        if let Patch::Set(_) = req.user {
            self.check_users(app, &new.user)?;
        }
        if let (false, Patch::Set(_)) = (single, &req.party) {
            self.check_parties(app, &new.party)?;
        }
        self.check_member_count(&new.user, &new.party)?;
        // Step 12: a temp config whose code was used or has expired cannot be edited.
        if old.is_temp && (old.temp_used || self.temp_expired(&old)) {
            return Err(stateful(P40058));
        }
        self.contact_ways.insert(id, new);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // C5

    /// `del_contact_way`: frees a shared quota unit; a temp config's daily count stays.
    pub fn del_contact_way(&mut self, app: usize, req: &DelContactWay) -> Outcome<()> {
        self.permission(app)?;
        let id = Self::required_config_id(&req.config_id)?;
        let cw = self.contact_ways.remove(id).ok_or(stateful(ErrCode::INVALID_CONFIG_ID))?;
        if !cw.is_temp {
            self.shared_used -= 1;
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // C6

    /// `close_temp_chat`.
    pub fn close_temp_chat(&mut self, app: usize, req: &CloseTempChat) -> Outcome<()> {
        self.permission(app)?;
        let userid = req.userid.as_deref().filter(|s| !s.is_empty()).ok_or(pure(ErrCode::USERID_MISSING))?;
        let ext =
            req.external_userid.as_deref().filter(|s| !s.is_empty()).ok_or(pure(ErrCode::EXTERNAL_USERID_MISSING))?;
        if !is_external_userid(ext) {
            return Err(pure(ErrCode::INVALID_EXTERNAL_USERID));
        }
        let key = (ext.to_owned(), userid.to_owned());
        match self.customers.get(&key) {
            Some(rel) if rel.temp => {
                self.end_temp_chat(&key, self.now, "closed");
                Ok(())
            }
            _ => Err(stateful(ErrCode::NOT_EXTERNAL_CONTACT)),
        }
    }

    // ---------------------------------------------------------------------------------------
    // J1–J4

    /// Checks a J1 / J3 body; returns the config it describes.
    fn check_join_way(&self, app: usize, req: &AddJoinWay) -> Outcome<Jw> {
        let Some(scene) = req.scene else { return Err(pure(P40058)) };
        let chats = req.chat_id_list.clone().unwrap_or_default();
        if chats.is_empty() {
            return Err(pure(P40058));
        }
        if !matches!(scene.0, 1 | 2) {
            return Err(pure(P40058));
        }
        // J1: a remark over 30 characters is truncated, not refused.
        let remark: String = req.remark.clone().unwrap_or_default().chars().take(MAX_REMARK_CHARS).collect();
        // The spec's "0 means not given on add" cannot apply to auto_create_room: 0 is its only
        // non-default value, so a 0 is kept as 0 (on update, the field is sent and means 0).
        let auto_create_room = req.auto_create_room.unwrap_or(1);
        if !matches!(auto_create_room, 0 | 1) {
            return Err(pure(P40058));
        }
        let room_base_name = req.room_base_name.clone().unwrap_or_default();
        if char_len(&room_base_name) > MAX_ROOM_BASE_NAME_CHARS {
            return Err(pure(P40058));
        }
        let room_base_id = req.room_base_id.unwrap_or(0);
        if room_base_id < 0 {
            return Err(pure(P40058));
        }
        if chats.len() > MAX_CHATS_PER_JOIN_WAY {
            return Err(pure(ErrCode::JOIN_WAY_TOO_MANY_CHATS));
        }
        if chats.iter().any(|c| !is_chat_id(c)) {
            return Err(pure(ErrCode::INVALID_CHAT_ID));
        }
        let state = req.state.clone().unwrap_or_default();
        if char_len(&state) > MAX_STATE_CHARS {
            return Err(pure(P40058));
        }
        Ok(Jw {
            app,
            scene: scene.0,
            remark,
            auto_create_room,
            room_base_name,
            room_base_id,
            chat_id_list: chats,
            state,
            mark_source: req.mark_source.unwrap_or(true),
            rooms_created: 0,
        })
    }

    fn check_chats(&self, chats: &[String]) -> Outcome<()> {
        for c in chats {
            match self.groups.get(c) {
                None => return Err(stateful(ErrCode::CHAT_ID_NOT_FOUND)),
                Some(g) if !g.customer_group => return Err(stateful(ErrCode::NOT_CUSTOMER_GROUP)),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// `groupchat/add_join_way`.
    pub fn add_join_way(&mut self, app: usize, req: &AddJoinWay, new_id: &str) -> Outcome<()> {
        self.permission(app)?;
        let jw = self.check_join_way(app, req)?;
        self.check_chats(&jw.chat_id_list)?;
        if self.shared_used >= self.dir.quota {
            return Err(stateful(ErrCode::CONTACT_WAY_QUOTA_EXCEEDED));
        }
        self.shared_used += 1;
        self.join_ways.insert(new_id.to_owned(), jw);
        Ok(())
    }

    fn own_join_way(&self, app: usize, id: &str) -> Outcome<&Jw> {
        match self.join_ways.get(id) {
            Some(jw) if jw.app == app => Ok(jw),
            _ => Err(stateful(ErrCode::INVALID_CONFIG_ID)),
        }
    }

    /// `groupchat/get_join_way`.
    pub fn get_join_way(&self, app: usize, req: &GetJoinWay) -> Outcome<JoinWay> {
        self.permission(app)?;
        let id = Self::required_config_id(&req.config_id)?;
        let jw = self.own_join_way(app, id)?;
        Ok(view_join_way(id, jw))
    }

    /// `groupchat/update_join_way`: the whole config is overwritten (J3).
    pub fn update_join_way(&mut self, app: usize, req: &UpdateJoinWay) -> Outcome<()> {
        self.permission(app)?;
        let id = Self::required_config_id(&req.config_id)?.to_owned();
        let body = AddJoinWay {
            scene: req.scene,
            remark: req.remark.clone(),
            auto_create_room: req.auto_create_room,
            room_base_name: req.room_base_name.clone(),
            room_base_id: req.room_base_id,
            chat_id_list: req.chat_id_list.clone(),
            state: req.state.clone(),
            mark_source: req.mark_source,
        };
        let mut jw = self.check_join_way(app, &body)?;
        let old = self.own_join_way(app, &id)?;
        jw.rooms_created = old.rooms_created;
        self.check_chats(&jw.chat_id_list)?;
        self.join_ways.insert(id, jw);
        Ok(())
    }

    /// `groupchat/del_join_way`.
    pub fn del_join_way(&mut self, app: usize, req: &DelJoinWay) -> Outcome<()> {
        self.permission(app)?;
        let id = Self::required_config_id(&req.config_id)?;
        self.own_join_way(app, id)?;
        self.join_ways.remove(id);
        self.shared_used -= 1;
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Control surface: customers

    /// The member a scan would add, or why it fails.
    pub fn scan_target(
        &self,
        config_id: &str,
        external_userid: &str,
        unionid: Option<&str>,
        userid: Option<&str>,
    ) -> Result<String, AdminRefusal> {
        let cw = self.contact_ways.get(config_id).ok_or(AdminRefusal { status: 404, error: None })?;
        if cw.is_temp {
            if cw.temp_used {
                return Err(AdminRefusal { status: 409, error: Some("temp_code_used") });
            }
            if self.temp_expired(cw) {
                return Err(AdminRefusal { status: 410, error: Some("temp_code_expired") });
            }
            if !cw.unionid.is_empty() && unionid.is_some_and(|u| u != cw.unionid) {
                return Err(AdminRefusal { status: 409, error: Some("unionid_mismatch") });
            }
        }
        let members = self.expanded(&cw.user, &cw.party);
        if let Some(u) = userid {
            return if members.iter().any(|m| m == u) {
                Ok(u.to_owned())
            } else {
                Err(AdminRefusal { status: 400, error: None })
            };
        }
        if members.is_empty() {
            return Err(AdminRefusal { status: 409, error: None });
        }
        if cw.is_exclusive
            && let Some(m) =
                members.iter().find(|m| self.customers.contains_key(&(external_userid.to_owned(), (*m).clone())))
        {
            return Ok(m.clone());
        }
        Ok(members[cw.next_member % members.len()].clone())
    }

    /// `POST /__admin/scan`: a customer adds a member through a Contact Me config;
    /// `new_code` names the welcome code an add issues (a scan that finds the relationship
    /// answers its original code).
    pub fn scan(
        &mut self,
        config_id: &str,
        external_userid: &str,
        unionid: Option<&str>,
        userid: Option<&str>,
        new_code: &str,
    ) -> Result<Scanned, AdminRefusal> {
        let member = self.scan_target(config_id, external_userid, unionid, userid)?;
        let key = (external_userid.to_owned(), member.clone());
        let Some(cw) = self.contact_ways.get_mut(config_id) else {
            return Err(AdminRefusal { status: 404, error: None });
        };
        if !cw.is_temp {
            if let Some(rel) = self.customers.get(&key) {
                // "A non-temp scan by a customer who already follows that member returns the
                // existing relationship."
                let (state, temp, welcome_code) = (rel.state.clone(), rel.temp, rel.welcome_code.clone());
                return Ok(Scanned { external_userid: key.0, userid: key.1, state, temp, welcome_code });
            }
            let rel = Relationship {
                state: cw.state.clone(),
                config_id: config_id.to_owned(),
                temp: false,
                chat_expires_at: None,
                conclusions: None,
                created_at: self.now,
                add_way: if cw.scene == 2 { 1 } else { 0 },
                welcome_code: new_code.to_owned(),
                seq: self.adds,
            };
            let state = rel.state.clone();
            // The round-robin position moves with every relationship a scan that named no member
            // creates (one that found an existing relationship added nobody; the spec is silent,
            // this is the mock's reading, taken as ours).
            cw.next_member += usize::from(userid.is_none());
            self.customers.insert(key.clone(), rel);
            self.issue_welcome_code(&key, new_code);
            let welcome_code = new_code.to_owned();
            return Ok(Scanned { external_userid: key.0, userid: key.1, state, temp: false, welcome_code });
        }
        if self.customers.contains_key(&key) {
            // The spec is silent; a temp code cannot add a relationship that already exists,
            // and the code stays unused (the mock's reading, taken as ours).
            return Err(AdminRefusal { status: 409, error: Some("already_following") });
        }
        cw.temp_used = true;
        cw.next_member += usize::from(userid.is_none());
        let rel = Relationship {
            state: cw.state.clone(),
            config_id: config_id.to_owned(),
            temp: true,
            chat_expires_at: Some(self.now + cw.chat_expires_in),
            conclusions: cw.conclusions.clone(),
            created_at: self.now,
            add_way: if cw.scene == 2 { 1 } else { 0 },
            welcome_code: new_code.to_owned(),
            seq: self.adds,
        };
        let state = rel.state.clone();
        self.customers.insert(key.clone(), rel);
        self.issue_welcome_code(&key, new_code);
        Ok(Scanned { external_userid: key.0, userid: key.1, state, temp: true, welcome_code: new_code.to_owned() })
    }

    /// `POST /__admin/join`; `new_chat_id` names a group created for this join.
    pub fn join(&mut self, config_id: &str, external_userid: &str, new_chat_id: &str) -> Result<Joined, AdminRefusal> {
        let jw = self.join_ways.get(config_id).cloned().ok_or(AdminRefusal { status: 404, error: None })?;
        let open = jw
            .chat_id_list
            .iter()
            .find(|c| self.groups.get(*c).is_some_and(|g| g.members.len() < g.member_limit as usize))
            .cloned();
        let member = GroupMemberRec {
            userid: external_userid.to_owned(),
            external: true,
            join_time: self.now,
            state: Some(jw.state.clone()),
        };
        if let Some(chat_id) = open {
            if let Some(g) = self.groups.get_mut(&chat_id) {
                g.members.push(member);
            }
            return Ok(Joined { chat_id, state: jw.state, created_chat: false });
        }
        if jw.auto_create_room != 1 {
            return Err(AdminRefusal { status: 409, error: Some("all_groups_full") });
        }
        // A new group named base name + (base id + k), owned by the first group's owner, with its
        // member limit (AUTO_ROOM_INHERITS_MEMBER_LIMIT), appended to the list; past 5 groups the
        // first full group leaves the list.
        let first = jw.chat_id_list.first().and_then(|c| self.groups.get(c)).cloned();
        let (owner, limit) = first.map(|g| (g.owner, g.member_limit)).unwrap_or_default();
        let name = format!("{}{}", jw.room_base_name, jw.room_base_id + jw.rooms_created);
        let mut members = vec![GroupMemberRec::owner(&owner)];
        members.push(member);
        self.groups
            .insert(new_chat_id.to_owned(), Group { name, owner, member_limit: limit, customer_group: true, members });
        if let Some(stored) = self.join_ways.get_mut(config_id) {
            stored.rooms_created += 1;
            stored.chat_id_list.push(new_chat_id.to_owned());
            if stored.chat_id_list.len() > MAX_CHATS_PER_JOIN_WAY {
                stored.chat_id_list.remove(0);
            }
        }
        Ok(Joined { chat_id: new_chat_id.to_owned(), state: jw.state, created_chat: true })
    }

    fn issue_welcome_code(&mut self, key: &(String, String), code: &str) {
        self.adds += 1;
        let rec =
            WelcomeCodeRec { external_userid: key.0.clone(), userid: key.1.clone(), issued_at: self.now, used: false };
        self.welcome_codes.insert(code.to_owned(), rec);
    }

    // ---------------------------------------------------------------------------------------
    // After the scan (§8)

    /// `get_follow_user_list`: members with customer contact the app sees, in fixture order.
    pub fn get_follow_user_list(&self, app: usize) -> Outcome<Vec<String>> {
        self.permission(app)?;
        Ok(self
            .dir
            .member_order
            .iter()
            .filter(|u| self.dir.members.get(*u).is_some_and(|m| m.customer_contact))
            .filter(|u| self.dir.member_visible(app, u))
            .cloned()
            .collect())
    }

    /// `externalcontact/list`: the member's customers by (add time, add order).
    pub fn list_external_contact(&self, app: usize, req: &ListExternalContact) -> Outcome<Vec<String>> {
        self.permission(app)?;
        let userid = req.userid.as_deref().filter(|s| !s.is_empty()).ok_or(pure(P40058))?;
        let member = self.dir.members.get(userid).ok_or(stateful(ErrCode::USERID_NOT_FOUND))?;
        if !self.dir.member_visible(app, userid) {
            return Err(stateful(ErrCode::NO_PRIVILEGE_TO_ACCESS));
        }
        if !member.customer_contact {
            return Err(stateful(ErrCode::NOT_CUSTOMER_CONTACT_USER));
        }
        let mut found: Vec<(i64, u64, String)> = self
            .customers
            .iter()
            .filter(|((_, u), _)| u == userid)
            .map(|((e, _), rel)| (rel.created_at, rel.seq, e.clone()))
            .collect();
        if found.is_empty() {
            return Err(stateful(ErrCode::NOT_EXTERNAL_CONTACT));
        }
        found.sort();
        Ok(found.into_iter().map(|(_, _, e)| e).collect())
    }

    /// `send_welcome_msg`: 41049, the body (40058), then 60011, 41050, 84061, 41051.
    pub fn send_welcome_msg(&mut self, app: usize, req: &SendWelcomeMsg) -> Outcome<()> {
        self.permission(app)?;
        let code = req.welcome_code.as_deref().filter(|s| !s.is_empty()).ok_or(pure(ErrCode::WELCOME_CODE_MISSING))?;
        let parts = welcome_parts(req).ok_or(pure(P40058))?;
        let rec = self.welcome_codes.get(code).ok_or(stateful(ErrCode::INVALID_WELCOME_CODE))?;
        if !self.dir.member_visible(app, &rec.userid) {
            return Err(stateful(ErrCode::NO_PRIVILEGE_TO_ACCESS));
        }
        if self.now > rec.issued_at + WELCOME_CODE_LIFETIME_SECS {
            return Err(stateful(ErrCode::INVALID_WELCOME_CODE));
        }
        let key = (rec.external_userid.clone(), rec.userid.clone());
        if self.customers.get(&key).is_none_or(|rel| rel.welcome_code != code) {
            return Err(stateful(ErrCode::NOT_EXTERNAL_CONTACT));
        }
        if rec.used {
            return Err(stateful(ErrCode::EXTERNAL_USER_STARTED_CHATTING));
        }
        let customer = rec.external_userid.clone();
        if let Some(rec) = self.welcome_codes.get_mut(code) {
            rec.used = true;
        }
        self.welcomes.push((customer, parts));
        Ok(())
    }

    /// `externalcontact/get`: the members who follow a customer, sorted by userid.
    pub fn get_external_contact(&self, app: usize, req: &GetExternalContact) -> Outcome<Vec<FollowUser>> {
        self.permission(app)?;
        let ext =
            req.external_userid.as_deref().filter(|s| !s.is_empty()).ok_or(pure(ErrCode::EXTERNAL_USERID_MISSING))?;
        if !is_external_userid(ext) {
            return Err(pure(ErrCode::INVALID_EXTERNAL_USERID));
        }
        let follows: Vec<FollowUser> = self
            .customers
            .iter()
            .filter(|((e, _), _)| e == ext)
            .map(|((_, user), rel)| FollowUser {
                userid: user.clone(),
                createtime: rel.created_at,
                add_way: rel.add_way,
                state: (!rel.state.is_empty()).then(|| rel.state.clone()),
                ..Default::default()
            })
            .collect();
        if follows.is_empty() {
            return Err(stateful(ErrCode::NOT_EXTERNAL_CONTACT));
        }
        Ok(follows)
    }

    /// `externalcontact/groupchat/get`.
    pub fn get_group_chat(&self, app: usize, req: &GetGroupChat) -> Outcome<GroupChat> {
        self.permission(app)?;
        let chat_id = req.chat_id.as_deref().unwrap_or_default();
        if !is_chat_id(chat_id) {
            return Err(pure(ErrCode::INVALID_CHAT_ID));
        }
        let group = self.groups.get(chat_id).ok_or(stateful(ErrCode::CHAT_ID_NOT_FOUND))?;
        if !group.customer_group {
            return Err(stateful(ErrCode::NOT_CUSTOMER_GROUP));
        }
        Ok(GroupChat {
            chat_id: chat_id.to_owned(),
            name: group.name.clone(),
            owner: group.owner.clone(),
            member_list: group
                .members
                .iter()
                .map(|m| GroupMember {
                    userid: m.userid.clone(),
                    member_type: if m.external { GroupMemberType::EXTERNAL } else { GroupMemberType::INTERNAL },
                    join_time: m.join_time,
                    join_scene: if m.external { JoinScene::QR_CODE } else { JoinScene::default() },
                    state: m.state.clone().filter(|s| !s.is_empty()),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
    }

    /// Temp configs created on the current Beijing day.
    pub fn temp_today_used(&self) -> u32 {
        self.temp_today()
    }
}

fn clear_empty<T>(patch: &Patch<T>, empty: impl Fn(&T) -> bool) -> Patch<T>
where
    T: Clone,
{
    match patch {
        Patch::Set(v) if empty(v) => Patch::Clear,
        other => other.clone(),
    }
}

fn cleared(req: &UpdateContactWay) -> UpdateContactWay {
    UpdateContactWay {
        config_id: req.config_id.clone(),
        remark: clear_empty(&req.remark, String::is_empty),
        skip_verify: req.skip_verify.clone(),
        style: clear_empty(&req.style, |v| *v == 0),
        state: clear_empty(&req.state, String::is_empty),
        user: clear_empty(&req.user, Vec::is_empty),
        party: clear_empty(&req.party, Vec::is_empty),
        expires_in: clear_empty(&req.expires_in, |v| *v == 0),
        chat_expires_in: clear_empty(&req.chat_expires_in, |v| *v == 0),
        unionid: clear_empty(&req.unionid, String::is_empty),
        conclusions: clear_empty(&req.conclusions, |c| {
            c.text.is_none() && c.image.is_none() && c.link.is_none() && c.miniprogram.is_none()
        }),
    }
}

/// A stored Contact Me config as `get_contact_way` returns it. Empty strings and lists are left
/// out (the comparison treats them as absent); ignored fields are never returned.
pub fn view_contact_way(id: &str, cw: &Cw) -> ContactWay {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    ContactWay {
        config_id: id.to_owned(),
        contact_type: Some(ContactType(cw.contact_type)),
        scene: Some(Scene(cw.scene)),
        style: cw.style,
        remark: non_empty(&cw.remark),
        skip_verify: Some(cw.skip_verify),
        state: non_empty(&cw.state),
        qr_code: (cw.scene == 2).then(|| QR_MARK.to_owned()),
        user: (!cw.user.is_empty()).then(|| cw.user.clone()),
        party: (!cw.party.is_empty()).then(|| cw.party.clone()),
        is_temp: Some(cw.is_temp),
        expires_in: cw.is_temp.then_some(cw.expires_in),
        chat_expires_in: cw.is_temp.then_some(cw.chat_expires_in),
        unionid: if cw.is_temp { non_empty(&cw.unionid) } else { None },
        is_exclusive: Some(cw.is_exclusive),
        conclusions: cw.conclusions.as_ref().map(|c| Conclusions {
            // C2: an image is sent with media_id but read back with pic_url only.
            image: c.image.as_ref().map(|_| ConclusionImage { media_id: None, pic_url: Some(URL_MARK.to_owned()) }),
            ..c.clone()
        }),
        mark_source: Some(cw.mark_source),
    }
}

/// A stored Join Group config as `get_join_way` returns it.
pub fn view_join_way(id: &str, jw: &Jw) -> JoinWay {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    JoinWay {
        config_id: id.to_owned(),
        scene: Some(Scene(jw.scene)),
        remark: non_empty(&jw.remark),
        auto_create_room: Some(jw.auto_create_room),
        room_base_name: non_empty(&jw.room_base_name),
        room_base_id: Some(jw.room_base_id),
        chat_id_list: Some(jw.chat_id_list.clone()),
        qr_code: (jw.scene == 2).then(|| QR_MARK.to_owned()),
        state: non_empty(&jw.state),
        mark_source: Some(jw.mark_source),
    }
}

/// Stands for "some QR code URL" in predicted answers; the server's URL is opaque.
pub const QR_MARK: &str = "<qr_code>";
/// Stands for "some picture URL".
pub const URL_MARK: &str = "<url>";
