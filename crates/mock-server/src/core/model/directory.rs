//! A corp's directory: apps, departments, members and settings. It comes from the fixtures and
//! does not change until the corp is replaced.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use wecom_types::ErrCode;

/// Index of a member in [`Directory::members`]; configs store these instead of userid strings.
pub(crate) type MemberIdx = u32;

/// An application of the corp: its secret gets a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct App {
    pub agentid: u32,
    pub secret: String,
    pub customer_contact: bool,
    /// `None`: the whole corp is visible.
    pub visible: Option<Visible>,
    pub callback: Option<Callback>,
    /// The addresses its calls may come from; `None`: anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ips: Option<Vec<ipnet::IpNet>>,
}

impl App {
    /// Whether a call from `ip` (an IPv4-mapped IPv6 address already as IPv4) may use this
    /// app's token (60020 otherwise).
    pub(crate) fn trusts(&self, ip: ::core::net::IpAddr) -> bool {
        self.trusted_ips.as_ref().is_none_or(|nets| nets.iter().any(|net| net.contains(&ip)))
    }
}

/// The members and departments an app may use.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Visible {
    pub departments: Vec<u32>,
    pub members: Vec<String>,
}

/// Where and how the app receives callbacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Callback {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: String,
}

/// A department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Department {
    pub name: String,
    /// 0 for the root.
    pub parent: u32,
}

/// A member and the flags that decide whether a config may use them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Member {
    pub userid: String,
    pub name: String,
    pub department: Vec<u32>,
    pub activated: bool,
    pub real_name_verified: bool,
    pub customer_contact: bool,
    /// Its add events carry no welcome code (journals written before the field read `false`).
    #[serde(default)]
    pub welcome_message_configured: bool,
}

/// Per-corp quota limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Quotas {
    pub contact_ways: u32,
    pub temp_daily: u32,
}

/// Per-corp rate limits, per API: calls a minute and an hour (45009 beyond) and calls in
/// flight (45033 beyond). Journaled with the directory, so its serde shape is the format's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RateLimits {
    pub per_minute: u32,
    pub per_hour: u32,
    pub concurrent: u32,
}

/// A corp's fixed part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Directory {
    pub name: String,
    pub industry: String,
    pub apps: Vec<App>,
    pub departments: BTreeMap<u32, Department>,
    pub members: Vec<Member>,
    #[serde(skip)]
    pub member_index: HashMap<String, MemberIdx>,
    pub quotas: Quotas,
    pub rate_limits: Option<RateLimits>,
    pub expired_token_errcode: ErrCode,
}

/// The industry in which temp chats are allowed.
pub(crate) const MEDICAL_INDUSTRY: &str = "medical";

impl Directory {
    /// The directory with its member index built.
    pub(crate) fn indexed(mut self) -> Self {
        self.reindex();
        self
    }

    /// Rebuilds the member index (after deserialising).
    pub(crate) fn reindex(&mut self) {
        self.member_index = self.members.iter().enumerate().map(|(i, m)| (m.userid.clone(), i as MemberIdx)).collect();
    }

    pub(crate) fn is_medical(&self) -> bool {
        self.industry == MEDICAL_INDUSTRY
    }

    pub(crate) fn app(&self, agentid: u32) -> Option<&App> {
        self.apps.iter().find(|a| a.agentid == agentid)
    }

    pub(crate) fn member_idx(&self, userid: &str) -> Option<MemberIdx> {
        self.member_index.get(userid).copied()
    }

    pub(crate) fn member(&self, idx: MemberIdx) -> &Member {
        &self.members[idx as usize]
    }

    pub(crate) fn userid(&self, idx: MemberIdx) -> &str {
        &self.members[idx as usize].userid
    }

    /// `true` when `dept` is `ancestor` or below it.
    pub(crate) fn is_within(&self, mut dept: u32, ancestor: u32) -> bool {
        // The depth bound guards against a cycle in hand-written fixtures.
        for _ in 0..=self.departments.len() {
            if dept == ancestor {
                return true;
            }
            match self.departments.get(&dept) {
                Some(d) if d.parent != 0 && d.parent != dept => dept = d.parent,
                _ => return false,
            }
        }
        false
    }

    pub(crate) fn member_visible(&self, app: &App, member: &Member) -> bool {
        match &app.visible {
            None => true,
            Some(v) => {
                v.members.contains(&member.userid)
                    || member.department.iter().any(|d| v.departments.iter().any(|root| self.is_within(*d, *root)))
            }
        }
    }

    pub(crate) fn department_visible(&self, app: &App, dept: u32) -> bool {
        match &app.visible {
            None => true,
            Some(v) => v.departments.iter().any(|root| self.is_within(dept, *root)),
        }
    }

    /// Members of `dept` and its sub-departments, sorted by userid.
    pub(crate) fn department_members(&self, dept: u32) -> Vec<MemberIdx> {
        let mut out: Vec<MemberIdx> = self
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.department.iter().any(|d| self.is_within(*d, dept)))
            .map(|(i, _)| i as MemberIdx)
            .collect();
        out.sort_by(|a, b| self.userid(*a).cmp(self.userid(*b)));
        out
    }

    /// A config's members with departments expanded: listed users in order, then department
    /// members sorted by userid, each once.
    pub(crate) fn expand(&self, users: &[MemberIdx], parties: &[u32]) -> Vec<MemberIdx> {
        let mut out: Vec<MemberIdx> = Vec::with_capacity(users.len());
        for u in users {
            if !out.contains(u) {
                out.push(*u);
            }
        }
        let mut from_parties: Vec<MemberIdx> = Vec::new();
        for p in parties {
            for m in self.department_members(*p) {
                if !out.contains(&m) && !from_parties.contains(&m) {
                    from_parties.push(m);
                }
            }
        }
        from_parties.sort_by(|a, b| self.userid(*a).cmp(self.userid(*b)));
        out.extend(from_parties);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(userid: &str, dept: u32) -> Member {
        Member {
            userid: userid.into(),
            name: userid.into(),
            department: vec![dept],
            activated: true,
            real_name_verified: true,
            customer_contact: true,
            welcome_message_configured: false,
        }
    }

    fn dir() -> Directory {
        let departments = BTreeMap::from([
            (1, Department { name: "HQ".into(), parent: 0 }),
            (2, Department { name: "Sales".into(), parent: 1 }),
            (3, Department { name: "East".into(), parent: 2 }),
        ]);
        Directory {
            name: "c".into(),
            industry: MEDICAL_INDUSTRY.into(),
            apps: vec![],
            departments,
            members: vec![member("b", 3), member("a", 2), member("c", 1)],
            member_index: HashMap::new(),
            quotas: Quotas { contact_ways: 10, temp_daily: 10 },
            rate_limits: None,
            expired_token_errcode: ErrCode::ACCESS_TOKEN_EXPIRED,
        }
        .indexed()
    }

    #[test]
    fn departments_include_their_sub_departments() {
        let d = dir();
        assert!(d.is_within(3, 1));
        assert!(!d.is_within(1, 3));
        let names: Vec<&str> = d.department_members(2).into_iter().map(|i| d.userid(i)).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn expansion_lists_users_first_then_department_members_once() {
        let d = dir();
        let c = d.member_idx("c").expect("c");
        let b = d.member_idx("b").expect("b");
        let names: Vec<&str> = d.expand(&[c, b], &[2]).into_iter().map(|i| d.userid(i)).collect();
        assert_eq!(names, ["c", "b", "a"]);
    }
}
