//! Updates: the plain one sends only what the caller set; the merged ones send what keeps the
//! config whole.

use serde_json::{Value, json};
use wecom_client::Error;
use wecom_types::api::{Conclusions, UpdateContactWay};
use wecom_types::{Api, Patch};

use crate::stub::{Reply, Stub};

/// A stored type-2 config with members, departments, a state and a read-back conclusions image.
fn stored_contact_way() -> Value {
    json!({"contact_way": {
        "config_id": "cfg", "type": 2, "scene": 1, "style": 1, "remark": "old", "skip_verify": true,
        "state": "spring", "user": ["zhangsan", "lisi", "wangwu"], "party": [2, 3],
        "is_temp": false, "mark_source": true,
        "conclusions": {"text": {"content": "bye"}, "image": {"pic_url": "https://pic/1.png"}}
    }})
}

async fn stub_with_contact_way() -> Stub {
    let stub = Stub::start().await;
    stub.on(Api::GetContactWay, |_| Reply::ok(stored_contact_way()));
    stub
}

#[tokio::test]
async fn merged_update_sends_the_complete_member_list() {
    let stub = stub_with_contact_way().await;
    let way = stub
        .client()
        .update_contact_way_merged("cfg", |way| way.remark = Some("autumn".into()))
        .await
        .expect("updated");
    assert_eq!(way.remark.as_deref(), Some("autumn"));
    assert_eq!(
        stub.only_body(Api::UpdateContactWay),
        json!({"config_id": "cfg", "remark": "autumn", "user": ["zhangsan", "lisi", "wangwu"], "party": [2, 3]})
    );
}

#[tokio::test]
async fn merged_update_adds_a_member_and_keeps_the_others() {
    let stub = stub_with_contact_way().await;
    stub.client()
        .update_contact_way_merged("cfg", |way| way.user.get_or_insert_with(Vec::new).push("zhaoliu".into()))
        .await
        .expect("updated");
    let body = stub.only_body(Api::UpdateContactWay);
    assert_eq!(body["user"], json!(["zhangsan", "lisi", "wangwu", "zhaoliu"]));
    assert_eq!(body["party"], json!([2, 3]));
    // The read-back conclusions (pic_url, not media_id) are not sent back.
    assert!(body.get("conclusions").is_none(), "{body}");
}

#[tokio::test]
async fn merged_update_sends_a_changed_field_and_clears_a_removed_one() {
    let stub = stub_with_contact_way().await;
    stub.client()
        .update_contact_way_merged("cfg", |way| {
            way.style = Some(2);
            way.state = None;
        })
        .await
        .expect("updated");
    let body = stub.only_body(Api::UpdateContactWay);
    assert_eq!(body["style"], 2);
    assert_eq!(body["state"], "");
    let mut keys: Vec<&str> = body.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(keys, ["config_id", "party", "state", "style", "user"]);
}

#[tokio::test]
async fn merged_update_refuses_an_unchangeable_field_without_writing() {
    let stub = stub_with_contact_way().await;
    let err = stub
        .client()
        .update_contact_way_merged("cfg", |way| way.scene = Some(wecom_types::api::Scene::QR_CODE))
        .await
        .expect_err("scene cannot change");
    assert!(matches!(err, Error::Unchangeable { field: "scene" }), "{err:?}");
    assert_eq!(stub.count(Api::UpdateContactWay), 0);
}

#[tokio::test]
async fn merged_update_refuses_a_result_without_members_without_writing() {
    let stub = stub_with_contact_way().await;
    let err = stub
        .client()
        .update_contact_way_merged("cfg", |way| {
            way.user = Some(Vec::new());
            way.party = None;
        })
        .await
        .expect_err("type 2 with nobody");
    assert_eq!(err.violation().map(|v| (v.code.get(), v.field)), Some((40058, "user")));
    assert_eq!(stub.count(Api::UpdateContactWay), 0);
}

#[tokio::test]
async fn merged_update_checks_the_style_against_the_stored_type() {
    let stub = stub_with_contact_way().await;
    let err = stub.client().update_contact_way_merged("cfg", |way| way.style = Some(3)).await.expect_err("style 3");
    assert_eq!(err.violation().map(|v| (v.code.get(), v.field)), Some((41042, "style")));
    assert_eq!(stub.count(Api::UpdateContactWay), 0);
}

#[tokio::test]
async fn plain_update_never_sends_a_field_the_caller_did_not_set() {
    type Edit = fn(&mut UpdateContactWay);
    let rows: [(&str, Edit, Value); 5] = [
        ("nothing", |_| {}, json!({"config_id": "cfg"})),
        ("remark only", |u| u.remark = Patch::Set("x".into()), json!({"config_id": "cfg", "remark": "x"})),
        ("clear state", |u| u.state = Patch::Clear, json!({"config_id": "cfg", "state": ""})),
        ("members only", |u| u.user = Patch::Set(vec!["a".into()]), json!({"config_id": "cfg", "user": ["a"]})),
        (
            "conclusions and skip_verify",
            |u| {
                u.conclusions = Patch::Set(Conclusions::text("bye"));
                u.skip_verify = Patch::Set(false);
            },
            json!({"config_id": "cfg", "skip_verify": false, "conclusions": {"text": {"content": "bye"}}}),
        ),
    ];
    for (what, edit, expected) in rows {
        let stub = Stub::start().await;
        let mut req = UpdateContactWay::new("cfg");
        edit(&mut req);
        stub.client().update_contact_way(&req).await.unwrap_or_else(|err| panic!("{what}: {err}"));
        assert_eq!(stub.only_body(Api::UpdateContactWay), expected, "{what}");
        assert_eq!(stub.count(Api::GetContactWay), 0, "{what}: a plain update reads nothing");
    }
}

fn stored_join_way() -> Value {
    json!({"join_way": {
        "config_id": "jcfg", "scene": 2, "remark": "old", "auto_create_room": 0, "room_base_name": "销售群",
        "room_base_id": 10, "chat_id_list": ["wrchat0001", "wrchat0002"], "qr_code": "https://qr/j", "state": "vip"
    }})
}

#[tokio::test]
async fn merged_join_way_update_sends_the_whole_config() {
    let stub = Stub::start().await;
    stub.on(Api::GetJoinWay, |_| Reply::ok(stored_join_way()));
    let way =
        stub.client().update_join_way_merged("jcfg", |way| way.remark = Some("new".into())).await.expect("updated");
    assert_eq!(way.state.as_deref(), Some("vip"));
    assert_eq!(
        stub.only_body(Api::UpdateJoinWay),
        json!({"config_id": "jcfg", "scene": 2, "remark": "new", "auto_create_room": 0, "room_base_name": "销售群",
               "room_base_id": 10, "chat_id_list": ["wrchat0001", "wrchat0002"], "state": "vip"})
    );
}

#[tokio::test]
async fn merged_join_way_update_validates_the_result_before_writing() {
    let stub = Stub::start().await;
    stub.on(Api::GetJoinWay, |_| Reply::ok(stored_join_way()));
    let err = stub
        .client()
        .update_join_way_merged("jcfg", |way| way.chat_id_list = Some(Vec::new()))
        .await
        .expect_err("no chats");
    assert_eq!(err.violation().map(|v| v.field), Some("chat_id_list"));
    assert_eq!(stub.count(Api::UpdateJoinWay), 0);
}
