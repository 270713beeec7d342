//! `/__admin/faults`: injected errcodes, delays and dropped connections, for the next N calls or
//! by a seeded chance, checked before the token.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::DEFAULT_CORPID;
use wecom_types::Api;

use super::support::Wecom;

const LIST: &str = "/cgi-bin/externalcontact/list_contact_way";

async fn add_fault(wecom: &Wecom, rule: Value) -> Value {
    let (status, added) = wecom.admin(Method::POST, "/__admin/faults", Some(rule.clone())).await;
    assert_eq!(status, 200, "{rule} → {added}");
    added
}

async fn errcodes_of(wecom: &Wecom, api: Api, calls: usize) -> Vec<i64> {
    let mut codes = Vec::new();
    for _ in 0..calls {
        codes.push(wecom.call(api, json!({})).await["errcode"].as_i64().expect("errcode"));
    }
    codes
}

#[tokio::test]
async fn an_injected_errcode_answers_in_the_real_envelope_before_the_token_is_checked() {
    let wecom = Wecom::start().await;
    add_fault(&wecom, json!({"path": "add_contact_way", "errcode": -1, "times": 1})).await;
    let body = json!({"type":1,"scene":2,"user":["zhangsan"]});
    let busy = wecom.call_with(Api::AddContactWay, Some("not-a-token"), &body).await;
    assert_eq!(busy["errcode"], -1);
    let errmsg = busy["errmsg"].as_str().expect("errmsg");
    assert!(errmsg.starts_with("system busy, hint: ["), "{errmsg}");
    assert!(errmsg.contains("more info at https://open.work.weixin.qq.com/devtool/query?e=-1"), "{errmsg}");
    // The rule is used up: the token is checked again.
    assert_eq!(wecom.call_with(Api::AddContactWay, Some("not-a-token"), &body).await["errcode"], 40014);
    assert!(
        wecom.mock.control().dump(DEFAULT_CORPID).expect("dump").contact_ways.is_empty(),
        "a faulted call changes nothing"
    );
}

#[tokio::test]
async fn a_rule_with_times_applies_that_often_then_stays_listed_as_spent() {
    let wecom = Wecom::start().await;
    let added = add_fault(&wecom, json!({"path": LIST, "errcode": 45009, "times": 2})).await;
    assert_eq!(errcodes_of(&wecom, Api::ListContactWay, 4).await, [45009, 45009, 0, 0]);
    let (status, listed) = wecom.admin(Method::GET, "/__admin/faults", None).await;
    assert_eq!(status, 200);
    let rule = &listed["faults"][0];
    assert_eq!(rule["id"], added["id"]);
    assert_eq!((rule["matched"].as_u64(), rule["applied"].as_u64()), (Some(2), Some(2)));
    assert_eq!((rule["remaining"].as_u64(), rule["active"].as_bool()), (Some(0), Some(false)));
}

/// The errcodes of 24 list calls against a fresh server with one probabilistic rule.
async fn schedule(rule: Value) -> (Vec<i64>, u64) {
    let wecom = Wecom::start().await;
    let added = add_fault(&wecom, rule).await;
    (errcodes_of(&wecom, Api::ListContactWay, 24).await, added["seed"].as_u64().expect("seed"))
}

