//! Checkpoints: a restore makes the corp exactly the saved state again, is journaled, and a
//! tenant sees only its own checkpoints.

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET, Fixtures};
use wecom_mock::{DataDir, MockServer};
use wecom_types::Api;

use super::durability::{Http, TempDir};
use super::support::Wecom;

fn checkpoint_path(corpid: &str, action: &str) -> String {
    format!("/__admin/corps/{corpid}/{action}")
}

async fn dump_text(wecom: &Wecom, corpid: &str) -> String {
    let url = format!("{}/__admin/corps/{corpid}", wecom.mock.uri());
    wecom.http.get(url).send().await.expect("reachable").text().await.expect("text")
}

/// Configs of both kinds, a scan and a join: state in every part of the dump.
async fn some_state(wecom: &Wecom) -> Vec<String> {
    let mut ids = Vec::new();
    for user in ["zhangsan", "lisi"] {
        ids.push(wecom.add(json!({"type":1,"scene":2,"user":[user],"state":user})).await);
    }
    let join = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    let scan = json!({"corpid": DEFAULT_CORPID, "config_id": ids[0], "external_userid": "wmcheckpoint0001"});
    assert_eq!(wecom.admin(Method::POST, "/__admin/scan", Some(scan)).await.0, 200);
    let joiner = json!({"corpid": DEFAULT_CORPID, "config_id": join, "external_userid": "wmcheckpoint0002"});
    assert_eq!(wecom.admin(Method::POST, "/__admin/join", Some(joiner)).await.0, 200);
    ids
}

#[tokio::test]
async fn a_restore_returns_exactly_the_checkpointed_state() {
    let wecom = Wecom::start().await;
    let ids = some_state(&wecom).await;
    let saved_bytes = wecom.dump();
    let saved_text = dump_text(&wecom, DEFAULT_CORPID).await;
    let (status, saved) =
        wecom.admin(Method::POST, &checkpoint_path(DEFAULT_CORPID, "checkpoint"), Some(json!({"name": "base"}))).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["contact_ways"].as_u64(), saved["join_ways"].as_u64(), saved["customers"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    // Change everything the dump shows, the clock included.
    wecom.add(json!({"type":1,"scene":2,"user":["wangwu"]})).await;
    wecom.ok(Api::DelContactWay, json!({"config_id": ids[1]})).await;
    wecom.ok(Api::UpdateContactWay, json!({"config_id": ids[0], "remark": "changed"})).await;
    wecom.mock.control().advance_clock(86_400).expect("clock");
    assert_ne!(wecom.dump(), saved_bytes);
    let (status, restored) =
        wecom.admin(Method::POST, &checkpoint_path(DEFAULT_CORPID, "restore"), Some(json!({"name": "base"}))).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(wecom.dump(), saved_bytes, "the same bytes as the dump at the checkpoint");
    assert_eq!(dump_text(&wecom, DEFAULT_CORPID).await, saved_text);
    // A checkpoint can be restored again and again (the token stays valid throughout).
    wecom.add(json!({"type":1,"scene":2,"user":["wangwu"]})).await;
    wecom.mock.control().restore(DEFAULT_CORPID, "base").expect("restore");
    assert_eq!(wecom.dump(), saved_bytes);
    let (_, listed) = wecom.admin(Method::GET, &checkpoint_path(DEFAULT_CORPID, "checkpoints"), None).await;
    assert_eq!(listed["checkpoints"][0]["name"], "base");
}

#[tokio::test]
async fn a_restore_keeps_the_corps_tokens_valid_and_gettoken_returns_the_same_one() {
    let wecom = Wecom::start().await;
    wecom.mock.control().checkpoint(DEFAULT_CORPID, "empty").expect("checkpoint");
    wecom.mock.control().restore(DEFAULT_CORPID, "empty").expect("restore");
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 0);
    assert_eq!(wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await, wecom.token);
}

async fn tenant(wecom: &Wecom) -> (String, String) {
    let (_, tenant) = wecom.admin(Method::POST, "/__admin/tenants", Some(json!({}))).await;
    let corpid = tenant["corpid"].as_str().expect("corpid").to_owned();
    let token = wecom.token_for(&corpid, tenant["secret"].as_str().expect("secret")).await;
    (corpid, token)
}

