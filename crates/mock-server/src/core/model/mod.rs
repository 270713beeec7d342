//! One corp's state and the events that change it.
//!
//! The domain (`core::domain`) checks a request against a `&CorpState` and returns the events
//! the change consists of; [`CorpState::apply`] applies them and cannot fail. A rejected request
//! therefore changes nothing, and the same events are what a journal would store.

pub(crate) mod directory;
pub(crate) mod records;
mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use wecom_types::limits::beijing_day;

pub(crate) use directory::*;
pub(crate) use records::*;
pub(crate) use table::ContactWays;

/// How many messages a corp keeps for `/__admin/messages`.
pub(crate) const MESSAGE_LOG_CAP: usize = 10_000;

/// A corp's virtual clock: wall time, or frozen at an instant. The core never reads the wall
/// clock: whoever asks the time passes the wall reading in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Clock {
    pub frozen_at: Option<i64>,
}

impl Clock {
    /// The corp's instant when the wall clock reads `wall` (unix seconds): `wall`, or the
    /// frozen instant. A call reads the wall clock once and passes it down, instead of once per
    /// lock it takes; a frozen clock is read as it is at that lock.
    pub(crate) fn now_at(&self, wall: i64) -> i64 {
        self.frozen_at.unwrap_or(wall)
    }
}

/// Why a temp chat ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EndReason {
    Closed,
    Expired,
}

/// One change of a corp's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Externally tagged: an internally tagged enum buffers its fields, and serde's buffer cannot
// hold the `u128` config ids, so the journal could not read events back.
#[serde(rename_all = "snake_case")]
pub(crate) enum Event {
    ContactWayCreated {
        record: ContactWayRecord,
    },
    ContactWayReplaced {
        record: ContactWayRecord,
    },
    ContactWayDeleted {
        id: ConfigId,
    },
    JoinWayCreated {
        record: JoinWayRecord,
    },
    JoinWayReplaced {
        record: JoinWayRecord,
    },
    JoinWayDeleted {
        id: ConfigId,
    },
    CustomerAdded {
        external_userid: String,
        userid: String,
        relationship: Relationship,
    },
    TempChatEnded {
        external_userid: String,
        userid: String,
        at: i64,
        reason: EndReason,
    },
    GroupChatCreated {
        chat: GroupChatRecord,
    },
    GroupJoined {
        chat_id: String,
        member: GroupMemberRecord,
    },
    ClockSet {
        frozen_at: Option<i64>,
    },
    MessageRecorded {
        message: Message,
    },
    /// A welcome message was delivered with this code (its parts follow as messages).
    WelcomeCodeUsed {
        code: u128,
    },
}

/// A corp made for a team through `POST /__admin/tenants`: its name and the SHA-256 of its admin
/// token (the token itself is handed out once and never stored). Credentials, not state: a
/// reset, a restore or a PUT of the corp keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tenant {
    pub name: String,
    /// Lowercase hex of the SHA-256 of the admin token.
    pub token_sha256: String,
}

/// A place in the list order: (create_time, the config id as its high and low words), which
/// sorts as (create_time, id). Two words rather than a `u128` keep a B-tree key at 24 bytes
/// instead of 32 (the `u128`'s 16-byte alignment), a tenth of a config's memory at scale.
pub(crate) type ListKey = (i64, [u64; 2]);

/// The list key of a config.
pub(crate) fn list_key(create_time: i64, id: ConfigId) -> ListKey {
    (create_time, [(id >> 64) as u64, id as u64])
}

/// The (create_time, config id) of a list key.
pub(crate) fn from_list_key((create_time, [high, low]): ListKey) -> (i64, ConfigId) {
    (create_time, (u128::from(high) << 64) | u128::from(low))
}

/// Everything one corp holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CorpState {
    pub corpid: String,
    pub directory: Directory,
    pub clock: Clock,
    pub contact_ways: ContactWays,
    /// Non-temp Contact Me configs by (create_time, id): list walks and cursors.
    pub list_index: BTreeSet<ListKey>,
    pub join_ways: HashMap<ConfigId, JoinWayRecord>,
    pub group_chats: BTreeMap<String, GroupChatRecord>,
    /// Keyed by (external_userid, userid).
    pub customers: BTreeMap<(String, String), Relationship>,
    /// Temp chats by (chat_expires_at, external_userid, userid).
    pub temp_chats: BTreeSet<(i64, String, String)>,
    /// Non-temp Contact Me plus Join Group configs: the shared quota's use.
    pub shared_used: u32,
    /// Temp configs created per Beijing day (days since the epoch in UTC+8). Every day is
    /// kept, so moving the virtual clock back to a day finds that day's count again.
    pub temp_days: BTreeMap<i64, u32>,
    pub messages: VecDeque<Message>,
    /// Set for a tenant's corp; never part of the dump.
    pub tenant: Option<Tenant>,
    /// Every welcome code issued, by code: kept after its relationship ends (84061, not 41050).
    pub welcome_codes: HashMap<u128, WelcomeCode>,
    /// How many adds the corp has seen (the next relationship's `seq`); rebuilt, not stored.
    pub adds: u64,
}

