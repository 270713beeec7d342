//! `contact_way_ids` follows `next_cursor` to the end, and `contact_ways_detailed` resolves
//! every id under a concurrency bound.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use wecom_client::Error;
use wecom_types::Api;
use wecom_types::api::ListContactWay;

use crate::stub::{Reply, Seen, Stub};

/// Serves `ids` in pages of the request's `limit` (100 when absent); the cursor is the position.
fn pages(ids: Vec<String>) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |seen| {
        let body = seen.body.clone().unwrap_or(Value::Null);
        let limit = body["limit"].as_u64().filter(|l| *l > 0).unwrap_or(100) as usize;
        let start: usize = body["cursor"].as_str().and_then(|c| c.strip_prefix("pos-")?.parse().ok()).unwrap_or(0);
        let end = (start + limit).min(ids.len());
        let page: Vec<Value> = ids[start..end].iter().map(|id| json!({"config_id": id})).collect();
        let next = if end < ids.len() { format!("pos-{end}") } else { String::new() };
        Reply::ok(json!({"contact_way": page, "next_cursor": next}))
    }
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("cfg{i:05}")).collect()
}

#[tokio::test]
async fn pagination_returns_each_id_exactly_once_over_many_pages() {
    let stub = Stub::start().await;
    let all = ids(1234);
    stub.on(Api::ListContactWay, pages(all.clone()));
    let filter = ListContactWay { start_time: Some(1_700_000_000), limit: Some(17), ..Default::default() };
    let got: Vec<String> = stub.client().contact_way_ids(filter).try_collect().await.expect("walk");
    assert_eq!(got, all);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), all.len());
    let requests = stub.requests(Api::ListContactWay);
    assert_eq!(requests.len(), 1234usize.div_ceil(17));
    // The window and the page size go with every page, not just the first.
    assert!(
        requests
            .iter()
            .all(|seen| seen.body.as_ref().is_some_and(|b| b["start_time"] == 1_700_000_000 && b["limit"] == 17))
    );
    assert_eq!(requests[0].keys(), ["limit", "start_time"]);
    assert_eq!(requests[1].body.as_ref().map(|b| b["cursor"].clone()), Some(json!("pos-17")));
}

#[tokio::test]
async fn an_empty_list_is_an_empty_stream() {
    let stub = Stub::start().await;
    stub.on(Api::ListContactWay, pages(Vec::new()));
    let got: Vec<String> = stub.client().contact_way_ids(ListContactWay::default()).try_collect().await.expect("walk");
    assert!(got.is_empty());
    assert_eq!(stub.count(Api::ListContactWay), 1);
}

#[tokio::test]
async fn the_walk_starts_at_the_filter_s_cursor() {
    let stub = Stub::start().await;
    stub.on(Api::ListContactWay, pages(ids(10)));
    let filter = ListContactWay { cursor: Some("pos-7".into()), limit: Some(2), ..Default::default() };
    let got: Vec<String> = stub.client().contact_way_ids(filter).try_collect().await.expect("walk");
    assert_eq!(got, ["cfg00007", "cfg00008", "cfg00009"]);
}

#[tokio::test]
async fn the_deprecated_name_walks_the_same_ids() {
    let stub = Stub::start().await;
    stub.on(Api::ListContactWay, pages(ids(5)));
    let filter = ListContactWay { limit: Some(2), ..Default::default() };
    #[allow(deprecated)]
    let old: Vec<String> = stub.client().list_contact_ways(filter.clone()).try_collect().await.expect("walk");
    let new: Vec<String> = stub.client().contact_way_ids(filter).try_collect().await.expect("walk");
    assert_eq!(old, new);
    assert_eq!(old.len(), 5);
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_walk_with_an_error() {
    let stub = Stub::start().await;
    stub.on(Api::ListContactWay, |_| Reply::ok(json!({"contact_way": [{"config_id": "a"}], "next_cursor": "same"})));
    let got: Vec<Result<String, Error>> = stub.client().contact_way_ids(ListContactWay::default()).collect().await;
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(matches!(&got[2], Err(Error::RepeatedCursor { cursor }) if cursor == "same"), "{got:?}");
    assert_eq!(stub.count(Api::ListContactWay), 2);
}

#[tokio::test]
async fn a_failed_page_is_yielded_and_ends_the_stream() {
    let stub = Stub::start().await;
    let serve = pages(ids(30));
    stub.on(Api::ListContactWay, move |seen| {
        let cursor = seen.body.as_ref().and_then(|b| b["cursor"].as_str().map(str::to_owned));
        if cursor.as_deref() == Some("pos-20") { Reply::err(40058) } else { serve(seen) }
    });
    let filter = ListContactWay { limit: Some(10), ..Default::default() };
    let got: Vec<Result<String, Error>> = stub.client().contact_way_ids(filter).collect().await;
    assert_eq!(got.len(), 21);
    assert!(got[..20].iter().all(Result::is_ok));
    assert_eq!(got[20].as_ref().err().and_then(Error::code).map(|c| c.get()), Some(40058));
}

#[tokio::test]
async fn detailed_resolves_every_id_in_order_within_the_concurrency_bound() {
    let stub = Stub::start().await;
    stub.on(Api::ListContactWay, pages(ids(40)));
    stub.on(Api::GetContactWay, |seen| {
        let id = seen.body.as_ref().map(|b| b["config_id"].clone()).unwrap_or(Value::Null);
        Reply::ok(json!({"contact_way": {"config_id": id, "type": 1, "scene": 2, "user": ["zhangsan"]}}))
    });
    // Slow answers let the gets pile up to the bound if the client allowed it.
    stub.delay(Api::GetContactWay, Duration::from_millis(5));
    let filter = ListContactWay { limit: Some(15), ..Default::default() };
    let ways: Vec<_> = stub.client().contact_ways_detailed(filter, 4).try_collect().await.expect("resolved");
    let got: Vec<String> = ways.into_iter().map(|way| way.config_id).collect();
    assert_eq!(got, ids(40));
    assert_eq!(stub.count(Api::GetContactWay), 40);
    assert!(stub.max_in_flight(Api::GetContactWay) <= 4, "in flight: {}", stub.max_in_flight(Api::GetContactWay));
}

#[tokio::test]
async fn detailed_reports_a_vanished_config_and_goes_on() {
    let stub = Stub::start().await;
    stub.on(Api::ListContactWay, pages(ids(3)));
    stub.on(Api::GetContactWay, |seen| {
        let id = seen.body.as_ref().map(|b| b["config_id"].clone()).unwrap_or(Value::Null);
        if id == "cfg00001" { Reply::err(41044) } else { Reply::ok(json!({"contact_way": {"config_id": id}})) }
    });
    let got: Vec<_> = stub.client().contact_ways_detailed(ListContactWay::default(), 2).collect().await;
    let summary: Vec<Result<String, i32>> =
        got.into_iter().map(|r| r.map(|w| w.config_id).map_err(|e| e.code().map_or(0, |c| c.get()))).collect();
    assert_eq!(summary, [Ok("cfg00000".into()), Err(41044), Ok("cfg00002".into())]);
}
