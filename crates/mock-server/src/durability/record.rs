//! What the journal and the snapshots hold, inside checksummed frames.
//!
//! Written in the binary layout of data format 3 (`layout.rs`: a one-member add takes 68 bytes
//! where its JSON took 370, and encodes and reads back several times faster; figures in
//! `docs/PERFORMANCE.md`). Formats 1 and 2 wrote JSON, which is still read ([`decode_record`]
//! tells the two apart by the first byte), so the serde derives stay. A corp's state has maps
//! keyed by tuples, so it travels as a [`CorpImage`] of plain lists.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::binary::DecodeError;
use super::layout;

use crate::core::model::{
    Clock, ConfigId, ContactWayRecord, CorpState, Directory, Event, GroupChatRecord, JoinWayRecord, Message,
    Relationship, Tenant, WelcomeCode, from_list_key, list_key,
};

/// One journal record. `seq` is global and increasing; per corp it follows the order of the
/// corp's lock, which is the order the changes were made in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Record {
    /// The events of one write to one corp, applied together or not at all.
    Events { corpid: String, seq: u64, events: Vec<Event> },
    /// Corps created, replaced or removed in one step (PUT, DELETE, reset, tenants, first start).
    Corps {
        seq: u64,
        /// Every corp there was is removed first (a full reset).
        clear: bool,
        removed: Vec<String>,
        put: Vec<CorpImage>,
    },
    /// Every token of `corpid` issued at or before `before` (wall time, µs) is revoked for
    /// good: kept per corpid, so it outlives the corp (reset, PUT, DELETE, restore).
    TokensRevoked { seq: u64, corpid: String, before: i64 },
    /// A corp's named checkpoint, saved (replacing one of that name); it goes when the corp
    /// goes (a later `Corps` record that removes it).
    Checkpoint { seq: u64, corpid: String, name: String, image: Box<CorpImage> },
}

/// Reads a journal record: the binary layout, or the JSON of formats 1 and 2.
pub(crate) fn decode_record(payload: &[u8]) -> Result<Record, DecodeError> {
    if layout::is_binary(payload) { layout::get_record(payload) } else { Ok(serde_json::from_slice(payload)?) }
}

/// Reads a snapshot record: the binary layout, or the JSON of formats 1 and 2.
pub(crate) fn decode_snapshot_record(payload: &[u8]) -> Result<SnapshotRecord, DecodeError> {
    if layout::is_binary(payload) { layout::get_snapshot_record(payload) } else { Ok(serde_json::from_slice(payload)?) }
}

/// A snapshot's records: a header, then one record per corp. Written with a borrowed image,
/// read into a boxed one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SnapshotRecord<I = Box<CorpImage>> {
    /// The snapshot holds everything of the journal segments up to `covers`.
    Meta { covers: u64, next_seq: u64, corps: u64 },
    /// One corp and the seq of the last record it reflects.
    Corp { seq: u64, image: I },
    /// A revocation of a corpid's tokens ([`Record::TokensRevoked`]).
    Revoked { corpid: String, before: i64 },
    /// A corp's named checkpoint ([`Record::Checkpoint`]).
    Checkpoint { corpid: String, name: String, image: I },
}

/// A corp's whole state in a shape JSON can carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CorpImage {
    pub corpid: String,
    pub directory: Directory,
    pub clock: Clock,
    pub contact_ways: Vec<ContactWayRecord>,
    pub list_index: Vec<(i64, ConfigId)>,
    pub join_ways: Vec<JoinWayRecord>,
    pub group_chats: Vec<GroupChatRecord>,
    pub customers: Vec<(String, String, Relationship)>,
    pub temp_chats: Vec<(i64, String, String)>,
    pub shared_used: u32,
    /// Temp configs created per Beijing day.
    #[serde(default)]
    pub temp_days: Vec<(i64, u32)>,
    /// Older snapshots kept only the current day's count; read, never written.
    #[serde(default, skip_serializing)]
    pub temp_day: Option<i64>,
    #[serde(default, skip_serializing)]
    pub temp_day_count: Option<u32>,
    pub messages: VecDeque<Message>,
    /// A tenant's name and token digest (absent for other corps, and in data dirs written
    /// before tenants had tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Tenant>,
    /// Every welcome code issued, sorted by code (absent in data dirs written before them).
    #[serde(default)]
    pub welcome_codes: Vec<WelcomeCode>,
}

impl CorpImage {
    /// The image of a state (maps become lists sorted by key, so equal states give equal bytes).
    pub(crate) fn of(state: &CorpState) -> CorpImage {
        let mut contact_ways: Vec<ContactWayRecord> = state.contact_ways.values().cloned().collect();
        contact_ways.sort_by_key(|r| r.id);
        let mut join_ways: Vec<JoinWayRecord> = state.join_ways.values().cloned().collect();
        join_ways.sort_by_key(|r| r.id);
        CorpImage {
            corpid: state.corpid.clone(),
            directory: state.directory.clone(),
            clock: state.clock,
            contact_ways,
            list_index: state.list_index.iter().copied().map(from_list_key).collect(),
            join_ways,
            group_chats: state.group_chats.values().cloned().collect(),
            customers: state.customers.iter().map(|((e, u), r)| (e.clone(), u.clone(), r.clone())).collect(),
            temp_chats: state.temp_chats.iter().cloned().collect(),
            shared_used: state.shared_used,
            temp_days: state.temp_days.iter().map(|(day, count)| (*day, *count)).collect(),
            temp_day: None,
            temp_day_count: None,
            messages: state.messages.clone(),
            tenant: state.tenant.clone(),
            welcome_codes: {
                let mut codes: Vec<WelcomeCode> = state.welcome_codes.values().cloned().collect();
                codes.sort_by_key(|c| c.code);
                codes
            },
        }
    }

    /// The state again, its member index rebuilt (it is not stored).
    pub(crate) fn into_state(self) -> CorpState {
        let mut directory = self.directory;
        directory.reindex();
        let mut state = CorpState::new(self.corpid, directory, self.group_chats, self.clock);
        state.contact_ways = self.contact_ways.into_iter().map(|r| (r.id, r)).collect();
        state.list_index = self.list_index.into_iter().map(|(time, id)| list_key(time, id)).collect();
        state.join_ways = self.join_ways.into_iter().map(|r| (r.id, r)).collect();
        state.customers = self.customers.into_iter().map(|(e, u, r)| ((e, u), r)).collect();
        state.temp_chats = self.temp_chats.into_iter().collect();
        state.shared_used = self.shared_used;
        state.temp_days = self.temp_days.into_iter().collect();
        if let (Some(day), Some(count)) = (self.temp_day, self.temp_day_count) {
            state.temp_days.entry(day).or_insert(count);
        }
        state.messages = self.messages;
        state.tenant = self.tenant;
        state.adds = state.customers.values().map(|r| r.seq.saturating_add(1)).max().unwrap_or(0);
        state.welcome_codes = self.welcome_codes.into_iter().map(|c| (c.code, c)).collect();
        state
    }
}
