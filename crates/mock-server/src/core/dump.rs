//! The state dump of `GET /__admin/corps/{corpid}`: deterministic (the same state always gives
//! the same bytes) and free of volatile data (no tokens, counters, latencies or journal).

use serde::{Deserialize, Serialize};
use wecom_types::api::{ContactWay, JoinWay};

use crate::core::domain::{contact_way, join_way};
use crate::core::model::{CorpState, format_config_id};

/// A corp's state as the dump shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CorpDump {
    /// The corp.
    pub corpid: String,
    /// Contact Me configs sorted by config_id.
    pub contact_ways: Vec<ContactWayDump>,
    /// Join Group configs sorted by config_id.
    pub join_ways: Vec<JoinWay>,
    /// Relationships sorted by (external_userid, userid).
    pub customers: Vec<CustomerDump>,
    /// Groups sorted by chat_id.
    pub group_chats: Vec<GroupChatDump>,
    /// Quota use.
    pub quota: QuotaDump,
}

/// A Contact Me config: as `get_contact_way` returns it, plus two fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContactWayDump {
    /// The config.
    #[serde(flatten)]
    pub contact_way: ContactWay,
    /// When it was created (unix seconds, virtual clock).
    pub create_time: i64,
    /// A temp config whose code has been used.
    pub temp_used: bool,
}

/// A customer following a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerDump {
    /// The customer.
    pub external_userid: String,
    /// The member.
    pub userid: String,
    /// The state of the config used.
    pub state: String,
    /// The config used.
    pub config_id: Option<String>,
    /// A temp chat.
    pub temp: bool,
    /// When the temp chat ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_expires_at: Option<i64>,
}

/// A group and how full it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupChatDump {
    /// The group.
    pub chat_id: String,
    /// Its name.
    pub name: String,
    /// Members, the owner included.
    pub members: usize,
    /// Capacity.
    pub member_limit: u32,
}

/// Quota use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuotaDump {
    /// Non-temp Contact Me plus Join Group configs.
    pub contact_ways_used: u32,
    /// Temp configs created today (Beijing day, virtual clock).
    pub temp_today_used: u32,
}

/// Dumps a corp's state.
pub(crate) fn dump(state: &CorpState, now: i64, public_url: &str) -> CorpDump {
    let mut contact_ways: Vec<_> = state.contact_ways.values().collect();
    contact_ways.sort_by_key(|r| r.id);
    let mut join_ways: Vec<_> = state.join_ways.values().collect();
    join_ways.sort_by_key(|r| r.id);
    CorpDump {
        corpid: state.corpid.clone(),
        contact_ways: contact_ways
            .into_iter()
            .map(|r| ContactWayDump {
                contact_way: contact_way::view(state, r, public_url),
                create_time: r.create_time,
                temp_used: r.temp.as_ref().is_some_and(|t| t.used),
            })
            .collect(),
        join_ways: join_ways.into_iter().map(|r| join_way::view(r, public_url)).collect(),
        customers: state
            .customers
            .iter()
            .map(|((ext, user), rel)| CustomerDump {
                external_userid: ext.clone(),
                userid: user.clone(),
                state: rel.state.clone(),
                config_id: rel.config_id.map(format_config_id),
                temp: rel.temp,
                chat_expires_at: rel.chat_expires_at,
            })
            .collect(),
        group_chats: state
            .group_chats
            .values()
            .map(|g| GroupChatDump {
                chat_id: g.chat_id.clone(),
                name: g.name.clone(),
                members: g.members.len(),
                member_limit: g.member_limit,
            })
            .collect(),
        quota: QuotaDump { contact_ways_used: state.shared_used, temp_today_used: state.temp_used_on(now) },
    }
}
