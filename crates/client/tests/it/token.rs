//! The token cache seen from outside: one gettoken for many calls, refresh-and-retry-once on
//! token errors, and no loop when the fresh token fails too.

use std::time::Duration;

use wecom_client::Error;
use wecom_types::{Api, ErrCode};

use crate::stub::{Reply, Stub};

const TOKEN_ERRORS: [i32; 3] = [40001, 40014, 42001];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_cold_calls_send_one_gettoken() {
    let stub = Stub::start().await;
    // A slow gettoken keeps the race window open while the other calls arrive.
    stub.delay(Api::GetToken, Duration::from_millis(50));
    let client = stub.client();
    let calls: Vec<_> = (0..1000)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.del_join_way(&format!("cfg{i}")).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("call");
    }
    assert_eq!(stub.count(Api::GetToken), 1);
    assert_eq!(stub.count(Api::DelJoinWay), 1000);
    assert!(stub.requests(Api::DelJoinWay).iter().all(|seen| seen.token() == Some("token-1")));
}

#[tokio::test]
async fn the_token_is_reused_across_calls() {
    let stub = Stub::start().await;
    let client = stub.client();
    for _ in 0..5 {
        client.del_contact_way("cfg").await.expect("call");
    }
    assert_eq!(stub.count(Api::GetToken), 1);
}

#[tokio::test]
async fn a_token_error_refreshes_the_token_and_retries_once() {
    for code in TOKEN_ERRORS {
        let stub = Stub::start().await;
        stub.script(Api::DelContactWay, [Reply::err(code)]);
        stub.client().del_contact_way("cfg").await.unwrap_or_else(|err| panic!("{code}: {err}"));
        let tokens: Vec<_> = stub.requests(Api::DelContactWay).iter().map(|s| s.token().map(str::to_owned)).collect();
        assert_eq!(tokens, [Some("token-1".to_owned()), Some("token-2".to_owned())], "{code}");
        assert_eq!(stub.count(Api::GetToken), 2, "{code}");
    }
}

#[tokio::test]
async fn a_second_token_error_is_returned_not_looped() {
    for code in TOKEN_ERRORS {
        let stub = Stub::start().await;
        stub.on(Api::DelContactWay, move |_| Reply::err(code));
        let err = stub.client().del_contact_way("cfg").await.expect_err("token error twice");
        assert_eq!(err.code(), Some(ErrCode(code)));
        assert!(err.is_token_error());
        assert_eq!(stub.count(Api::DelContactWay), 2, "{code}");
        assert_eq!(stub.count(Api::GetToken), 2, "{code}");
    }
}

#[tokio::test]
async fn the_refreshed_token_serves_the_next_calls() {
    let stub = Stub::start().await;
    stub.script(Api::GetJoinWay, [Reply::err(42001)]);
    stub.on(Api::GetJoinWay, |_| Reply::ok(serde_json::json!({"join_way": {"config_id": "b"}})));
    let client = stub.client();
    client.del_join_way("a").await.expect("call");
    client.get_join_way("b").await.expect("call after refresh");
    client.del_join_way("c").await.expect("call");
    assert_eq!(stub.count(Api::GetToken), 2);
    assert_eq!(
        stub.requests(Api::DelJoinWay).last().and_then(|s| s.token().map(str::to_owned)),
        Some("token-2".into())
    );
}

#[tokio::test]
async fn a_wrong_secret_is_returned_without_a_refresh_or_a_business_call() {
    let stub = Stub::start().await;
    stub.on(Api::GetToken, |_| Reply::err(40001));
    let err = stub.client().del_contact_way("cfg").await.expect_err("wrong secret");
    assert!(matches!(err, Error::Api { api: Api::GetToken, code: ErrCode::INVALID_CREDENTIAL, .. }), "{err:?}");
    assert_eq!(stub.count(Api::GetToken), 1);
    assert_eq!(stub.count(Api::DelContactWay), 0);
}

#[tokio::test]
async fn gettoken_is_retried_when_the_server_is_busy() {
    let stub = Stub::start().await;
    stub.script(Api::GetToken, [Reply::err(-1), Reply::err(45009)]);
    stub.client().del_contact_way("cfg").await.expect("call");
    assert_eq!(stub.count(Api::GetToken), 3);
    assert_eq!(stub.count(Api::DelContactWay), 1);
}

#[tokio::test]
async fn gettoken_sends_the_corpid_and_secret_in_the_query() {
    let stub = Stub::start().await;
    let client = stub.client();
    assert_eq!(client.access_token().await.expect("token"), "token-1");
    let seen = stub.requests(Api::GetToken);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].query.get("corpid").map(String::as_str), Some(crate::stub::CORPID));
    assert_eq!(seen[0].query.get("corpsecret").map(String::as_str), Some(crate::stub::SECRET));
    assert_eq!(seen[0].token(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_rejected_with_the_same_token_refresh_it_once() {
    let stub = Stub::start().await;
    stub.delay(Api::GetToken, Duration::from_millis(20));
    // The server considers token-1 expired: every call carrying it fails, the next one passes.
    stub.on(Api::DelContactWay, |seen| {
        if seen.token() == Some("token-1") { Reply::err(42001) } else { Reply::ok(serde_json::json!({})) }
    });
    let client = stub.client();
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.del_contact_way(&format!("cfg{i}")).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("call");
    }
    assert_eq!(stub.count(Api::GetToken), 2, "one cold fetch and one refresh");
    let with_fresh_token = stub.requests(Api::DelContactWay).iter().filter(|s| s.token() == Some("token-2")).count();
    assert_eq!(with_fresh_token, 50, "each call ends with exactly one send carrying the fresh token");
}
