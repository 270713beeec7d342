//! Backoff on transient answers, with a bound; everything else at once; and no blind resend of
//! an add whose fate is unknown.

use serde_json::json;
use wecom_client::{Client, Delivery, Error, RetryPolicy};
use wecom_types::api::{AddContactWay, AddJoinWay, Scene};
use wecom_types::{Api, ErrCode};

use crate::stub::{FAST, Reply, Stub};

const TRANSIENT: [i32; 3] = [-1, 45009, 45033];

#[tokio::test]
async fn transient_errcodes_are_retried_until_success() {
    for code in TRANSIENT {
        let stub = Stub::start().await;
        stub.script(Api::DelContactWay, [Reply::err(code), Reply::err(code)]);
        stub.client().del_contact_way("cfg").await.unwrap_or_else(|err| panic!("{code}: {err}"));
        assert_eq!(stub.count(Api::DelContactWay), 3, "{code}");
    }
}

#[tokio::test]
async fn transient_errcodes_stop_at_the_retry_bound() {
    for code in TRANSIENT {
        let stub = Stub::start().await;
        stub.on(Api::DelContactWay, move |_| Reply::err(code));
        let err = stub.client().del_contact_way("cfg").await.expect_err("always busy");
        assert_eq!(err.code(), Some(ErrCode(code)));
        assert!(err.is_retryable());
        assert_eq!(stub.count(Api::DelContactWay), 1 + FAST.max_retries as usize, "{code}");
    }
}

#[tokio::test]
async fn the_retry_bound_is_the_policy_s() {
    let stub = Stub::start().await;
    stub.on(Api::DelJoinWay, |_| Reply::err(45009));
    for max_retries in [0, 1, 5] {
        let policy = RetryPolicy { max_retries, ..FAST };
        let client = Client::builder("ww", "s").base_url(stub.uri()).retry_policy(policy).build().expect("client");
        let before = stub.count(Api::DelJoinWay);
        client.del_join_way("cfg").await.expect_err("always limited");
        assert_eq!(stub.count(Api::DelJoinWay) - before, 1 + max_retries as usize);
    }
}

#[tokio::test]
async fn other_errcodes_are_returned_at_once_and_unknown_ones_kept() {
    for code in [40058, 41044, 41045, 48002, 60111, 84061, 86003, 123_456] {
        let stub = Stub::start().await;
        stub.on(Api::GetContactWay, move |_| Reply::err(code));
        let err = stub.client().get_contact_way("cfg").await.expect_err("error answer");
        assert!(
            matches!(&err, Error::Api { api: Api::GetContactWay, code: c, message } if c.0 == code && !message.is_empty()),
            "{err:?}"
        );
        assert!(!err.is_retryable());
        assert_eq!(stub.count(Api::GetContactWay), 1, "{code}");
    }
}

#[tokio::test]
async fn an_add_is_not_resent_after_an_ambiguous_transport_error() {
    let stub = Stub::start().await;
    stub.script(Api::AddContactWay, [Reply::Hangup]);
    stub.script(Api::AddJoinWay, [Reply::Hangup]);
    let client = stub.client();

    let err = client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await.expect_err("hung up");
    assert!(matches!(err, Error::Transport { api: Api::AddContactWay, delivery: Delivery::MaybeSent, .. }), "{err:?}");
    assert_eq!(stub.count(Api::AddContactWay), 1);

    let err = client.add_join_way(&AddJoinWay::new(Scene::QR_CODE, ["wrchat0001"])).await.expect_err("hung up");
    assert_eq!(err.delivery(), Some(Delivery::MaybeSent));
    assert_eq!(stub.count(Api::AddJoinWay), 1);
}

#[tokio::test]
async fn an_idempotent_call_is_resent_after_an_ambiguous_transport_error() {
    let stub = Stub::start().await;
    stub.script(Api::GetContactWay, [Reply::Hangup, Reply::Hangup]);
    stub.on(Api::GetContactWay, |_| Reply::ok(json!({"contact_way": {"config_id": "cfg", "type": 1}})));
    let way = stub.client().get_contact_way("cfg").await.expect("resent");
    assert_eq!(way.config_id, "cfg");
    assert_eq!(stub.count(Api::GetContactWay), 3);
}

