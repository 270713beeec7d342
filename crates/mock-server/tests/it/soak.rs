//! Load without loss: hundreds of connections add, read, update and delete for a bounded time
//! (`WECOM_SOAK_SECS`, default 2) against the binary with a data dir and `fsync always`. Zero
//! unexpected answers, every acknowledged config there afterwards (and after a restart), and the
//! process's memory about flat once warm.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

use super::crash::Binary;
use super::durability::{Http, TempDir};

/// Connections open at once.
const CONNECTIONS: usize = 256;
/// Configs each connection keeps alive: the state stays the same size, so memory should too.
const LIVE_PER_CONNECTION: usize = 3;

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    unexpected: AtomicU64,
}

/// One connection's loop; returns the configs it left alive.
async fn connection(base: String, token: String, n: usize, until: Instant, counts: Arc<Counts>) -> Vec<String> {
    // A client per task: its own keep-alive connection.
    let http = Http::new(base);
    let mut live: Vec<String> = Vec::new();
    let mut i = 0;
    let check = |ok: bool| {
        counts.requests.fetch_add(1, Ordering::Relaxed);
        if !ok {
            counts.unexpected.fetch_add(1, Ordering::Relaxed);
        }
        ok
    };
    while Instant::now() < until {
        i += 1;
        let body = json!({"type":1,"scene":2,"user":["wangwu"],"state": format!("c{n}-{i}")});
        let answer = http.call(Api::AddContactWay, &token, &body).await;
        let Some(id) =
            answer.ok().filter(|a| a["errcode"] == 0).and_then(|a| a["config_id"].as_str().map(str::to_owned))
        else {
            check(false);
            continue;
        };
        check(true);
        let got = http.call(Api::GetContactWay, &token, &json!({"config_id": id})).await;
        check(got.is_ok_and(|a| a["errcode"] == 0 && a["contact_way"]["state"] == format!("c{n}-{i}")));
        let updated = http.call(Api::UpdateContactWay, &token, &json!({"config_id": id, "remark": "soak"})).await;
        check(updated.is_ok_and(|a| a["errcode"] == 0));
        live.push(id);
        if live.len() > LIVE_PER_CONNECTION {
            let oldest = live.remove(0);
            let deleted = http.call(Api::DelContactWay, &token, &json!({"config_id": oldest})).await;
            check(deleted.is_ok_and(|a| a["errcode"] == 0));
        }
    }
    live
}

async fn config_ids(http: &Http) -> BTreeSet<String> {
    let (status, dump) = http.admin(Method::GET, &format!("/__admin/corps/{DEFAULT_CORPID}"), None).await;
    assert_eq!(status, 200);
    dump["contact_ways"]
        .as_array()
        .expect("configs")
        .iter()
        .filter_map(|c| c["config_id"].as_str())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_connections_lose_nothing_and_memory_stays_flat() {
    let secs: u64 = std::env::var("WECOM_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let dir = TempDir::new("soak");
    let path = dir.path().to_str().expect("utf-8 path").to_owned();
    let args = ["--data-dir", path.as_str(), "--fsync", "always"];
    let binary = Binary::start(&args);
    let token = binary.http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|n| tokio::spawn(connection(binary.http.base.clone(), token.clone(), n, until, Arc::clone(&counts))))
        .collect();

    // Warm once every connection is open and the live set is full; sample again at the end.
    tokio::time::sleep(Duration::from_millis(secs * 1000 / 3)).await;
    let warm = binary.rss_kb();
    let mut live = BTreeSet::new();
    for task in tasks {
        live.extend(task.await.expect("connection"));
    }
    let elapsed = started.elapsed();
    let end = binary.rss_kb();

    let requests = counts.requests.load(Ordering::Relaxed);
    let unexpected = counts.unexpected.load(Ordering::Relaxed);
    eprintln!(
        "soak: {CONNECTIONS} connections, {requests} requests in {:.1} s ({:.0}/s), {unexpected} unexpected, \
         {} configs alive, RSS warm {warm:?} kB, end {end:?} kB",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        live.len()
    );
    assert_eq!(unexpected, 0, "every answer was the expected one");
    assert_eq!(config_ids(&binary.http).await, live, "exactly the acknowledged configs are there");
    if let (Some(warm), Some(end)) = (warm, end) {
        // Loose on purpose: allocator arenas and buffers settle; a leak per request would not.
        assert!(end < warm * 2 + 32 * 1024, "RSS grew from {warm} kB to {end} kB");
    }
    assert!(binary.terminate().success());

    let binary = Binary::start(&args);
    assert_eq!(config_ids(&binary.http).await, live, "and all of them after a restart");
}
