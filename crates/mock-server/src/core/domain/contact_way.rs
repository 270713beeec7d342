//! Contact Me: C1–C6.

use std::ops::Bound;

use wecom_types::api::*;
use wecom_types::fidelity as assumed;
use wecom_types::limits::*;
use wecom_types::validate::validate_update_against;
use wecom_types::{ErrCode, Patch, Validate};

use super::Bug;
use super::{
    ApiError, Ctx, Outcome, check_member_count, check_server_room, normalize_conclusions, resolve_departments,
    resolve_members,
};
use crate::core::hex;
use crate::core::model::*;

/// The `qr_code` URL of a config: the mock serves the picture there.
pub(crate) fn qr_code_url(public_url: &str, id: ConfigId) -> String {
    let mut url = String::with_capacity(public_url.len() + 36);
    url.push_str(public_url);
    url.push_str("/qr/");
    push_config_id(&mut url, id);
    url
}

/// The read-back URL of an uploaded image.
pub(crate) fn media_url(public_url: &str, media_id: &str) -> String {
    format!("{public_url}/media/{media_id}")
}

fn unknown_config(id_text: &str) -> ApiError {
    ApiError::with_detail(
        assumed::UNKNOWN_CONFIG_ID,
        format!("{}: config_id `{id_text}`", assumed::UNKNOWN_CONFIG_ID.phrase()),
    )
}

/// Finds a Contact Me config by its wire id (41044 when unknown).
pub(crate) fn find<'a>(state: &'a CorpState, id_text: Option<&str>) -> Result<&'a ContactWayRecord, ApiError> {
    let text = id_text.unwrap_or_default();
    parse_config_id(text).and_then(|id| state.contact_ways.get(&id)).ok_or_else(|| unknown_config(text))
}

/// `0` / absent means "the default".
fn given(value: Option<i64>) -> Option<i64> {
    value.filter(|v| *v != 0)
}

fn non_empty(value: Option<&String>) -> Text {
    value.map_or_else(Default::default, |s| s.as_str().into())
}

/// C1.
pub(crate) fn add(
    state: &CorpState,
    ctx: &Ctx<'_>,
    id: ConfigId,
    req: &AddContactWay,
) -> Outcome<AddContactWayResponse> {
    req.validate()?;
    let (Some(contact_type), Some(scene)) = (req.contact_type, req.scene) else {
        // validate() has answered 41037 / 41038 already; this keeps the compiler honest.
        return Err(ApiError::new(ErrCode::INVALID_PARAMETER));
    };
    let dir = &state.directory;
    let is_temp = req.is_temp();
    if is_temp && !dir.is_medical() {
        return Err(ApiError::with_detail(
            ErrCode::API_FORBIDDEN,
            format!("{}: temp chats need a medical-industry corp", ErrCode::API_FORBIDDEN.phrase()),
        ));
    }
    let users = resolve_members(dir, ctx.app, req.user.as_deref().unwrap_or_default())?;
    let parties = if contact_type == ContactType::MULTI {
        resolve_departments(dir, ctx.app, req.party.as_deref().unwrap_or_default())?
    } else {
        Vec::new()
    };
    check_member_count(dir, &users, &parties)?;
    check_server_room(ctx)?;
    if is_temp {
        let limit = dir.quotas.temp_daily;
        if state.temp_used_on(ctx.now) >= limit {
            return Err(ApiError::with_detail(
                assumed::TEMP_QUOTA_EXCEEDED,
                format!("{}: {limit} temp configs today", assumed::TEMP_QUOTA_EXCEEDED.phrase()),
            ));
        }
    } else if !(ctx.bugs.contains(&Bug::QuotaOffByOne) && state.shared_used == state.directory.quotas.contact_ways) {
        check_shared_quota(state)?;
    }
    let temp = is_temp.then(|| {
        Box::new(TempSettings {
            expires_in: given(req.expires_in).unwrap_or(DEFAULT_TEMP_QR_EXPIRES_SECS),
            chat_expires_in: given(req.chat_expires_in).unwrap_or(DEFAULT_TEMP_CHAT_EXPIRES_SECS),
            unionid: non_empty(req.unionid.as_ref()),
            conclusions: normalize_conclusions(req.conclusions.as_ref()),
            valid_from: ctx.now,
            used: false,
        })
    });
    let record = ContactWayRecord {
        id,
        agentid: ctx.app.agentid,
        create_time: ctx.now,
        contact_type,
        scene,
        style: req.style.filter(|s| *s != 0 && scene == Scene::MINI_PROGRAM),
        remark: non_empty(req.remark.as_ref()),
        skip_verify: req.skip_verify.unwrap_or(true),
        state: non_empty(req.state.as_ref()),
        users: users.into_iter().collect(),
        parties: parties.into(),
        is_exclusive: req.is_exclusive.unwrap_or(false),
        mark_source: req.mark_source.unwrap_or(true),
        temp,
        next_member: 0,
        view: Default::default(),
    };
    let reply = AddContactWayResponse {
        config_id: format_config_id(id),
        qr_code: (scene == Scene::QR_CODE).then(|| qr_code_url(ctx.public_url, id)),
    };
    Ok((reply, vec![Event::ContactWayCreated { record }]))
}

