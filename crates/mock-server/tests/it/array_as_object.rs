//! A JSON array where a request expects an object is a wrong type (40058 naming the field), as
//! on the real service, not the object's fields in order; the empty array alone reads as `{}`
//! (`EMPTY_ARRAY_IS_EMPTY_OBJECT`).

use serde_json::{Value, json};
use wecom_types::Api;

use super::support::Wecom;

fn temp_add(conclusions: Value) -> Value {
    json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"conclusions":conclusions})
}

#[track_caller]
fn assert_wrong_object(answer: &Value, field: &str) {
    assert_eq!(answer["errcode"], 40058, "{answer}");
    let expected = format!("field `{field}` expect type `object`.");
    assert!(answer["errmsg"].as_str().is_some_and(|m| m.starts_with(&expected)), "{answer}");
}

#[tokio::test]
async fn an_add_with_an_array_for_an_object_is_40058_and_creates_nothing() {
    let wecom = Wecom::start().await;
    let before = wecom.dump();
    let cases = [
        (json!([{"content":"bye"}]), "conclusions"),
        (json!({"text":["bye"]}), "conclusions.text"),
        (json!({"text":{"content":"bye"},"link":["title","pic","desc","https://example.com"]}), "conclusions.link"),
    ];
    for (conclusions, field) in cases {
        let answer = wecom.call(Api::AddContactWay, temp_add(conclusions)).await;
        assert_wrong_object(&answer, field);
    }
    assert_eq!(wecom.dump(), before, "a refused add changes nothing");
}

#[tokio::test]
async fn an_update_with_an_array_for_an_object_is_40058_and_keeps_the_config() {
    let wecom = Wecom::start().await;
    let id = wecom.add(temp_add(json!({"text":{"content":"hello"}}))).await;
    let stored = wecom.get(&id).await;
    let answer = wecom.call(Api::UpdateContactWay, json!({"config_id": id, "conclusions": {"text": ["bye"]}})).await;
    assert_wrong_object(&answer, "conclusions.text");
    assert_eq!(wecom.get(&id).await, stored);
}

#[tokio::test]
async fn the_wrong_type_answers_before_an_unknown_config_id() {
    // errcodes.md: JSON types (step 6) come before the config's existence (step 10).
    let wecom = Wecom::start().await;
    let unknown = "0123456789abcdef0123456789abcdef";
    let answer =
        wecom.call(Api::UpdateContactWay, json!({"config_id": unknown, "conclusions": [{"content":"bye"}]})).await;
    assert_wrong_object(&answer, "conclusions");
    let answer = wecom.call(Api::UpdateContactWay, json!({"config_id": unknown, "conclusions": {}})).await;
    assert_eq!(answer["errcode"], 41044, "the same update with an object reaches the config check: {answer}");
}

#[tokio::test]
async fn the_empty_array_still_reads_as_the_empty_object() {
    let wecom = Wecom::start().await;
    let id = wecom.add(temp_add(json!([]))).await;
    assert!(wecom.get(&id).await.get("conclusions").is_none());
    let id = wecom.add(temp_add(json!({"text":{"content":"hello"}}))).await;
    wecom.ok(Api::UpdateContactWay, json!({"config_id": id, "conclusions": []})).await;
    assert!(wecom.get(&id).await.get("conclusions").is_none(), "`[]` clears like `{{}}`");
}

#[tokio::test]
async fn an_admin_body_that_is_an_array_is_a_bad_request() {
    // serde would read ["wwmock0000000001", "<config_id>"] as a ScanRequest's fields in order.
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let corpid = wecom.mock.corpid().to_owned();
    let cases = [
        ("/__admin/scan", json!([corpid, id])),
        ("/__admin/join", json!([corpid, id])),
        ("/__admin/clock", json!([1_750_000_000])),
        ("/__admin/reset", json!([corpid])),
        ("/__admin/tenants", json!([])),
        ("/__admin/faults", json!(["add_contact_way", -1])),
        ("/__admin/corps/wwmock0000000001/checkpoint", json!(["saved"])),
    ];
    let before = wecom.dump();
    for (path, body) in cases {
        let (status, answer) = wecom.admin(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("bad_request")), "{path}: {answer}");
    }
    let (status, answer) =
        wecom.admin(reqwest::Method::PUT, &format!("/__admin/corps/{corpid}"), Some(json!([corpid]))).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(wecom.dump(), before, "nothing changed");
}
