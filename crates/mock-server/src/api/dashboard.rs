//! What the dashboard (`/__admin/ui`) shows of a corp: a copy taken under the corp's read lock
//! by [`Control::dashboard`](crate::Control), in the shapes the page prints, so that the page
//! reads no corp state itself. Only the newest rows of each table are copied.

use wecom_types::api::{ContactType, Scene};

use crate::core::model::{CorpState, MessageKind, format_config_id};

/// One corp, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CorpView {
    pub(crate) corpid: String,
    pub(crate) name: String,
    pub(crate) industry: String,
    /// A tenant's corp (`POST /__admin/tenants`), not one of the fixtures.
    pub(crate) tenant: bool,
    /// The corp's clock, and whether it is frozen.
    pub(crate) now: i64,
    pub(crate) frozen: bool,
    /// The shared quota (non-temp Contact Me plus Join Group) and its limit.
    pub(crate) configs_used: u32,
    pub(crate) configs_limit: u32,
    /// Today's temp configs (Beijing day) and their limit.
    pub(crate) temp_today_used: u32,
    pub(crate) temp_daily_limit: u32,
    pub(crate) apps: Vec<AppView>,
    /// The newest configs, and how many there are in all.
    pub(crate) contact_ways: Vec<ContactWayView>,
    pub(crate) contact_way_count: usize,
    pub(crate) join_ways: Vec<JoinWayView>,
    pub(crate) join_way_count: usize,
    pub(crate) customers: Vec<CustomerView>,
    pub(crate) customer_count: usize,
    /// The newest messages first.
    pub(crate) messages: Vec<MessageView>,
    pub(crate) message_count: usize,
}

/// An app of the corp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppView {
    pub(crate) agentid: u32,
    pub(crate) customer_contact: bool,
    pub(crate) callback_url: Option<String>,
}

/// Where a temp config stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TempView {
    Used,
    Expired,
    /// Usable until then.
    Until(i64),
}

/// A Contact Me config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContactWayView {
    pub(crate) config_id: String,
    pub(crate) state: String,
    pub(crate) qr_code: bool,
    pub(crate) several_members: bool,
    /// The members' userids.
    pub(crate) members: Vec<String>,
    pub(crate) parties: Vec<u32>,
    pub(crate) remark: String,
    pub(crate) temp: Option<TempView>,
    /// Customers who came through it.
    pub(crate) customers: usize,
}

/// A customer group of a Join Group config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupView {
    pub(crate) name: String,
    pub(crate) chat_id: String,
    pub(crate) members: usize,
    pub(crate) member_limit: u32,
}

/// A Join Group config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinWayView {
    pub(crate) config_id: String,
    pub(crate) state: String,
    pub(crate) qr_code: bool,
    pub(crate) groups: Vec<GroupView>,
    /// With room auto-creation: the base name and the number of the next room.
    pub(crate) next_room: Option<(String, i64)>,
}

/// A customer following a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomerView {
    pub(crate) added: i64,
    pub(crate) external_userid: String,
    pub(crate) name: String,
    pub(crate) userid: String,
    pub(crate) state: String,
    pub(crate) config_id: Option<String>,
    pub(crate) add_way: i32,
    pub(crate) temp: bool,
}

/// A message the mock sent: closing messages, a welcome message part, or a callback delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageView {
    pub(crate) at: i64,
    /// A callback delivery (its missing status is a failure).
    pub(crate) callback: bool,
    /// `callback`, `conclusions` or `welcome`.
    pub(crate) kind: &'static str,
    /// A welcome part: its text or its attachment's msgtype, and the member it came from.
    pub(crate) welcome: Option<String>,
    pub(crate) event: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) to: String,
    pub(crate) status: Option<u16>,
    pub(crate) attempts: Option<u32>,
}

