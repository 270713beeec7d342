//! The fixtures format of `mock-server.md` (JSON, or the same shape in TOML) and the
//! zero-config default corp.
//!
//! Unknown keys are rejected with a message naming them: a typo must not silently drop a member.
//! Reading a fixtures file (and TOML) is the binary's part: here everything is parsed from bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wecom_types::ErrCode;
use wecom_types::api::{GroupMemberType, JoinScene};
use wecom_types::fidelity::{self as assumed, DEFAULT_EXPIRED_TOKEN_ERRCODE, DEFAULT_GROUP_MEMBER_LIMIT};
use wecom_types::limits::{CONTACT_WAY_QUOTA, TEMP_DAILY_QUOTA};

use crate::core::model::{self, Directory, GroupChatRecord, GroupMemberRecord};

/// Why a fixture cannot be loaded: it does not parse, or it describes a corp that cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// Not JSON of the fixtures format (an unknown key is named here).
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// `corpid` is empty.
    #[error("corpid must not be empty")]
    EmptyCorpid,
    /// Two apps share an agentid.
    #[error("corp {corpid}: agentid {agentid} appears twice")]
    DuplicateAgentid {
        /// The corp.
        corpid: String,
        /// The agentid.
        agentid: u32,
    },
    /// An app has no secret (nobody could get a token for it).
    #[error("corp {corpid}: app {agentid} has an empty secret")]
    EmptySecret {
        /// The corp.
        corpid: String,
        /// The app.
        agentid: u32,
    },
    /// An app's callback could never be delivered.
    #[error("corp {corpid}: app {agentid}: {reason}")]
    Callback {
        /// The corp.
        corpid: String,
        /// The app.
        agentid: u32,
        /// What is wrong with it.
        reason: CallbackSettingsError,
    },
    /// An entry of an app's `trusted_ips` is neither an IP address nor a CIDR block.
    #[error("corp {corpid}: app {agentid}: trusted_ips entry `{entry}` is not an IPv4 or IPv6 address or CIDR block")]
    TrustedIp {
        /// The corp.
        corpid: String,
        /// The app.
        agentid: u32,
        /// The entry as given.
        entry: String,
    },
    /// Two members share a userid.
    #[error("corp {corpid}: member {userid} appears twice")]
    DuplicateMember {
        /// The corp.
        corpid: String,
        /// The userid.
        userid: String,
    },
    /// Two groups share a chat id.
    #[error("corp {corpid}: group {chat_id} appears twice")]
    DuplicateGroup {
        /// The corp.
        corpid: String,
        /// The chat id.
        chat_id: String,
    },
    /// A group's id is not of the `wr…` shape.
    #[error("corp {corpid}: `{chat_id}` is not a chat id (wr + 4-62 of [A-Za-z0-9_-])")]
    NotAChatId {
        /// The corp.
        corpid: String,
        /// The id given.
        chat_id: String,
    },
    /// A group nobody fits in.
    #[error("corp {corpid}: group {chat_id} has member_limit 0")]
    ZeroMemberLimit {
        /// The corp.
        corpid: String,
        /// The group.
        chat_id: String,
    },
}

/// Why an app's callback settings could never be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackSettingsError {
    /// The URL does not parse.
    #[error("callback url `{url}` is not a URL: {reason}")]
    NotAUrl {
        /// The URL given.
        url: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Not `http://host…` (the mock has no TLS client).
    #[error("callback url `{url}` must start with http:// (the mock has no TLS client)")]
    NotHttp {
        /// The URL given.
        url: String,
    },
    /// The EncodingAESKey is not 43 base64 characters.
    #[error("callback encoding_aes_key: {reason} (got {chars} characters)")]
    AesKey {
        /// The decoder's complaint.
        reason: wecom_callback_crypto::Error,
        /// The key's length.
        chars: usize,
    },
}

/// Refuses callback settings that could never be delivered: a URL the mock cannot post to or
/// an EncodingAESKey that is not 43 base64 characters.
pub(crate) fn check_callback(url: &str, encoding_aes_key: &str) -> Result<(), CallbackSettingsError> {
    let uri: http::Uri = url.parse().map_err(|e: http::uri::InvalidUri| CallbackSettingsError::NotAUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if uri.scheme_str() != Some(assumed::CALLBACK_URL_SCHEME) || uri.authority().is_none() {
        return Err(CallbackSettingsError::NotHttp { url: url.to_owned() });
    }
    wecom_callback_crypto::decode_aes_key(encoding_aes_key)
        .map(|_| ())
        .map_err(|reason| CallbackSettingsError::AesKey { reason, chars: encoding_aes_key.chars().count() })
}

/// A fixtures document: `{"corps": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// The corps to create at start-up and on reset.
    pub corps: Vec<CorpFixture>,
}

