//! Which events of a change are announced to which app, and the event XML they carry (before
//! encryption): decided inside the write, from the state before the change and its events.
//! Sending them is `net::callbacks`; nothing here does I/O.

use wecom_callback_crypto::cdata;
use wecom_types::api::JoinScene;

use crate::core::domain::customer::member_version;
use crate::core::model::{Callback, CorpState, Event, GroupChatRecord, GroupMemberRecord};

/// The `event` of a Contact Me add in `/__admin/messages`.
pub(crate) const CONTACT_ADDED: &str = "change_external_contact/add_external_contact";
/// The `event` of a group join.
pub(crate) const CHAT_MEMBER_ADDED: &str = "change_external_chat/update/add_member";
/// The `event` of a group the mock created for a join.
pub(crate) const CHAT_CREATED: &str = "change_external_chat/create";
/// The `event` of a URL verification.
pub(crate) const URL_VERIFICATION: &str = "url_verification";

/// One event to post to one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    pub corpid: String,
    pub agentid: u32,
    pub callback: Callback,
    /// The event's instant on the corp's virtual clock.
    pub at: i64,
    /// What `/__admin/messages` calls it.
    pub label: &'static str,
    /// The event's XML, before encryption.
    pub xml: String,
}

fn tag(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", cdata(text))
}

fn header(corpid: &str, at: i64, event: &str) -> String {
    format!(
        "<xml>{}{}<CreateTime>{at}</CreateTime>{}{}",
        tag("ToUserName", corpid),
        tag("FromUserName", "sys"),
        tag("MsgType", "event"),
        tag("Event", event),
    )
}

/// `change_external_contact` / `add_external_contact`, as in the docs' example.
fn contact_added_xml(corpid: &str, at: i64, userid: &str, external_userid: &str, state: &str, welcome: &str) -> String {
    let mut xml = header(corpid, at, "change_external_contact");
    xml.push_str(&tag("ChangeType", "add_external_contact"));
    xml.push_str(&tag("UserID", userid));
    xml.push_str(&tag("ExternalUserID", external_userid));
    // A config without a state has nothing to report; the read-back omits it the same way.
    if !state.is_empty() {
        xml.push_str(&tag("State", state));
    }
    // A member whose welcome message is set in the admin console gets no code: the tag is
    // left out, as WeCom does (§8).
    if !welcome.is_empty() {
        xml.push_str(&tag("WelcomeCode", welcome));
    }
    xml.push_str("</xml>");
    xml
}

/// `change_external_chat` / `update` / `add_member` for one customer joining by QR code.
fn member_added_xml(corpid: &str, at: i64, chat_id: &str, members_before: usize, external_userid: &str) -> String {
    let mut xml = header(corpid, at, "change_external_chat");
    xml.push_str(&tag("ChatId", chat_id));
    xml.push_str(&tag("ChangeType", "update"));
    xml.push_str(&tag("UpdateDetail", "add_member"));
    let join_scene = JoinScene::QR_CODE.0;
    xml.push_str(&format!("<JoinScene>{join_scene}</JoinScene><QuitScene>0</QuitScene><MemChangeCnt>1</MemChangeCnt>"));
    xml.push_str(&format!("<MemChangeList>{}</MemChangeList>", tag("Item", external_userid)));
    xml.push_str(&tag("LastMemVer", &member_version(members_before)));
    xml.push_str(&tag("CurMemVer", &member_version(members_before + 1)));
    xml.push_str("</xml>");
    xml
}

/// `change_external_chat` / `create`.
fn chat_created_xml(corpid: &str, at: i64, chat_id: &str) -> String {
    let mut xml = header(corpid, at, "change_external_chat");
    xml.push_str(&tag("ChatId", chat_id));
    xml.push_str(&tag("ChangeType", "create"));
    xml.push_str("</xml>");
    xml
}

/// The events to post for a change, computed from the state before the change and its events.
/// Only the app that created the config hears of it, and only when it has a callback.
pub(crate) fn notices(state: &CorpState, now: i64, events: &[Event]) -> Vec<Notice> {
    let corpid = state.corpid.as_str();
    let notice = |agentid: u32, label: &'static str, xml: String| {
        let callback = state.directory.app(agentid)?.callback.clone()?;
        Some(Notice { corpid: corpid.to_owned(), agentid, callback, at: now, label, xml })
    };
    let join_app = |member: &GroupMemberRecord| member.via.and_then(|id| state.join_ways.get(&id)).map(|w| w.agentid);
    let mut out = Vec::new();
    for event in events {
        match event {
            Event::CustomerAdded { external_userid, userid, relationship } => {
                let app = relationship.config_id.and_then(|id| state.contact_ways.get(&id)).map(|w| w.agentid);
                let xml = contact_added_xml(
                    corpid,
                    now,
                    userid,
                    external_userid,
                    &relationship.state,
                    &relationship.welcome_code,
                );
                out.extend(app.and_then(|agentid| notice(agentid, CONTACT_ADDED, xml)));
            }
            Event::GroupChatCreated { chat } => {
                let Some((joiner, before)) = joined_by_code(chat) else { continue };
                let Some(agentid) = join_app(joiner) else { continue };
                out.extend(notice(agentid, CHAT_CREATED, chat_created_xml(corpid, now, &chat.chat_id)));
                let xml = member_added_xml(corpid, now, &chat.chat_id, before, &joiner.userid);
                out.extend(notice(agentid, CHAT_MEMBER_ADDED, xml));
            }
            Event::GroupJoined { chat_id, member } => {
                let Some(agentid) = join_app(member) else { continue };
                let before = state.group_chats.get(chat_id).map_or(0, |c| c.members.len());
                let xml = member_added_xml(corpid, now, chat_id, before, &member.userid);
                out.extend(notice(agentid, CHAT_MEMBER_ADDED, xml));
            }
            _ => {}
        }
    }
    out
}

/// In a group created for a join: the customer who joined by code, and how many were in before.
fn joined_by_code(chat: &GroupChatRecord) -> Option<(&GroupMemberRecord, usize)> {
    chat.members.iter().enumerate().find(|(_, m)| m.via.is_some()).map(|(i, m)| (m, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_xml_escapes_what_would_end_its_cdata() {
        let xml = contact_added_xml("ww1", 5, "zhangsan", "wmx", "a]]>b", "w");
        assert_eq!(wecom_callback_crypto::xml_text(&xml, "State").as_deref(), Some("a]]>b"));
        let no_state = contact_added_xml("ww1", 5, "zhangsan", "wmx", "", "w");
        assert_eq!(wecom_callback_crypto::xml_text(&no_state, "State"), None);
    }
}
