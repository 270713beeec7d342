//! The read-backs where a `state` comes back: a customer's detail and a group's detail.

use std::ops::Bound;

use wecom_types::api::*;
use wecom_types::{ErrCode, Validate};

use super::ApiError;
use crate::core::hex;
use crate::core::model::*;

/// Every relationship of one customer, in userid order.
pub(crate) fn relationships_of<'a>(
    state: &'a CorpState,
    external_userid: &'a str,
) -> impl Iterator<Item = (&'a (String, String), &'a Relationship)> + 'a {
    let from = (external_userid.to_owned(), String::new());
    state
        .customers
        .range((Bound::Included(from), Bound::Unbounded))
        .take_while(move |((ext, _), _)| ext == external_userid)
}

/// `externalcontact/get`: the customer and every member who follows them, with the `state` of
/// the Contact Me config they came through.
pub(crate) fn get_external_contact(
    state: &CorpState,
    req: &GetExternalContact,
) -> Result<GetExternalContactResponse, ApiError> {
    req.validate()?;
    let external_userid = req.external_userid.as_deref().unwrap_or_default();
    let mut follow_user = Vec::new();
    let mut contact = None;
    for ((_, userid), rel) in relationships_of(state, external_userid) {
        contact.get_or_insert_with(|| ExternalContact {
            external_userid: external_userid.to_owned(),
            name: rel.customer_name.clone(),
            contact_type: 1,
            unionid: rel.unionid.clone(),
            ..Default::default()
        });
        follow_user.push(FollowUser {
            userid: userid.clone(),
            createtime: rel.create_time,
            add_way: rel.add_way,
            oper_userid: Some(userid.clone()),
            state: (!rel.state.is_empty()).then(|| rel.state.clone()),
            ..Default::default()
        });
    }
    let external_contact = contact.ok_or_else(|| {
        ApiError::with_detail(
            ErrCode::NOT_EXTERNAL_CONTACT,
            format!("{}: external_userid `{external_userid}`", ErrCode::NOT_EXTERNAL_CONTACT.phrase()),
        )
    })?;
    Ok(GetExternalContactResponse { external_contact, follow_user, next_cursor: Some(String::new()) })
}

/// `externalcontact/groupchat/get`: members with join_scene 3 carry the Join Group `state`.
pub(crate) fn get_group_chat(state: &CorpState, req: &GetGroupChat) -> Result<GetGroupChatResponse, ApiError> {
    req.validate()?;
    let chat_id = req.chat_id.as_deref().unwrap_or_default();
    let detail = |code: ErrCode| ApiError::with_detail(code, format!("{}: chat_id `{chat_id}`", code.phrase()));
    let chat = state.group_chats.get(chat_id).ok_or_else(|| detail(ErrCode::CHAT_ID_NOT_FOUND))?;
    if !chat.customer_group {
        return Err(detail(wecom_types::fidelity::GROUP_DETAIL_NOT_CUSTOMER_GROUP));
    }
    let need_name = req.need_name == Some(1);
    let dir = &state.directory;
    let name_of = |m: &GroupMemberRecord| -> Option<String> {
        if !need_name {
            return None;
        }
        if m.member_type == GroupMemberType::INTERNAL {
            dir.member_idx(&m.userid).map(|i| dir.member(i).name.clone())
        } else {
            Some(customer_name(&m.userid))
        }
    };
    let member_list = chat
        .members
        .iter()
        .map(|m| GroupMember {
            userid: m.userid.clone(),
            member_type: m.member_type,
            join_time: m.join_time,
            join_scene: m.join_scene,
            invitor: (m.member_type == GroupMemberType::INTERNAL && m.userid != chat.owner)
                .then(|| GroupInvitor { userid: chat.owner.clone() }),
            name: name_of(m),
            state: m.state.clone(),
            ..Default::default()
        })
        .collect();
    Ok(GetGroupChatResponse {
        group_chat: GroupChat {
            chat_id: chat.chat_id.clone(),
            name: chat.name.clone(),
            owner: chat.owner.clone(),
            create_time: chat.create_time,
            notice: Some(String::new()),
            member_list,
            admin_list: Some(Vec::new()),
            member_version: Some(member_version(chat.members.len())),
        },
    })
}

/// A group's `member_version` with `count` members: it changes whenever the membership does,
/// and the join callback's LastMemVer / CurMemVer use the same numbering.
pub(crate) fn member_version(count: usize) -> String {
    hex::u128_string(count as u128)
}

/// The display name the mock gives a customer: stable, derived from the id.
pub(crate) fn customer_name(external_userid: &str) -> String {
    let tail: String = external_userid.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("客户{tail}")
}
