//! Join Group: J1–J4.

use wecom_types::api::*;
use wecom_types::fidelity as assumed;
use wecom_types::validate::truncate_join_way_remark;
use wecom_types::{ErrCode, Validate};

use super::contact_way::{check_shared_quota, qr_code_url};
use super::{ApiError, Ctx, Outcome};
use crate::core::model::*;

/// Finds a Join Group config of the calling app (41044 when unknown or another app's).
pub(crate) fn find<'a>(
    state: &'a CorpState,
    ctx: &Ctx<'_>,
    id_text: Option<&str>,
) -> Result<&'a JoinWayRecord, ApiError> {
    let text = id_text.unwrap_or_default();
    let unknown = |code: ErrCode| ApiError::with_detail(code, format!("{}: config_id `{text}`", code.phrase()));
    let record = parse_config_id(text)
        .and_then(|id| state.join_ways.get(&id))
        .ok_or_else(|| unknown(assumed::UNKNOWN_CONFIG_ID))?;
    if record.agentid != ctx.app.agentid {
        return Err(unknown(assumed::JOIN_WAY_OF_ANOTHER_APP));
    }
    Ok(record)
}

/// Each chat: 86003 when unknown, 90501 when not a customer group.
fn check_chats(state: &CorpState, chats: &[String]) -> Result<(), ApiError> {
    for chat_id in chats {
        let detail = |code: ErrCode| ApiError::with_detail(code, format!("{}: chat_id `{chat_id}`", code.phrase()));
        let chat = state.group_chats.get(chat_id).ok_or_else(|| detail(ErrCode::CHAT_ID_NOT_FOUND))?;
        if !chat.customer_group {
            return Err(detail(ErrCode::NOT_CUSTOMER_GROUP));
        }
    }
    Ok(())
}

/// The stored form of J1's and J3's fields: J3 sends the same fields (an add is read as one)
/// and overwrites everything, so fields not sent take their defaults ("使用覆盖的方式更新").
fn stored(req: &UpdateJoinWay, id: ConfigId, agentid: u32, create_time: i64, rooms_created: i64) -> JoinWayRecord {
    let listed = req.chat_id_list.as_deref().unwrap_or_default();
    let mut chats: Vec<String> = Vec::with_capacity(listed.len());
    for chat in listed {
        if !chats.contains(chat) {
            chats.push(chat.clone());
        }
    }
    JoinWayRecord {
        id,
        agentid,
        create_time,
        scene: req.scene.unwrap_or(Scene::QR_CODE),
        remark: truncate_join_way_remark(req.remark.as_deref().unwrap_or_default()).into(),
        auto_create_room: req.auto_create_room.unwrap_or(1),
        room_base_name: req.room_base_name.as_deref().unwrap_or_default().into(),
        room_base_id: req.room_base_id.unwrap_or(0),
        chats,
        state: req.state.as_deref().unwrap_or_default().into(),
        mark_source: req.mark_source.unwrap_or(true),
        rooms_created,
    }
}

/// J1. The answer carries only the config id, as the real service's does.
pub(crate) fn add(state: &CorpState, ctx: &Ctx<'_>, id: ConfigId, req: &AddJoinWay) -> Outcome<AddJoinWayResponse> {
    req.validate()?;
    let chats = req.chat_id_list.as_deref().unwrap_or_default();
    check_chats(state, chats)?;
    super::check_server_room(ctx)?;
    if let Err(mut quota) = check_shared_quota(state) {
        quota.code = assumed::JOIN_WAY_QUOTA_EXCEEDED;
        return Err(quota);
    }
    let record = stored(&req.clone().into_update(String::new()), id, ctx.app.agentid, ctx.now, 0);
    Ok((AddJoinWayResponse { config_id: format_config_id(id) }, vec![Event::JoinWayCreated { record }]))
}

/// A stored config as `get_join_way` returns it.
pub(crate) fn view(record: &JoinWayRecord, public_url: &str) -> JoinWay {
    JoinWay {
        config_id: format_config_id(record.id),
        scene: Some(record.scene),
        remark: Some(record.remark.to_string()),
        auto_create_room: Some(record.auto_create_room),
        room_base_name: Some(record.room_base_name.to_string()),
        room_base_id: Some(record.room_base_id),
        chat_id_list: Some(record.chats.clone()),
        qr_code: (record.scene == Scene::QR_CODE).then(|| qr_code_url(public_url, record.id)),
        state: Some(record.state.to_string()),
        mark_source: Some(record.mark_source),
    }
}

/// J2.
pub(crate) fn get(state: &CorpState, ctx: &Ctx<'_>, req: &GetJoinWay) -> Result<GetJoinWayResponse, ApiError> {
    req.validate()?;
    let record = find(state, ctx, req.config_id.as_deref())?;
    Ok(GetJoinWayResponse { join_way: view(record, ctx.public_url) })
}

/// J3: overwrites the whole config; what is not sent takes its default again.
pub(crate) fn update(state: &CorpState, ctx: &Ctx<'_>, req: &UpdateJoinWay) -> Outcome<Empty> {
    req.validate()?;
    let current = find(state, ctx, req.config_id.as_deref())?;
    let chats = req.chat_id_list.as_deref().unwrap_or_default();
    check_chats(state, chats)?;
    let record = stored(req, current.id, current.agentid, current.create_time, current.rooms_created);
    Ok((Empty {}, vec![Event::JoinWayReplaced { record }]))
}

/// J4.
pub(crate) fn delete(state: &CorpState, ctx: &Ctx<'_>, req: &DelJoinWay) -> Outcome<Empty> {
    req.validate()?;
    let record = find(state, ctx, req.config_id.as_deref())?;
    Ok((Empty {}, vec![Event::JoinWayDeleted { id: record.id }]))
}
