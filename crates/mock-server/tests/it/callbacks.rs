//! Callbacks end to end: a scan or a join makes the mock post the real encrypted event to a
//! local receiver, which verifies and decrypts it with `wecom-callback-crypto` and finds the config's
//! state; failures are retried and every delivery is in `/__admin/messages`.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use wecom_callback_crypto::{xml_inner, xml_text, xml_texts};
use wecom_mock::api::CallbackSent;
use wecom_mock::api::{JoinRequest, ScanRequest};
use wecom_mock::fixtures::{DEFAULT_AGENTID, DEFAULT_CORPID, Fixtures, SALES_ONLY_SECRET};
use wecom_types::Api;

use crate::receiver::{Receiver, corp_with_callback, like_a_handler};
use crate::support::{T0, Wecom};

async fn mock_posting_to(receiver: &Receiver) -> Wecom {
    Wecom::with_fixtures(Fixtures { corps: vec![corp_with_callback(&receiver.url)] }).await
}

fn scan(config_id: &str) -> ScanRequest {
    ScanRequest { corpid: DEFAULT_CORPID.into(), config_id: config_id.into(), ..Default::default() }
}

fn join(config_id: &str) -> JoinRequest {
    JoinRequest { corpid: DEFAULT_CORPID.into(), config_id: config_id.into(), ..Default::default() }
}

/// The callback deliveries recorded, once there are `n` (bounded wait for the background task).
async fn deliveries(wecom: &Wecom, n: usize) -> Vec<CallbackSent> {
    for _ in 0..1000 {
        let callbacks: Vec<CallbackSent> = wecom
            .mock
            .control()
            .messages(Some(DEFAULT_CORPID))
            .expect("messages")
            .into_iter()
            .filter_map(|m| m.message.as_callback().cloned())
            .collect();
        if callbacks.len() >= n {
            return callbacks;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("fewer than {n} callback deliveries were recorded");
}

#[track_caller]
fn field(xml: &str, tag: &str) -> String {
    xml_text(xml, tag).unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
}

#[tokio::test]
async fn a_scan_posts_add_external_contact_that_verifies_decrypts_and_carries_the_state() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let wecom = mock_posting_to(&receiver).await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["lisi"],"state":"spring-campaign"})).await;
    let added = wecom.mock.control().scan(&scan(&id)).expect("scan");

    let request = receiver.next().await;
    assert_eq!(request.method, "POST");
    assert_eq!(request.param("timestamp"), T0.to_string(), "the virtual clock");
    assert!(!request.param("nonce").is_empty());
    assert_eq!(field(&request.body, "ToUserName"), DEFAULT_CORPID);
    assert_eq!(field(&request.body, "AgentID"), DEFAULT_AGENTID.to_string());

    let event = request.open();
    for (tag, expected) in [
        ("ToUserName", DEFAULT_CORPID),
        ("FromUserName", "sys"),
        ("MsgType", "event"),
        ("Event", "change_external_contact"),
        ("ChangeType", "add_external_contact"),
        ("UserID", "lisi"),
        ("ExternalUserID", added.external_userid.as_str()),
        ("State", "spring-campaign"),
        ("WelcomeCode", added.welcome_code.as_str()),
        ("CreateTime", &T0.to_string()),
    ] {
        assert_eq!(field(&event, tag), expected, "{tag}");
    }

    let recorded = deliveries(&wecom, 1).await;
    let message = &recorded[0];
    assert_eq!((message.status, message.attempts), (Some(200), 1));
    assert_eq!(message.to, receiver.url);
    assert_eq!(message.event, "change_external_contact/add_external_contact");
    assert_eq!(message.at, T0);
}

/// A state of up to 30 characters (the limit) built from what breaks hand-written XML and any
/// other character.
fn xml_hostile_state() -> impl Strategy<Value = String> {
    let pieces = vec!["]]>", "<", "&", "&amp;", "</State>", "<![CDATA[", "\r\n", "\r", "中", "😀", " "];
    let piece =
        prop_oneof![any::<char>().prop_map(String::from), proptest::sample::select(pieces).prop_map(str::to_owned),];
    proptest::collection::vec(piece, 1..8).prop_map(|pieces| pieces.concat().chars().take(30).collect())
}