#[tokio::test]
async fn an_add_is_resent_after_a_rate_limit_answer() {
    let stub = Stub::start().await;
    stub.script(Api::AddContactWay, [Reply::err(45033)]);
    stub.on(Api::AddContactWay, |_| Reply::ok(json!({"config_id": "new"})));
    let created = stub.client().add_contact_way(&AddContactWay::single("zhangsan", Scene::MINI_PROGRAM)).await;
    assert_eq!(created.expect("created").config_id, "new");
    assert_eq!(stub.count(Api::AddContactWay), 2);
}

#[tokio::test]
async fn a_refused_connection_is_marked_never_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let client =
        Client::builder("ww", "s").base_url(format!("http://{addr}")).retry_policy(FAST).build().expect("client");
    let err = client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await.expect_err("refused");
    // The token comes first, so gettoken is what could not connect.
    assert!(matches!(err, Error::Transport { api: Api::GetToken, delivery: Delivery::NotSent, .. }), "{err:?}");
}

#[tokio::test]
async fn a_gateway_error_without_a_wecom_body_is_retried_for_reads_only() {
    let stub = Stub::start().await;
    stub.on(Api::GetJoinWay, |_| Reply::Raw(502, "<html>bad gateway</html>".into()));
    stub.on(Api::AddJoinWay, |_| Reply::Raw(502, "<html>bad gateway</html>".into()));
    let client = stub.client();

    let err = client.get_join_way("cfg").await.expect_err("502");
    assert!(matches!(&err, Error::Http { status: 502, body, .. } if body.contains("bad gateway")), "{err:?}");
    assert_eq!(stub.count(Api::GetJoinWay), 1 + FAST.max_retries as usize);

    client.add_join_way(&AddJoinWay::new(Scene::QR_CODE, ["wrchat0001"])).await.expect_err("502");
    assert_eq!(stub.count(Api::AddJoinWay), 1);
}

#[tokio::test]
async fn a_wecom_body_on_a_non_200_status_is_an_api_error() {
    let stub = Stub::start().await;
    stub.on(Api::GetJoinWay, |_| Reply::Raw(404, json!({"errcode": 404, "errmsg": "api not found"}).to_string()));
    let err = stub.client().get_join_way("cfg").await.expect_err("404");
    assert_eq!(err.code(), Some(ErrCode::API_NOT_FOUND));
    assert_eq!(stub.count(Api::GetJoinWay), 1);
}

#[tokio::test]
async fn a_malformed_success_answer_is_a_decode_error_not_a_panic() {
    for body in ["<html>", r#"{"errcode":0,"join_way":{"config_id":7}}"#, "[1,2]", ""] {
        let stub = Stub::start().await;
        stub.on(Api::GetJoinWay, move |_| Reply::Raw(200, body.to_owned()));
        let err = stub.client().get_join_way("cfg").await.expect_err(body);
        assert!(matches!(err, Error::Decode { api: Api::GetJoinWay, .. }), "{body}: {err:?}");
        assert_eq!(stub.count(Api::GetJoinWay), 1, "{body}");
    }
}

#[tokio::test]
async fn a_welcome_message_is_not_resent_after_an_ambiguous_transport_error() {
    let stub = Stub::start().await;
    stub.script(Api::SendWelcomeMsg, [Reply::Hangup]);
    let message = wecom_types::api::SendWelcomeMsg::new("CODE").with_text("hi");
    let err = stub.client().send_welcome_msg(&message).await.expect_err("hung up");
    assert_eq!(err.delivery(), Some(Delivery::MaybeSent), "{err:?}");
    assert_eq!(stub.count(Api::SendWelcomeMsg), 1, "a second send could only get 41051");
}
