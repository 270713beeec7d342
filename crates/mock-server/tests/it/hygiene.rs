//! The hygiene report: habits of a client that the real service punishes, and none for a
//! well-behaved one.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET, RateLimitFixture, RateLimitSettings};
use wecom_types::Api;

use super::support::Wecom;

async fn report(wecom: &Wecom) -> Value {
    let (status, report) = wecom.admin(Method::GET, &format!("/__admin/corps/{DEFAULT_CORPID}/hygiene"), None).await;
    assert_eq!(status, 200, "{report}");
    report
}

fn finding<'a>(report: &'a Value, code: &str) -> Option<&'a Value> {
    report["findings"].as_array().expect("findings").iter().find(|f| f["code"] == code)
}

fn codes(report: &Value) -> Vec<&str> {
    report["findings"].as_array().expect("findings").iter().map(|f| f["code"].as_str().expect("code")).collect()
}

#[tokio::test]
async fn a_client_that_fetches_a_token_before_every_call_is_flagged() {
    let wecom = Wecom::start().await;
    for _ in 0..5 {
        let token = wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await;
        assert_eq!(wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await["errcode"], 0);
    }
    let report = report(&wecom).await;
    let found = finding(&report, "gettoken_every_call").unwrap_or_else(|| panic!("not flagged: {report}"));
    // Five here and the one `Wecom::start` made.
    assert_eq!(found["count"], 6);
    assert!(found["message"].as_str().is_some_and(|m| m.contains("expires_in")));
    // The examples are gettoken calls of the request journal.
    let (_, journal) = wecom.admin(Method::GET, "/__admin/requests?path=gettoken", None).await;
    let gettokens: Vec<&Value> = journal["requests"].as_array().expect("requests").iter().map(|e| &e["id"]).collect();
    let examples = found["request_ids"].as_array().expect("ids");
    assert!(!examples.is_empty() && examples.iter().all(|id| gettokens.contains(&id)), "{examples:?} in {gettokens:?}");
}

#[tokio::test]
async fn an_update_that_clears_the_members_is_flagged_with_its_config() {
    let wecom = Wecom::start().await;
    let multi = json!({"type":2,"scene":2,"user":["zhangsan","lisi"],"party":[2]});
    let emptied = wecom.add(multi.clone()).await;
    let nulled = wecom.add(multi).await;
    for id in [&emptied, &nulled] {
        wecom.get(id).await;
    }
    wecom.ok(Api::UpdateContactWay, json!({"config_id": emptied, "user": []})).await;
    wecom.ok(Api::UpdateContactWay, json!({"config_id": nulled, "user": null})).await;
    assert_eq!(wecom.get(&emptied).await["user"], json!([]), "the members are gone indeed");
    let report = report(&wecom).await;
    assert_eq!(codes(&report), ["update_cleared_members"], "{report}");
    let found = finding(&report, "update_cleared_members").expect("flagged");
    assert_eq!(found["count"], 2);
    assert_eq!(found["config_ids"], json!([emptied, nulled]));
}

#[tokio::test]
async fn a_well_behaved_client_has_no_findings() {
    let wecom = Wecom::start().await;
    let mut ids = Vec::new();
    for user in ["zhangsan", "lisi", "wangwu"] {
        let id = wecom.add(json!({"type":1,"scene":2,"user":[user]})).await;
        wecom.get(&id).await;
        ids.push(id);
    }
    let join = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    wecom.ok(Api::GetJoinWay, json!({"config_id": join})).await;
    // A walk that follows next_cursor to the end, twice.
    for _ in 0..2 {
        assert_eq!(wecom.list_all(json!({"limit": 1})).await.len(), 3);
    }
    wecom.ok(Api::UpdateContactWay, json!({"config_id": ids[0], "remark": "only the remark"})).await;
    wecom.ok(Api::DelContactWay, json!({"config_id": ids[1]})).await;
    let report = report(&wecom).await;
    assert_eq!(report["findings"], json!([]), "{report}");
    assert_eq!((report["gettoken_calls"].as_u64(), report["calls"].as_u64()), (Some(1), Some(16)));
}

#[tokio::test]
async fn restarting_a_list_walk_without_its_next_cursor_is_flagged() {
    let wecom = Wecom::start().await;
    for user in ["zhangsan", "lisi"] {
        let id = wecom.add(json!({"type":1,"scene":2,"user":[user]})).await;
        wecom.get(&id).await;
    }
    for _ in 0..2 {
        let page = wecom.ok(Api::ListContactWay, json!({"limit": 1})).await;
        assert_ne!(page["next_cursor"], "");
    }
    let report = report(&wecom).await;
    assert_eq!(codes(&report), ["next_cursor_ignored"], "{report}");
}

#[tokio::test]
async fn configs_created_and_never_read_back_are_flagged() {
    let wecom = Wecom::start().await;
    let read = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let unread = wecom.add(json!({"type":1,"scene":2,"user":["lisi"]})).await;
    wecom.get(&read).await;
    let report = report(&wecom).await;
    assert_eq!(codes(&report), ["config_never_read_back"], "{report}");
    assert_eq!(finding(&report, "config_never_read_back").expect("flagged")["config_ids"], json!([unread]));
}

/// A corp allowing one list a minute (its clock frozen, so the limit holds).
async fn one_list_a_minute() -> Wecom {
    Wecom::with_default_corp(|corp| {
        corp.rate_limits =
            RateLimitFixture::Custom(RateLimitSettings { per_minute: 1, per_hour: 1000, concurrent: 32 });
    })
    .await
}

#[tokio::test]
async fn retrying_a_refused_call_without_backoff_is_flagged_and_backing_off_is_not() {
    let hasty = one_list_a_minute().await;
    for _ in 0..8 {
        hasty.call(Api::ListContactWay, json!({})).await;
    }
    let hasty_report = report(&hasty).await;
    assert_eq!(codes(&hasty_report), ["retry_without_backoff"], "{hasty_report}");
    // Each retry waits longer than the threshold: no finding, whatever the machine's speed.
    let patient = one_list_a_minute().await;
    for _ in 0..5 {
        patient.call(Api::ListContactWay, json!({})).await;
        tokio::time::sleep(Duration::from_millis(wecom_mock::api::QUICK_RETRY_MS * 2)).await;
    }
    let report = report(&patient).await;
    assert_eq!(report["findings"], json!([]), "{report}");
}

#[tokio::test]
async fn retries_after_an_injected_system_busy_count_too() {
    let wecom = Wecom::start().await;
    let rule = json!({"path": "list_contact_way", "errcode": -1, "times": 6});
    assert_eq!(wecom.admin(Method::POST, "/__admin/faults", Some(rule)).await.0, 200);
    for _ in 0..7 {
        wecom.call(Api::ListContactWay, json!({})).await;
    }
    let report = report(&wecom).await;
    assert_eq!(codes(&report), ["retry_without_backoff"], "{report}");
    let (status, _) = wecom.admin(Method::GET, "/__admin/corps/wwnobody/hygiene", None).await;
    assert_eq!(status, 404);
}
