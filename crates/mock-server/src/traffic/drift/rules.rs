//! The rule check: the request run through the checks that need no corp state (`errcodes.md`
//! steps 6–8: JSON types, required fields, values; 41041 for more than 100 listed users is one
//! of them), compared with the upstream's errcode. Only the errcodes those checks can give are
//! judged; token, trusted IPs, permission, rate limits, the directory, stored state and quotas
//! are the upstream's business.

use serde_json::Value;
use wecom_types::ErrCode;
use wecom_types::endpoint::{Api, Endpoint, EndpointVisitor, Method};
use wecom_types::fidelity as assumed;
use wecom_types::wire::{decode_body, decode_query};

use super::Found;
use crate::api::DriftKind;

/// The errcodes the pure checks can give: an upstream answer with another one (besides 0) is
/// not judged by this rule.
pub(crate) const JUDGED: [ErrCode; 14] = [
    ErrCode::CONTACT_WAY_TYPE_MISSING,
    ErrCode::CONTACT_WAY_SCENE_MISSING,
    ErrCode::INVALID_CONTACT_WAY_TYPE,
    ErrCode::INVALID_CONTACT_WAY_SCENE,
    ErrCode::CONTACT_WAY_TOO_MANY_USERS,
    ErrCode::INVALID_CONTACT_WAY_STYLE,
    ErrCode::CONFIG_ID_MISSING,
    ErrCode::WELCOME_CODE_MISSING,
    ErrCode::JOIN_WAY_TOO_MANY_CHATS,
    ErrCode::INVALID_PARAMETER,
    ErrCode::INVALID_EXTERNAL_USERID,
    ErrCode::INVALID_CHAT_ID,
    ErrCode::USERID_MISSING,
    ErrCode::EXTERNAL_USERID_MISSING,
];

/// Why the pure checks refuse a request: the errcode, the field, the rule in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub code: ErrCode,
    pub field: Option<String>,
    pub why: String,
}

/// The request of an API as the mock reads it: the body of a POST, the query of a GET.
struct Pure<'a> {
    query: &'a str,
    body: &'a [u8],
}

impl EndpointVisitor for Pure<'_> {
    type Output = Result<(), Refusal>;

    fn visit<E: Endpoint>(self) -> Result<(), Refusal> {
        let decoded: Result<E, _> = match E::API.info().method {
            Method::Post => decode_body(self.body),
            Method::Get => {
                let pairs: Vec<(String, String)> = form_urlencoded::parse(self.query.as_bytes()).into_owned().collect();
                decode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
        };
        let request = decoded.map_err(|err| Refusal {
            code: wecom_types::wire::DecodeError::CODE,
            field: err.field.clone(),
            why: err.phrase(),
        })?;
        request.validate().map_err(|violation| Refusal {
            code: violation.code,
            field: Some(violation.field.to_owned()),
            why: format!("field `{}` {}", violation.field, violation.rule),
        })
    }
}

/// What the pure checks say of a request of `api`.
pub(super) fn verdict(api: Api, query: &str, body: &[u8]) -> Result<(), Refusal> {
    api.visit(Pure { query, body })
}

/// `true` when `party` is given (not absent, `null` or `[]`): 41041 then counts department
/// members, which only the directory knows.
fn party_given(body: &[u8]) -> bool {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else { return false };
    match request.get("party") {
        None | Some(Value::Null) => false,
        Some(Value::Array(parties)) => !parties.is_empty(),
        Some(_) => true,
    }
}

/// `true` when an accepted request answered `code` by the upstream can only be a
/// disagreement with the pure checks: `false` where stored state decides as well (the
/// stored config of an update: its type for the style, its temp state, the merged members
/// with the stored departments; a list's cursor and its window against the clock;
/// departments expanded).
fn visible_to_pure_checks(api: Api, code: ErrCode, body: &[u8]) -> bool {
    if assumed::DRIFT_STATEFUL_ERRCODES.contains(&(api, code)) {
        return false;
    }
    code != ErrCode::CONTACT_WAY_TOO_MANY_USERS || !party_given(body)
}

