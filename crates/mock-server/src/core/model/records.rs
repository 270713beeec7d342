//! What a corp stores: configs, groups, customers and the messages sent to them.

use serde::{Deserialize, Serialize};
use wecom_types::api::{Attachment, Conclusions, ContactType, GroupMemberType, JoinScene, Scene, WelcomeText};

use super::directory::MemberIdx;
use crate::core::hex;

/// A config id: 32 lowercase hex characters on the wire, a `u128` inside.
pub(crate) type ConfigId = u128;

/// A short text of a record (`remark`, `state`: at most 30 characters), kept in the record
/// itself up to 24 bytes, on the heap only beyond (measured in docs/PERFORMANCE.md: a heap
/// block per string was a third of a record's memory). Serialized as a plain string.
pub(crate) type Text = compact_str::CompactString;

/// A config's members: up to four inline, on the heap beyond. Serialized as a plain list.
pub(crate) type Members = smallvec::SmallVec<[MemberIdx; 4]>;

/// The wire form of a config id.
pub(crate) fn format_config_id(id: ConfigId) -> String {
    hex::u128_string(id)
}

/// Appends the wire form of a config id.
pub(crate) fn push_config_id(out: &mut String, id: ConfigId) {
    hex::push_u128(out, id);
}

/// Parses a wire config id; anything we did not hand out is `None` (an unknown id).
pub(crate) fn parse_config_id(text: &str) -> Option<ConfigId> {
    hex::parse_u128(text)
}

/// A Contact Me config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ContactWayRecord {
    pub id: ConfigId,
    /// The app that created it.
    pub agentid: u32,
    pub create_time: i64,
    pub contact_type: ContactType,
    pub scene: Scene,
    pub style: Option<i32>,
    pub remark: Text,
    pub skip_verify: bool,
    pub state: Text,
    pub users: Members,
    pub parties: Box<[u32]>,
    pub is_exclusive: bool,
    pub mark_source: bool,
    pub temp: Option<Box<TempSettings>>,
    /// Position of the next round-robin scan in the expanded member list.
    pub next_member: u32,
    /// The encoded `get_contact_way` answer of this version of the record, kept from its
    /// second read on. Every change stores a new record (cloned, so empty here): it is never
    /// stale.
    #[serde(skip)]
    pub view: ViewCache,
}

/// A lazily encoded answer that a clone does not copy (a clone is the start of a change).
/// Shared bytes: an answer hands out a reference, not a copy.
///
/// Kept from the second read of a config on: a config read once (an export, a list walk
/// followed by a get of each) costs no memory, one read again is likely read often. 16 bytes in
/// the record; the answer itself on the heap.
#[derive(Default)]
pub(crate) struct ViewCache {
    /// Read (and encoded) once already.
    read: std::sync::atomic::AtomicBool,
    answer: std::sync::OnceLock<Box<bytes::Bytes>>,
}

/// At most this many bytes of encoded answers are kept, over every corp of the process: a
/// corp read end to end must not double its memory (500 000 answers are about 190 MB).
/// Beyond it answers are encoded on every read, as before there was a cache.
pub(crate) const MAX_CACHED_ANSWER_BYTES: usize = 64 << 20;

/// Bytes held by every [`ViewCache`] of the process.
static CACHED_ANSWER_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl ViewCache {
    /// The encoded answer, encoding it with `encode` on the first and second reads (and every
    /// time while the process's cache is full).
    pub(crate) fn get_or_encode(&self, encode: impl FnOnce() -> Vec<u8>) -> bytes::Bytes {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(bytes) = self.answer.get() {
            return bytes::Bytes::clone(bytes);
        }
        let bytes = bytes::Bytes::from(encode());
        if !self.read.swap(true, Relaxed) {
            return bytes;
        }
        let size = bytes.len();
        let reserved = CACHED_ANSWER_BYTES
            .fetch_update(Relaxed, Relaxed, |held| held.checked_add(size).filter(|n| *n <= MAX_CACHED_ANSWER_BYTES))
            .is_ok();
        if reserved && self.answer.set(Box::new(bytes.clone())).is_err() {
            // Another reader filled it first: give the reservation back.
            CACHED_ANSWER_BYTES.fetch_sub(size, Relaxed);
        }
        bytes
    }
}

impl Drop for ViewCache {
    fn drop(&mut self) {
        if let Some(bytes) = self.answer.get() {
            CACHED_ANSWER_BYTES.fetch_sub(bytes.len(), std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Clone for ViewCache {
    fn clone(&self) -> Self {
        ViewCache::default()
    }
}

/// A cache is not part of a record's value.
impl PartialEq for ViewCache {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for ViewCache {}

impl std::fmt::Debug for ViewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.answer.get().is_some() { "ViewCache(encoded)" } else { "ViewCache(empty)" })
    }
}

/// The temp-chat part of a Contact Me config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TempSettings {
    pub expires_in: i64,
    pub chat_expires_in: i64,
    pub unionid: Text,
    pub conclusions: Option<Conclusions>,
    /// The QR code works from here for `expires_in` seconds (creation, or the update that set
    /// `expires_in`).
    pub valid_from: i64,
    /// A temp QR code works once.
    pub used: bool,
}

impl TempSettings {
    pub(crate) fn expires_at(&self) -> i64 {
        self.valid_from.saturating_add(self.expires_in)
    }

