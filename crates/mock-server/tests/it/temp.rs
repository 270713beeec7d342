//! Temp chats: one-time codes, expiry on the virtual clock, closing, and conclusions sent.

use serde_json::json;
use wecom_mock::api::ScanRequest;
use wecom_mock::fixtures::DEFAULT_CORPID;
use wecom_types::Api;

use super::support::{T0, Wecom};

fn scan(config_id: &str) -> ScanRequest {
    ScanRequest { corpid: DEFAULT_CORPID.into(), config_id: config_id.into(), ..Default::default() }
}

async fn temp_config(wecom: &Wecom, extra: serde_json::Value) -> String {
    let mut body = json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"state":"t1",
        "conclusions":{"text":{"content":"bye"}}});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    wecom.add(body).await
}

#[tokio::test]
async fn a_temp_code_works_once() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({})).await;
    let added = wecom.mock.control().scan(&scan(&id)).expect("first scan");
    assert!(added.temp);
    assert_eq!(added.state, "t1");
    let again = wecom.mock.control().scan(&scan(&id)).expect_err("second scan");
    assert_eq!((again.status(), again.code()), (409, "temp_code_used"));
}

#[tokio::test]
async fn a_temp_code_stops_working_after_expires_in() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({"expires_in": 600})).await;
    wecom.mock.control().set_clock(T0 + 600).expect("clock");
    let err = wecom.mock.control().scan(&scan(&id)).expect_err("expired");
    assert_eq!((err.status(), err.code()), (410, "temp_code_expired"));
}

#[tokio::test]
async fn the_default_qr_validity_is_seven_days() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({})).await;
    let config = wecom.get(&id).await;
    assert_eq!((config["expires_in"].as_i64(), config["chat_expires_in"].as_i64()), (Some(604_800), Some(86_400)));
    wecom.mock.control().set_clock(T0 + 604_799).expect("clock");
    assert!(wecom.mock.control().scan(&scan(&id)).is_ok());
}

#[tokio::test]
async fn setting_expires_in_restarts_the_validity() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({"expires_in": 600})).await;
    wecom.mock.control().set_clock(T0 + 500).expect("clock");
    wecom.ok(Api::UpdateContactWay, json!({"config_id": id, "expires_in": 600})).await;
    wecom.mock.control().set_clock(T0 + 1000).expect("clock");
    assert!(wecom.mock.control().scan(&scan(&id)).is_ok(), "valid until T0 + 1100");
}

#[tokio::test]
async fn a_temp_chat_ends_when_the_clock_passes_chat_expires_in() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({"chat_expires_in": 3600})).await;
    let added = wecom.mock.control().scan(&scan(&id)).expect("scan");
    let customer = json!({"external_userid": added.external_userid});
    assert_eq!(wecom.call(Api::GetExternalContact, customer.clone()).await["errcode"], 0);
    wecom.mock.control().set_clock(T0 + 3599).expect("clock");
    assert!(wecom.mock.control().messages(Some(DEFAULT_CORPID)).expect("messages").is_empty());
    wecom.mock.control().set_clock(T0 + 7000).expect("clock");
    let messages = wecom.mock.control().messages(Some(DEFAULT_CORPID)).expect("messages");
    assert_eq!(messages.len(), 1, "ended at once, without waiting for a request");
    let sent = serde_json::to_value(&messages[0]).expect("json");
    assert_eq!(sent["kind"], "conclusions");
    assert_eq!(sent["at"], T0 + 3600, "recorded at the due time");
    assert_eq!(sent["to"], added.external_userid.as_str());
    assert_eq!(sent["reason"], "expired");
    assert_eq!(sent["conclusions"]["text"]["content"], "bye");
    let token = wecom.token_for(DEFAULT_CORPID, wecom_mock::fixtures::DEFAULT_SECRET).await;
    let gone = wecom.call_with(Api::GetExternalContact, Some(&token), &customer).await;
    assert_eq!(gone["errcode"], 84061, "the relationship is removed");
}

#[tokio::test]
async fn close_temp_chat_sends_the_conclusions_and_ends_the_relationship() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({})).await;
    let added = wecom.mock.control().scan(&scan(&id)).expect("scan");
    let close = json!({"userid": added.userid, "external_userid": added.external_userid});
    wecom.ok(Api::CloseTempChat, close.clone()).await;
    let messages = wecom.mock.control().messages(Some(DEFAULT_CORPID)).expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(serde_json::to_value(&messages[0]).expect("json")["reason"], "closed");
    assert_eq!(wecom.call(Api::CloseTempChat, close).await["errcode"], 84061, "a second close");
}

#[tokio::test]
async fn a_temp_config_with_a_unionid_rejects_other_wechat_users() {
    let wecom = Wecom::start().await;
    let id = temp_config(&wecom, json!({"unionid": "oxTWIuGaIt6gTKsQRLau2M0AAAA"})).await;
    let mut other = scan(&id);
    other.unionid = Some("someone-else".into());
    assert_eq!(wecom.mock.control().scan(&other).expect_err("mismatch").code(), "unionid_mismatch");
    let mut right = scan(&id);
    right.unionid = Some("oxTWIuGaIt6gTKsQRLau2M0AAAA".into());
    assert!(wecom.mock.control().scan(&right).is_ok());
}

#[tokio::test]
async fn temp_configs_are_never_listed() {
    let wecom = Wecom::start().await;
    temp_config(&wecom, json!({})).await;
    let plain = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert_eq!(wecom.list_all(json!({})).await, [plain]);
}

#[tokio::test]
async fn temp_only_fields_are_ignored_without_is_temp() {
    let wecom = Wecom::start().await;
    let id = wecom
        .add(json!({"type":1,"scene":2,"user":["zhangsan"],"expires_in":99,"unionid":"u",
            "conclusions":{"text":{"content":"x"}}}))
        .await;
    let config = wecom.get(&id).await;
    for field in ["expires_in", "chat_expires_in", "unionid", "conclusions"] {
        assert!(config.get(field).is_none(), "{field} was stored: {config}");
    }
}
