//! After the scan (§8) over HTTP: the member list, the welcome message an add event's code lets
//! an app send once within 20 s, and a member's customers.

use serde_json::{Value, json};
use wecom_callback_crypto::xml_text;
use wecom_mock::api::{ScanRequest, WelcomeSent};
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET, Fixtures, SALES_ONLY_AGENTID, SALES_ONLY_SECRET};
use wecom_mock::{DataDir, FsyncPolicy, MockServer};
use wecom_types::Api;

use crate::durability::{Http, TempDir};
use crate::receiver::{Receiver, corp_with_callback, like_a_handler};
use crate::support::{T0, Wecom};

fn scan_as(config_id: &str, external_userid: &str) -> ScanRequest {
    ScanRequest {
        corpid: DEFAULT_CORPID.into(),
        config_id: config_id.into(),
        external_userid: Some(external_userid.into()),
        ..Default::default()
    }
}

/// A config for `userid` scanned by `external_userid`: the welcome code of the add.
async fn scanned(wecom: &Wecom, userid: &str, external_userid: &str) -> String {
    let id = wecom.add(json!({"type": 1, "scene": 2, "user": [userid]})).await;
    wecom.mock.control().scan(&scan_as(&id, external_userid)).expect("scan").welcome_code
}

fn welcome(code: &str) -> Value {
    json!({"welcome_code": code, "text": {"content": "你好，欢迎"}})
}

fn welcome_messages(wecom: &Wecom) -> Vec<WelcomeSent> {
    let messages = wecom.mock.control().messages(Some(DEFAULT_CORPID)).expect("messages");
    messages.into_iter().filter_map(|m| m.message.as_welcome().cloned()).collect()
}

#[tokio::test]
async fn the_flow_from_the_member_list_to_a_welcome_message_and_the_customer_list() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let wecom = Wecom::with_fixtures(Fixtures { corps: vec![corp_with_callback(&receiver.url)] }).await;

    let members = wecom.ok(Api::GetFollowUserList, json!({})).await;
    assert_eq!(members["follow_user"], json!(["zhangsan", "lisi", "wangwu", "zhaoliu", "zhouba"]));
    let id = wecom.add(json!({"type": 1, "scene": 2, "user": ["lisi"], "state": "spring"})).await;
    let added = wecom.mock.control().scan(&scan_as(&id, "wmwelcomeflow0001")).expect("scan");

    let event = receiver.next().await.open();
    let code = xml_text(&event, "WelcomeCode").expect("the event carries a WelcomeCode");
    assert_eq!(code, added.welcome_code);
    wecom.mock.control().advance_clock(20).expect("clock");
    wecom.ok(Api::SendWelcomeMsg, welcome(&code)).await;

    let sent = welcome_messages(&wecom);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!((sent[0].from.as_str(), sent[0].to.as_str()), ("lisi", "wmwelcomeflow0001"));
    assert_eq!(sent[0].text.as_ref().and_then(|t| t.content.as_deref()), Some("你好，欢迎"));
    let customers = wecom.ok(Api::ListExternalContact, json!({"userid": "lisi"})).await;
    assert_eq!(customers["external_userid"], json!(["wmwelcomeflow0001"]));

    assert_eq!(wecom.call(Api::SendWelcomeMsg, welcome(&code)).await["errcode"], 41051);
    wecom.mock.control().advance_clock(1).expect("clock");
    assert_eq!(wecom.call(Api::SendWelcomeMsg, welcome(&code)).await["errcode"], 41050);
    assert_eq!(welcome_messages(&wecom).len(), 1, "a refused send records nothing");
}

#[tokio::test]
async fn a_send_records_the_text_then_each_attachment_in_order() {
    let wecom = Wecom::start().await;
    let code = scanned(&wecom, "zhangsan", "wmwelcomeparts01").await;
    let attachments = json!([
        {"msgtype": "image", "image": {"media_id": "MEDIA_IMAGE"}},
        {"msgtype": "link", "link": {"title": "t", "url": "https://example.com"}},
        {"msgtype": "file", "file": {"media_id": "MEDIA_FILE"}}
    ]);
    let body = json!({"welcome_code": code, "text": {"content": "hi"}, "attachments": attachments});
    wecom.ok(Api::SendWelcomeMsg, body).await;
    let sent = welcome_messages(&wecom);
    assert_eq!(sent.len(), 4);
    assert!(sent[0].text.is_some() && sent[0].attachment.is_none());
    for (part, expected) in sent[1..].iter().zip(attachments.as_array().expect("a list")) {
        assert_eq!(serde_json::to_value(&part.attachment).expect("encodes"), *expected);
    }
    assert!(sent.iter().all(|m| m.agentid == wecom_mock::fixtures::DEFAULT_AGENTID && m.at == T0));
}

