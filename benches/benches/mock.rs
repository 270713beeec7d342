//! The mock's own work per API, in-process (`MockState::handle`: routing, token, decoding, the
//! domain, locks, encoding; no hyper, no socket), and client-to-mock round trips over loopback
//! at concurrency 1 and 64, beside the same round trips to the bare baseline.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use tokio::runtime::Runtime;
use wecom_bench::baseline::Baseline;
use wecom_client::{Client, RetryPolicy};
use wecom_mock::api::ScanRequest;
use wecom_mock::fixtures::{CorpFixture, Fixtures};
use wecom_mock::{MockServer, MockState, Settings};

const CORPID: &str = "wwmock0000000001";

/// The default corp with room for every add a bench makes (the real quotas are 500 000 configs
/// and 100 000 temp configs a day).
fn fixtures() -> Fixtures {
    let mut corp = CorpFixture::default_corp();
    corp.quotas.contact_ways = u32::MAX;
    corp.quotas.temp_daily = u32::MAX;
    Fixtures { corps: vec![corp] }
}

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => panic!("no tokio runtime: {err}"),
    }
}

/// A field of a JSON answer, or a panic naming the answer (set-up only).
fn field(body: &[u8], name: &str) -> String {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    match value.get(name).and_then(|v| v.as_str()) {
        Some(text) => text.to_owned(),
        None => panic!("no `{name}` in {}", String::from_utf8_lossy(body)),
    }
}

/// An in-process mock with a token and helpers to call it.
struct InProcess {
    state: MockState,
    query: String,
}

impl InProcess {
    fn new(rt: &Runtime) -> InProcess {
        let settings =
            Settings { public_url: "http://127.0.0.1:8080".to_owned(), fixtures: fixtures(), ..Settings::default() };
        let state = match MockState::new(settings) {
            Ok(state) => state,
            Err(err) => panic!("the mock does not start: {err}"),
        };
        let (_, body) = rt.block_on(state.handle("/cgi-bin/gettoken", &token_query(), b""));
        let query = format!("access_token={}", field(&body, "access_token"));
        InProcess { state, query }
    }

    fn call(&self, rt: &Runtime, api: &str, body: &str) -> (u16, bytes::Bytes) {
        rt.block_on(self.state.handle(&format!("/cgi-bin/externalcontact/{api}"), &self.query, body.as_bytes()))
    }

    fn add_contact_way(&self, rt: &Runtime, body: &str) -> String {
        field(&self.call(rt, "add_contact_way", body).1, "config_id")
    }
}

fn token_query() -> String {
    format!("corpid={CORPID}&corpsecret=mock-secret")
}

const ADD: &str = r#"{"type":1,"scene":2,"user":["zhangsan"],"remark":"wecom-bench","state":"wb00000001"}"#;
const ADD_TEMP: &str =
    r#"{"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"expires_in":3600,"chat_expires_in":3600}"#;
const ADD_JOIN: &str = r#"{"scene":2,"chat_id_list":["wrmockchat0001"],"state":"wb"}"#;

