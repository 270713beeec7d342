//! The probes: what a verify run sends, each with its tier, its cost and the rows it checks.
//!
//! Tier 0 is drawn from the one table of spec cases (`spec/cases.jsonl`): every case the
//! service answers over HTTP that needs nothing but the corp's directory (no set-up step, no
//! other app, no control surface, no knob of a corp of its own) and creates nothing when the
//! service agrees with the table. Tier 1 is the two lifecycles; tier 2 the checks that need a
//! person with WeChat, printed and never run.

use serde_json::Value;
use wecom_types::Api;

use crate::verify::spec::{Case, Layer, parse_cases};

/// The members and chats of the corp a run uses, by role: the flags of the same names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Roles {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) member: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inactive_member: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unverified_member: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) no_contact_member: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) chat: Option<String>,
}

/// A role: its placeholder in the cases, its flag, and where its value is kept.
pub(crate) struct Role {
    pub(crate) placeholder: &'static str,
    pub(crate) flag: &'static str,
    pub(crate) value: fn(&Roles) -> Option<&String>,
}

/// Every role, longest placeholder first (none is a prefix of another, but keep it safe).
pub(crate) const ROLES: [Role; 5] = [
    Role { placeholder: "$UNVERIFIED_MEMBER", flag: "--unverified-member", value: |r| r.unverified_member.as_ref() },
    Role { placeholder: "$NO_CONTACT_MEMBER", flag: "--no-contact-member", value: |r| r.no_contact_member.as_ref() },
    Role { placeholder: "$INACTIVE_MEMBER", flag: "--inactive-member", value: |r| r.inactive_member.as_ref() },
    Role { placeholder: "$MEMBER", flag: "--member", value: |r| r.member.as_ref() },
    Role { placeholder: "$CHAT", flag: "--chat", value: |r| r.chat.as_ref() },
];

impl Roles {
    /// Every value given, for keeping them in snapshots.
    pub(crate) fn values(&self) -> Vec<&str> {
        ROLES.iter().filter_map(|role| (role.value)(self).map(String::as_str)).collect()
    }

    /// Fills the roles not given here from `other` (a recording's `run.json`).
    pub(crate) fn or(self, other: Roles) -> Roles {
        Roles {
            member: self.member.or(other.member),
            inactive_member: self.inactive_member.or(other.inactive_member),
            unverified_member: self.unverified_member.or(other.unverified_member),
            no_contact_member: self.no_contact_member.or(other.no_contact_member),
            chat: self.chat.or(other.chat),
        }
    }
}

/// What a probe does.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// A spec case: one request, judged against its expected errcode.
    Case(Box<Case>),
    /// Contact Me add → get → list → update → get → delete → get.
    ContactWayLifecycle,
    /// Join Group add → get → update → get → delete → get.
    JoinWayLifecycle,
}

/// One probe.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub(crate) id: String,
    pub(crate) tier: u8,
    pub(crate) action: Action,
    /// Fidelity-table rows it checks.
    pub(crate) fidelity: Vec<String>,
    /// `errcodes.md` rows it checks.
    pub(crate) errcodes: Vec<String>,
    /// The service would create a config if it disagreed with us.
    pub(crate) could_create: bool,
    /// Creates it spends when all goes as expected.
    pub(crate) creates: u32,
}

impl Probe {
    /// Answers compared by errcode class and JSON types only: lists of members, customers and
    /// configs, whose values and length are the corp's own.
    pub(crate) fn types_only(&self) -> bool {
        match &self.action {
            Action::Case(case) => matches!(
                case.table_api(),
                Some(Api::GetFollowUserList | Api::ListExternalContact | Api::ListContactWay)
            ),
            _ => false,
        }
    }

    /// The roles it needs that `roles` lacks (their flags), empty when it can run.
    pub(crate) fn missing_roles(&self, roles: &Roles) -> Vec<&'static str> {
        let text = match &self.action {
            Action::Case(case) => case_text(case),
            Action::ContactWayLifecycle => "$MEMBER".to_owned(),
            Action::JoinWayLifecycle => "$CHAT".to_owned(),
        };
        ROLES
            .iter()
            .filter(|role| text.contains(role.placeholder) && (role.value)(roles).is_none())
            .map(|role| role.flag)
            .collect()
    }
}