#[test]
fn any_state_reaches_the_handler_exactly_through_the_posted_event() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let receiver = runtime.block_on(Receiver::start(like_a_handler));
    let wecom = runtime.block_on(mock_posting_to(&receiver));
    let receiver = tokio::sync::Mutex::new(receiver);
    let config = Config { cases: 24, failure_persistence: None, ..Config::default() };
    let result = TestRunner::new(config).run(&xml_hostile_state(), |state| {
        runtime.block_on(async {
            let id = wecom.add(json!({"type":1,"scene":2,"user":["lisi"],"state":state})).await;
            wecom.mock.control().scan(&scan(&id)).map_err(|e| TestCaseError::fail(format!("scan: {e:?}")))?;
            let event = receiver.lock().await.next().await.open();
            prop_assert_eq!(xml_text(&event, "State"), Some(state));
            Ok(())
        })
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[tokio::test]
async fn a_join_posts_change_external_chat_and_the_group_detail_carries_the_state() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let wecom = mock_posting_to(&receiver).await;
    let id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0004"],"state":"autumn-7"})).await;
    let joined = wecom.mock.control().join(&join(&id)).expect("join");

    let event = receiver.next().await.open();
    for (tag, expected) in [
        ("Event", "change_external_chat"),
        ("ChangeType", "update"),
        ("UpdateDetail", "add_member"),
        ("ChatId", joined.chat_id.as_str()),
        ("JoinScene", "3"),
        ("QuitScene", "0"),
        ("MemChangeCnt", "1"),
        ("FromUserName", "sys"),
    ] {
        assert_eq!(field(&event, tag), expected, "{tag}");
    }
    let members = xml_texts(xml_inner(&event, "MemChangeList").unwrap_or_default(), "Item");
    assert_eq!(members, std::slice::from_ref(&joined.external_userid));

    // The event names the chat and the member; the state comes with the group's detail.
    let detail = wecom.ok(Api::GetGroupChat, json!({"chat_id": field(&event, "ChatId")})).await;
    let group = &detail["group_chat"];
    let joiner = group["member_list"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["userid"] == members[0].as_str())
        .expect("the joiner is in the group");
    assert_eq!((joiner["join_scene"].as_i64(), joiner["state"].as_str()), (Some(3), Some("autumn-7")));
    assert_eq!(group["member_version"].as_str(), Some(field(&event, "CurMemVer").as_str()));
    assert_ne!(field(&event, "LastMemVer"), field(&event, "CurMemVer"));
}

#[tokio::test]
async fn a_join_that_creates_a_group_announces_the_group_then_the_member() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let mut corp = corp_with_callback(&receiver.url);
    corp.group_chats[0].member_limit = 1; // the owner alone fills it
    let wecom = Wecom::with_fixtures(Fixtures { corps: vec![corp] }).await;
    let id = wecom
        .add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"],"room_base_name":"VIP","room_base_id":1}))
        .await;
    let joined = wecom.mock.control().join(&join(&id)).expect("join");
    assert!(joined.created_chat);

    let created = receiver.next().await.open();
    assert_eq!(
        (field(&created, "ChangeType"), field(&created, "ChatId")),
        ("create".to_owned(), joined.chat_id.clone())
    );
    let added = receiver.next().await.open();
    assert_eq!((field(&added, "UpdateDetail"), field(&added, "ChatId")), ("add_member".to_owned(), joined.chat_id));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_accepted_and_recorded_with_its_attempts() {
    let mut receiver = Receiver::start(|n, _| if n < 2 { (503, "busy".into()) } else { (200, String::new()) }).await;
    let wecom = mock_posting_to(&receiver).await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"state":"retry"})).await;
    wecom.mock.control().scan(&scan(&id)).expect("scan");

    let first = receiver.next().await;
    let second = receiver.next().await;
    let third = receiver.next().await;
    assert_eq!(first.body, third.body, "a retry resends the same envelope");
    assert_eq!(first.query, second.query, "and the same signature, timestamp and nonce");
    assert_eq!(field(&third.open(), "State"), "retry");
    let message = &deliveries(&wecom, 1).await[0];
    assert_eq!((message.status, message.attempts), (Some(200), 3));
}

