//! The rules of each API as pure functions: `(state, context, request) → (answer, events)` or
//! an error. Nothing here does I/O or mutates; the caller applies the events.
//!
//! Checks run in the order of `errcodes.md` ("Order of checks"); the HTTP layer has already done
//! steps 1–6 (size, path, token, permission, JSON).

pub(crate) mod after_scan;
pub(crate) mod contact_way;
pub(crate) mod customer;
pub(crate) mod join_way;
pub(crate) mod simulate;

use wecom_types::api::Conclusions;
use wecom_types::{ErrCode, Violation};

use crate::core::model::{App, Directory, Event, MemberIdx};

/// A deliberately broken rule, for proving that a test suite notices (`wecom-conformance` runs
/// itself against a mock with one of these switched on and must fail). Only
/// [`MockServerBuilder::inject_bug`](crate::MockServerBuilder::inject_bug) sets one; nothing
/// else (no flag, no environment variable, no admin path) can.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bug {
    /// The shared quota check of `add_contact_way` lets one config more in than the limit.
    QuotaOffByOne,
    /// `update_contact_way` keeps the stored `user` / `party` when the update clears them with
    /// an empty value (C4 says a present empty list clears).
    UpdateKeepsClearedLists,
}

/// What a request is answered with when it fails: the errcode and the phrase detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: ErrCode,
    /// Replaces the code's plain phrase at the start of errmsg.
    pub detail: Option<String>,
    /// The real service adds `"field_info":[]` to parameter-type errors.
    pub field_info: bool,
}

impl ApiError {
    pub(crate) fn new(code: ErrCode) -> Self {
        ApiError { code, detail: None, field_info: false }
    }

    pub(crate) fn with_detail(code: ErrCode, detail: impl Into<String>) -> Self {
        ApiError { code, detail: Some(detail.into()), field_info: false }
    }
}

impl From<Violation> for ApiError {
    fn from(v: Violation) -> Self {
        ApiError::with_detail(v.code, format!("{}: field `{}` {}", v.code.phrase(), v.field, v.rule))
    }
}

/// The answer and the events of a successful request.
pub(crate) type Outcome<R> = Result<(R, Vec<Event>), ApiError>;

/// Who is calling and when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub now: i64,
    pub app: &'a App,
    /// Rules broken on purpose (tests of test suites only; empty otherwise).
    pub bugs: &'a [Bug],
    /// Base of the `qr_code` and `pic_url` URLs handed out.
    pub public_url: &'a str,
    /// `Some(limit)` when the server holds its limit of configs over all corps
    /// (`--max-total-configs`): adds are refused.
    pub server_full: Option<u64>,
}

/// 41045 when the server holds its `--max-total-configs` (all corps together): checked with
/// the quotas, the last step of the order of checks.
pub(crate) fn check_server_room(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    match ctx.server_full {
        Some(limit) => Err(ApiError::with_detail(
            wecom_types::fidelity::SERVER_CONFIG_LIMIT,
            format!(
                "{}: this mock server holds its limit of {limit} configs over all corps (--max-total-configs); \
                 delete configs or ask its operator",
                wecom_types::fidelity::SERVER_CONFIG_LIMIT.phrase()
            ),
        )),
        None => Ok(()),
    }
}

/// Checks one member for use in a config: 60111 → 60011 → 41054 → 40098 → 84083.
pub(crate) fn check_member(dir: &Directory, app: &App, userid: &str) -> Result<MemberIdx, ApiError> {
    let detail = |code: ErrCode| ApiError::with_detail(code, format!("{}: userid `{userid}`", code.phrase()));
    let idx = dir.member_idx(userid).ok_or_else(|| detail(ErrCode::USERID_NOT_FOUND))?;
    let member = dir.member(idx);
    if !dir.member_visible(app, member) {
        return Err(detail(ErrCode::NO_PRIVILEGE_TO_ACCESS));
    }
    if !member.activated {
        return Err(detail(ErrCode::USER_NOT_ACTIVATED));
    }
    if !member.real_name_verified {
        return Err(detail(ErrCode::USER_NOT_REAL_NAME_VERIFIED));
    }
    if !member.customer_contact {
        return Err(detail(ErrCode::NOT_CUSTOMER_CONTACT_USER));
    }
    Ok(idx)
}

/// Checks one department for use in a config: 60123 → 60011.
pub(crate) fn check_department(dir: &Directory, app: &App, dept: u32) -> Result<(), ApiError> {
    let detail = |code: ErrCode| ApiError::with_detail(code, format!("{}: party {dept}", code.phrase()));
    if !dir.departments.contains_key(&dept) {
        return Err(detail(ErrCode::DEPARTMENT_NOT_FOUND));
    }
    if !dir.department_visible(app, dept) {
        return Err(detail(ErrCode::NO_PRIVILEGE_TO_ACCESS));
    }
    Ok(())
}

/// Members in list order with duplicates collapsed, each checked.
pub(crate) fn resolve_members(dir: &Directory, app: &App, users: &[String]) -> Result<Vec<MemberIdx>, ApiError> {
    let mut out = Vec::with_capacity(users.len());
    for userid in users {
        let idx = check_member(dir, app, userid)?;
        if !out.contains(&idx) {
            out.push(idx);
        }
    }
    Ok(out)
}

/// Departments in list order with duplicates collapsed, each checked.
pub(crate) fn resolve_departments(dir: &Directory, app: &App, parties: &[u32]) -> Result<Vec<u32>, ApiError> {
    let mut out = Vec::with_capacity(parties.len());
    for dept in parties {
        check_department(dir, app, *dept)?;
        if !out.contains(dept) {
            out.push(*dept);
        }
    }
    Ok(out)
}

/// 41041 when the members, departments expanded, are over the limit.
pub(crate) fn check_member_count(dir: &Directory, users: &[MemberIdx], parties: &[u32]) -> Result<(), ApiError> {
    let count = dir.expand(users, parties).len();
    let max = wecom_types::limits::MAX_MEMBERS_PER_CONTACT_WAY;
    if count > max {
        return Err(ApiError::with_detail(
            ErrCode::CONTACT_WAY_TOO_MANY_USERS,
            format!(
                "{}: {count} members with departments expanded, at most {max}",
                ErrCode::CONTACT_WAY_TOO_MANY_USERS.phrase()
            ),
        ));
    }
    Ok(())
}

/// Conclusions as stored: empty parts dropped, `None` when nothing is left.
pub(crate) fn normalize_conclusions(conclusions: Option<&Conclusions>) -> Option<Conclusions> {
    let c = conclusions?;
    let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    let out = Conclusions {
        text: c.text.clone().filter(|t| filled(&t.content)),
        image: c.image.clone().filter(|i| filled(&i.media_id) || filled(&i.pic_url)),
        link: c.link.clone().filter(|l| filled(&l.title)),
        miniprogram: c.miniprogram.clone().filter(|m| filled(&m.title)),
    };
    (!out.is_absent()).then_some(out)
}
