//! Rate limits: 45009 past the calls allowed per minute or hour (fixed windows of the virtual
//! clock), 45033 past the calls allowed in flight, per corp and API, checked after the
//! permission and before the body.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{RateLimitFixture, RateLimitSettings};
use wecom_types::Api;

use super::support::Wecom;

/// A minute boundary of unix time (1_750_000_020 = 60 × 29_166_667): the tests start their
/// clocks here so the window a call falls in is plain to see.
const MINUTE: i64 = 1_750_000_020;

async fn limited(per_minute: u32, per_hour: u32, concurrent: u32) -> Wecom {
    let wecom = Wecom::with_default_corp(|corp| {
        corp.rate_limits = RateLimitFixture::Custom(RateLimitSettings { per_minute, per_hour, concurrent });
    })
    .await;
    wecom.mock.control().set_clock(MINUTE).expect("clock");
    wecom
}

async fn list(wecom: &Wecom) -> i64 {
    wecom.call(Api::ListContactWay, json!({})).await["errcode"].as_i64().expect("errcode")
}

async fn lists(wecom: &Wecom, calls: usize) -> Vec<i64> {
    let mut codes = Vec::new();
    for _ in 0..calls {
        codes.push(list(wecom).await);
    }
    codes
}

#[tokio::test]
async fn past_the_minute_limit_calls_get_45009_until_the_clock_reaches_the_next_minute() {
    let wecom = limited(3, 1_000, 32).await;
    assert_eq!(lists(&wecom, 5).await, [0, 0, 0, 45009, 45009]);
    let refused = wecom.call(Api::ListContactWay, json!({})).await;
    assert!(refused["errmsg"].as_str().is_some_and(|m| m.starts_with("api freq out of limit, hint: [")), "{refused}");
    wecom.mock.control().advance_clock(59).expect("clock");
    assert_eq!(lists(&wecom, 1).await, [45009], "still the same minute");
    wecom.mock.control().advance_clock(1).expect("clock");
    // Refused calls did not count: the new minute has all three.
    assert_eq!(lists(&wecom, 4).await, [0, 0, 0, 45009]);
}

#[tokio::test]
async fn past_the_hour_limit_calls_get_45009_until_the_next_hour() {
    let wecom = limited(100, 4, 32).await;
    assert_eq!(lists(&wecom, 3).await, [0, 0, 0]);
    wecom.mock.control().advance_clock(60).expect("clock");
    assert_eq!(lists(&wecom, 2).await, [0, 45009], "a new minute, the same hour");
    // 1_750_000_020 is 20 minutes and 20 seconds into its hour.
    let next_hour = (MINUTE / 3600 + 1) * 3600;
    wecom.mock.control().set_clock(next_hour - 1).expect("clock");
    assert_eq!(lists(&wecom, 1).await, [45009]);
    wecom.mock.control().set_clock(next_hour).expect("clock");
    assert_eq!(lists(&wecom, 1).await, [0]);
}

#[tokio::test]
async fn limits_are_counted_per_api_and_per_corp_and_gettoken_is_not_limited() {
    let wecom = limited(1, 1_000, 32).await;
    assert_eq!(lists(&wecom, 2).await, [0, 45009]);
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert_eq!(wecom.call(Api::GetContactWay, json!({"config_id": id})).await["errcode"], 0, "another API");
    for _ in 0..3 {
        assert_eq!(
            wecom.gettoken(&[("corpid", wecom.mock.corpid()), ("corpsecret", wecom.mock.secret())]).await["errcode"],
            0
        );
    }
    // A tenant has no limits (they are off by default) and its own counters.
    let (_, tenant) = wecom.admin(Method::POST, "/__admin/tenants", Some(json!({}))).await;
    let token =
        wecom.token_for(tenant["corpid"].as_str().expect("corpid"), tenant["secret"].as_str().expect("secret")).await;
    for _ in 0..3 {
        assert_eq!(wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await["errcode"], 0);
    }
}

#[tokio::test]
async fn rate_limits_answer_after_token_and_permission_and_before_the_body_is_read() {
    let wecom = limited(1, 1_000, 32).await;
    assert_eq!(lists(&wecom, 1).await, [0]);
    // Step 3 and 4 come first …
    assert_eq!(wecom.call_with(Api::ListContactWay, Some("bogus"), &json!({})).await["errcode"], 40014);
    let forbidden = wecom.token_for(wecom.mock.corpid(), "mock-secret-no-contact").await;
    assert_eq!(wecom.call_with(Api::ListContactWay, Some(&forbidden), &json!({})).await["errcode"], 48002);
    // … step 6 (the body) after.
    let url = format!("{}{}?access_token={}", wecom.mock.uri(), Api::ListContactWay.path(), wecom.token);
    let answer: Value = wecom.http.post(url).body("{not json").send().await.expect("sent").json().await.expect("json");
    assert_eq!(answer["errcode"], 45009);
}

#[tokio::test]
async fn past_the_concurrency_limit_a_call_gets_45033_while_another_is_in_flight() {
    let wecom = limited(1_000, 10_000, 1).await;
    // The first list's answer is held back for a while: it stays in flight all that time.
    let (status, _) = wecom
        .admin(Method::POST, "/__admin/faults", Some(json!({"path": "list_contact_way", "delay_ms": 1500, "times": 1})))
        .await;
    assert_eq!(status, 200);
    let slow = {
        let url = format!("{}{}?access_token={}", wecom.mock.uri(), Api::ListContactWay.path(), wecom.token);
        let http = wecom.http.clone();
        tokio::spawn(async move { http.post(url).body("{}").send().await?.json::<Value>().await })
    };
    // Once the delay was drawn for it (so no other list can get the delay instead), and until
    // it is answered, another list meets it in flight: polled, so the test needs no guess of
    // how long anything takes.
    for _ in 0..1000 {
        if wecom.mock.control().faults().expect("faults")[0].applied > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(wecom.mock.control().faults().expect("faults")[0].applied, 1, "the slow call arrived");
    let mut seen = Vec::new();
    while !slow.is_finished() {
        let code = list(&wecom).await;
        seen.push(code);
        if code == 45033 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(seen.last(), Some(&45033), "{seen:?}");
    let refused = wecom.call(Api::ListContactWay, json!({})).await;
    assert!(refused["errmsg"].as_str().is_some_and(|m| m.starts_with("api concurrent out of limit")), "{refused}");
    // Other APIs have their own slots.
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert!(!id.is_empty());
    let slow = slow.await.expect("joined").expect("answered");
    assert_eq!(slow["errcode"], 0, "the delayed call itself went through");
    assert_eq!(list(&wecom).await, 0, "its slot was given back with its answer");
}