/// 41045 when the shared quota (Contact Me + Join Group) is used up.
pub(crate) fn check_shared_quota(state: &CorpState) -> Result<(), ApiError> {
    let limit = state.directory.quotas.contact_ways;
    if state.shared_used >= limit {
        return Err(ApiError::with_detail(
            ErrCode::CONTACT_WAY_QUOTA_EXCEEDED,
            format!("{}: {limit} configs", ErrCode::CONTACT_WAY_QUOTA_EXCEEDED.phrase()),
        ));
    }
    Ok(())
}

/// A stored config as `get_contact_way` returns it.
pub(crate) fn view(state: &CorpState, record: &ContactWayRecord, public_url: &str) -> ContactWay {
    let dir = &state.directory;
    let temp = record.temp.as_deref();
    let conclusions = temp.and_then(|t| t.conclusions.clone()).map(|mut c| {
        // Sent as media_id, read back as pic_url only.
        if let Some(image) = &mut c.image {
            image.pic_url = image.media_id.take().map(|media| media_url(public_url, &media)).or(image.pic_url.take());
        }
        c
    });
    ContactWay {
        config_id: format_config_id(record.id),
        contact_type: Some(record.contact_type),
        scene: Some(record.scene),
        style: record.style,
        remark: Some(record.remark.to_string()),
        skip_verify: Some(record.skip_verify),
        state: Some(record.state.to_string()),
        qr_code: (record.scene == Scene::QR_CODE).then(|| qr_code_url(public_url, record.id)),
        user: Some(record.users.iter().map(|u| dir.userid(*u).to_owned()).collect()),
        // party is only effective for type 2: ignored fields are not returned (spec C2).
        party: (record.contact_type == ContactType::MULTI).then(|| record.parties.to_vec()),
        is_temp: Some(record.is_temp()),
        expires_in: temp.map(|t| t.expires_in),
        chat_expires_in: temp.map(|t| t.chat_expires_in),
        unionid: temp.map(|t| t.unionid.to_string()).filter(|u| !u.is_empty()),
        is_exclusive: Some(record.is_exclusive),
        conclusions,
        mark_source: Some(record.mark_source),
    }
}

/// C2, as the answer's bytes: the record's view is encoded once per version of the record
/// (the same bytes as encoding its [`view`] as the answer). Takes the request's `config_id` borrowed
/// (from the body as it came, or from a decoded [`GetContactWay`]): no `String` per get.
pub(crate) fn get_encoded(state: &CorpState, ctx: &Ctx<'_>, config_id: Option<&str>) -> Result<bytes::Bytes, ApiError> {
    wecom_types::validate::validate_config_id(config_id)?;
    let record = find(state, config_id)?;
    Ok(record.view.get_or_encode(|| {
        let view = serde_json::to_vec(&view(state, record, ctx.public_url)).unwrap_or_default();
        wecom_types::wire::encode_ok_field("contact_way", &view)
    }))
}

/// The opaque list cursor: the (create_time, id) key of the last config returned.
pub(crate) fn encode_cursor(create_time: i64, id: ConfigId) -> String {
    let mut cursor = String::with_capacity(48);
    hex::push_u64(&mut cursor, create_time as u64);
    hex::push_u128(&mut cursor, id);
    cursor
}

/// Reads a cursor we handed out; anything else is `None`. Upper-case digits are read too, as
/// they always were (a cursor is opaque, but a client that upper-cased one gets its page).
pub(crate) fn decode_cursor(cursor: &str) -> Option<(i64, ConfigId)> {
    if cursor.bytes().any(|b| b.is_ascii_uppercase()) {
        return decode_cursor(&cursor.to_ascii_lowercase());
    }
    if cursor.len() != 48 || !cursor.is_char_boundary(16) {
        return None;
    }
    let (time, id) = cursor.split_at(16);
    Some((hex::parse_u64(time)? as i64, hex::parse_u128(id)?))
}