/// A checklist item of tier 2: what needs a person with WeChat.
pub(crate) struct Manual {
    pub(crate) id: &'static str,
    pub(crate) what: &'static str,
    pub(crate) fidelity: &'static [&'static str],
}

/// Tier 2: printed by `--plan`, run by nobody.
pub(crate) const MANUAL: [Manual; 5] = [
    Manual {
        id: "manual/scan-contact-way",
        what: "scan a Contact Me code made with a state: the add event and get_external_contact carry that state",
        fidelity: &["QR_CODE_CONTENT", "CALLBACK_ONLY_NEW_RELATIONSHIPS"],
    },
    Manual {
        id: "manual/temp-chat",
        what: "scan a temp (is_temp) code once, scan it again (refused), then close_temp_chat ends the chat",
        fidelity: &["TEMP_CONFIG_NO_LONGER_EDITABLE", "CLOSE_NON_TEMP_CHAT"],
    },
    Manual {
        id: "manual/welcome-message",
        what: "send_welcome_msg with the welcome code of an add event within 20 s, and again after 20 s",
        fidelity: &["WELCOME_CODE_FROM_ADD", "WELCOME_CODE_ANY_APP"],
    },
    Manual {
        id: "manual/join-group",
        what: "join a group through a Join Group code with auto_create_room when every group is full",
        fidelity: &["AUTO_ROOM_INHERITS_MEMBER_LIMIT", "CALLBACK_AUTO_ROOM_EVENTS"],
    },
    Manual {
        id: "manual/customer-list-order",
        what: "externalcontact/list of a member with several customers: the order of the ids",
        fidelity: &["CUSTOMER_LIST_ORDER"],
    },
];

/// The text of a case's request, for finding its placeholders.
pub(crate) fn case_text(case: &Case) -> String {
    let mut text = case.raw.clone().unwrap_or_default();
    if let Some(body) = &case.body {
        text.push_str(&body.to_string());
    }
    if let Some(query) = &case.query {
        text.push_str(&Value::Object(query.clone()).to_string());
    }
    text
}

/// Why a case of the table is not a probe, `None` when it is one.
fn not_a_probe(case: &Case) -> Option<&'static str> {
    let text = case_text(case);
    let uses_a_role = ROLES.iter().any(|role| text.contains(role.placeholder));
    if !(case.applies(Layer::Mock) || case.applies(Layer::Conformance)) {
        Some("checked offline only")
    } else if case.api.starts_with("__admin") || case.needs.is_some() || case.status.is_some() {
        Some("about the mock's own surface")
    } else if case.given.is_some() {
        Some("needs a set-up step")
    } else if case.app.is_some() {
        Some("needs another app")
    } else if case.token.as_deref() == Some("expired") {
        Some("needs an expired token")
    } else if case.corp.as_ref().is_some_and(|corp| *corp != Default::default() || !uses_a_role) {
        Some("needs a corp of its own")
    } else if case.expect == 0 && case.table_api().is_some_and(|api| api.info().creates) {
        Some("creates a config")
    } else if text.contains("$USER2") || text.contains("$ID") || text.contains("$EXT") || text.contains("$HUGE") {
        Some("needs what only a set-up step makes")
    } else {
        None
    }
}

/// The fidelity rows the lifecycles check.
const CONTACT_WAY_LIFECYCLE_ROWS: [&str; 5] =
    ["ADD_WAY_QR_CODE", "UPDATE_ABSENT_KEEPS", "LIST_SHOWS_NEW_CONFIG_AT_ONCE", "UNKNOWN_CONFIG_ID", "CONFIG_ID_SHAPE"];
const JOIN_WAY_LIFECYCLE_ROWS: [&str; 3] = ["JOIN_WAY_REMARK_TRUNCATED", "UNKNOWN_CONFIG_ID", "CONFIG_ID_SHAPE"];