/// One corp. Every key but `corpid` has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorpFixture {
    /// The corp id.
    pub corpid: String,
    /// Display name.
    #[serde(default = "default_name")]
    pub name: String,
    /// `medical` allows temp chats.
    #[serde(default = "default_industry")]
    pub industry: String,
    /// Applications; default: one customer-contact app `1000001` / `mock-secret`.
    #[serde(default = "default_apps")]
    pub apps: Vec<AppFixture>,
    /// Departments.
    #[serde(default)]
    pub departments: Vec<DepartmentFixture>,
    /// Members.
    #[serde(default)]
    pub members: Vec<MemberFixture>,
    /// Customer groups.
    #[serde(default)]
    pub group_chats: Vec<GroupChatFixture>,
    /// Quota overrides.
    #[serde(default)]
    pub quotas: QuotaFixture,
    /// `false` (default), `true` for the documented limits, or an object overriding them.
    #[serde(default)]
    pub rate_limits: RateLimitFixture,
    /// The errcode for an expired token (the real service has been seen sending 40014).
    #[serde(default = "default_expired_token_errcode")]
    pub expired_token_errcode: i32,
}

/// One application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppFixture {
    /// The app's id.
    pub agentid: u32,
    /// Its secret.
    pub secret: String,
    /// `false`: every customer-contact API answers 48002.
    #[serde(default = "yes")]
    pub customer_contact: bool,
    /// The members and departments it may use; default the whole corp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<VisibleFixture>,
    /// Where to post callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackFixture>,
    /// The addresses its calls may come from: IPv4 or IPv6 addresses and CIDR blocks
    /// (`"203.0.113.7"`, `"10.0.0.0/8"`, `"2001:db8::/32"`). A call with its token from
    /// anywhere else answers 60020; an empty list refuses every address; absent, no check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_ips: Option<Vec<String>>,
}

/// An app's visible range.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VisibleFixture {
    /// Departments (with their sub-departments).
    #[serde(default)]
    pub departments: Vec<u32>,
    /// Single members.
    #[serde(default)]
    pub members: Vec<String>,
}

/// An app's callback settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackFixture {
    /// The URL events are posted to.
    pub url: String,
    /// The signing token.
    pub token: String,
    /// The 43-character AES key.
    pub encoding_aes_key: String,
}

/// A department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentFixture {
    /// Its id.
    pub id: u32,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its parent; 0 for a root.
    #[serde(default)]
    pub parent: u32,
}

/// A member. The flags default to the member being usable in configs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberFixture {
    /// The userid.
    pub userid: String,
    /// Display name; default the userid.
    #[serde(default)]
    pub name: String,
    /// Departments.
    #[serde(default)]
    pub department: Vec<u32>,
    /// Has logged in at least once.
    #[serde(default = "yes")]
    pub activated: bool,
    /// Real-name verified.
    #[serde(default = "yes")]
    pub real_name_verified: bool,
    /// Has the customer-contact function.
    #[serde(default = "yes")]
    pub customer_contact: bool,
    /// The admin console already greets this member's new customers: their add events carry
    /// no `WelcomeCode` (and `/__admin/scan` answers `"welcome_code": ""`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub welcome_message_configured: bool,
}

/// A group chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupChatFixture {
    /// Its id (`wr…`).
    pub chat_id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The owning member.
    #[serde(default)]
    pub owner: String,
    /// How many members fit, the owner included.
    #[serde(default = "default_member_limit")]
    pub member_limit: u32,
    /// `false`: an internal group (90501 when used in a Join Group config).
    #[serde(default = "yes")]
    pub customer_group: bool,
}

/// Quota overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaFixture {
    /// Non-temp Contact Me plus Join Group configs.
    #[serde(default = "default_contact_way_quota")]
    pub contact_ways: u32,
    /// Temp Contact Me configs per Beijing day.
    #[serde(default = "default_temp_quota")]
    pub temp_daily: u32,
}

impl Default for QuotaFixture {
    fn default() -> Self {
        QuotaFixture { contact_ways: CONTACT_WAY_QUOTA, temp_daily: TEMP_DAILY_QUOTA }
    }
}

/// `rate_limits`: a boolean or an object of overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum RateLimitFixture {
    /// On with the documented numbers, or off.
    Enabled(bool),
    /// On with these numbers.
    Custom(RateLimitSettings),
}

