//! The control surface over HTTP: auth, corps, reset, tenants, clock, messages, determinism.

use reqwest::Method;
use serde_json::json;
use wecom_mock::fixtures::DEFAULT_CORPID;
use wecom_mock::{MockServer, MockState, Settings};
use wecom_types::Api;

use super::support::Wecom;

#[tokio::test]
async fn with_an_admin_token_the_control_surface_needs_it() {
    let mock = MockServer::builder().admin_token("s3cret").start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/__admin/corps", mock.uri());
    assert_eq!(http.get(&url).send().await.expect("request").status(), 401);
    let wrong = http.get(&url).bearer_auth("nope").send().await.expect("request");
    assert_eq!(wrong.status(), 401);
    let right = http.get(&url).bearer_auth("s3cret").send().await.expect("request");
    assert_eq!(right.status(), 200);
    let health = http.get(format!("{}/healthz", mock.uri())).send().await.expect("request");
    assert_eq!(health.status(), 200, "healthz never needs it");
}

#[tokio::test]
async fn healthz_answers_ok_and_the_crate_version() {
    let mock = MockServer::start().await;
    let health = reqwest::get(format!("{}/healthz", mock.uri())).await.expect("request");
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.expect("JSON");
    assert_eq!(body, json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}));
}

#[tokio::test]
async fn in_process_healthz_answers_as_over_http() {
    let state = MockState::new(Settings::default()).expect("the default corp loads");
    let (status, body) = state.handle("/healthz", "", b"").await;
    assert_eq!(status, 200);
    let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body, json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}));
}

#[tokio::test]
async fn without_an_admin_token_the_control_surface_is_open() {
    let wecom = Wecom::start().await;
    let (status, body) = wecom.admin(Method::GET, "/__admin/corps", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["corps"][0]["corpid"], DEFAULT_CORPID);
    assert_eq!(body["corps"][0]["apps"][0]["secret"], "mock-secret");
}

#[tokio::test]
async fn put_creates_a_corp_get_dumps_it_and_delete_removes_it() {
    let wecom = Wecom::start().await;
    let corp = json!({"corpid":"wwteamb","members":[{"userid":"amy","department":[1]}],"departments":[{"id":1}]});
    let (status, _) = wecom.admin(Method::PUT, "/__admin/corps/wwteamb", Some(corp)).await;
    assert_eq!(status, 200);
    let (status, dump) = wecom.admin(Method::GET, "/__admin/corps/wwteamb", None).await;
    assert_eq!((status, dump["corpid"].as_str()), (200, Some("wwteamb")));
    let (status, _) = wecom.admin(Method::DELETE, "/__admin/corps/wwteamb", None).await;
    assert_eq!(status, 204);
    let (status, body) = wecom.admin(Method::GET, "/__admin/corps/wwteamb", None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("corp_not_found")));
}

#[tokio::test]
async fn a_fixture_typo_is_rejected_by_name() {
    let wecom = Wecom::start().await;
    let corp = json!({"corpid":"wwteamb","memebers":[]});
    let (status, body) = wecom.admin(Method::PUT, "/__admin/corps/wwteamb", Some(corp)).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().is_some_and(|m| m.contains("memebers")), "{body}");
}

#[tokio::test]
async fn reset_forgets_every_config() {
    let wecom = Wecom::start().await;
    wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let (status, _) = wecom.admin(Method::POST, "/__admin/reset", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert!(wecom.mock.control().dump(DEFAULT_CORPID).expect("dump").contact_ways.is_empty());
}

#[tokio::test]
async fn tenants_are_isolated_corps_with_the_default_directory() {
    let wecom = Wecom::start().await;
    let (status, tenant) = wecom.admin(Method::POST, "/__admin/tenants", Some(json!({}))).await;
    assert_eq!(status, 200);
    let corpid = tenant["corpid"].as_str().expect("corpid");
    let token = wecom.token_for(corpid, tenant["secret"].as_str().expect("secret")).await;
    let answer =
        wecom.call_with(Api::AddContactWay, Some(&token), &json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert_eq!(answer["errcode"], 0);
    assert!(wecom.mock.control().dump(DEFAULT_CORPID).expect("dump").contact_ways.is_empty());
    assert_eq!(wecom.mock.control().dump(corpid).expect("dump").contact_ways.len(), 1);
}

#[tokio::test]
async fn the_clock_can_be_set_advanced_and_returned_to_wall_time() {
    let wecom = Wecom::start().await;
    let (_, set) = wecom.admin(Method::POST, "/__admin/clock", Some(json!({"set": 1_600_000_000}))).await;
    assert_eq!(set, json!({"now": 1_600_000_000, "frozen": true}));
    let (_, advanced) = wecom.admin(Method::POST, "/__admin/clock", Some(json!({"advance": 60}))).await;
    assert_eq!(advanced["now"], 1_600_000_060);
    let (_, real) = wecom.admin(Method::POST, "/__admin/clock", Some(json!({"real": true}))).await;
    assert_eq!(real["frozen"], false);
    assert!(real["now"].as_i64().is_some_and(|now| now > 1_700_000_000));
    let (status, _) = wecom.admin(Method::POST, "/__admin/clock", Some(json!({"set": 1, "advance": 2}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn admin_errors_are_json_with_a_code() {
    let wecom = Wecom::start().await;
    let (status, body) =
        wecom.admin(Method::POST, "/__admin/scan", Some(json!({"corpid": DEFAULT_CORPID, "config_id": "x"}))).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("config_not_found")));
    let (status, body) = wecom.admin(Method::POST, "/__admin/scan", Some(json!({"corpid": 5}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    let (status, _) = wecom.admin(Method::GET, "/__admin/scan", None).await;
    assert_eq!(status, 405);
    let (status, _) = wecom.admin(Method::GET, "/__admin/nothing", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_seeded_run_produces_the_same_dump_bytes() {
    let mut dumps = Vec::new();
    for _ in 0..2 {
        let wecom = Wecom::start().await;
        for user in ["zhangsan", "lisi", "wangwu"] {
            wecom.add(json!({"type":1,"scene":2,"user":[user],"state":user})).await;
        }
        wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
        let dump = wecom.dump();
        assert_eq!(dump, wecom.dump(), "the same state gives the same bytes");
        // The qr_code URLs carry the port, which differs between servers.
        dumps.push(String::from_utf8(dump).expect("utf-8").replace(&wecom.mock.uri(), "URI"));
    }
    assert_eq!(dumps[0], dumps[1]);
}