#[tokio::test]
async fn a_tenant_cannot_see_or_restore_another_tenants_checkpoints() {
    let wecom = Wecom::start().await;
    let (a, a_token) = tenant(&wecom).await;
    let (b, b_token) = tenant(&wecom).await;
    let body = json!({"type":1,"scene":2,"user":["zhangsan"]});
    assert_eq!(wecom.call_with(Api::AddContactWay, Some(&a_token), &body).await["errcode"], 0);
    assert_eq!(
        wecom.admin(Method::POST, &checkpoint_path(&a, "checkpoint"), Some(json!({"name": "base"}))).await.0,
        200
    );
    let b_before = dump_text(&wecom, &b).await;
    let (status, refused) =
        wecom.admin(Method::POST, &checkpoint_path(&b, "restore"), Some(json!({"name": "base"}))).await;
    assert_eq!((status, refused["error"].as_str()), (404, Some("checkpoint_not_found")));
    assert_eq!(dump_text(&wecom, &b).await, b_before, "B is untouched");
    let (_, b_list) = wecom.admin(Method::GET, &checkpoint_path(&b, "checkpoints"), None).await;
    assert_eq!(b_list, json!({"checkpoints": []}));
    // B's token reaches B's state only, before and after A restores.
    assert_eq!(wecom.call_with(Api::ListContactWay, Some(&b_token), &json!({})).await["contact_way"], json!([]));
    wecom.mock.control().restore(&a, "base").expect("restore");
    assert_eq!(wecom.call_with(Api::ListContactWay, Some(&b_token), &json!({})).await["contact_way"], json!([]));
}

#[tokio::test]
async fn checkpoints_go_with_their_corp_and_bad_requests_are_refused() {
    let wecom = Wecom::start().await;
    let (corpid, _) = tenant(&wecom).await;
    wecom.mock.control().checkpoint(&corpid, "base").expect("checkpoint");
    assert_eq!(wecom.admin(Method::DELETE, &format!("/__admin/corps/{corpid}"), None).await.0, 204);
    // The same id again: a new corp, without the old one's checkpoints.
    let fixture = json!({"corpid": corpid});
    assert_eq!(wecom.admin(Method::PUT, &format!("/__admin/corps/{corpid}"), Some(fixture)).await.0, 200);
    let cases: [(Method, String, Option<Value>, u16, &str); 5] = [
        (Method::POST, checkpoint_path(&corpid, "restore"), Some(json!({"name": "base"})), 404, "checkpoint_not_found"),
        (Method::POST, checkpoint_path("wwnobody", "checkpoint"), Some(json!({"name": "x"})), 404, "corp_not_found"),
        (Method::POST, checkpoint_path(&corpid, "checkpoint"), Some(json!({"name": ""})), 400, "bad_request"),
        (Method::POST, checkpoint_path(&corpid, "checkpoint"), Some(json!({"nmae": "x"})), 400, "bad_request"),
        (Method::GET, checkpoint_path(&corpid, "restore"), None, 405, "method_not_allowed"),
    ];
    for (method, path, body, status, error) in cases {
        let (got, answer) = wecom.admin(method.clone(), &path, body).await;
        assert_eq!((got, answer["error"].as_str()), (status, Some(error)), "{method} {path}");
    }
}

#[tokio::test]
async fn a_restore_is_journaled_and_survives_a_restart() {
    let dir = TempDir::new("restore");
    let start =
        || MockServer::builder().fixtures(Fixtures::default()).seed(3).data_dir(DataDir::new(dir.path())).start();
    let mock = start().await;
    let http = Http::new(mock.uri());
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let add = |state: &'static str| json!({"type":1,"scene":2,"user":["zhangsan"],"state":state});
    assert_eq!(http.call(Api::AddContactWay, &token, &add("kept")).await.expect("add")["errcode"], 0);
    let (status, _) =
        http.admin(Method::POST, &checkpoint_path(DEFAULT_CORPID, "checkpoint"), Some(json!({"name": "one"}))).await;
    assert_eq!(status, 200);
    let saved = http.state().await;
    assert_eq!(http.call(Api::AddContactWay, &token, &add("undone")).await.expect("add")["errcode"], 0);
    let (status, _) =
        http.admin(Method::POST, &checkpoint_path(DEFAULT_CORPID, "restore"), Some(json!({"name": "one"}))).await;
    assert_eq!(status, 200);
    mock.shutdown().await;
    let mock = start().await;
    let http = Http::new(mock.uri());
    let recovered = http.state().await;
    // The dumps (qr_code URLs carry the port: `state` takes the base out) and messages.
    assert_eq!(recovered, saved);
}