fn in_process(c: &mut Criterion) {
    let rt = runtime();
    let mock = InProcess::new(&rt);
    let ids: Vec<String> = (0..1000).map(|_| mock.add_contact_way(&rt, ADD)).collect();
    let id = ids[500].clone();
    let join_id = field(&mock.call(&rt, "groupchat/add_join_way", ADD_JOIN).1, "config_id");
    let scan = ScanRequest { corpid: CORPID.to_owned(), config_id: id.clone(), ..ScanRequest::default() };
    let customer = match mock.state.control().scan(&scan) {
        Ok(scanned) => scanned.external_userid,
        Err(err) => panic!("scan failed: {err:?}"),
    };

    let mut group = c.benchmark_group("in_process");
    group.bench_function("gettoken", |b| {
        b.iter(|| rt.block_on(mock.state.handle("/cgi-bin/gettoken", &token_query(), b"")))
    });
    let get = format!(r#"{{"config_id":"{id}"}}"#);
    group.bench_function("get_contact_way", |b| b.iter(|| mock.call(&rt, "get_contact_way", black_box(&get))));
    group.bench_function("list_contact_way_100_of_1000", |b| {
        b.iter(|| mock.call(&rt, "list_contact_way", black_box(r#"{"limit":100}"#)))
    });
    let update = format!(r#"{{"config_id":"{id}","remark":"updated"}}"#);
    group.bench_function("update_contact_way", |b| b.iter(|| mock.call(&rt, "update_contact_way", black_box(&update))));
    let get_join = format!(r#"{{"config_id":"{join_id}"}}"#);
    group.bench_function("get_join_way", |b| b.iter(|| mock.call(&rt, "groupchat/get_join_way", black_box(&get_join))));
    let update_join = format!(r#"{{"config_id":"{join_id}","scene":2,"chat_id_list":["wrmockchat0002"]}}"#);
    group.bench_function("update_join_way", |b| {
        b.iter(|| mock.call(&rt, "groupchat/update_join_way", black_box(&update_join)))
    });
    group.bench_function("get_group_chat", |b| {
        b.iter(|| mock.call(&rt, "groupchat/get", black_box(r#"{"chat_id":"wrmockchat0001"}"#)))
    });
    let external = format!("{}&external_userid={customer}", mock.query);
    group.bench_function("get_external_contact", |b| {
        b.iter(|| rt.block_on(mock.state.handle("/cgi-bin/externalcontact/get", black_box(&external), b"")))
    });
    // Writes that create: each iteration adds one config (the quota is lifted above).
    group.bench_function("add_contact_way", |b| b.iter(|| mock.call(&rt, "add_contact_way", black_box(ADD))));
    group.bench_function("add_join_way", |b| b.iter(|| mock.call(&rt, "groupchat/add_join_way", black_box(ADD_JOIN))));
    // Writes that remove: the config is made in the untimed set-up.
    group.bench_function("del_contact_way", |b| {
        b.iter_batched(
            || format!(r#"{{"config_id":"{}"}}"#, mock.add_contact_way(&rt, ADD)),
            |body| mock.call(&rt, "del_contact_way", &body),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("del_join_way", |b| {
        b.iter_batched(
            || {
                format!(
                    r#"{{"config_id":"{}"}}"#,
                    field(&mock.call(&rt, "groupchat/add_join_way", ADD_JOIN).1, "config_id")
                )
            },
            |body| mock.call(&rt, "groupchat/del_join_way", &body),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("close_temp_chat", |b| {
        b.iter_batched(
            || {
                let config_id = mock.add_contact_way(&rt, ADD_TEMP);
                let scan = ScanRequest { corpid: CORPID.to_owned(), config_id, ..ScanRequest::default() };
                match mock.state.control().scan(&scan) {
                    Ok(s) => format!(r#"{{"userid":"{}","external_userid":"{}"}}"#, s.userid, s.external_userid),
                    Err(err) => panic!("temp scan failed: {err:?}"),
                }
            },
            |body| mock.call(&rt, "close_temp_chat", &body),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Gets of configs picked at random from a corp of 1000 and from one at the real quota
/// (500 000): the cost of a lookup in a big table (cache and TLB misses) with nothing else in
/// the way. Set-up adds the 500 000 in-process (a few seconds).
fn in_process_scale(c: &mut Criterion) {
    use rand::seq::SliceRandom;
    let rt = runtime();
    let mut group = c.benchmark_group("in_process_scale");
    for size in [1_000usize, 500_000] {
        let mock = InProcess::new(&rt);
        let mut bodies: Vec<String> =
            (0..size).map(|_| format!(r#"{{"config_id":"{}"}}"#, mock.add_contact_way(&rt, ADD))).collect();
        bodies.shuffle(&mut rand::rng());
        let mut next = 0;
        group.bench_function(format!("get_contact_way_random_of/{size}"), |b| {
            b.iter(|| {
                next = (next + 1) % bodies.len();
                mock.call(&rt, "get_contact_way", &bodies[next])
            })
        });
    }
    group.finish();
}

/// `iters` gets spread over `concurrency` tasks; the wall time of all of them.
fn concurrent<F, Fut>(rt: &Runtime, iters: u64, concurrency: u64, call: F) -> Duration
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    rt.block_on(async {
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|i| {
                let call = Arc::clone(&call);
                let share = iters / concurrency + u64::from(i < iters % concurrency);
                tokio::spawn(async move {
                    for _ in 0..share {
                        call().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            let _ = task.await;
        }
        started.elapsed()
    })
}

fn round_trips(c: &mut Criterion) {
    let rt = runtime();
    let (mock, baseline) = rt.block_on(async {
        let mock = MockServer::builder().fixtures(fixtures()).start().await;
        let baseline = match Baseline::start().await {
            Ok(baseline) => baseline,
            Err(err) => panic!("the baseline does not start: {err}"),
        };
        (mock, baseline)
    });
    let client = |url: String| match Client::builder(CORPID, "mock-secret")
        .base_url(url)
        .retry_policy(RetryPolicy::none())
        .build()
    {
        Ok(client) => client,
        Err(err) => panic!("no client: {err}"),
    };
    let to_mock = client(mock.uri());
    let id = match rt.block_on(to_mock.add_contact_way(&wecom_bench::sample::add_request(1))) {
        Ok(created) => created.config_id,
        Err(err) => panic!("add failed: {err}"),
    };
    // The baseline answers any token: a raw reqwest loop, as `wecom-bench --mode baseline` sends.
    let http = reqwest::Client::new();
    let baseline_url = format!("{}/cgi-bin/externalcontact/get_contact_way?access_token=baseline", baseline.uri());
    let baseline_body = format!(r#"{{"config_id":"{id}"}}"#);

    let mut group = c.benchmark_group("round_trip");
    for concurrency in [1u64, 64] {
        let (client, id) = (to_mock.clone(), id.clone());
        group.bench_function(format!("client_get_contact_way/c{concurrency}"), |b| {
            b.iter_custom(|iters| {
                let (client, id) = (client.clone(), id.clone());
                concurrent(&rt, iters, concurrency, move || {
                    let (client, id) = (client.clone(), id.clone());
                    async move {
                        let _ = black_box(client.get_contact_way(&id).await);
                    }
                })
            })
        });
        let client = to_mock.clone();
        group.bench_function(format!("client_add_contact_way/c{concurrency}"), |b| {
            b.iter_custom(|iters| {
                let client = client.clone();
                concurrent(&rt, iters, concurrency, move || {
                    let client = client.clone();
                    async move {
                        let _ = black_box(client.add_contact_way(&wecom_bench::sample::add_request(2)).await);
                    }
                })
            })
        });
        let (http, url, body) = (http.clone(), baseline_url.clone(), baseline_body.clone());
        group.bench_function(format!("raw_baseline/c{concurrency}"), |b| {
            b.iter_custom(|iters| {
                let (http, url, body) = (http.clone(), url.clone(), body.clone());
                concurrent(&rt, iters, concurrency, move || {
                    let request = http.post(url.as_str()).body(body.clone());
                    async move {
                        if let Ok(answer) = request.send().await {
                            let _ = black_box(answer.bytes().await);
                        }
                    }
                })
            })
        });
    }
    group.finish();
    drop(mock);
}

fn main() {
    // Short runs: the machine has 2 shared cores, and ratios within a run are what we compare.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    in_process(&mut c);
    in_process_scale(&mut c);
    round_trips(&mut c);
    c.final_summary();
}
