//! What a customer does, simulated: scanning a Contact Me code and joining through a Join Group
//! code. Pure like the API rules: they return the events of the change. The request and answer
//! shapes are the control surface's (`POST /__admin/scan`, `POST /__admin/join`); the errors
//! are [`SimulateError`], which the control surface maps to its HTTP statuses.

use rand::Rng;
use serde::{Deserialize, Serialize};
use wecom_types::api::{GroupMemberType, JoinScene, Scene};
use wecom_types::fidelity as assumed;
use wecom_types::validate::is_external_userid;

use super::customer::customer_name;
use crate::core::hex;
use crate::core::model::*;

/// `POST /__admin/scan`: a customer adds a member through a Contact Me config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The corp (with a tenant's token, its own when left out).
    #[serde(default)]
    pub corpid: String,
    /// The Contact Me config scanned.
    pub config_id: String,
    /// The customer; default `wm` + 30 random characters.
    #[schemars(pattern(wecom_types::schema::external_userid_pattern()))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
    /// The customer's WeChat unionid (checked against a temp config's unionid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// The member to add; default: round-robin over the config's members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
}

/// The relationship a scan created (or found).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScanResponse {
    /// The customer.
    pub external_userid: String,
    /// The member they now follow.
    pub userid: String,
    /// The config's `state`.
    pub state: String,
    /// A temp chat.
    pub temp: bool,
    /// The welcome code of the add event (for `send_welcome_msg`, within 20 s of the add); `""`
    /// when the add issued none (the member's welcome message is set in the admin console).
    pub welcome_code: String,
}

/// `POST /__admin/join`: a customer joins a group through a Join Group config.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The corp (with a tenant's token, its own when left out).
    #[serde(default)]
    pub corpid: String,
    /// The Join Group config used.
    pub config_id: String,
    /// The customer; default `wm` + 30 random characters.
    #[schemars(pattern(wecom_types::schema::external_userid_pattern()))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_userid: Option<String>,
}

/// Where a join landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct JoinResponse {
    /// The customer.
    pub external_userid: String,
    /// The group joined.
    pub chat_id: String,
    /// The config's `state`.
    pub state: String,
    /// The group was created for this join (auto_create_room).
    pub created_chat: bool,
}

/// Why a simulated customer could not scan or join.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SimulateError {
    #[error("`{0}` is not an external_userid (wm/wo + 4-62 of [A-Za-z0-9_-])")]
    InvalidExternalUserid(String),
    #[error("no Contact Me config `{0}`")]
    UnknownContactWay(String),
    #[error("no Join Group config `{0}`")]
    UnknownJoinWay(String),
    #[error("this temp QR code was already used")]
    TempCodeUsed,
    #[error("this temp QR code expired at {0}")]
    TempCodeExpired(i64),
    #[error("only the config's unionid may start this temp chat")]
    UnionidMismatch,
    #[error("the config's departments have no members")]
    NoMembers,
    #[error("`{0}` is not one of the config's members")]
    NotAMember(String),
    #[error("the customer already follows this member")]
    AlreadyFollowing,
    #[error("every group of the config is full and auto_create_room is 0")]
    AllGroupsFull,
    #[error("the config has no group left to model a new one on")]
    NoGroupToModel,
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `prefix` followed by 30 random characters of `[A-Za-z0-9]`.
pub(crate) fn random_id(rng: &mut impl Rng, prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 30);
    id.push_str(prefix);
    for _ in 0..30 {
        id.push(char::from(ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())]));
    }
    id
}

fn customer_id(rng: &mut impl Rng, given: Option<&str>) -> Result<String, SimulateError> {
    match given.filter(|id| !id.is_empty()) {
        Some(id) if is_external_userid(id) => Ok(id.to_owned()),
        Some(id) => Err(SimulateError::InvalidExternalUserid(id.to_owned())),
        None => Ok(random_id(rng, "wm")),
    }
}

