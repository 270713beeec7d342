//! The fixed part of a corp that the model reads: members, departments, apps, groups, quotas.
//!
//! Built from a [`CorpFixture`], which is plain data (the same document the mock loads), so the
//! model and the mock start from the same corp without the model reading any of the mock's code.

use std::collections::{BTreeMap, BTreeSet};

use wecom_mock::fixtures::CorpFixture;
use wecom_types::ErrCode;

/// One member's flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Departments the member belongs to.
    pub departments: Vec<u32>,
    /// Has logged in (41054 otherwise).
    pub activated: bool,
    /// Real-name verified (40098 otherwise).
    pub verified: bool,
    /// Has the customer-contact function (84083 otherwise).
    pub customer_contact: bool,
}

/// One app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its id.
    pub agentid: u32,
    /// Its secret.
    pub secret: String,
    /// May call customer-contact APIs (48002 otherwise).
    pub customer_contact: bool,
    /// `None`: sees the whole corp; otherwise these departments (with sub-departments) and members.
    pub visible: Option<(Vec<u32>, Vec<String>)>,
}

/// One group chat as the fixture declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    /// Display name.
    pub name: String,
    /// Owning member.
    pub owner: String,
    /// Capacity, the owner included.
    pub member_limit: u32,
    /// A customer group (90501 otherwise).
    pub customer_group: bool,
}

/// The directory and settings of one corp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// The corp id.
    pub corpid: String,
    /// Medical industry: temp chats allowed.
    pub medical: bool,
    /// Apps in fixture order; ops name them by index.
    pub apps: Vec<App>,
    /// Members by userid.
    pub members: BTreeMap<String, Member>,
    /// Userids in fixture order (`get_follow_user_list` lists them so).
    pub member_order: Vec<String>,
    /// Departments: id → parent.
    pub departments: BTreeMap<u32, u32>,
    /// Group chats by id.
    pub chats: BTreeMap<String, Chat>,
    /// Shared quota of non-temp Contact Me plus Join Group configs.
    pub quota: u32,
    /// Temp configs per Beijing day.
    pub temp_daily: u32,
    /// The errcode of an expired token.
    pub expired_token_errcode: ErrCode,
}

impl Directory {
    /// Reads a fixture. The industry string `medical` is the spec's medical industry.
    pub fn from_fixture(fixture: &CorpFixture) -> Directory {
        Directory {
            corpid: fixture.corpid.clone(),
            medical: fixture.industry == "medical",
            apps: fixture
                .apps
                .iter()
                .map(|a| App {
                    agentid: a.agentid,
                    secret: a.secret.clone(),
                    customer_contact: a.customer_contact,
                    visible: a.visible.as_ref().map(|v| (v.departments.clone(), v.members.clone())),
                })
                .collect(),
            members: fixture
                .members
                .iter()
                .map(|m| {
                    let member = Member {
                        departments: m.department.clone(),
                        activated: m.activated,
                        verified: m.real_name_verified,
                        customer_contact: m.customer_contact,
                    };
                    (m.userid.clone(), member)
                })
                .collect(),
            member_order: fixture.members.iter().map(|m| m.userid.clone()).collect(),
            departments: fixture.departments.iter().map(|d| (d.id, d.parent)).collect(),
            chats: fixture
                .group_chats
                .iter()
                .map(|g| {
                    let chat = Chat {
                        name: g.name.clone(),
                        owner: g.owner.clone(),
                        member_limit: g.member_limit,
                        customer_group: g.customer_group,
                    };
                    (g.chat_id.clone(), chat)
                })
                .collect(),
            quota: fixture.quotas.contact_ways,
            temp_daily: fixture.quotas.temp_daily,
            expired_token_errcode: ErrCode(fixture.expired_token_errcode),
        }
    }

    /// `true` when department `dept` is `ancestor` or lies under it.
    pub fn is_within(&self, dept: u32, ancestor: u32) -> bool {
        let mut current = dept;
        // A fixture could declare a cycle; the bound keeps the walk finite.
        for _ in 0..=self.departments.len() {
            if current == ancestor {
                return true;
            }
            match self.departments.get(&current) {
                Some(&parent) if parent != 0 => current = parent,
                _ => return false,
            }
        }
        false
    }

    /// Members of `dept` and its sub-departments, sorted by userid.
    pub fn members_of(&self, dept: u32) -> BTreeSet<String> {
        self.members
            .iter()
            .filter(|(_, m)| m.departments.iter().any(|&d| self.is_within(d, dept)))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Whether `app` may use member `userid`.
    pub fn member_visible(&self, app: usize, userid: &str) -> bool {
        let Some(app) = self.apps.get(app) else { return false };
        match &app.visible {
            None => true,
            Some((depts, members)) => {
                members.iter().any(|m| m == userid)
                    || self
                        .members
                        .get(userid)
                        .is_some_and(|m| m.departments.iter().any(|&d| depts.iter().any(|&v| self.is_within(d, v))))
            }
        }
    }

    /// Whether `app` may use department `dept`.
    pub fn department_visible(&self, app: usize, dept: u32) -> bool {
        let Some(app) = self.apps.get(app) else { return false };
        match &app.visible {
            None => true,
            Some((depts, _)) => depts.iter().any(|&v| self.is_within(dept, v)),
        }
    }
}