impl Default for RateLimitFixture {
    fn default() -> Self {
        RateLimitFixture::Enabled(false)
    }
}

/// Rate-limit numbers (per corp and API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Calls per minute (45009 beyond).
    #[serde(default = "default_per_minute")]
    pub per_minute: u32,
    /// Calls per hour (45009 beyond).
    #[serde(default = "default_per_hour")]
    pub per_hour: u32,
    /// Calls in flight at once (45033 beyond).
    #[serde(default = "default_concurrent")]
    pub concurrent: u32,
}

fn yes() -> bool {
    true
}
fn default_name() -> String {
    "Mock Corp".to_owned()
}
fn default_industry() -> String {
    "other".to_owned()
}
fn default_apps() -> Vec<AppFixture> {
    vec![AppFixture {
        agentid: DEFAULT_AGENTID,
        secret: DEFAULT_SECRET.to_owned(),
        customer_contact: true,
        visible: None,
        callback: None,
        trusted_ips: None,
    }]
}
fn default_member_limit() -> u32 {
    DEFAULT_GROUP_MEMBER_LIMIT
}
fn default_contact_way_quota() -> u32 {
    CONTACT_WAY_QUOTA
}
fn default_temp_quota() -> u32 {
    TEMP_DAILY_QUOTA
}
fn default_expired_token_errcode() -> i32 {
    DEFAULT_EXPIRED_TOKEN_ERRCODE.0
}
fn default_per_minute() -> u32 {
    wecom_types::fidelity::RATE_LIMIT_PER_MINUTE
}
fn default_per_hour() -> u32 {
    wecom_types::fidelity::RATE_LIMIT_PER_HOUR
}
fn default_concurrent() -> u32 {
    wecom_types::fidelity::RATE_LIMIT_CONCURRENT
}

/// The default corp's id.
pub const DEFAULT_CORPID: &str = "wwmock0000000001";
/// The default corp's customer-contact app.
pub const DEFAULT_AGENTID: u32 = 1_000_001;
/// That app's secret.
pub const DEFAULT_SECRET: &str = "mock-secret";
/// An app of the default corp without customer-contact permission (48002 everywhere).
pub const NO_CONTACT_AGENTID: u32 = 1_000_002;
/// Its secret.
pub const NO_CONTACT_SECRET: &str = "mock-secret-no-contact";
/// An app of the default corp that sees only department 2 ("Sales").
pub const SALES_ONLY_AGENTID: u32 = 1_000_003;
/// Its secret.
pub const SALES_ONLY_SECRET: &str = "mock-secret-sales-only";

impl CorpFixture {
    /// The zero-config default corp: a medical corp with members in every state that matters,
    /// two departments and six customer groups (plus one internal group).
    pub fn default_corp() -> Self {
        Self::default_directory(DEFAULT_CORPID)
    }

    /// The default directory under another corp id (tenants get this).
    pub fn default_directory(corpid: &str) -> Self {
        let member =
            |userid: &str, name: &str, dept: u32, activated: bool, verified: bool, contact: bool| MemberFixture {
                userid: userid.to_owned(),
                name: name.to_owned(),
                department: vec![dept],
                activated,
                real_name_verified: verified,
                customer_contact: contact,
                welcome_message_configured: false,
            };
        let chat = |n: u32, owner: &str, customer_group: bool| GroupChatFixture {
            chat_id: if customer_group { format!("wrmockchat000{n}") } else { format!("wrmockinternal0{n}") },
            name: if customer_group { format!("客户群{n}") } else { format!("内部群{n}") },
            owner: owner.to_owned(),
            member_limit: DEFAULT_GROUP_MEMBER_LIMIT,
            customer_group,
        };
        CorpFixture {
            corpid: corpid.to_owned(),
            name: "Mock Medical Ltd".to_owned(),
            industry: model::MEDICAL_INDUSTRY.to_owned(),
            apps: vec![
                AppFixture {
                    agentid: DEFAULT_AGENTID,
                    secret: DEFAULT_SECRET.to_owned(),
                    customer_contact: true,
                    visible: None,
                    callback: None,
                    trusted_ips: None,
                },
                AppFixture {
                    agentid: NO_CONTACT_AGENTID,
                    secret: NO_CONTACT_SECRET.to_owned(),
                    customer_contact: false,
                    visible: None,
                    callback: None,
                    trusted_ips: None,
                },
                AppFixture {
                    agentid: SALES_ONLY_AGENTID,
                    secret: SALES_ONLY_SECRET.to_owned(),
                    customer_contact: true,
                    visible: Some(VisibleFixture { departments: vec![2], members: vec![] }),
                    callback: None,
                    trusted_ips: None,
                },
            ],
            departments: vec![
                DepartmentFixture { id: 1, name: "HQ".to_owned(), parent: 0 },
                DepartmentFixture { id: 2, name: "Sales".to_owned(), parent: 1 },
            ],
            members: vec![
                member("zhangsan", "张三", 1, true, true, true),
                member("lisi", "李四", 2, true, true, true),
                member("wangwu", "王五", 2, true, true, true),
                member("zhaoliu", "赵六", 2, true, false, true),
                member("sunqi", "孙七", 1, true, true, false),
                member("zhouba", "周八", 1, false, true, true),
            ],
            group_chats: vec![
                chat(1, "zhangsan", true),
                chat(2, "zhangsan", true),
                chat(3, "zhangsan", true),
                chat(4, "lisi", true),
                chat(5, "lisi", true),
                chat(6, "lisi", true),
                chat(7, "zhangsan", false),
            ],
            quotas: QuotaFixture::default(),
            rate_limits: RateLimitFixture::default(),
            expired_token_errcode: DEFAULT_EXPIRED_TOKEN_ERRCODE.0,
        }
    }