/// A customer scans a Contact Me code (or opens its mini-program plug-in) and adds a member.
pub(crate) fn scan(
    state: &CorpState,
    now: i64,
    rng: &mut impl Rng,
    req: &ScanRequest,
) -> Result<(ScanResponse, Vec<Event>), SimulateError> {
    let record = parse_config_id(&req.config_id)
        .and_then(|id| state.contact_ways.get(&id))
        .ok_or_else(|| SimulateError::UnknownContactWay(req.config_id.clone()))?;
    if let Some(temp) = &record.temp {
        if temp.used {
            return Err(SimulateError::TempCodeUsed);
        }
        if now >= temp.expires_at() {
            return Err(SimulateError::TempCodeExpired(temp.expires_at()));
        }
        if let Some(unionid) = req.unionid.as_deref().filter(|u| !u.is_empty())
            && !temp.unionid.is_empty()
            && *unionid != *temp.unionid
        {
            return Err(SimulateError::UnionidMismatch);
        }
    }
    let dir = &state.directory;
    let members = dir.expand(&record.users, &record.parties);
    if members.is_empty() {
        return Err(SimulateError::NoMembers);
    }
    let external_userid = customer_id(rng, req.external_userid.as_deref())?;
    let mut next = record.clone();
    let member = match req.userid.as_deref() {
        Some(userid) => dir
            .member_idx(userid)
            .filter(|m| members.contains(m))
            .ok_or_else(|| SimulateError::NotAMember(userid.to_owned()))?,
        None => {
            let followed = record.is_exclusive.then(|| {
                members
                    .iter()
                    .copied()
                    .find(|m| state.customers.contains_key(&(external_userid.clone(), dir.userid(*m).to_owned())))
            });
            match followed.flatten() {
                Some(member) => member,
                None => {
                    let pick = members[next.next_member as usize % members.len()];
                    next.next_member = next.next_member.wrapping_add(1);
                    pick
                }
            }
        }
    };
    let userid = dir.userid(member).to_owned();
    let key = (external_userid.clone(), userid.clone());
    if let Some(existing) = state.customers.get(&key) {
        if record.is_temp() {
            return Err(SimulateError::AlreadyFollowing);
        }
        let reply = ScanResponse {
            external_userid,
            userid,
            state: existing.state.clone(),
            temp: existing.temp,
            welcome_code: existing.welcome_code.clone(),
        };
        return Ok((reply, Vec::new()));
    }
    let temp = next.temp.as_deref_mut();
    let relationship = Relationship {
        config_id: Some(record.id),
        state: record.state.to_string(),
        temp: temp.is_some(),
        chat_expires_at: temp.as_ref().map(|t| now.saturating_add(t.chat_expires_in)),
        create_time: now,
        add_way: if record.scene == Scene::QR_CODE { assumed::ADD_WAY_QR_CODE } else { assumed::ADD_WAY_OTHER },
        // A member whose welcome message is set in the admin console gets no code (§8).
        welcome_code: if dir.member(member).welcome_message_configured {
            String::new()
        } else {
            hex::u128_string(rng.random())
        },
        customer_name: customer_name(&external_userid),
        unionid: req.unionid.clone().filter(|u| !u.is_empty()),
        conclusions: temp.as_ref().and_then(|t| t.conclusions.clone()),
        seq: state.adds,
    };
    if let Some(temp) = temp {
        temp.used = true;
    }
    let reply = ScanResponse {
        external_userid: external_userid.clone(),
        userid: userid.clone(),
        state: relationship.state.clone(),
        temp: relationship.temp,
        welcome_code: relationship.welcome_code.clone(),
    };
    let mut events = Vec::with_capacity(2);
    if next != *record {
        events.push(Event::ContactWayReplaced { record: next });
    }
    events.push(Event::CustomerAdded { external_userid, userid, relationship });
    Ok((reply, events))
}

/// A customer joins through a Join Group code: the first group with room takes them; when all
/// are full, auto_create_room makes the next one.
pub(crate) fn join(
    state: &CorpState,
    now: i64,
    rng: &mut impl Rng,
    req: &JoinRequest,
) -> Result<(JoinResponse, Vec<Event>), SimulateError> {
    let record = parse_config_id(&req.config_id)
        .and_then(|id| state.join_ways.get(&id))
        .ok_or_else(|| SimulateError::UnknownJoinWay(req.config_id.clone()))?;
    let external_userid = customer_id(rng, req.external_userid.as_deref())?;
    let state_text = record.state.to_string();
    let chats: Vec<&GroupChatRecord> = record.chats.iter().filter_map(|id| state.group_chats.get(id)).collect();
    if let Some(chat) = chats.iter().find(|c| c.members.iter().any(|m| m.userid == external_userid)) {
        let reply =
            JoinResponse { external_userid, chat_id: chat.chat_id.clone(), state: state_text, created_chat: false };
        return Ok((reply, Vec::new()));
    }
    let member = GroupMemberRecord {
        userid: external_userid.clone(),
        member_type: GroupMemberType::EXTERNAL,
        join_time: now,
        join_scene: JoinScene::QR_CODE,
        state: (!record.state.is_empty()).then(|| state_text.clone()),
        via: Some(record.id),
    };
    if let Some(chat) = chats.iter().find(|c| !c.is_full()) {
        let reply =
            JoinResponse { external_userid, chat_id: chat.chat_id.clone(), state: state_text, created_chat: false };
        return Ok((reply, vec![Event::GroupJoined { chat_id: chat.chat_id.clone(), member }]));
    }
    if record.auto_create_room != 1 {
        return Err(SimulateError::AllGroupsFull);
    }
    let Some(first) = chats.first() else {
        return Err(SimulateError::NoGroupToModel);
    };
    let serial = record.room_base_id.saturating_add(record.rooms_created);
    let chat = GroupChatRecord {
        chat_id: random_id(rng, assumed::CHAT_ID_PREFIX),
        name: format!("{}{serial}", record.room_base_name),
        owner: first.owner.clone(),
        member_limit: first.member_limit,
        customer_group: true,
        create_time: now,
        members: vec![
            GroupMemberRecord {
                userid: first.owner.clone(),
                member_type: GroupMemberType::INTERNAL,
                join_time: now,
                join_scene: JoinScene::DIRECT_INVITE,
                state: None,
                via: None,
            },
            member,
        ],
    };
    let mut next = record.clone();
    next.rooms_created += 1;
    next.chats.push(chat.chat_id.clone());
    if next.chats.len() > wecom_types::limits::MAX_CHATS_PER_JOIN_WAY {
        // The first full group leaves the list to keep it at five.
        let full = next.chats.iter().position(|id| state.group_chats.get(id).is_none_or(GroupChatRecord::is_full));
        next.chats.remove(full.unwrap_or(0));
    }
    let reply = JoinResponse { external_userid, chat_id: chat.chat_id.clone(), state: state_text, created_chat: true };
    Ok((reply, vec![Event::GroupChatCreated { chat }, Event::JoinWayReplaced { record: next }]))
}