/// Every probe of tiers 0 and 1, in the order a run sends them.
pub(crate) fn catalogue() -> Result<Vec<Probe>, crate::verify::spec::CaseError> {
    let mut probes: Vec<Probe> = parse_cases(crate::verify::spec::CASES_JSONL)?
        .into_iter()
        .filter(|case| not_a_probe(case).is_none())
        .map(|case| Probe {
            id: case.id.clone(),
            tier: 0,
            fidelity: case.fidelity.clone(),
            errcodes: vec![case.row.clone()],
            could_create: case.could_create,
            creates: 0,
            action: Action::Case(Box::new(case)),
        })
        .collect();
    probes.push(Probe {
        id: "lifecycle/contact_way".to_owned(),
        tier: 1,
        action: Action::ContactWayLifecycle,
        fidelity: CONTACT_WAY_LIFECYCLE_ROWS.map(str::to_owned).to_vec(),
        errcodes: vec!["config_id missing / unknown (get, update, delete)".to_owned()],
        could_create: false,
        creates: 1,
    });
    probes.push(Probe {
        id: "lifecycle/join_way".to_owned(),
        tier: 1,
        action: Action::JoinWayLifecycle,
        fidelity: JOIN_WAY_LIFECYCLE_ROWS.map(str::to_owned).to_vec(),
        errcodes: vec!["config_id missing / unknown, or created by another app".to_owned()],
        could_create: false,
        creates: 1,
    });
    Ok(probes)
}

#[cfg(test)]
mod tests {
    use wecom_types::fidelity::FIDELITY_TABLE;

    use super::*;

    fn probes() -> Vec<Probe> {
        catalogue().unwrap_or_else(|err| panic!("the case table reads: {err}"))
    }

    #[test]
    fn every_named_fidelity_row_exists() {
        let manual = MANUAL.iter().flat_map(|item| item.fidelity.iter().map(|name| (*name).to_owned()));
        for name in probes().into_iter().flat_map(|probe| probe.fidelity).chain(manual) {
            assert!(FIDELITY_TABLE.iter().any(|row| row.name == name), "{name} is not a fidelity-table row");
        }
    }

    #[test]
    fn no_tier_0_probe_creates_when_the_service_agrees() {
        for probe in probes() {
            if let Action::Case(case) = &probe.action {
                let creates = case.table_api().is_some_and(|api| api.info().creates);
                assert!(!(creates && case.expect == 0), "{} would create", probe.id);
                assert_eq!(probe.could_create, creates, "{}: could_create marks every refused create", probe.id);
            }
        }
    }

    #[test]
    fn probe_ids_are_unique() {
        let probes = probes();
        for (i, probe) in probes.iter().enumerate() {
            assert!(!probes[..i].iter().any(|other| other.id == probe.id), "{} twice", probe.id);
        }
    }

    #[test]
    fn a_missing_role_names_its_flag() {
        let probe = probes().into_iter().find(|p| p.id == "add_contact_way/member-not-activated");
        let probe = probe.unwrap_or_else(|| panic!("the case is a probe"));
        assert_eq!(probe.missing_roles(&Roles::default()), vec!["--inactive-member"]);
        let roles = Roles { inactive_member: Some("zhouba".into()), ..Roles::default() };
        assert!(probe.missing_roles(&roles).is_empty());
    }

    #[test]
    fn cases_that_need_the_mock_or_a_set_up_are_not_probes() {
        let ids: Vec<String> = probes().into_iter().map(|p| p.id).collect();
        for excluded in
            ["mock/unknown-path", "token/expired", "get_contact_way/deleted-config-id", "add_join_way/internal-group"]
        {
            assert!(!ids.iter().any(|id| id == excluded), "{excluded} is not a probe");
        }
        for included in ["token/missing", "add_contact_way/type-3", "get_follow_user_list/valid"] {
            assert!(ids.iter().any(|id| id == included), "{included} is a probe");
        }
    }
}
