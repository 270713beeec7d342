//! Every row of `errcodes.md` over real HTTP: the exact errcode, and a failed request leaves the
//! corp's state dump byte-for-byte unchanged.
//!
//! The corp's quotas are full before the table runs, so every row also shows that its check
//! comes before the quota check (the last in the order of checks); the quota rows themselves
//! are the valid requests.

use std::collections::HashMap;

use serde_json::{Value, json};
use wecom_mock::api::{ClockRequest, ScanRequest};
use wecom_mock::fixtures::*;
use wecom_types::Api;
use wecom_types::limits::MAX_TEMP_EXPIRES_SECS;

use super::support::{T0, Wecom, chars};

/// Which token a row calls with.
#[derive(Debug, Clone, Copy)]
enum Auth {
    Main,
    Missing,
    Unknown,
    Expired,
    NoContactApp,
    SalesOnlyApp,
    NonMedicalCorp,
}

struct Row {
    what: &'static str,
    api: Api,
    auth: Auth,
    body: Value,
    errcode: i32,
}

fn row(what: &'static str, api: Api, body: Value, errcode: i32) -> Row {
    Row { what, api, auth: Auth::Main, body, errcode }
}

fn row_as(what: &'static str, api: Api, auth: Auth, body: Value, errcode: i32) -> Row {
    Row { what, api, auth, body, errcode }
}

const OTHER_CORP: &str = "wwmockother00001";

struct World {
    wecom: Wecom,
    tokens: HashMap<&'static str, String>,
    ids: HashMap<&'static str, String>,
}

impl World {
    async fn new() -> World {
        let mut corp = CorpFixture::default_corp();
        corp.quotas = QuotaFixture { contact_ways: 2, temp_daily: 2 };
        let other: CorpFixture = serde_json::from_value(json!({
            "corpid": OTHER_CORP,
            "members": [{"userid": "zhangsan", "department": [1]}],
            "departments": [{"id": 1, "name": "HQ"}],
        }))
        .expect("fixture");
        let wecom = Wecom::with_fixtures(Fixtures { corps: vec![corp, other] }).await;
        let mut tokens = HashMap::new();

        // A token of the no-contact app minted long ago: expired now.
        wecom.mock.control().set_clock(T0 - 8000).expect("clock");
        tokens.insert("expired", wecom.token_for(DEFAULT_CORPID, NO_CONTACT_SECRET).await);
        wecom.mock.control().set_clock(T0 - 100).expect("clock");
        let expired_temp =
            wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"expires_in":60})).await;
        wecom.mock.control().set_clock(T0).expect("clock");
        tokens.insert("no_contact", wecom.token_for(DEFAULT_CORPID, NO_CONTACT_SECRET).await);
        tokens.insert("sales", wecom.token_for(DEFAULT_CORPID, SALES_ONLY_SECRET).await);
        tokens.insert("other", wecom.token_for(OTHER_CORP, DEFAULT_SECRET).await);

        let plain = wecom.add(json!({"type":2,"scene":2,"user":["zhangsan"]})).await;
        let used_temp = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true})).await;
        let join = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
        for (config_id, customer) in [(&plain, "wmcustomer0001"), (&used_temp, "wmcustomer0002")] {
            wecom
                .mock
                .control()
                .scan(&ScanRequest {
                    corpid: DEFAULT_CORPID.into(),
                    config_id: config_id.clone(),
                    external_userid: Some(customer.into()),
                    userid: Some("zhangsan".into()),
                    ..Default::default()
                })
                .expect("scan");
        }
        let quotas = wecom.mock.control().quotas(DEFAULT_CORPID).expect("quotas");
        assert_eq!((quotas.contact_ways.used, quotas.temp_today.used), (2, 2), "both quotas are full");
        let ids = HashMap::from([("$PLAIN", plain), ("$USED", used_temp), ("$EXPIRED", expired_temp), ("$JOIN", join)]);
        World { wecom, tokens, ids }
    }

    fn token(&self, auth: Auth) -> Option<String> {
        match auth {
            Auth::Main => Some(self.wecom.token.clone()),
            Auth::Missing => None,
            Auth::Unknown => Some("not-a-token".to_owned()),
            Auth::Expired => Some(self.tokens["expired"].clone()),
            Auth::NoContactApp => Some(self.tokens["no_contact"].clone()),
            Auth::SalesOnlyApp => Some(self.tokens["sales"].clone()),
            Auth::NonMedicalCorp => Some(self.tokens["other"].clone()),
        }
    }

    fn substitute(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if let Some(id) = self.ids.get(s.as_str()) {
                    *s = id.clone();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.substitute(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.substitute(v)),
            _ => {}
        }
    }
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}")).collect()
}