    /// `true` once the code can no longer be scanned (or edited).
    pub(crate) fn is_spent(&self, now: i64) -> bool {
        self.used || now >= self.expires_at()
    }
}

impl ContactWayRecord {
    pub(crate) fn is_temp(&self) -> bool {
        self.temp.is_some()
    }
}

/// A Join Group config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JoinWayRecord {
    pub id: ConfigId,
    pub agentid: u32,
    pub create_time: i64,
    pub scene: Scene,
    pub remark: Box<str>,
    pub auto_create_room: i32,
    pub room_base_name: Box<str>,
    pub room_base_id: i64,
    pub chats: Vec<String>,
    pub state: Box<str>,
    pub mark_source: bool,
    /// How many rooms this config has created: the next is named base + (room_base_id + this).
    pub rooms_created: i64,
}

/// A customer group and who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupChatRecord {
    pub chat_id: String,
    pub name: String,
    pub owner: String,
    pub member_limit: u32,
    pub customer_group: bool,
    pub create_time: i64,
    pub members: Vec<GroupMemberRecord>,
}

impl GroupChatRecord {
    pub(crate) fn is_full(&self) -> bool {
        self.members.len() >= self.member_limit as usize
    }
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupMemberRecord {
    pub userid: String,
    pub member_type: GroupMemberType,
    pub join_time: i64,
    pub join_scene: JoinScene,
    pub state: Option<String>,
    pub via: Option<ConfigId>,
}

/// A customer who follows a member (added through a Contact Me config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Relationship {
    pub config_id: Option<ConfigId>,
    pub state: String,
    pub temp: bool,
    pub chat_expires_at: Option<i64>,
    pub create_time: i64,
    pub add_way: i32,
    /// The add event's welcome code; `""` when the add issued none (the member's welcome
    /// message is set in the admin console).
    pub welcome_code: String,
    pub customer_name: String,
    pub unionid: Option<String>,
    /// The closing messages to send when a temp chat ends (frozen at the add: a used temp
    /// config can no longer be edited).
    pub conclusions: Option<Conclusions>,
    /// The corp's count of adds before this one: orders adds made at the same instant
    /// (`externalcontact/list`). Journals written before it read 0.
    #[serde(default)]
    pub seq: u64,
}

/// A welcome code issued by an add: usable once, within 20 s of `issued_at`, while the
/// relationship it was issued for lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WelcomeCode {
    pub code: u128,
    pub external_userid: String,
    pub userid: String,
    /// The add's instant (the event's CreateTime), on the corp's virtual clock.
    pub issued_at: i64,
    /// A welcome message was delivered with it.
    pub used: bool,
}

/// Something the mock "sent": closing messages or a callback delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Message {
    pub at: i64,
    pub kind: MessageKind,
    /// The customer (conclusions, welcome) or the callback URL.
    pub to: String,
    /// The member who sent it, for conclusions and welcome messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conclusions: Option<Conclusions>,
    /// Why a temp chat ended (`closed` or `expired`), or why a callback delivery failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A callback's event, HTTP status and attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// The app that sent a welcome message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agentid: Option<u32>,
    /// A welcome message's text part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<WelcomeText>,
    /// A welcome message's attachment, as sent (boxed: most messages have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Box<Attachment>>,
}

/// Which kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MessageKind {
    Conclusions,
    Callback,
    /// One part of a welcome message (`send_welcome_msg`).
    Welcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `true` when the cache answered without encoding again.
    fn cached(cache: &ViewCache) -> bool {
        let mut encoded_again = false;
        cache.get_or_encode(|| {
            encoded_again = true;
            Vec::new()
        });
        !encoded_again
    }

    #[test]
    fn an_answer_is_kept_from_the_second_read_and_a_clone_starts_empty() {
        let cache = ViewCache::default();
        let first = cache.get_or_encode(|| b"{}".to_vec());
        assert!(cache.answer.get().is_none(), "one read keeps nothing");
        assert_eq!(cache.get_or_encode(|| b"{}".to_vec()), first);
        assert!(cached(&cache));
        assert_eq!(cache.get_or_encode(Vec::new), first);
        assert!(!cached(&cache.clone()), "a clone is the start of a change");
    }

    #[test]
    fn the_cache_stops_at_its_byte_budget_and_frees_it_on_drop() {
        const ANSWER: usize = 1 << 20;
        let caches: Vec<ViewCache> = (0..MAX_CACHED_ANSWER_BYTES / ANSWER + 1).map(|_| ViewCache::default()).collect();
        for cache in &caches {
            cache.get_or_encode(|| vec![b' '; ANSWER]);
            cache.get_or_encode(|| vec![b' '; ANSWER]);
        }
        let kept = caches.iter().filter(|c| cached(c)).count();
        // Other tests of this process may hold a few small answers.
        assert!(kept < caches.len() && kept >= caches.len() - 2, "{kept} of {} kept", caches.len());
        drop(caches);
        let fresh = ViewCache::default();
        fresh.get_or_encode(|| vec![b' '; ANSWER]);
        fresh.get_or_encode(|| vec![b' '; ANSWER]);
        assert!(cached(&fresh), "dropped answers give their bytes back");
    }
}