fn list_error(field: &str, why: &str) -> ApiError {
    let code = assumed::INVALID_LIST_PARAMETER;
    ApiError::with_detail(code, format!("{}: field `{field}` {why}", code.phrase()))
}

/// C3. The cursor encodes a position only: window and filters apply on every page.
pub(crate) fn list(state: &CorpState, ctx: &Ctx<'_>, req: &ListContactWay) -> Result<ListContactWayResponse, ApiError> {
    req.validate()?;
    let end = given(req.end_time).unwrap_or(ctx.now);
    let start = given(req.start_time).unwrap_or(end.saturating_sub(DEFAULT_LIST_WINDOW_SECS));
    if start > end {
        return Err(list_error("start_time", &format!("{start} is after end_time {end}")));
    }
    let limit = match req.limit {
        Some(limit) if limit > 0 => usize::try_from(limit).unwrap_or(DEFAULT_LIST_LIMIT as usize),
        _ => DEFAULT_LIST_LIMIT as usize,
    };
    let lower = list_key(start.max(LIST_CUTOFF_UNIX), 0);
    let from = match req.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => Bound::Included(lower),
        Some(cursor) => {
            let (time, id) =
                decode_cursor(cursor).ok_or_else(|| list_error("cursor", "is not a cursor this server issued"))?;
            let key = list_key(time, id);
            if key < lower { Bound::Included(lower) } else { Bound::Excluded(key) }
        }
    };
    let dir = &state.directory;
    // An unknown member uses no config: the filter matches nothing.
    let member = req.userid.as_deref().filter(|u| !u.is_empty()).map(|u| dir.member_idx(u));
    let mut page: Vec<(i64, ConfigId)> = Vec::with_capacity(limit.min(1024) + 1);
    for &key in state.list_index.range((from, Bound::Unbounded)) {
        let key = from_list_key(key);
        if key.0 > end {
            break;
        }
        let Some(record) = state.contact_ways.get(&key.1) else { continue };
        if let Some(member) = member
            && !member.is_some_and(|m| record.users.contains(&m))
        {
            continue;
        }
        if req.skip_verify.is_some_and(|s| s != record.skip_verify) {
            continue;
        }
        page.push(key);
        if page.len() > limit {
            break;
        }
    }
    let next_cursor = if page.len() > limit {
        page.truncate(limit);
        page.last().map_or_else(String::new, |(t, id)| encode_cursor(*t, *id))
    } else {
        String::new()
    };
    Ok(ListContactWayResponse {
        contact_way: page.into_iter().map(|(_, id)| ConfigIdItem { config_id: format_config_id(id) }).collect(),
        next_cursor,
    })
}

fn patch_text(current: &Text, patch: &Patch<String>) -> Text {
    match patch {
        Patch::Keep => current.clone(),
        Patch::Clear => Text::default(),
        Patch::Set(value) => value.as_str().into(),
    }
}

fn patch_duration(current: i64, patch: &Patch<i64>, default: i64) -> i64 {
    match patch {
        Patch::Keep => current,
        Patch::Clear => default,
        Patch::Set(value) => *value,
    }
}

