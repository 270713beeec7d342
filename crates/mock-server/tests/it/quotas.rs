//! Quotas: exact under concurrency, freed by delete, shared with Join Group, and the temp quota
//! per Beijing day on the virtual clock.

use std::sync::Arc;

use serde_json::json;
use wecom_mock::fixtures::{DEFAULT_CORPID, QuotaFixture};
use wecom_types::Api;
use wecom_types::limits::next_beijing_midnight;

use super::support::{T0, Wecom};

async fn with_quotas(contact_ways: u32, temp_daily: u32) -> Arc<Wecom> {
    Arc::new(Wecom::with_default_corp(|corp| corp.quotas = QuotaFixture { contact_ways, temp_daily }).await)
}

#[tokio::test]
async fn hundreds_of_concurrent_adds_never_exceed_a_small_quota() {
    let wecom = with_quotas(37, 10).await;
    let tasks: Vec<_> = (0..300)
        .map(|_| {
            let wecom = Arc::clone(&wecom);
            tokio::spawn(async move {
                wecom.call(Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await["errcode"].clone()
            })
        })
        .collect();
    let mut ok = 0;
    let mut full = 0;
    for task in tasks {
        match task.await.expect("task").as_i64() {
            Some(0) => ok += 1,
            Some(41045) => full += 1,
            other => panic!("unexpected errcode {other:?}"),
        }
    }
    assert_eq!((ok, full), (37, 263));
    let quotas = wecom.mock.control().quotas(DEFAULT_CORPID).expect("quotas");
    assert_eq!(quotas.contact_ways.used, 37);
    assert_eq!(wecom.mock.control().dump(DEFAULT_CORPID).expect("dump").contact_ways.len(), 37);
}

#[tokio::test]
async fn deleting_a_config_frees_its_unit() {
    let wecom = with_quotas(1, 10).await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let full = wecom.call(Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert_eq!(full["errcode"], 41045);
    wecom.ok(Api::DelContactWay, json!({"config_id": id})).await;
    wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
}

#[tokio::test]
async fn join_ways_share_the_contact_way_quota() {
    let wecom = with_quotas(2, 10).await;
    wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    assert_eq!(wecom.call(Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await["errcode"], 41045);
    assert_eq!(
        wecom.call(Api::AddJoinWay, json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await["errcode"],
        41045
    );
}

#[tokio::test]
async fn temp_configs_do_not_use_the_shared_quota() {
    let wecom = with_quotas(1, 10).await;
    wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true})).await;
}

#[tokio::test]
async fn the_temp_quota_resets_at_beijing_midnight_on_the_virtual_clock() {
    let wecom = with_quotas(100, 2).await;
    let temp = json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true});
    let first = wecom.add(temp.clone()).await;
    wecom.add(temp.clone()).await;
    assert_eq!(wecom.call(Api::AddContactWay, temp.clone()).await["errcode"], 41045);
    // Deleting a temp config does not give back a unit of the day.
    wecom.ok(Api::DelContactWay, json!({"config_id": first})).await;
    assert_eq!(wecom.call(Api::AddContactWay, temp.clone()).await["errcode"], 41045);
    let quotas = wecom.mock.control().quotas(DEFAULT_CORPID).expect("quotas");
    assert_eq!((quotas.temp_today.used, quotas.temp_today.limit), (2, 2));
    let midnight = next_beijing_midnight(T0);
    assert_eq!(quotas.temp_today.resets_at, midnight);
    wecom.mock.control().set_clock(midnight - 1).expect("clock");
    assert_eq!(wecom.call(Api::AddContactWay, temp.clone()).await["errcode"], 41045, "still the same day");
    wecom.mock.control().set_clock(midnight).expect("clock");
    let token = wecom.token_for(DEFAULT_CORPID, wecom_mock::fixtures::DEFAULT_SECRET).await;
    let answer = wecom.call_with(Api::AddContactWay, Some(&token), &temp).await;
    assert_eq!(answer["errcode"], 0, "a new day: {answer}");
}

#[tokio::test]
async fn a_days_temp_count_is_kept_when_the_clock_moves_back_to_it() {
    let wecom = with_quotas(100, 1).await;
    let temp = json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true});
    let midnight = next_beijing_midnight(T0);
    wecom.mock.control().set_clock(midnight - 30).expect("clock");
    wecom.add(temp.clone()).await;
    wecom.mock.control().set_clock(midnight + 30).expect("clock");
    wecom.add(temp.clone()).await;
    wecom.mock.control().set_clock(midnight - 30).expect("clock");
    assert_eq!(wecom.mock.control().quotas(DEFAULT_CORPID).expect("quotas").temp_today.used, 1);
    assert_eq!(wecom.call(Api::AddContactWay, temp).await["errcode"], 41045, "that day is still full");
}
