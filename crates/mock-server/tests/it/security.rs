//! Security: one corp's token reaches nothing of another's, the admin token opens no WeCom path,
//! and no secret or token is ever logged.

use std::process::Stdio;

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

use super::crash::Binary;
use super::support::Wecom;

#[tokio::test]
async fn another_corps_token_can_neither_read_nor_change_any_config() {
    let wecom = Wecom::start().await;
    let way = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"state":"mine"})).await;
    let join = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    let before = wecom.dump();
    let tenant = wecom.mock.control().create_tenant(&Default::default()).expect("tenant");
    let other = wecom.token_for(&tenant.corpid, &tenant.secret).await;
    let attempts: [(Api, Value); 6] = [
        (Api::GetContactWay, json!({"config_id": way})),
        (Api::UpdateContactWay, json!({"config_id": way, "remark": "taken"})),
        (Api::DelContactWay, json!({"config_id": way})),
        (Api::GetJoinWay, json!({"config_id": join})),
        (Api::UpdateJoinWay, json!({"config_id": join, "scene":2, "chat_id_list":["wrmockchat0002"]})),
        (Api::DelJoinWay, json!({"config_id": join})),
    ];
    for (api, body) in attempts {
        let answer = wecom.call_with(api, Some(&other), &body).await;
        assert_ne!(answer["errcode"], 0, "{api:?} with another corp's token: {answer}");
    }
    assert_eq!(wecom.dump(), before, "nothing of the first corp changed");
}

#[tokio::test]
async fn the_admin_token_opens_no_wecom_path() {
    let mock = wecom_mock::MockServer::builder().admin_token("admin-s3cret").start().await;
    let url = format!("{}{}", mock.uri(), Api::AddContactWay.path());
    let answer: Value = reqwest::Client::new()
        .post(url)
        .bearer_auth("admin-s3cret")
        .body(json!({"type":1,"scene":2,"user":["zhangsan"]}).to_string())
        .send()
        .await
        .expect("reachable")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["errcode"], 41001, "{answer}");
}

#[tokio::test]
async fn no_secret_or_token_reaches_the_log() {
    let dir = super::durability::TempDir::new("log");
    let path = dir.path().to_str().expect("utf-8 path").to_owned();
    let log = dir.path().with_extension("log");
    let stderr = std::fs::File::create(&log).expect("log file");
    let args = ["--admin-token", "admin-s3cret", "--data-dir", &path, "--log-format", "json"];
    let running = Binary::start_with(&args, "debug", Stdio::from(stderr));
    let (http, base) = (&running.http, running.http.base.clone());
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let answer = http.call(Api::AddContactWay, &token, &json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert_eq!(answer.expect("add")["errcode"], 0);
    let _ = http.call(Api::ListContactWay, "not-a-token", &json!({})).await;
    let admin = http.client.request(Method::GET, format!("{base}/__admin/corps")).bearer_auth("admin-s3cret");
    assert_eq!(admin.send().await.expect("admin").status(), 200);
    let wrong = http.client.request(Method::GET, format!("{base}/__admin/corps")).bearer_auth("guess");
    assert_eq!(wrong.send().await.expect("admin").status(), 401);
    let signup = http.client.post(format!("{base}/__admin/tenants")).bearer_auth("admin-s3cret").body("{}");
    let tenant: Value = signup.send().await.expect("tenant").json().await.expect("json");
    let (tenant_token, tenant_secret) =
        (tenant["admin_token"].as_str().expect("a token"), tenant["secret"].as_str().expect("a secret"));
    let own = http.client.get(format!("{base}/__admin/corps")).bearer_auth(tenant_token);
    assert_eq!(own.send().await.expect("admin").status(), 200);
    let _ = http.token(tenant["corpid"].as_str().expect("corpid"), tenant_secret).await;
    assert!(running.terminate().success());

    let logged = std::fs::read_to_string(&log).expect("the log");
    let _ = std::fs::remove_file(&log);
    assert!(logged.contains("shutting down"), "the log was captured: {logged}");
    for secret in [DEFAULT_SECRET, token.as_str(), "admin-s3cret", tenant_token, tenant_secret] {
        assert!(!logged.contains(secret), "`{secret}` was logged:\n{logged}");
    }
}