    /// Builds the corp's directory and initial groups, refusing fixtures that cannot work.
    pub(crate) fn build(&self, now: i64) -> Result<(Directory, Vec<GroupChatRecord>), FixtureError> {
        let corpid = || self.corpid.clone();
        if self.corpid.is_empty() {
            return Err(FixtureError::EmptyCorpid);
        }
        let mut seen = std::collections::HashSet::new();
        for app in &self.apps {
            let agentid = app.agentid;
            if !seen.insert(agentid) {
                return Err(FixtureError::DuplicateAgentid { corpid: corpid(), agentid });
            }
            if app.secret.is_empty() {
                return Err(FixtureError::EmptySecret { corpid: corpid(), agentid });
            }
            for entry in app.trusted_ips.iter().flatten() {
                if parse_trusted(entry).is_none() {
                    return Err(FixtureError::TrustedIp { corpid: corpid(), agentid, entry: entry.clone() });
                }
            }
            if let Some(callback) = &app.callback {
                check_callback(&callback.url, &callback.encoding_aes_key).map_err(|reason| FixtureError::Callback {
                    corpid: corpid(),
                    agentid,
                    reason,
                })?;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for m in &self.members {
            if !seen.insert(m.userid.as_str()) {
                return Err(FixtureError::DuplicateMember { corpid: corpid(), userid: m.userid.clone() });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for g in &self.group_chats {
            let chat_id = || g.chat_id.clone();
            if !seen.insert(g.chat_id.as_str()) {
                return Err(FixtureError::DuplicateGroup { corpid: corpid(), chat_id: chat_id() });
            }
            if !wecom_types::validate::is_chat_id(&g.chat_id) {
                return Err(FixtureError::NotAChatId { corpid: corpid(), chat_id: chat_id() });
            }
            if g.member_limit == 0 {
                return Err(FixtureError::ZeroMemberLimit { corpid: corpid(), chat_id: chat_id() });
            }
        }
        let departments: BTreeMap<u32, model::Department> = self
            .departments
            .iter()
            .map(|d| (d.id, model::Department { name: d.name.clone(), parent: d.parent }))
            .collect();
        let apps = self
            .apps
            .iter()
            .map(|a| model::App {
                agentid: a.agentid,
                secret: a.secret.clone(),
                customer_contact: a.customer_contact,
                visible: a
                    .visible
                    .as_ref()
                    .map(|v| model::Visible { departments: v.departments.clone(), members: v.members.clone() }),
                callback: a.callback.as_ref().map(|c| model::Callback {
                    url: c.url.clone(),
                    token: c.token.clone(),
                    encoding_aes_key: c.encoding_aes_key.clone(),
                }),
                trusted_ips: a.trusted_ips.as_ref().map(|ips| ips.iter().filter_map(|ip| parse_trusted(ip)).collect()),
            })
            .collect();
        let members = self
            .members
            .iter()
            .map(|m| model::Member {
                userid: m.userid.clone(),
                name: if m.name.is_empty() { m.userid.clone() } else { m.name.clone() },
                department: m.department.clone(),
                activated: m.activated,
                real_name_verified: m.real_name_verified,
                customer_contact: m.customer_contact,
                welcome_message_configured: m.welcome_message_configured,
            })
            .collect();
        let rate_limits = match self.rate_limits {
            RateLimitFixture::Enabled(false) => None,
            RateLimitFixture::Enabled(true) => Some(model::RateLimits {
                per_minute: default_per_minute(),
                per_hour: default_per_hour(),
                concurrent: default_concurrent(),
            }),
            RateLimitFixture::Custom(RateLimitSettings { per_minute, per_hour, concurrent }) => {
                Some(model::RateLimits { per_minute, per_hour, concurrent })
            }
        };
        let directory = Directory {
            name: self.name.clone(),
            industry: self.industry.clone(),
            apps,
            departments,
            members,
            member_index: Default::default(),
            quotas: model::Quotas { contact_ways: self.quotas.contact_ways, temp_daily: self.quotas.temp_daily },
            rate_limits,
            expired_token_errcode: ErrCode(self.expired_token_errcode),
        }
        .indexed();
        let chats = self
            .group_chats
            .iter()
            .map(|g| GroupChatRecord {
                chat_id: g.chat_id.clone(),
                name: g.name.clone(),
                owner: g.owner.clone(),
                member_limit: g.member_limit,
                customer_group: g.customer_group,
                create_time: now,
                members: (!g.owner.is_empty())
                    .then(|| GroupMemberRecord {
                        userid: g.owner.clone(),
                        member_type: GroupMemberType::INTERNAL,
                        join_time: now,
                        join_scene: JoinScene::DIRECT_INVITE,
                        state: None,
                        via: None,
                    })
                    .into_iter()
                    .collect(),
            })
            .collect();
        Ok((directory, chats))
    }
}

impl Fixtures {
    /// Parses a fixtures document from JSON (the same shape in TOML deserialises with any TOML
    /// crate: the `wecom-mock` binary reads `--fixtures corps.toml` that way).
    pub fn from_json(json: &[u8]) -> Result<Fixtures, FixtureError> {
        Ok(serde_json::from_slice(json)?)
    }

    /// Parses one corp of the fixtures format from JSON (the body of `PUT /__admin/corps/{id}`).
    pub fn parse_corp(json: &[u8]) -> Result<CorpFixture, FixtureError> {
        Ok(serde_json::from_slice(json)?)
    }
}

/// An entry of `trusted_ips`: a CIDR block, or an address (a block of that one address).
/// An IPv4-mapped IPv6 block is kept as IPv4, the way callers' addresses are compared.
pub fn parse_trusted(entry: &str) -> Option<ipnet::IpNet> {
    let entry = entry.trim();
    let net = match entry.parse::<ipnet::IpNet>() {
        Ok(net) => net,
        Err(_) => ipnet::IpNet::from(entry.parse::<::core::net::IpAddr>().ok()?),
    };
    Some(match net {
        ipnet::IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::IpNet::V4(ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).ok()?),
            None => net,
        },
        _ => net,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err = Fixtures::parse_corp(br#"{"corpid":"ww1","memebers":[]}"#).expect_err("typo");
        assert!(err.to_string().contains("memebers"), "{err}");
    }

    #[test]
    fn every_key_but_corpid_has_a_default() {
        let corp = Fixtures::parse_corp(br#"{"corpid":"ww1"}"#).expect("minimal corp");
        assert_eq!(corp.apps.len(), 1);
        assert_eq!(corp.quotas.contact_ways, CONTACT_WAY_QUOTA);
        assert!(corp.build(0).is_ok());
    }

    #[test]
    fn the_default_corp_builds_and_is_medical() {
        let (dir, chats) = CorpFixture::default_corp().build(0).expect("builds");
        assert!(dir.is_medical());
        assert_eq!(chats.iter().filter(|c| c.customer_group).count(), 6);
    }

    #[track_caller]
    fn check(url: &str, key: &str, ok: bool) {
        assert_eq!(check_callback(url, key).is_ok(), ok, "{url} {key}: {:?}", check_callback(url, key));
    }

    #[test]
    fn only_http_callback_urls_and_43_character_keys_are_accepted() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        check("http://127.0.0.1:9000/cb", key, true);
        check("http://service:8080/wecom?app=1", key, true);
        check("https://example.invalid/cb", key, false);
        check("/relative", key, false);
        check("not a url", key, false);
        check("http://127.0.0.1:9000/cb", "43 chars", false);
    }

    #[test]
    fn toml_has_the_same_shape() {
        let fixtures: Fixtures = toml::from_str(
            "[[corps]]\ncorpid = \"ww1\"\n[[corps.members]]\nuserid = \"a\"\ndepartment = [1]\n[corps.quotas]\ncontact_ways = 5\n",
        )
        .expect("toml");
        assert_eq!(fixtures.corps[0].members[0].userid, "a");
        assert_eq!(fixtures.corps[0].quotas.contact_ways, 5);
    }
}