#[tokio::test]
async fn an_unreachable_url_is_tried_four_times_and_recorded_without_status() {
    // A port that was just free: nothing listens there.
    let url = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        format!("http://{}/cb", listener.local_addr().expect("addr"))
    };
    let wecom = Wecom::with_fixtures(Fixtures { corps: vec![corp_with_callback(&url)] }).await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.mock.control().scan(&scan(&id)).expect("scan");

    let message = &deliveries(&wecom, 1).await[0];
    assert_eq!((message.status, message.attempts), (None, wecom_types::fidelity::CALLBACK_MAX_ATTEMPTS));
    assert!(message.reason.as_deref().is_some_and(|r| !r.is_empty()), "{message:?}");
}

#[tokio::test]
async fn only_new_relationships_through_the_apps_own_configs_are_announced() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let wecom = mock_posting_to(&receiver).await;
    let ours = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"state":"ours"})).await;

    // The sales-only app has no callback: its configs' customers are not announced.
    let sales_token = wecom.token_for(DEFAULT_CORPID, SALES_ONLY_SECRET).await;
    let body = json!({"type":1,"scene":2,"user":["lisi"],"state":"theirs"});
    let theirs = wecom.call_with(Api::AddContactWay, Some(&sales_token), &body).await["config_id"]
        .as_str()
        .expect("created")
        .to_owned();
    wecom.mock.control().scan(&scan(&theirs)).expect("scan");

    let mut same_customer = scan(&ours);
    same_customer.external_userid = Some("wmreturningcustomer".into());
    wecom.mock.control().scan(&same_customer).expect("first scan");
    wecom.mock.control().scan(&same_customer).expect("second scan: already following");
    wecom.mock.control().scan(&scan(&ours)).expect("another customer");

    // Whatever order the two deliveries arrive in, there are exactly two, both for `ours`.
    let recorded = deliveries(&wecom, 2).await;
    let states = [field(&receiver.next().await.open(), "State"), field(&receiver.next().await.open(), "State")];
    assert_eq!(states, ["ours", "ours"]);
    assert_eq!(recorded.len(), 2);
    assert_eq!(receiver.count(), 2);
}

#[tokio::test]
async fn the_url_verification_sends_echostr_and_checks_the_answer() {
    let mut receiver = Receiver::start(like_a_handler).await;
    let wecom = mock_posting_to(&receiver).await;
    let outcome = wecom.mock.control().verify_callback(DEFAULT_CORPID, DEFAULT_AGENTID).await.expect("verified");
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.answer.as_deref(), Some(outcome.expected.as_str()));
    let request = receiver.next().await;
    assert_eq!(request.method, "GET");
    for key in ["msg_signature", "timestamp", "nonce", "echostr"] {
        assert!(!request.param(key).is_empty(), "{key}");
    }
    let message = &deliveries(&wecom, 1).await[0];
    assert_eq!((message.event.as_str(), message.status), ("url_verification", Some(200)));

    // Over HTTP, as the dashboard and scripts call it.
    let path = format!("/__admin/corps/{DEFAULT_CORPID}/apps/{DEFAULT_AGENTID}/verify_callback");
    let (status, body) = wecom.admin(reqwest::Method::POST, &path, None).await;
    assert_eq!((status, body["ok"].as_bool()), (200, Some(true)), "{body}");
}

#[tokio::test]
async fn a_handler_that_does_not_echo_fails_the_verification() {
    let receiver = Receiver::start(|_, _| (200, "\"1234\"\n".into())).await;
    let wecom = mock_posting_to(&receiver).await;
    let outcome = wecom.mock.control().verify_callback(DEFAULT_CORPID, DEFAULT_AGENTID).await.expect("ran");
    assert!(!outcome.ok);
    assert_eq!(outcome.reason.as_deref(), Some("the answer is not the decrypted echostr"));
}

