//! The request journal (`GET /__admin/requests`): the last calls, newest last, filterable, never
//! with a token or a secret.

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::MockServer;
use wecom_mock::fixtures::{DEFAULT_AGENTID, DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

use super::support::Wecom;

async fn journal(wecom: &Wecom, query: &str) -> Vec<Value> {
    let (status, body) = wecom.admin(Method::GET, &format!("/__admin/requests{query}"), None).await;
    assert_eq!(status, 200, "{body}");
    body["requests"].as_array().expect("requests").clone()
}

fn field<'a>(entries: &'a [Value], key: &str) -> Vec<&'a Value> {
    entries.iter().map(|e| &e[key]).collect()
}

#[tokio::test]
async fn the_journal_lists_the_calls_newest_last_without_tokens_or_secrets() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.get(&id).await;
    let missing = wecom.call(Api::GetContactWay, json!({"config_id": "0".repeat(32)})).await;
    assert_eq!(missing["errcode"], 41044);
    let entries = journal(&wecom, "").await;
    let paths: Vec<&str> = entries.iter().map(|e| e["path"].as_str().expect("path")).collect();
    assert_eq!(
        paths,
        [Api::GetToken.path(), Api::AddContactWay.path(), Api::GetContactWay.path(), Api::GetContactWay.path()]
    );
    let ids: Vec<u64> = entries.iter().map(|e| e["id"].as_u64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "newest last: {ids:?}");
    assert_eq!(field(&entries, "errcode"), [&json!(0), &json!(0), &json!(0), &json!(41044)]);
    assert_eq!(field(&entries, "method"), [&json!("GET"), &json!("POST"), &json!("POST"), &json!("POST")]);
    assert!(entries.iter().all(|e| e["corpid"] == DEFAULT_CORPID && e["status"] == 200));
    assert_eq!(entries[1]["agentid"], DEFAULT_AGENTID);
    assert!(
        entries.iter().all(|e| e["latency_us"].is_u64() && e["at_ms"].as_i64().is_some_and(|t| t > 1_700_000_000_000))
    );
    let text = serde_json::to_string(&entries).expect("json");
    assert!(!text.contains(&wecom.token) && !text.contains(DEFAULT_SECRET), "{text}");
}

#[tokio::test]
async fn the_journal_is_filtered_by_path_errcode_corp_and_limit() {
    let wecom = Wecom::start().await;
    for _ in 0..3 {
        wecom.call(Api::ListContactWay, json!({})).await;
    }
    wecom.call(Api::GetContactWay, json!({})).await; // 41043: config_id missing
    let count = |entries: Vec<Value>| entries.len();
    assert_eq!(count(journal(&wecom, "?path=list_contact_way").await), 3);
    assert_eq!(count(journal(&wecom, "?path=/cgi-bin/externalcontact/*").await), 4);
    assert_eq!(count(journal(&wecom, "?errcode=41043").await), 1);
    assert_eq!(count(journal(&wecom, &format!("?corpid={DEFAULT_CORPID}")).await), 5);
    assert_eq!(count(journal(&wecom, "?corpid=wwsomeoneelse").await), 0);
    let newest = journal(&wecom, "?limit=2").await;
    assert_eq!(field(&newest, "path"), [&json!(Api::ListContactWay.path()), &json!(Api::GetContactWay.path())]);
    let (status, body) = wecom.admin(Method::GET, "/__admin/requests?errcode=busy", None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
}

#[tokio::test]
async fn calls_refused_early_are_journaled_with_what_is_known_of_them() {
    let wecom = Wecom::start().await;
    let _ = wecom.http.post(format!("{}/cgi-bin/nope?access_token={}", wecom.mock.uri(), wecom.token)).send().await;
    wecom.call_with(Api::ListContactWay, Some("bogus"), &json!({})).await;
    wecom.mock.control().advance_clock(wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS).expect("clock");
    wecom.call(Api::ListContactWay, json!({})).await;
    let entries = journal(&wecom, "?limit=3").await;
    assert_eq!((entries[0]["path"].as_str(), entries[0]["status"].as_u64()), (Some("/cgi-bin/nope"), Some(404)));
    assert_eq!(entries[1]["errcode"], 40014);
    assert!(entries[1].get("corpid").is_none(), "an unknown token names no corp");
    // An expired token still names the corp it was minted for.
    assert_eq!((entries[2]["errcode"].as_i64(), entries[2]["corpid"].as_str()), (Some(42001), Some(DEFAULT_CORPID)));
    assert!(entries[2].get("agentid").is_none(), "the app is known only once the token is accepted");
}

#[tokio::test]
async fn the_ring_keeps_only_the_newest_calls_and_size_zero_keeps_none() {
    for (size, kept) in [(3, 3), (0, 0)] {
        let mock = MockServer::builder().request_log_size(size).start().await;
        let url = format!("{}{}", mock.uri(), Api::GetToken.path());
        for _ in 0..5 {
            let answer: Value = reqwest::Client::new()
                .get(&url)
                .query(&[("corpid", mock.corpid()), ("corpsecret", mock.secret())])
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            assert_eq!(answer["errcode"], 0);
        }
        let entries = mock.control().requests(&wecom_mock::api::RequestQuery::default()).expect("requests");
        assert_eq!(entries.len(), kept, "size {size}");
        let ids: Vec<u64> = entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, (6 - kept as u64..6).collect::<Vec<_>>(), "the newest, oldest first");
        assert!(mock.metrics().contains(&format!("wecom_mock_request_journal_capacity {size}\n")));
    }
}