fn rows() -> Vec<Row> {
    use Api::*;
    let single = |extra: Value| {
        let mut body = json!({"type":1,"scene":2,"user":["zhangsan"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let temp = |extra: Value| {
        let mut body = json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    vec![
        // Token and transport.
        row("gettoken without corpid", GetToken, json!({"corpsecret":"x"}), 41002),
        row("gettoken without corpsecret", GetToken, json!({"corpid":DEFAULT_CORPID}), 41004),
        row("gettoken with unknown corpid", GetToken, json!({"corpid":"wwnope","corpsecret":"x"}), 40013),
        row("gettoken with a wrong secret", GetToken, json!({"corpid":DEFAULT_CORPID,"corpsecret":"wrong"}), 40001),
        row_as("call without access_token", GetContactWay, Auth::Missing, json!({"config_id":"$PLAIN"}), 41001),
        row_as("call with an unknown token", GetContactWay, Auth::Unknown, json!({"config_id":"$PLAIN"}), 40014),
        row_as("call with an expired token", GetContactWay, Auth::Expired, json!({"config_id":"$PLAIN"}), 42001),
        row("a field of the wrong JSON type", AddContactWay, json!({"type":"1","scene":2}), 40058),
        row("a list item of the wrong type", AddContactWay, json!({"type":1,"scene":2,"user":[1]}), 40058),
        row("required field without own code", GetGroupChat, json!({}), 40058),
        row_as("app without customer contact", GetContactWay, Auth::NoContactApp, json!({"config_id":"$PLAIN"}), 48002),
        // Contact Me.
        row("type missing", AddContactWay, json!({"scene":2,"user":["zhangsan"]}), 41037),
        row("type not 1 or 2", AddContactWay, json!({"type":3,"scene":2,"user":["zhangsan"]}), 41039),
        row("scene missing", AddContactWay, json!({"type":1,"user":["zhangsan"]}), 41038),
        row("scene not 1 or 2", AddContactWay, json!({"type":1,"scene":0,"user":["zhangsan"]}), 41040),
        row("style 4 for type 1", AddContactWay, json!({"type":1,"scene":1,"style":4,"user":["zhangsan"]}), 41042),
        row("style 3 for type 2", AddContactWay, json!({"type":2,"scene":1,"style":3,"user":["zhangsan"]}), 41042),
        row("get without config_id", GetContactWay, json!({}), 41043),
        row("update without config_id", UpdateContactWay, json!({"remark":"x"}), 41043),
        row("delete without config_id", DelContactWay, json!({}), 41043),
        row("get unknown config_id", GetContactWay, json!({"config_id":"0123456789abcdef0123456789abcdef"}), 41044),
        row("update unknown config_id", UpdateContactWay, json!({"config_id":"nope","remark":"x"}), 41044),
        row("delete unknown config_id", DelContactWay, json!({"config_id":"nope"}), 41044),
        row("101 users", AddContactWay, json!({"type":2,"scene":2,"user":users(101)}), 41041),
        row("shared quota reached", AddContactWay, single(json!({})), 41045),
        row("type 1 with two users", AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan","lisi"]}), 40058),
        row("type 1 with no user", AddContactWay, json!({"type":1,"scene":2}), 40058),
        row("type 2 with neither user nor party", AddContactWay, json!({"type":2,"scene":2}), 40058),
        row("remark of 31 characters", AddContactWay, single(json!({"remark":chars(31)})), 40058),
        row("state of 31 characters", AddContactWay, single(json!({"state":chars(31)})), 40058),
        row("expires_in over 14 days", AddContactWay, temp(json!({"expires_in":MAX_TEMP_EXPIRES_SECS + 1})), 40058),
        row(
            "chat_expires_in over 14 days",
            AddContactWay,
            temp(json!({"chat_expires_in":MAX_TEMP_EXPIRES_SECS + 1})),
            40058,
        ),
        row("negative expires_in", AddContactWay, temp(json!({"expires_in":-1})), 40058),
        row(
            "is_temp with type 2",
            AddContactWay,
            json!({"type":2,"scene":2,"user":["zhangsan"],"is_temp":true}),
            40058,
        ),
        row_as("is_temp outside the medical industry", AddContactWay, Auth::NonMedicalCorp, temp(json!({})), 48002),
        row("temp daily quota reached", AddContactWay, temp(json!({})), 41045),
        row("a member that does not exist", AddContactWay, json!({"type":1,"scene":2,"user":["nobody"]}), 60111),
        row("a member not activated", AddContactWay, json!({"type":1,"scene":2,"user":["zhouba"]}), 41054),
        row("a member not real-name verified", AddContactWay, json!({"type":1,"scene":2,"user":["zhaoliu"]}), 40098),
        row("a member without customer contact", AddContactWay, json!({"type":1,"scene":2,"user":["sunqi"]}), 84083),
        row("a department that does not exist", AddContactWay, json!({"type":2,"scene":2,"party":[99]}), 60123),
        row_as("a member outside the visible range", AddContactWay, Auth::SalesOnlyApp, single(json!({})), 60011),
        row_as(
            "a department outside the visible range",
            AddContactWay,
            Auth::SalesOnlyApp,
            json!({"type":2,"scene":2,"party":[1]}),
            60011,
        ),
        row(
            "conclusions whose parts are all empty",
            AddContactWay,
            temp(json!({"conclusions":{"text":{"content":""}}})),
            40058,
        ),
        row(
            "conclusions text over 4000 bytes",
            AddContactWay,
            temp(json!({"conclusions":{"text":{"content":"x".repeat(4001)}}})),
            40058,
        ),
        row("updating a used temp config", UpdateContactWay, json!({"config_id":"$USED","remark":"x"}), 40058),
        row("updating an expired temp config", UpdateContactWay, json!({"config_id":"$EXPIRED","remark":"x"}), 40058),
        row("update leaving type 2 without members", UpdateContactWay, json!({"config_id":"$PLAIN","user":[]}), 40058),
        row("close_temp_chat without userid", CloseTempChat, json!({"external_userid":"wmcustomer0001"}), 41009),
        row("close_temp_chat without external_userid", CloseTempChat, json!({"userid":"zhangsan"}), 41035),
        row(
            "close_temp_chat with a malformed external_userid",
            CloseTempChat,
            json!({"userid":"zhangsan","external_userid":"xx"}),
            40096,
        ),
        row(
            "close_temp_chat without a relationship",
            CloseTempChat,
            json!({"userid":"lisi","external_userid":"wmcustomer0001"}),
            84061,
        ),
        row(
            "close_temp_chat on a non-temp relationship",
            CloseTempChat,
            json!({"userid":"zhangsan","external_userid":"wmcustomer0001"}),
            84061,
        ),
        row("list with start after end", ListContactWay, json!({"start_time":T0,"end_time":T0 - 1}), 40058),
        row("list with limit over 1000", ListContactWay, json!({"limit":1001}), 40058),
        row("list with an unknown cursor", ListContactWay, json!({"cursor":"CURSOR"}), 40058),
        // Join Group.
        row("join: scene missing", AddJoinWay, json!({"chat_id_list":["wrmockchat0001"]}), 40058),
        row("join: scene 3", AddJoinWay, json!({"scene":3,"chat_id_list":["wrmockchat0001"]}), 40058),
        row("join: chat_id_list missing", AddJoinWay, json!({"scene":2}), 40058),
        row("join: chat_id_list empty", AddJoinWay, json!({"scene":2,"chat_id_list":[]}), 40058),
        row(
            "join: 6 chats",
            AddJoinWay,
            json!({"scene":2,"chat_id_list":["wrmockchat0001","wrmockchat0002","wrmockchat0003","wrmockchat0004","wrmockchat0005","wrmockchat0006"]}),
            41091,
        ),
        row("join: unknown chat", AddJoinWay, json!({"scene":2,"chat_id_list":["wrnosuchchat"]}), 86003),
        row("join: malformed chat id", AddJoinWay, json!({"scene":2,"chat_id_list":["chat1"]}), 86001),
        row("join: not a customer group", AddJoinWay, json!({"scene":2,"chat_id_list":["wrmockinternal07"]}), 90501),
        row("join: get without config_id", GetJoinWay, json!({}), 41043),
        row("join: get unknown config_id", GetJoinWay, json!({"config_id":"nope"}), 41044),
        row_as("join: another app's config", GetJoinWay, Auth::SalesOnlyApp, json!({"config_id":"$JOIN"}), 41044),
        row(
            "join: state of 31 characters",
            AddJoinWay,
            json!({"scene":2,"chat_id_list":["wrmockchat0001"],"state":chars(31)}),
            40058,
        ),
        row(
            "join: room_base_name of 41 characters",
            AddJoinWay,
            json!({"scene":2,"chat_id_list":["wrmockchat0001"],"room_base_name":chars(41)}),
            40058,
        ),
        row("join: shared quota reached", AddJoinWay, json!({"scene":2,"chat_id_list":["wrmockchat0001"]}), 41045),
        row(
            "join: remark over 30 is truncated, no error",
            UpdateJoinWay,
            json!({"config_id":"$JOIN","scene":2,"chat_id_list":["wrmockchat0001"],"remark":chars(31)}),
            0,
        ),
        // Read-backs.
        row("customer: unknown", GetExternalContact, json!({"external_userid":"wmnobody0000"}), 84061),
        row("customer: malformed id", GetExternalContact, json!({"external_userid":"zz"}), 40096),
        row("group: unknown chat", GetGroupChat, json!({"chat_id":"wrnosuchchat"}), 86003),
        row("group: malformed chat id", GetGroupChat, json!({"chat_id":"nope"}), 86001),
        // Order of checks.
        row_as("the token is checked before the body", AddContactWay, Auth::Unknown, json!({"type":"x"}), 40014),
        row_as("permission is checked before the body", AddContactWay, Auth::NoContactApp, json!({"type":"x"}), 48002),
        row(
            "values are checked before the directory",
            AddContactWay,
            json!({"type":1,"scene":2,"user":["nobody"],"remark":chars(31)}),
            40058,
        ),
        row(
            "the directory is checked before the quota",
            AddContactWay,
            json!({"type":1,"scene":2,"user":["nobody"]}),
            60111,
        ),
    ]
}

#[tokio::test]
async fn every_row_of_errcodes_md_gets_its_errcode_and_changes_nothing() {
    let world = World::new().await;
    let mut failures = Vec::new();
    for Row { what, api, auth, mut body, errcode } in rows() {
        world.substitute(&mut body);
        let before = world.wecom.dump();
        let answer = if api == Api::GetToken {
            let pairs: Vec<(&str, &str)> = body
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap_or(""))).collect())
                .unwrap_or_default();
            world.wecom.gettoken(&pairs).await
        } else {
            world.wecom.call_with(api, world.token(auth).as_deref(), &body).await
        };
        if answer["errcode"] != errcode {
            failures.push(format!("{what}: expected {errcode}, got {answer}"));
            continue;
        }
        if errcode != 0 {
            let errmsg = answer["errmsg"].as_str().unwrap_or_default();
            if !errmsg.contains(", hint: [") || !errmsg.ends_with(&format!("?e={errcode}")) {
                failures.push(format!("{what}: errmsg not in the real shape: {errmsg}"));
            }
            if world.wecom.dump() != before {
                failures.push(format!("{what}: a failed request changed the state"));
            }
        }
    }
    assert!(failures.is_empty(), "{} rows failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn the_expired_token_code_is_a_per_corp_setting() {
    let wecom = Wecom::with_default_corp(|corp| corp.expired_token_errcode = 40014).await;
    wecom.mock.control().clock(&ClockRequest { advance: Some(7200), ..Default::default() }).expect("clock");
    let answer = wecom.call(Api::ListContactWay, json!({})).await;
    assert_eq!(answer["errcode"], 40014);
}
