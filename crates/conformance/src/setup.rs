//! The corp a sequence runs in: a few knobs over the mock's default directory, so that quotas,
//! group capacities and the 100-member limit can be reached in a handful of calls.

use std::fmt;

use wecom_mock::fixtures::{CorpFixture, DepartmentFixture, MemberFixture};

use crate::directory::Directory;

/// A fixed instant after the 2021-07-10 list cutoff (2025-06-15T15:06:40Z).
pub const T0: i64 = 1_750_000_000;

/// Department id of the bulk department [`Setup::big_department`] adds.
pub const BIG_DEPARTMENT: u32 = 3;
/// Members of that department.
pub const BIG_DEPARTMENT_MEMBERS: usize = 98;

/// The corp knobs.
#[derive(Clone, PartialEq, Eq)]
pub struct Setup {
    /// Medical industry (temp chats allowed; 48002 otherwise).
    pub medical: bool,
    /// Shared quota of non-temp Contact Me plus Join Group configs.
    pub quota: u32,
    /// Temp configs per Beijing day.
    pub temp_daily: u32,
    /// The errcode of an expired token (42001, or 40014 as the real service sometimes sends).
    pub expired_token_errcode: i32,
    /// Capacity of the customer groups `wrmockchat0001`–`0003` (the owner counts).
    pub group_limit: u32,
    /// Adds department 3 under HQ with 98 members, so a config can reach 100 members ± 1.
    pub big_department: bool,
    /// Where the corp's clock starts (frozen).
    pub start: i64,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            medical: true,
            quota: wecom_types::limits::CONTACT_WAY_QUOTA,
            temp_daily: wecom_types::limits::TEMP_DAILY_QUOTA,
            expired_token_errcode: 42001,
            group_limit: 200,
            big_department: false,
            start: T0,
        }
    }
}

impl fmt::Debug for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printed as the Rust expression that builds it, for pasting into a regression test.
        write!(
            f,
            "Setup {{ medical: {}, quota: {}, temp_daily: {}, expired_token_errcode: {}, group_limit: {}, big_department: {}, start: {} }}",
            self.medical,
            self.quota,
            self.temp_daily,
            self.expired_token_errcode,
            self.group_limit,
            self.big_department,
            self.start
        )
    }
}

impl Setup {
    /// The corp as a fixture (what the mock is given) under `corpid`.
    pub fn fixture(&self, corpid: &str) -> CorpFixture {
        let mut corp = CorpFixture::default_directory(corpid);
        if !self.medical {
            corp.industry = "other".to_owned();
        }
        corp.quotas.contact_ways = self.quota;
        corp.quotas.temp_daily = self.temp_daily;
        corp.expired_token_errcode = self.expired_token_errcode;
        for chat in corp.group_chats.iter_mut().take(3) {
            chat.member_limit = self.group_limit;
        }
        if self.big_department {
            corp.departments.push(DepartmentFixture { id: BIG_DEPARTMENT, name: "Bulk".to_owned(), parent: 1 });
            corp.members.extend((0..BIG_DEPARTMENT_MEMBERS).map(|i| MemberFixture {
                userid: format!("bulk{i:03}"),
                name: String::new(),
                department: vec![BIG_DEPARTMENT],
                activated: true,
                real_name_verified: true,
                customer_contact: true,
                welcome_message_configured: false,
            }));
        }
        corp
    }

    /// The model's view of the same corp.
    pub fn directory(&self, corpid: &str) -> Directory {
        Directory::from_fixture(&self.fixture(corpid))
    }
}