#[tokio::test]
async fn the_code_lives_twenty_seconds_from_the_add_and_a_clock_moved_back_keeps_it() {
    let cases: &[(i64, i64)] = &[(0, 0), (20, 0), (21, 41050), (-3600, 0)];
    for (moved, expected) in cases {
        let wecom = Wecom::start().await;
        let code = scanned(&wecom, "zhangsan", "wmwelcomeclock01").await;
        wecom.mock.control().set_clock(T0 + moved).expect("clock");
        let answer = wecom.call(Api::SendWelcomeMsg, welcome(&code)).await;
        assert_eq!(answer["errcode"], *expected, "{moved} s after the add: {answer}");
    }
}

#[tokio::test]
async fn a_refused_send_leaves_the_code_usable() {
    let wecom = Wecom::start().await;
    let code = scanned(&wecom, "zhangsan", "wmwelcomerefused").await;
    let too_long = json!({"welcome_code": code, "text": {"content": "x".repeat(4001)}});
    assert_eq!(wecom.call(Api::SendWelcomeMsg, too_long).await["errcode"], 40058);
    assert!(welcome_messages(&wecom).is_empty());
    wecom.ok(Api::SendWelcomeMsg, welcome(&code)).await;
}

#[tokio::test]
async fn any_app_that_sees_the_member_may_redeem_the_code_once_for_all_apps() {
    let wecom = Wecom::start().await;
    let sales = wecom.token_for(DEFAULT_CORPID, SALES_ONLY_SECRET).await;
    let lisi = scanned(&wecom, "lisi", "wmwelcomeapps001").await;
    let answer = wecom.call_with(Api::SendWelcomeMsg, Some(&sales), &welcome(&lisi)).await;
    assert_eq!(answer["errcode"], 0, "{answer}");
    assert_eq!(welcome_messages(&wecom)[0].agentid, SALES_ONLY_AGENTID);
    assert_eq!(wecom.call(Api::SendWelcomeMsg, welcome(&lisi)).await["errcode"], 41051, "used for every app");

    let zhangsan = scanned(&wecom, "zhangsan", "wmwelcomeapps002").await;
    let answer = wecom.call_with(Api::SendWelcomeMsg, Some(&sales), &welcome(&zhangsan)).await;
    assert_eq!(answer["errcode"], 60011, "outside the sales app's range: {answer}");
    wecom.ok(Api::SendWelcomeMsg, welcome(&zhangsan)).await;
}

#[tokio::test]
async fn a_code_whose_temp_chat_ended_is_84061() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type": 1, "scene": 2, "user": ["zhangsan"], "is_temp": true})).await;
    let code = wecom.mock.control().scan(&scan_as(&id, "wmwelcometemp001")).expect("scan").welcome_code;
    wecom.ok(Api::CloseTempChat, json!({"userid": "zhangsan", "external_userid": "wmwelcometemp001"})).await;
    assert_eq!(wecom.call(Api::SendWelcomeMsg, welcome(&code)).await["errcode"], 84061);
}

#[tokio::test]
async fn unknown_codes_are_41050() {
    let wecom = Wecom::start().await;
    for code in ["fedcba9876543210fedcba9876543210", "not-a-code", "CALLBACK_CODE"] {
        assert_eq!(wecom.call(Api::SendWelcomeMsg, welcome(code)).await["errcode"], 41050, "{code}");
    }
}

#[tokio::test]
async fn a_member_greeted_by_the_admin_console_gets_no_welcome_code() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let mut corp = corp_with_callback(&receiver.url);
    corp.members.iter_mut().filter(|m| m.userid == "lisi").for_each(|m| m.welcome_message_configured = true);
    let wecom = Wecom::with_fixtures(Fixtures { corps: vec![corp] }).await;
    let id = wecom.add(json!({"type": 1, "scene": 2, "user": ["lisi"]})).await;
    let added = wecom.mock.control().scan(&scan_as(&id, "wmwelcomeconsole")).expect("scan");
    assert_eq!(added.welcome_code, "");
    let event = receiver.next().await.open();
    assert_eq!(xml_text(&event, "ExternalUserID").as_deref(), Some("wmwelcomeconsole"));
    assert_eq!(xml_text(&event, "WelcomeCode"), None, "{event}");
}

