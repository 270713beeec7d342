//! list_contact_way: order, pages, window, cutoff, filters, and cursors that stay exact while
//! others add and delete.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;
use wecom_types::Api;
use wecom_types::limits::{DAY_SECS, LIST_CUTOFF_UNIX};

use super::support::{T0, Wecom};

async fn add_n(wecom: &Wecom, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await);
    }
    ids
}

#[tokio::test]
async fn a_walk_returns_each_config_once_in_creation_order() {
    let wecom = Wecom::start().await;
    let mut expected = Vec::new();
    for second in 0..25 {
        wecom.mock.control().set_clock(T0 + second).expect("clock");
        let mut batch = add_n(&wecom, 2).await;
        batch.sort();
        expected.extend(batch);
    }
    assert_eq!(wecom.list_all(json!({"limit": 7})).await, expected);
}

#[tokio::test]
async fn a_page_that_ends_exactly_on_the_last_config_has_an_empty_cursor() {
    let wecom = Wecom::start().await;
    add_n(&wecom, 10).await;
    let page = wecom.ok(Api::ListContactWay, json!({"limit": 10})).await;
    assert_eq!(page["contact_way"].as_array().map(Vec::len), Some(10));
    assert_eq!(page["next_cursor"], "");
    let page = wecom.ok(Api::ListContactWay, json!({"limit": 5})).await;
    let page = wecom.ok(Api::ListContactWay, json!({"limit": 5, "cursor": page["next_cursor"]})).await;
    assert_eq!(page["contact_way"].as_array().map(Vec::len), Some(5));
    assert_eq!(page["next_cursor"], "");
}

#[tokio::test]
async fn limit_zero_or_absent_means_100() {
    let wecom = Wecom::start().await;
    add_n(&wecom, 101).await;
    for body in [json!({}), json!({"limit": 0})] {
        let page = wecom.ok(Api::ListContactWay, body).await;
        assert_eq!(page["contact_way"].as_array().map(Vec::len), Some(100));
        assert_ne!(page["next_cursor"], "");
    }
}

#[tokio::test]
async fn configs_created_before_the_cutoff_are_not_listed() {
    let wecom = Wecom::start().await;
    wecom.mock.control().set_clock(LIST_CUTOFF_UNIX - 1).expect("clock");
    let token = wecom.token_for(wecom.mock.corpid(), wecom.mock.secret()).await;
    wecom.call_with(Api::AddContactWay, Some(&token), &json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.mock.control().set_clock(LIST_CUTOFF_UNIX).expect("clock");
    let at_cutoff =
        wecom.call_with(Api::AddContactWay, Some(&token), &json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let window = json!({"start_time": LIST_CUTOFF_UNIX - DAY_SECS, "end_time": LIST_CUTOFF_UNIX + DAY_SECS});
    let page = wecom.call_with(Api::ListContactWay, Some(&token), &window).await;
    assert_eq!(page["contact_way"], json!([{"config_id": at_cutoff["config_id"]}]));
}

#[tokio::test]
async fn the_default_window_is_the_last_90_days() {
    let wecom = Wecom::start().await;
    let old = add_n(&wecom, 1).await;
    wecom.mock.control().set_clock(T0 + 90 * DAY_SECS).expect("clock");
    let token = wecom.token_for(wecom.mock.corpid(), wecom.mock.secret()).await;
    let page = wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await;
    assert_eq!(page["contact_way"], json!([{"config_id": old[0]}]), "start is inclusive");
    wecom.mock.control().set_clock(T0 + 90 * DAY_SECS + 1).expect("clock");
    let page = wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await;
    assert_eq!(page["contact_way"], json!([]));
    let page = wecom.call_with(Api::ListContactWay, Some(&token), &json!({"start_time": T0})).await;
    assert_eq!(page["contact_way"], json!([{"config_id": old[0]}]));
}

#[tokio::test]
async fn userid_and_skip_verify_filter_the_walk() {
    let wecom = Wecom::start().await;
    let zhangsan = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"skip_verify":false})).await;
    let lisi = wecom.add(json!({"type":2,"scene":2,"user":["lisi","wangwu"]})).await;
    assert_eq!(wecom.list_all(json!({"userid": "zhangsan"})).await, std::slice::from_ref(&zhangsan));
    assert_eq!(wecom.list_all(json!({"userid": "wangwu"})).await, std::slice::from_ref(&lisi));
    assert_eq!(wecom.list_all(json!({"userid": "nobody"})).await, Vec::<String>::new());
    assert_eq!(wecom.list_all(json!({"skip_verify": false})).await, [zhangsan]);
    assert_eq!(wecom.list_all(json!({"skip_verify": true})).await, [lisi]);
}

#[tokio::test]
async fn a_cursor_stays_exact_while_others_add_and_delete() {
    let wecom = Arc::new(Wecom::start().await);
    let stable: Vec<String> = add_n(&wecom, 120).await;
    let doomed: Vec<String> = add_n(&wecom, 60).await;
    let churn = {
        let wecom = Arc::clone(&wecom);
        tokio::spawn(async move {
            let mut added = Vec::new();
            for id in doomed {
                wecom.ok(Api::DelContactWay, json!({"config_id": id})).await;
                added.push(wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await);
            }
            added
        })
    };
    let mut seen = Vec::new();
    let mut filter = json!({"limit": 9});
    loop {
        let page = wecom.ok(Api::ListContactWay, filter.clone()).await;
        for item in page["contact_way"].as_array().expect("list") {
            seen.push(item["config_id"].as_str().expect("id").to_owned());
        }
        let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
        if cursor.is_empty() {
            break;
        }
        filter["cursor"] = json!(cursor);
        tokio::task::yield_now().await;
    }
    churn.await.expect("churn");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no config twice");
    for id in &stable {
        assert!(unique.contains(id), "a config present throughout the walk is returned");
    }
}