impl CorpView {
    /// The view of `st` at `now`, with at most `rows` rows per table (the newest).
    pub(crate) fn of(st: &CorpState, now: i64, rows: usize) -> CorpView {
        let dir = &st.directory;
        let apps = dir
            .apps
            .iter()
            .map(|app| AppView {
                agentid: app.agentid,
                customer_contact: app.customer_contact,
                callback_url: app.callback.as_ref().map(|cb| cb.url.clone()),
            })
            .collect();

        let mut ways: Vec<_> = st.contact_ways.values().collect();
        ways.sort_by_key(|w| std::cmp::Reverse((w.create_time, w.id)));
        // One pass over the customers, not one per config shown.
        let mut customers_of: std::collections::HashMap<u128, usize> = std::collections::HashMap::new();
        for id in st.customers.values().filter_map(|r| r.config_id) {
            *customers_of.entry(id).or_default() += 1;
        }
        let contact_ways = ways
            .iter()
            .take(rows)
            .map(|way| ContactWayView {
                config_id: format_config_id(way.id),
                state: way.state.to_string(),
                qr_code: way.scene == Scene::QR_CODE,
                several_members: way.contact_type != ContactType::SINGLE,
                members: way.users.iter().map(|m| dir.userid(*m).to_owned()).collect(),
                parties: way.parties.to_vec(),
                remark: way.remark.to_string(),
                temp: way.temp.as_ref().map(|t| match t {
                    t if t.used => TempView::Used,
                    t if now >= t.expires_at() => TempView::Expired,
                    t => TempView::Until(t.expires_at()),
                }),
                customers: customers_of.get(&way.id).copied().unwrap_or_default(),
            })
            .collect();

        let mut joins: Vec<_> = st.join_ways.values().collect();
        joins.sort_by_key(|w| std::cmp::Reverse((w.create_time, w.id)));
        let join_ways = joins
            .iter()
            .take(rows)
            .map(|way| JoinWayView {
                config_id: format_config_id(way.id),
                state: way.state.to_string(),
                qr_code: way.scene == Scene::QR_CODE,
                groups: way
                    .chats
                    .iter()
                    .filter_map(|chat_id| st.group_chats.get(chat_id))
                    .map(|chat| GroupView {
                        name: chat.name.to_string(),
                        chat_id: chat.chat_id.to_string(),
                        members: chat.members.len(),
                        member_limit: chat.member_limit,
                    })
                    .collect(),
                next_room: (way.auto_create_room == 1)
                    .then(|| (way.room_base_name.to_string(), way.room_base_id.saturating_add(way.rooms_created))),
            })
            .collect();

        let mut followers: Vec<_> = st.customers.iter().collect();
        followers.sort_by_key(|((ext, user), r)| std::cmp::Reverse((r.create_time, ext.as_str(), user.as_str())));
        let customers = followers
            .iter()
            .take(rows)
            .map(|((ext, user), rel)| CustomerView {
                added: rel.create_time,
                external_userid: ext.to_string(),
                name: rel.customer_name.clone(),
                userid: user.to_string(),
                state: rel.state.clone(),
                config_id: rel.config_id.map(format_config_id),
                add_way: rel.add_way,
                temp: rel.temp,
            })
            .collect();

        let messages = st
            .messages
            .iter()
            .rev()
            .take(rows)
            .map(|m| MessageView {
                at: m.at,
                callback: m.kind == MessageKind::Callback,
                kind: match m.kind {
                    MessageKind::Callback => "callback",
                    MessageKind::Conclusions => "conclusions",
                    MessageKind::Welcome => "welcome",
                },
                welcome: (m.kind == MessageKind::Welcome).then(|| {
                    let part = match (&m.text, &m.attachment) {
                        (Some(text), _) => text.content.clone().unwrap_or_default(),
                        (None, Some(attachment)) => attachment.msgtype.clone().unwrap_or_default(),
                        (None, None) => String::new(),
                    };
                    format!("{part} (from {})", m.from.as_deref().unwrap_or_default())
                }),
                event: m.event.clone(),
                reason: m.reason.clone(),
                to: m.to.clone(),
                status: m.status,
                attempts: m.attempts,
            })
            .collect();

        CorpView {
            corpid: st.corpid.to_string(),
            name: dir.name.to_string(),
            industry: dir.industry.to_string(),
            tenant: st.tenant.is_some(),
            now,
            frozen: st.clock.frozen_at.is_some(),
            configs_used: st.shared_used,
            configs_limit: dir.quotas.contact_ways,
            temp_today_used: st.temp_used_on(now),
            temp_daily_limit: dir.quotas.temp_daily,
            apps,
            contact_ways,
            contact_way_count: ways.len(),
            join_ways,
            join_way_count: joins.len(),
            customers,
            customer_count: followers.len(),
            messages,
            message_count: st.messages.len(),
        }
    }
}