#[tokio::test]
async fn a_seeded_probabilistic_schedule_replays_identically_on_a_fresh_server() {
    let rule = json!({"path": "list_contact_way", "errcode": -1, "probability": 0.5, "seed": 42});
    let (first, seed) = schedule(rule.clone()).await;
    let (second, _) = schedule(rule).await;
    assert_eq!(seed, 42);
    assert_eq!(first, second, "the same seed, the same faults");
    assert!(first.contains(&-1) && first.contains(&0), "{first:?}");
    let (other_seed, _) =
        schedule(json!({"path": "list_contact_way", "errcode": -1, "probability": 0.5, "seed": 43})).await;
    assert_ne!(first, other_seed);
    // Without a seed in the rule, the POST says which one was drawn; giving it back replays.
    let (drawn, drawn_seed) = schedule(json!({"path": "list_contact_way", "errcode": -1, "probability": 0.5})).await;
    let (replayed, _) =
        schedule(json!({"path": "list_contact_way", "errcode": -1, "probability": 0.5, "seed": drawn_seed})).await;
    assert_eq!(drawn, replayed);
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer_and_changes_nothing() {
    let wecom = Wecom::start().await;
    add_fault(&wecom, json!({"path": "add_contact_way", "drop": true, "times": 1})).await;
    let url = format!("{}{}?access_token={}", wecom.mock.uri(), Api::AddContactWay.path(), wecom.token);
    let body = json!({"type":1,"scene":2,"user":["zhangsan"]}).to_string();
    // A client of its own: the dropped connection must not be handed to the next request.
    let dropped = reqwest::Client::new().post(&url).body(body.clone()).send().await;
    assert!(dropped.is_err(), "no answer expected, got {dropped:?}");
    assert!(wecom.mock.control().dump(DEFAULT_CORPID).expect("dump").contact_ways.is_empty());
    let answer: Value =
        reqwest::Client::new().post(&url).body(body).send().await.expect("answered").json().await.expect("json");
    assert_eq!(answer["errcode"], 0, "the rule was used up");
    let journal = wecom
        .mock
        .control()
        .requests(&wecom_mock::api::RequestQuery { path: Some("add_contact_way".into()), ..Default::default() })
        .expect("requests");
    assert_eq!(journal.len(), 2);
    assert_eq!((journal[0].errcode, journal[0].status, journal[0].fault.as_deref()), (None, None, Some("f1")));
}

#[tokio::test]
async fn a_delayed_answer_comes_late_but_the_call_takes_effect() {
    let wecom = Wecom::start().await;
    add_fault(&wecom, json!({"path": "add_contact_way", "delay_ms": 400, "times": 1})).await;
    let url = format!("{}{}?access_token={}", wecom.mock.uri(), Api::AddContactWay.path(), wecom.token);
    // A client that gives up before the answer comes: the add happened anyway, as on a slow
    // real server, which is why a client must not blindly resend an add after a timeout.
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().expect("client");
    let timed_out = impatient.post(&url).body(json!({"type":1,"scene":2,"user":["zhangsan"]}).to_string()).send().await;
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    let mut dump = wecom.mock.control().dump(DEFAULT_CORPID).expect("dump");
    for _ in 0..50 {
        if !dump.contact_ways.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        dump = wecom.mock.control().dump(DEFAULT_CORPID).expect("dump");
    }
    assert_eq!(dump.contact_ways.len(), 1, "the delayed add was made");
    // A patient client gets the answer, no sooner than the delay.
    add_fault(&wecom, json!({"path": "list_contact_way", "delay_ms": 300, "times": 1})).await;
    let started = Instant::now();
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 0);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let metrics = wecom.mock.metrics();
    assert!(
        metrics.contains(&format!("wecom_mock_faults_applied_total{{path=\"{LIST}\",kind=\"delay\"}} 1")),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_rule_for_one_corp_leaves_the_other_tenants_alone() {
    let wecom = Wecom::start().await;
    let (_, tenant) = wecom.admin(Method::POST, "/__admin/tenants", Some(json!({}))).await;
    let corpid = tenant["corpid"].as_str().expect("corpid");
    let token = wecom.token_for(corpid, tenant["secret"].as_str().expect("secret")).await;
    add_fault(&wecom, json!({"path": "*", "errcode": -1, "corpid": corpid})).await;
    assert_eq!(wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await["errcode"], -1);
    let gettoken = wecom.gettoken(&[("corpid", corpid), ("corpsecret", "whatever")]).await;
    assert_eq!(gettoken["errcode"], -1, "gettoken of that corp too");
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 0, "the default corp is untouched");
    assert_eq!(wecom.token_for(DEFAULT_CORPID, wecom_mock::fixtures::DEFAULT_SECRET).await, wecom.token);
    // A team clears its own rules only.
    add_fault(&wecom, json!({"path": "get_contact_way", "errcode": -1})).await;
    assert_eq!(wecom.admin(Method::DELETE, &format!("/__admin/faults?corpid={corpid}"), None).await.0, 204);
    assert_eq!(wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await["errcode"], 0);
    let (_, left) = wecom.admin(Method::GET, "/__admin/faults", None).await;
    assert_eq!(left["faults"].as_array().map(Vec::len), Some(1), "the rule of no corp stays: {left}");
}

#[tokio::test]
async fn faults_are_deleted_all_at_once_or_one_by_one() {
    let wecom = Wecom::start().await;
    let first = add_fault(&wecom, json!({"path": "list_contact_way", "errcode": -1})).await;
    add_fault(&wecom, json!({"path": "list_contact_way", "errcode": 45033})).await;
    let id = first["id"].as_str().expect("id");
    assert_eq!(wecom.admin(Method::DELETE, &format!("/__admin/faults/{id}"), None).await.0, 204);
    assert_eq!(wecom.admin(Method::DELETE, &format!("/__admin/faults/{id}"), None).await.0, 404);
    assert_eq!(errcodes_of(&wecom, Api::ListContactWay, 1).await, [45033]);
    assert_eq!(wecom.admin(Method::DELETE, "/__admin/faults", None).await.0, 204);
    assert_eq!(errcodes_of(&wecom, Api::ListContactWay, 1).await, [0]);
    assert_eq!(wecom.admin(Method::GET, "/__admin/faults", None).await.1, json!({"faults": []}));
}

#[tokio::test]
async fn a_rule_that_could_not_work_is_refused_with_400() {
    let wecom = Wecom::start().await;
    for (rule, says) in [
        (json!({"path": "add_contact_wey", "errcode": -1}), "matches no API"),
        (json!({"path": "*", "errcode": -1, "drop": true}), "exactly one"),
        (json!({"path": "*"}), "exactly one"),
        (json!({"path": "*", "errcode": 0}), "success"),
        (json!({"path": "*", "errcode": -1, "times": 0}), "times"),
        (json!({"path": "*", "errcode": -1, "probability": 2.0}), "probability"),
        (json!({"path": "*", "delay_ms": 3_600_000}), "delay_ms"),
        (json!({"path": "*", "errcode": -1, "tmies": 1}), "tmies"),
    ] {
        let (status, body) = wecom.admin(Method::POST, "/__admin/faults", Some(rule.clone())).await;
        assert_eq!(status, 400, "{rule}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(says)), "{rule} → {body}");
    }
    assert_eq!(wecom.admin(Method::PUT, "/__admin/faults", None).await.0, 405);
}