impl CorpState {
    /// A fresh corp with a directory and its initial groups.
    pub(crate) fn new(corpid: String, directory: Directory, group_chats: Vec<GroupChatRecord>, clock: Clock) -> Self {
        CorpState {
            corpid,
            directory,
            clock,
            contact_ways: ContactWays::default(),
            list_index: BTreeSet::new(),
            join_ways: HashMap::new(),
            group_chats: group_chats.into_iter().map(|g| (g.chat_id.clone(), g)).collect(),
            customers: BTreeMap::new(),
            temp_chats: BTreeSet::new(),
            shared_used: 0,
            temp_days: BTreeMap::new(),
            messages: VecDeque::new(),
            tenant: None,
            welcome_codes: HashMap::new(),
            adds: 0,
        }
    }

    /// The corp's instant for a call that read the wall clock at `wall` ([`Clock::now_at`]).
    pub(crate) fn now_at(&self, wall: i64) -> i64 {
        self.clock.now_at(wall)
    }

    /// Temp configs created on the Beijing day of `now`.
    pub(crate) fn temp_used_on(&self, now: i64) -> u32 {
        self.temp_days.get(&beijing_day(now)).copied().unwrap_or(0)
    }

    /// The earliest instant at which a temp chat ends.
    pub(crate) fn next_due(&self) -> Option<i64> {
        self.temp_chats.first().map(|(at, _, _)| *at)
    }

    /// The events that end every temp chat due at `now`.
    pub(crate) fn due_expirations(&self, now: i64) -> Vec<Event> {
        self.temp_chats
            .iter()
            .take_while(|(at, _, _)| *at <= now)
            .map(|(at, ext, user)| Event::TempChatEnded {
                external_userid: ext.clone(),
                userid: user.clone(),
                at: *at,
                reason: EndReason::Expired,
            })
            .collect()
    }

    /// Applies one event. Infallible: the domain only emits events that fit the state.
    pub(crate) fn apply(&mut self, event: Event) {
        match event {
            Event::ContactWayCreated { record } => {
                if record.is_temp() {
                    *self.temp_days.entry(beijing_day(record.create_time)).or_insert(0) += 1;
                } else {
                    self.shared_used += 1;
                    self.list_index.insert(list_key(record.create_time, record.id));
                }
                self.contact_ways.insert(record.id, record);
            }
            Event::ContactWayReplaced { record } => {
                self.contact_ways.insert(record.id, record);
            }
            Event::ContactWayDeleted { id } => {
                if let Some(record) = self.contact_ways.remove(&id)
                    && !record.is_temp()
                {
                    self.shared_used = self.shared_used.saturating_sub(1);
                    self.list_index.remove(&list_key(record.create_time, id));
                }
            }
            Event::JoinWayCreated { record } => {
                self.shared_used += 1;
                self.join_ways.insert(record.id, record);
            }
            Event::JoinWayReplaced { record } => {
                self.join_ways.insert(record.id, record);
            }
            Event::JoinWayDeleted { id } => {
                if self.join_ways.remove(&id).is_some() {
                    self.shared_used = self.shared_used.saturating_sub(1);
                }
            }
            Event::CustomerAdded { external_userid, userid, relationship } => {
                self.adds = self.adds.max(relationship.seq.saturating_add(1));
                if let Some(code) = crate::core::hex::parse_u128(&relationship.welcome_code) {
                    let issued = WelcomeCode {
                        code,
                        external_userid: external_userid.clone(),
                        userid: userid.clone(),
                        issued_at: relationship.create_time,
                        used: false,
                    };
                    self.welcome_codes.insert(code, issued);
                }
                if let Some(at) = relationship.chat_expires_at {
                    self.temp_chats.insert((at, external_userid.clone(), userid.clone()));
                }
                self.customers.insert((external_userid, userid), relationship);
            }
            Event::TempChatEnded { external_userid, userid, at, reason } => {
                let key = (external_userid, userid);
                if let Some(rel) = self.customers.remove(&key) {
                    if let Some(expires_at) = rel.chat_expires_at {
                        self.temp_chats.remove(&(expires_at, key.0.clone(), key.1.clone()));
                    }
                    self.record(Message {
                        at,
                        kind: MessageKind::Conclusions,
                        to: key.0,
                        from: Some(key.1),
                        conclusions: rel.conclusions.as_ref().map(wecom_types::api::Conclusions::as_sent),
                        reason: Some(
                            match reason {
                                EndReason::Closed => "closed",
                                EndReason::Expired => "expired",
                            }
                            .to_owned(),
                        ),
                        event: None,
                        status: None,
                        attempts: None,
                        agentid: None,
                        text: None,
                        attachment: None,
                    });
                }
            }
            Event::GroupChatCreated { chat } => {
                self.group_chats.insert(chat.chat_id.clone(), chat);
            }
            Event::GroupJoined { chat_id, member } => {
                if let Some(chat) = self.group_chats.get_mut(&chat_id) {
                    chat.members.push(member);
                }
            }
            Event::ClockSet { frozen_at } => self.clock.frozen_at = frozen_at,
            Event::MessageRecorded { message } => self.record(message),
            Event::WelcomeCodeUsed { code } => {
                if let Some(issued) = self.welcome_codes.get_mut(&code) {
                    issued.used = true;
                }
            }
        }
    }

    fn record(&mut self, message: Message) {
        if self.messages.len() >= MESSAGE_LOG_CAP {
            self.messages.pop_front();
        }
        self.messages.push_back(message);
    }
}
