//! After the scan (§8): the members who may be put on a code, a member's customers, and the
//! welcome message an add event's code lets an app send once, within 20 s of the add.

use wecom_types::api::*;
use wecom_types::fidelity as assumed;
use wecom_types::limits::WELCOME_CODE_LIFETIME_SECS;
use wecom_types::{ErrCode, Validate};

use super::{ApiError, Ctx, Outcome};
use crate::core::hex;
use crate::core::model::*;

/// `get_follow_user_list`: the members with customer contact inside the calling app's visible
/// range, activated or not, in fixture order ([`assumed::FOLLOW_USER_LIST`]).
pub(crate) fn get_follow_user_list(state: &CorpState, ctx: &Ctx<'_>) -> GetFollowUserListResponse {
    let dir = &state.directory;
    let follow_user = dir
        .members
        .iter()
        .filter(|member| member.customer_contact && dir.member_visible(ctx.app, member))
        .map(|member| member.userid.clone())
        .collect();
    GetFollowUserListResponse { follow_user }
}

/// `externalcontact/list`: the member's customers, oldest add first and adds at the same instant
/// in the order they happened ([`assumed::CUSTOMER_LIST_ORDER`]). The member is checked
/// 60111 → 60011 → 84083; a member without customers is 84061, not an empty list.
pub(crate) fn list_external_contact(
    state: &CorpState,
    ctx: &Ctx<'_>,
    req: &ListExternalContact,
) -> Result<ListExternalContactResponse, ApiError> {
    req.validate()?;
    let userid = req.userid.as_deref().unwrap_or_default();
    let detail = |code: ErrCode| ApiError::with_detail(code, format!("{}: userid `{userid}`", code.phrase()));
    let dir = &state.directory;
    let idx = dir.member_idx(userid).ok_or_else(|| detail(ErrCode::USERID_NOT_FOUND))?;
    let member = dir.member(idx);
    if !dir.member_visible(ctx.app, member) {
        return Err(detail(assumed::CUSTOMER_LIST_OUTSIDE_VISIBLE_RANGE));
    }
    if !member.customer_contact {
        return Err(detail(assumed::CUSTOMER_LIST_NOT_CUSTOMER_CONTACT));
    }
    let mut customers: Vec<(i64, u64, &str)> = state
        .customers
        .iter()
        .filter(|((_, follower), _)| follower == userid)
        .map(|((external_userid, _), rel)| (rel.create_time, rel.seq, external_userid.as_str()))
        .collect();
    if customers.is_empty() {
        return Err(detail(ErrCode::NOT_EXTERNAL_CONTACT));
    }
    customers.sort_unstable();
    Ok(ListExternalContactResponse { external_userid: customers.into_iter().map(|(_, _, id)| id.to_owned()).collect() })
}

/// `send_welcome_msg`: after the message's own rules (41049, 40058), the calling app must see
/// the code's member (60011), then the code must be known and at most 20 s past its add
/// (41050), its relationship still there (84061) and the code unused (41051). A success uses
/// the code for every app of the corp and records one `welcome` message per part.
pub(crate) fn send_welcome_msg(state: &CorpState, ctx: &Ctx<'_>, req: &SendWelcomeMsg) -> Outcome<Empty> {
    req.validate()?;
    let text = req.welcome_code.as_deref().unwrap_or_default();
    let invalid = || {
        let code = ErrCode::INVALID_WELCOME_CODE;
        ApiError::with_detail(code, format!("{}: welcome_code `{text}`", code.phrase()))
    };
    let issued = hex::parse_u128(text).and_then(|code| state.welcome_codes.get(&code)).ok_or_else(invalid)?;
    let dir = &state.directory;
    let member = dir.member_idx(&issued.userid).map(|idx| dir.member(idx)).ok_or_else(invalid)?;
    if !dir.member_visible(ctx.app, member) {
        let code = assumed::WELCOME_OUTSIDE_VISIBLE_RANGE;
        return Err(ApiError::with_detail(
            code,
            format!("{}: the app cannot see userid `{}`", code.phrase(), issued.userid),
        ));
    }
    // A clock moved back before the add leaves the code valid: only "too late" ends it.
    if ctx.now > issued.issued_at.saturating_add(WELCOME_CODE_LIFETIME_SECS) {
        return Err(invalid());
    }
    let key = (issued.external_userid.clone(), issued.userid.clone());
    match state.customers.get(&key) {
        Some(rel) if rel.welcome_code == text => {}
        _ => {
            let code = assumed::WELCOME_RELATIONSHIP_ENDED;
            return Err(ApiError::with_detail(
                code,
                format!("{}: the relationship of this welcome code has ended", code.phrase()),
            ));
        }
    }
    if issued.used {
        let code = ErrCode::EXTERNAL_USER_STARTED_CHATTING;
        return Err(ApiError::with_detail(
            code,
            format!("{}: this welcome code already delivered a welcome message", code.phrase()),
        ));
    }
    let message = |text: Option<WelcomeText>, attachment: Option<Box<Attachment>>| Event::MessageRecorded {
        message: Message {
            at: ctx.now,
            kind: MessageKind::Welcome,
            to: issued.external_userid.clone(),
            from: Some(issued.userid.clone()),
            conclusions: None,
            reason: None,
            event: None,
            status: None,
            attempts: None,
            agentid: Some(ctx.app.agentid),
            text,
            attachment,
        },
    };
    let mut events = vec![Event::WelcomeCodeUsed { code: issued.code }];
    events.extend(req.parts().map(|part| match part {
        WelcomePart::Text(text) => message(Some(text.clone()), None),
        WelcomePart::Attachment(attachment) => message(None, Some(Box::new(attachment.clone()))),
    }));
    Ok((Empty {}, events))
}
