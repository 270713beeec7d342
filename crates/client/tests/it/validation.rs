//! Every pure-input rule of `wecom-types` rejects the request before it is sent: the error names
//! the field and the errcode the server would give, and the stub sees nothing (not even a
//! gettoken). One row per rule.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wecom_client::{Client, Error};
use wecom_types::Endpoint;
use wecom_types::api::*;
use wecom_types::limits::MAX_TEMP_EXPIRES_SECS;

use crate::stub::Stub;

fn req<T: DeserializeOwned>(body: Value) -> T {
    serde_json::from_value(body).expect("request")
}

async fn send<E: Endpoint>(client: &Client, body: Value) -> Result<(), Error> {
    client.call(&req::<E>(body)).await.map(drop)
}

fn chars(n: usize) -> String {
    "字".repeat(n)
}

fn list(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:04}")).collect()
}

/// What was tried, what came of it, and the (errcode, field) it must be refused with.
type Row<'a> = (&'a str, Result<(), Error>, (i32, &'a str));

#[track_caller]
fn check(rows: Vec<Row<'_>>) {
    for (what, result, (code, field)) in rows {
        match result {
            Err(Error::Validation(violation)) => {
                assert_eq!((violation.code.0, violation.field), (code, field), "{what}")
            }
            other => panic!("{what}: expected a validation error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn every_contact_way_rule_rejects_before_sending() {
    let stub = Stub::start().await;
    let c = stub.client();
    let temp = |extra: Value| {
        let mut body = json!({"type": 1, "scene": 2, "user": ["a"], "is_temp": true});
        if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
            body.extend(extra);
        }
        body
    };
    let conclusions = |c: Value| temp(json!({"conclusions": c}));
    check(vec![
        ("type missing", send::<AddContactWay>(&c, json!({"scene": 2, "user": ["a"]})).await, (41037, "type")),
        ("scene missing", send::<AddContactWay>(&c, json!({"type": 1, "user": ["a"]})).await, (41038, "scene")),
        ("type 3", send::<AddContactWay>(&c, json!({"type": 3, "scene": 2, "user": ["a"]})).await, (41039, "type")),
        ("scene 3", send::<AddContactWay>(&c, json!({"type": 1, "scene": 3, "user": ["a"]})).await, (41040, "scene")),
        (
            "type 1 style 4",
            send::<AddContactWay>(&c, json!({"type": 1, "scene": 1, "style": 4, "user": ["a"]})).await,
            (41042, "style"),
        ),
        (
            "type 2 style 3",
            send::<AddContactWay>(&c, json!({"type": 2, "scene": 1, "style": 3, "user": ["a"]})).await,
            (41042, "style"),
        ),
        (
            "remark 31 chars",
            send::<AddContactWay>(&c, json!({"type": 1, "scene": 2, "user": ["a"], "remark": chars(31)})).await,
            (40058, "remark"),
        ),
        (
            "state 31 chars",
            c.add_contact_way(&AddContactWay::single("a", Scene::QR_CODE).with_state(chars(31))).await.map(drop),
            (40058, "state"),
        ),
        ("type 1 no user", send::<AddContactWay>(&c, json!({"type": 1, "scene": 2})).await, (40058, "user")),
        (
            "type 1 two users",
            send::<AddContactWay>(&c, json!({"type": 1, "scene": 2, "user": ["a", "b"]})).await,
            (40058, "user"),
        ),
        (
            "type 2 101 users",
            c.add_contact_way(&AddContactWay::multi(list("u", 101), [], Scene::QR_CODE)).await.map(drop),
            (41041, "user"),
        ),
        ("type 2 nobody", send::<AddContactWay>(&c, json!({"type": 2, "scene": 2})).await, (40058, "user")),
        (
            "temp with type 2",
            send::<AddContactWay>(&c, json!({"type": 2, "scene": 2, "user": ["a"], "is_temp": true})).await,
            (40058, "is_temp"),
        ),
        (
            "expires_in over 14 days",
            send::<AddContactWay>(&c, temp(json!({"expires_in": MAX_TEMP_EXPIRES_SECS + 1}))).await,
            (40058, "expires_in"),
        ),
        (
            "negative expires_in",
            send::<AddContactWay>(&c, temp(json!({"expires_in": -1}))).await,
            (40058, "expires_in"),
        ),
        (
            "chat_expires_in over 14 days",
            send::<AddContactWay>(&c, temp(json!({"chat_expires_in": MAX_TEMP_EXPIRES_SECS + 1}))).await,
            (40058, "chat_expires_in"),
        ),
        (
            "conclusions all empty",
            send::<AddContactWay>(&c, conclusions(json!({"text": {"content": ""}}))).await,
            (40058, "conclusions"),
        ),
        (
            "conclusions text 4001 bytes",
            send::<AddContactWay>(&c, conclusions(json!({"text": {"content": "x".repeat(4001)}}))).await,
            (40058, "conclusions.text.content"),
        ),
        (
            "conclusions link title 129 bytes",
            send::<AddContactWay>(&c, conclusions(json!({"link": {"title": "x".repeat(129), "url": "u"}}))).await,
            (40058, "conclusions.link.title"),
        ),
        (
            "conclusions link desc 513 bytes",
            send::<AddContactWay>(
                &c,
                conclusions(json!({"link": {"title": "t", "url": "u", "desc": "x".repeat(513)}})),
            )
            .await,
            (40058, "conclusions.link.desc"),
        ),
        (
            "conclusions link without title",
            send::<AddContactWay>(&c, conclusions(json!({"link": {"url": "u"}}))).await,
            (40058, "conclusions.link.title"),
        ),
        (
            "conclusions link without url",
            send::<AddContactWay>(&c, conclusions(json!({"link": {"title": "t"}}))).await,
            (40058, "conclusions.link.url"),
        ),
        (
            "conclusions miniprogram title 65 bytes",
            send::<AddContactWay>(
                &c,
                conclusions(
                    json!({"miniprogram": {"title": "x".repeat(65), "pic_media_id": "m", "appid": "a", "page": "p"}}),
                ),
            )
            .await,
            (40058, "conclusions.miniprogram.title"),
        ),
        (
            "conclusions miniprogram without page",
            send::<AddContactWay>(
                &c,
                conclusions(json!({"miniprogram": {"title": "t", "pic_media_id": "m", "appid": "a"}})),
            )
            .await,
            (40058, "conclusions.miniprogram.page"),
        ),
        ("get without config_id", c.get_contact_way("").await.map(drop), (41043, "config_id")),
        (
            "list start after end",
            send::<ListContactWay>(&c, json!({"start_time": 1_700_000_001, "end_time": 1_700_000_000})).await,
            (40058, "start_time"),
        ),
        ("list limit 1001", send::<ListContactWay>(&c, json!({"limit": 1001})).await, (40058, "limit")),
        ("list limit -1", send::<ListContactWay>(&c, json!({"limit": -1})).await, (40058, "limit")),
        ("update without config_id", send::<UpdateContactWay>(&c, json!({"remark": "x"})).await, (41043, "config_id")),
        (
            "update remark 31 chars",
            send::<UpdateContactWay>(&c, json!({"config_id": "cfg", "remark": chars(31)})).await,
            (40058, "remark"),
        ),
        (
            "update state 31 chars",
            send::<UpdateContactWay>(&c, json!({"config_id": "cfg", "state": chars(31)})).await,
            (40058, "state"),
        ),
        (
            "update 101 users",
            send::<UpdateContactWay>(&c, json!({"config_id": "cfg", "user": list("u", 101)})).await,
            (41041, "user"),
        ),
        ("delete without config_id", c.del_contact_way("").await, (41043, "config_id")),
        ("close without userid", c.close_temp_chat("", "wmABCDEFGH").await, (41009, "userid")),
        ("close without external_userid", c.close_temp_chat("a", "").await, (41035, "external_userid")),
        ("close malformed external_userid", c.close_temp_chat("a", "xx123456").await, (40096, "external_userid")),
        ("close external_userid tail too short", c.close_temp_chat("a", "wmabc").await, (40096, "external_userid")),
    ]);
    assert_eq!(stub.total(), 0, "nothing may reach the server");
}

#[tokio::test]
async fn every_join_way_rule_rejects_before_sending() {
    let stub = Stub::start().await;
    let c = stub.client();
    let chats = |n| list("wrchat", n);
    check(vec![
        ("scene missing", send::<AddJoinWay>(&c, json!({"chat_id_list": chats(1)})).await, (40058, "scene")),
        ("chat list missing", send::<AddJoinWay>(&c, json!({"scene": 2})).await, (40058, "chat_id_list")),
        (
            "chat list empty",
            send::<AddJoinWay>(&c, json!({"scene": 2, "chat_id_list": []})).await,
            (40058, "chat_id_list"),
        ),
        ("scene 3", send::<AddJoinWay>(&c, json!({"scene": 3, "chat_id_list": chats(1)})).await, (40058, "scene")),
        (
            "auto_create_room 2",
            send::<AddJoinWay>(&c, json!({"scene": 2, "chat_id_list": chats(1), "auto_create_room": 2})).await,
            (40058, "auto_create_room"),
        ),
        (
            "room_base_name 41 chars",
            c.add_join_way(&AddJoinWay::new(Scene::QR_CODE, chats(1)).with_auto_create_room(chars(41), 1))
                .await
                .map(drop),
            (40058, "room_base_name"),
        ),
        (
            "negative room_base_id",
            send::<AddJoinWay>(&c, json!({"scene": 2, "chat_id_list": chats(1), "room_base_id": -1})).await,
            (40058, "room_base_id"),
        ),
        (
            "six chats",
            c.add_join_way(&AddJoinWay::new(Scene::QR_CODE, chats(6))).await.map(drop),
            (41091, "chat_id_list"),
        ),
        (
            "malformed chat id",
            c.add_join_way(&AddJoinWay::new(Scene::QR_CODE, ["chat0001"])).await.map(drop),
            (86001, "chat_id_list"),
        ),
        (
            "state 31 chars",
            c.create_join_way(&AddJoinWay::new(Scene::QR_CODE, chats(1)).with_state(chars(31))).await.map(drop),
            (40058, "state"),
        ),
        ("get without config_id", c.get_join_way("").await.map(drop), (41043, "config_id")),
        (
            "update without config_id",
            c.update_join_way(&req(json!({"scene": 2, "chat_id_list": chats(1)}))).await,
            (41043, "config_id"),
        ),
        (
            "update without chat list",
            c.update_join_way(&req(json!({"config_id": "cfg", "scene": 2}))).await,
            (40058, "chat_id_list"),
        ),
        (
            "update six chats",
            c.update_join_way(&AddJoinWay::new(Scene::QR_CODE, chats(6)).into_update("cfg")).await,
            (41091, "chat_id_list"),
        ),
        ("delete without config_id", c.del_join_way("").await, (41043, "config_id")),
    ]);
    assert_eq!(stub.total(), 0, "nothing may reach the server");
}

#[tokio::test]
async fn every_read_back_and_token_rule_rejects_before_sending() {
    let stub = Stub::start().await;
    let c = stub.client();
    check(vec![
        ("customer without id", c.get_external_contact("").await.map(drop), (41035, "external_userid")),
        ("malformed customer id", c.get_external_contact("wx12345678").await.map(drop), (40096, "external_userid")),
        ("group without chat_id", c.get_group_chat(&GetGroupChat::default()).await.map(drop), (40058, "chat_id")),
        ("malformed chat_id", c.get_group_chat(&GetGroupChat::new("chat0001")).await.map(drop), (86001, "chat_id")),
        ("gettoken without corpid", send::<GetToken>(&c, json!({"corpsecret": "s"})).await, (41002, "corpid")),
        ("gettoken without secret", send::<GetToken>(&c, json!({"corpid": "ww"})).await, (41004, "corpsecret")),
    ]);
    assert_eq!(stub.total(), 0, "nothing may reach the server");
}

#[tokio::test]
async fn a_validation_error_reports_the_servers_errcode() {
    let stub = Stub::start().await;
    let err = stub.client().get_contact_way("").await.expect_err("invalid");
    assert_eq!(err.code().map(|code| code.get()), Some(41043));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("config_id"), "{err}");
}