#[tokio::test]
async fn a_rescan_repeats_the_original_code_which_keeps_its_own_twenty_seconds() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type": 1, "scene": 2, "user": ["zhangsan"]})).await;
    let first = wecom.mock.control().scan(&scan_as(&id, "wmwelcomerescan1")).expect("scan").welcome_code;
    wecom.mock.control().advance_clock(15).expect("clock");
    let again = wecom.mock.control().scan(&scan_as(&id, "wmwelcomerescan1")).expect("scan").welcome_code;
    assert_eq!(again, first);
    wecom.mock.control().advance_clock(6).expect("clock");
    assert_eq!(wecom.call(Api::SendWelcomeMsg, welcome(&first)).await["errcode"], 41050);
}

#[tokio::test]
async fn the_member_list_is_the_calling_app_s_customer_contact_members() {
    let wecom = Wecom::start().await;
    let sales = wecom.token_for(DEFAULT_CORPID, SALES_ONLY_SECRET).await;
    let answer = wecom.call_with(Api::GetFollowUserList, Some(&sales), &json!({})).await;
    assert_eq!(answer["follow_user"], json!(["lisi", "wangwu", "zhaoliu"]), "{answer}");
}

#[tokio::test]
async fn a_member_s_customers_come_oldest_first_and_in_add_order_at_one_instant() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type": 1, "scene": 2, "user": ["zhangsan"]})).await;
    for customer in ["wmorderzzz00001", "wmorderaaa00001"] {
        wecom.mock.control().scan(&scan_as(&id, customer)).expect("scan");
    }
    wecom.mock.control().set_clock(T0 - 60).expect("clock");
    wecom.mock.control().scan(&scan_as(&id, "wmordermmm00001")).expect("scan");
    let answer = wecom.ok(Api::ListExternalContact, json!({"userid": "zhangsan"})).await;
    assert_eq!(answer["external_userid"], json!(["wmordermmm00001", "wmorderzzz00001", "wmorderaaa00001"]));
}

#[tokio::test]
async fn the_customer_list_checks_the_member() {
    let wecom = Wecom::start().await;
    let sales = wecom.token_for(DEFAULT_CORPID, SALES_ONLY_SECRET).await;
    let cases: &[(Option<&str>, &str, i64)] = &[
        (None, "", 40058),
        (None, "nobody", 60111),
        (Some(&sales), "zhangsan", 60011),
        (None, "sunqi", 84083),
        (None, "zhangsan", 84061),
        (None, "zhouba", 84061),
    ];
    for (token, userid, expected) in cases {
        let token = token.unwrap_or(&wecom.token);
        let answer = wecom.call_with(Api::ListExternalContact, Some(token), &json!({"userid": userid})).await;
        assert_eq!(answer["errcode"], *expected, "{userid}: {answer}");
    }
}

#[tokio::test]
async fn codes_and_their_use_survive_a_restart_with_a_data_dir() {
    let dir = TempDir::new("welcome");
    let options = || DataDir { fsync: FsyncPolicy::Always, ..DataDir::new(dir.path()) };
    let start = || MockServer::builder().fixtures(Fixtures::default()).seed(3).data_dir(options()).start();
    let (used, fresh) = {
        let mock = start().await;
        mock.control().set_clock(T0).expect("clock");
        let http = Http::new(mock.uri());
        let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        let mut codes = Vec::new();
        for customer in ["wmrestart000001", "wmrestart000002"] {
            let body = json!({"type": 1, "scene": 2, "user": ["zhangsan"]});
            let added = http.call(Api::AddContactWay, &token, &body).await.expect("add");
            let id = added["config_id"].as_str().expect("an id");
            codes.push(mock.control().scan(&scan_as(id, customer)).expect("scan").welcome_code);
        }
        let answer = http.call(Api::SendWelcomeMsg, &token, &welcome(&codes[0])).await.expect("send");
        assert_eq!(answer["errcode"], 0, "{answer}");
        (codes[0].clone(), codes[1].clone())
    };
    let mock = start().await;
    mock.control().advance_clock(10).expect("clock");
    let http = Http::new(mock.uri());
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let again = http.call(Api::SendWelcomeMsg, &token, &welcome(&used)).await.expect("send");
    assert_eq!(again["errcode"], 41051, "{again}");
    let inside = http.call(Api::SendWelcomeMsg, &token, &welcome(&fresh)).await.expect("send");
    assert_eq!(inside["errcode"], 0, "still within its 20 s after the restart: {inside}");
    let kinds = mock.control().messages(Some(DEFAULT_CORPID)).expect("messages");
    assert_eq!(kinds.iter().filter(|m| m.message.as_welcome().is_some()).count(), 2);
}