/// C4: a present field replaces, `null` / empty resets to the default, an absent one is kept.
pub(crate) fn update(state: &CorpState, ctx: &Ctx<'_>, req: &UpdateContactWay) -> Outcome<wecom_types::api::Empty> {
    req.validate()?;
    let current = find(state, req.config_id.as_deref())?;
    let (contact_type, scene) = (current.contact_type, current.scene);
    validate_update_against(req, contact_type, scene, current.is_temp())?;

    let mut next = current.clone();
    next.remark = patch_text(&current.remark, &req.remark);
    next.state = patch_text(&current.state, &req.state);
    next.skip_verify = match req.skip_verify {
        Patch::Keep => current.skip_verify,
        Patch::Clear => true,
        Patch::Set(value) => value,
    };
    if scene == Scene::MINI_PROGRAM {
        next.style = match req.style {
            Patch::Keep => current.style,
            Patch::Clear => None,
            Patch::Set(style) => Some(style),
        };
    }
    let dir = &state.directory;
    let keeps_cleared = ctx.bugs.contains(&Bug::UpdateKeepsClearedLists);
    let new_users = match &req.user {
        Patch::Keep => None,
        Patch::Clear if keeps_cleared => None,
        Patch::Clear => Some(Vec::new()),
        Patch::Set(users) => Some(users.clone()),
    };
    let new_parties = match (&req.party, contact_type == ContactType::MULTI) {
        (_, false) | (Patch::Keep, true) => None,
        (Patch::Clear, true) if keeps_cleared => None,
        (Patch::Clear, true) => Some(Vec::new()),
        (Patch::Set(parties), true) => Some(parties.clone()),
    };
    // The result must still be a valid config; checked before the directory (a value rule).
    let user_count = new_users.as_ref().map_or(current.users.len(), Vec::len);
    let party_count = new_parties.as_ref().map_or(current.parties.len(), Vec::len);
    let result_error = |why: &str| {
        let code = assumed::UPDATE_RESULT_INVALID;
        Err(ApiError::with_detail(code, format!("{}: field `user` {why}", code.phrase())))
    };
    if contact_type == ContactType::SINGLE && user_count != 1 {
        return result_error("must keep exactly one member for type 1");
    }
    if contact_type == ContactType::MULTI && user_count == 0 && party_count == 0 {
        return result_error("must keep at least one user or party for type 2");
    }
    if let Some(users) = &new_users {
        next.users = resolve_members(dir, ctx.app, users)?.into_iter().collect();
    }
    if let Some(parties) = &new_parties {
        next.parties = resolve_departments(dir, ctx.app, parties)?.into();
    }
    if new_users.is_some() || new_parties.is_some() {
        check_member_count(dir, &next.users, &next.parties)?;
    }
    if let Some(temp) = &current.temp {
        if temp.is_spent(ctx.now) {
            let code = assumed::TEMP_CONFIG_NO_LONGER_EDITABLE;
            let why = if temp.used { "was used" } else { "has expired" };
            return Err(ApiError::with_detail(code, format!("{}: the temp config {why}", code.phrase())));
        }
        let mut t = temp.clone();
        t.expires_in = patch_duration(temp.expires_in, &req.expires_in, DEFAULT_TEMP_QR_EXPIRES_SECS);
        if !req.expires_in.is_keep() {
            t.valid_from = ctx.now;
        }
        t.chat_expires_in = patch_duration(temp.chat_expires_in, &req.chat_expires_in, DEFAULT_TEMP_CHAT_EXPIRES_SECS);
        t.unionid = patch_text(&temp.unionid, &req.unionid);
        t.conclusions = match &req.conclusions {
            Patch::Keep => temp.conclusions.clone(),
            Patch::Clear => None,
            Patch::Set(c) => normalize_conclusions(Some(c)),
        };
        next.temp = Some(t);
    }
    Ok((wecom_types::api::Empty {}, vec![Event::ContactWayReplaced { record: next }]))
}

/// C5: deleting a non-temp config frees its quota unit.
pub(crate) fn delete(state: &CorpState, _ctx: &Ctx<'_>, req: &DelContactWay) -> Outcome<wecom_types::api::Empty> {
    req.validate()?;
    let record = find(state, req.config_id.as_deref())?;
    Ok((wecom_types::api::Empty {}, vec![Event::ContactWayDeleted { id: record.id }]))
}

/// C6: ends a temp chat; its conclusions are recorded as sent.
pub(crate) fn close_temp_chat(
    state: &CorpState,
    ctx: &Ctx<'_>,
    req: &CloseTempChat,
) -> Outcome<wecom_types::api::Empty> {
    req.validate()?;
    let (Some(userid), Some(external_userid)) = (req.userid.as_ref(), req.external_userid.as_ref()) else {
        return Err(ApiError::new(ErrCode::INVALID_PARAMETER));
    };
    let key = (external_userid.clone(), userid.clone());
    let no_relationship = |why: &str| {
        let code = if why.is_empty() { ErrCode::NOT_EXTERNAL_CONTACT } else { assumed::CLOSE_NON_TEMP_CHAT };
        ApiError::with_detail(code, format!("{}{why}", code.phrase()))
    };
    let relationship = state.customers.get(&key).ok_or_else(|| no_relationship(""))?;
    if !relationship.temp {
        return Err(no_relationship(": the relationship is not a temp chat"));
    }
    let event = Event::TempChatEnded { external_userid: key.0, userid: key.1, at: ctx.now, reason: EndReason::Closed };
    Ok((wecom_types::api::Empty {}, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_foreign_text() {
        let cursor = encode_cursor(1_700_000_000, 42);
        assert_eq!(decode_cursor(&cursor), Some((1_700_000_000, 42)));
        assert_eq!(decode_cursor(&cursor.to_ascii_uppercase()), Some((1_700_000_000, 42)));
        for foreign in ["", "CURSOR", "zz", &"g".repeat(48)] {
            assert_eq!(decode_cursor(foreign), None, "{foreign}");
        }
    }
}