/// The rule finding of one exchange, if any: the upstream answered `upstream` (HTTP 200).
pub(super) fn check(api: Api, query: &str, body: &[u8], upstream: ErrCode, out: &mut Vec<Found>) {
    if !upstream.is_ok() && !JUDGED.contains(&upstream) {
        return;
    }
    match verdict(api, query, body) {
        Err(refusal) if refusal.code == upstream => {}
        Err(refusal) => out.push(Found {
            kind: DriftKind::Rule,
            field: refusal.field,
            detail: format!(
                "the mock would refuse with {} ({}); the upstream answered {}",
                refusal.code.0, refusal.why, upstream.0
            ),
        }),
        Ok(()) if upstream.is_ok() || !visible_to_pure_checks(api, upstream, body) => {}
        Ok(()) => out.push(Found {
            kind: DriftKind::Rule,
            field: None,
            detail: format!(
                "the mock would accept (the request breaks no rule that needs no corp state); the upstream answered {}",
                upstream.0
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(api: Api, query: &str, body: &str, upstream: i32) -> Option<String> {
        let mut out = Vec::new();
        check(api, query, body.as_bytes(), ErrCode(upstream), &mut out);
        assert!(out.len() <= 1, "{out:?}");
        out.pop().map(|found| found.detail)
    }

    #[test]
    fn agreement_and_codes_outside_the_pure_checks_are_no_finding() {
        let valid = r#"{"type":1,"scene":2,"user":["zhangsan"]}"#;
        let cases: &[(Api, &str, &str, i32)] = &[
            (Api::AddContactWay, "", valid, 0),
            (Api::AddContactWay, "", r#"{"type":3,"scene":2}"#, 41039),
            (Api::AddContactWay, "", r#"{"type":"1"}"#, 40058),
            // Errcodes of the token, the directory, rate limits, quotas: not judged.
            (Api::AddContactWay, "", valid, 60111),
            (Api::AddContactWay, "", r#"{"type":3,"scene":2}"#, 40014),
            (Api::AddContactWay, "", valid, 41045),
            (Api::AddContactWay, "", valid, 48002),
            // The two exceptions, and what stored state decides.
            (Api::UpdateContactWay, "", r#"{"config_id":"c","style":3}"#, 40058),
            (Api::UpdateContactWay, "", r#"{"config_id":"c","style":3}"#, 41042),
            (Api::AddContactWay, "", r#"{"type":2,"scene":2,"party":[1]}"#, 41041),
            (Api::ListContactWay, "", r#"{"cursor":"nope"}"#, 40058),
            (Api::GetFollowUserList, "access_token=t", "", 0),
            (Api::CloseTempChat, "", r#"{"external_userid":"wmabcd"}"#, 41009),
        ];
        for (api, query, body, upstream) in cases {
            assert_eq!(rule(*api, query, body, *upstream), None, "{api:?} {body} answered {upstream}");
        }
    }

    #[test]
    fn disagreements_name_both_errcodes() {
        let cases: &[(Api, &str, &str, i32, &str)] = &[
            (Api::AddContactWay, "", r#"{"type":3,"scene":2}"#, 0, "the mock would refuse with 41039"),
            (Api::AddContactWay, "", r#"{"type":3,"scene":2}"#, 41040, "the upstream answered 41040"),
            (Api::AddContactWay, "", r#"{"type":1,"scene":2,"user":["a"]}"#, 41041, "the mock would accept"),
            (Api::AddJoinWay, "", r#"{"scene":2,"chat_id_list":["wrmockchat0001"]}"#, 41091, "would accept"),
            (Api::GetToken, "corpid=ww1", "", 0, "the mock would refuse with 41004"),
            (Api::CloseTempChat, "", r#"{"userid":"a","external_userid":"x"}"#, 0, "refuse with 40096"),
        ];
        for (api, query, body, upstream, expected) in cases {
            let detail = rule(*api, query, body, *upstream).unwrap_or_default();
            assert!(detail.contains(expected), "{api:?} {body} answered {upstream}: {detail}");
        }
    }
}
