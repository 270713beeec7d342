//! What goes on the wire: the method, where the token and the fields go, the user agent.

use serde_json::json;
use wecom_client::Client;
use wecom_types::Api;
use wecom_types::api::{AddContactWay, GetGroupChat, Scene};

use crate::stub::{FAST, Reply, Stub};

#[tokio::test]
async fn a_get_request_carries_its_fields_and_the_token_in_the_query() {
    let stub = Stub::start().await;
    stub.on(Api::GetExternalContact, |_| {
        Reply::ok(json!({"external_contact": {"external_userid": "wmABCDEFGH", "name": "客户", "type": 1},
                         "follow_user": [{"userid": "zhangsan", "add_way": 1, "state": "spring"}]}))
    });
    let detail = stub.client().get_external_contact("wmABCDEFGH").await.expect("detail");
    assert_eq!(detail.follow_user[0].state.as_deref(), Some("spring"));
    let seen = &stub.requests(Api::GetExternalContact)[0];
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.query.get("external_userid").map(String::as_str), Some("wmABCDEFGH"));
    assert_eq!(seen.token(), Some("token-1"));
    assert_eq!(seen.body, None);
}

#[tokio::test]
async fn a_post_request_carries_the_token_in_the_query_and_the_fields_as_json() {
    let stub = Stub::start().await;
    stub.on(Api::AddContactWay, |_| Reply::ok(json!({"config_id": "c1", "qr_code": "https://qr/c1"})));
    let req = AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("s1");
    let created = stub.client().add_contact_way(&req).await.expect("created");
    assert_eq!((created.config_id.as_str(), created.qr_code.as_deref()), ("c1", Some("https://qr/c1")));
    let seen = &stub.requests(Api::AddContactWay)[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.query.keys().collect::<Vec<_>>(), ["access_token"]);
    assert_eq!(seen.body, Some(json!({"type": 1, "scene": 2, "user": ["zhangsan"], "state": "s1"})));
}

#[tokio::test]
async fn the_read_back_of_a_group_is_its_detail() {
    let stub = Stub::start().await;
    stub.on(Api::GetGroupChat, |_| {
        Reply::ok(json!({"group_chat": {"chat_id": "wrchat0001", "name": "VIP", "owner": "zhangsan", "create_time": 1,
            "member_list": [{"userid": "wmABCDEFGH", "type": 2, "join_time": 2, "join_scene": 3, "state": "vip"}]}}))
    });
    let group = stub.client().get_group_chat(&GetGroupChat::new("wrchat0001")).await.expect("group");
    assert_eq!(group.member_list[0].state.as_deref(), Some("vip"));
    assert_eq!(stub.only_body(Api::GetGroupChat), json!({"chat_id": "wrchat0001"}));
}

#[tokio::test]
async fn every_request_carries_the_user_agent() {
    let stub = Stub::start().await;
    let client = Client::builder("ww", "s")
        .base_url(stub.uri())
        .retry_policy(FAST)
        .user_agent("crm-sync/2.1")
        .build()
        .expect("client");
    client.del_contact_way("cfg").await.expect("deleted");
    let agents: Vec<_> =
        [Api::GetToken, Api::DelContactWay].iter().map(|api| stub.requests(*api)[0].user_agent.clone()).collect();
    assert_eq!(agents, [Some("crm-sync/2.1".to_owned()), Some("crm-sync/2.1".to_owned())]);
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    let stub = Stub::start().await;
    let client = Client::builder("ww", "s").base_url(format!("{}/proxy/", stub.uri())).build().expect("client");
    // The stub does not know the prefixed path and answers without a token: the request is
    // what matters here.
    client.access_token().await.expect_err("no token at an unknown path");
    assert_eq!(stub.paths(), ["/proxy/cgi-bin/gettoken"]);
}