#[tokio::test]
async fn verification_refusals_are_admin_errors() {
    let wecom = Wecom::start().await;
    let cases = [
        (
            reqwest::Method::POST,
            format!("/__admin/corps/{DEFAULT_CORPID}/apps/{DEFAULT_AGENTID}/verify_callback"),
            409,
            "no_callback",
        ),
        (
            reqwest::Method::POST,
            format!("/__admin/corps/{DEFAULT_CORPID}/apps/999/verify_callback"),
            404,
            "app_not_found",
        ),
        (reqwest::Method::POST, "/__admin/corps/wwnobody/apps/1/verify_callback".to_owned(), 404, "corp_not_found"),
        (reqwest::Method::POST, format!("/__admin/corps/{DEFAULT_CORPID}/apps/x/verify_callback"), 400, "bad_request"),
        (
            reqwest::Method::GET,
            format!("/__admin/corps/{DEFAULT_CORPID}/apps/1/verify_callback"),
            405,
            "method_not_allowed",
        ),
    ];
    for (method, path, status, error) in cases {
        let (got, body) = wecom.admin(method.clone(), &path, None).await;
        assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn callback_settings_that_cannot_work_are_refused_when_loaded() {
    let wecom = Wecom::start().await;
    let cases = [
        (
            json!({"url":"https://example.invalid/cb","token":"t","encoding_aes_key":crate::receiver::AES_KEY}),
            "http://",
        ),
        (json!({"url":"http://127.0.0.1:9/cb","token":"t","encoding_aes_key":"43 chars"}), "encoding_aes_key"),
    ];
    for (callback, mentions) in cases {
        let corp = json!({"corpid":"wwcallbacks","apps":[{"agentid":1,"secret":"s","callback":callback}]});
        let (status, body) = wecom.admin(reqwest::Method::PUT, "/__admin/corps/wwcallbacks", Some(corp)).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(mentions)), "{body}");
    }
}

#[tokio::test]
async fn with_a_data_dir_callbacks_follow_the_journal_and_their_records_survive_a_restart() {
    let dir = crate::durability::TempDir::new("callbacks");
    let mut receiver = Receiver::start(like_a_handler).await;
    let fixtures = Fixtures { corps: vec![corp_with_callback(&receiver.url)] };
    let data_dir = || wecom_mock::DataDir::new(dir.path());
    let mock = wecom_mock::MockServer::builder().fixtures(fixtures.clone()).seed(3).data_dir(data_dir()).start().await;
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .get(format!("{}/cgi-bin/gettoken?corpid={DEFAULT_CORPID}&corpsecret={}", mock.uri(), mock.secret()))
        .send()
        .await
        .expect("gettoken")
        .json()
        .await
        .expect("json");
    let url = format!(
        "{}/cgi-bin/externalcontact/add_contact_way?access_token={}",
        mock.uri(),
        token["access_token"].as_str().expect("a token")
    );
    let body = json!({"type":1,"scene":2,"user":["zhangsan"],"state":"durable"});
    let added: serde_json::Value =
        http.post(url).body(body.to_string()).send().await.expect("add").json().await.expect("json");
    let id = added["config_id"].as_str().expect("an id");
    let scanned = mock.control().scan(&scan(id)).expect("scan");

    assert_eq!(field(&receiver.next().await.open(), "State"), "durable");
    for _ in 0..1000 {
        if mock
            .control()
            .messages(Some(DEFAULT_CORPID))
            .expect("messages")
            .iter()
            .any(|m| m.message.as_callback().is_some_and(|c| c.status == Some(200)))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    mock.shutdown().await;

    let again = wecom_mock::MockServer::builder().fixtures(fixtures).data_dir(data_dir()).start().await;
    let dump = again.control().dump(DEFAULT_CORPID).expect("recovered");
    assert!(dump.customers.iter().any(|c| c.external_userid == scanned.external_userid && c.state == "durable"));
    let messages = again.control().messages(Some(DEFAULT_CORPID)).expect("messages");
    assert!(
        messages
            .iter()
            .filter_map(|m| m.message.as_callback())
            .any(|c| c.event == "change_external_contact/add_external_contact" && c.status == Some(200)),
        "the delivery record was journaled: {messages:?}"
    );
}
