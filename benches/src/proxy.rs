//! What the drift proxy adds to a call (`wecom-bench proxy`): one `wecom-mock` as the upstream,
//! one `wecom-mock --upstream` in front of it, and the same `get_contact_way` sent one at a
//! time (a call's own latency, no queueing) straight to the upstream and through the proxy,
//! interleaved: each round runs both cases, in alternating order, so that a change of the
//! machine's load falls on both. The proxy's checks (the answer's shape, the request's rules)
//! are in what it adds.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use wecom_bench::BenchError;

use crate::startup::{mock_bin, spawn, spawn_with};

/// Calls per case and round.
pub(crate) struct ProxyOptions {
    pub mock_bin: Option<PathBuf>,
    pub rounds: usize,
    pub calls: usize,
}

/// One case's latencies.
#[derive(Default)]
struct Case {
    micros: Vec<f64>,
}

impl Case {
    fn percentile(&mut self, p: f64) -> f64 {
        self.micros.sort_by(f64::total_cmp);
        let at = ((self.micros.len() as f64 - 1.0) * p).round() as usize;
        self.micros.get(at).copied().unwrap_or_default()
    }
}

async fn json(response: reqwest::Response, call: &str) -> Result<Value, BenchError> {
    let failed = |reason: String| BenchError::Call { call: call.to_owned(), reason };
    let bytes = response.bytes().await.map_err(|e| failed(e.to_string()))?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| failed(e.to_string()))?;
    if value["errcode"] != 0 {
        return Err(failed(value.to_string()));
    }
    Ok(value)
}

/// `count` gets of `config_id` at `base`, one at a time; their latencies into `case`.
async fn gets(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: &str,
    count: usize,
    case: &mut Case,
) -> Result<(), BenchError> {
    let url = format!("{base}/cgi-bin/externalcontact/get_contact_way?access_token={token}");
    for _ in 0..count {
        let started = Instant::now();
        let response = http.post(&url).body(body.to_owned()).send().await;
        let response = response.map_err(|e| BenchError::Call { call: "get".into(), reason: e.to_string() })?;
        let ok = response.status().is_success() && response.headers().get(wecom_mock::DRIFT_HEADER).is_none();
        let bytes =
            response.bytes().await.map_err(|e| BenchError::Call { call: "get".into(), reason: e.to_string() })?;
        case.micros.push(started.elapsed().as_secs_f64() * 1e6);
        if !ok || !bytes.starts_with(br#"{"errcode":0,"#) {
            let reason = format!("an answer with a finding or an error: {}", String::from_utf8_lossy(&bytes));
            return Err(BenchError::Call { call: "get".into(), reason });
        }
    }
    Ok(())
}

/// `wecom-bench proxy`.
pub(crate) async fn run(options: ProxyOptions) -> Result<(), BenchError> {
    let bin = mock_bin(options.mock_bin)?;
    let upstream = spawn(&bin).await?;
    let proxy = spawn_with(&bin, &["--upstream", &upstream.url]).await?;
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .map_err(|e| BenchError::Client { what: "HTTP client", reason: e.to_string() })?;
    let token = json(
        http.get(format!("{}/cgi-bin/gettoken?corpid=wwmock0000000001&corpsecret=mock-secret", upstream.url))
            .send()
            .await
            .map_err(|e| BenchError::Token(e.to_string()))?,
        "gettoken",
    )
    .await?["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let added = json(
        http.post(format!("{}/cgi-bin/externalcontact/add_contact_way?access_token={token}", upstream.url))
            .body(r#"{"type":1,"scene":2,"user":["zhangsan"],"state":"bench"}"#)
            .send()
            .await
            .map_err(|e| BenchError::Call { call: "add".into(), reason: e.to_string() })?,
        "add",
    )
    .await?;
    let body = serde_json::json!({"config_id": added["config_id"]}).to_string();
    let (mut direct, mut proxied) = (Case::default(), Case::default());
    // Warm both connections and the proxy's compiled shapes.
    gets(&http, &upstream.url, &token, &body, 200, &mut Case::default()).await?;
    gets(&http, &proxy.url, &token, &body, 200, &mut Case::default()).await?;
    println!("round  direct p50 µs  proxied p50 µs  added p50 µs");
    for round in 0..options.rounds.max(1) {
        let (mut d, mut p) = (Case::default(), Case::default());
        if round % 2 == 0 {
            gets(&http, &upstream.url, &token, &body, options.calls, &mut d).await?;
            gets(&http, &proxy.url, &token, &body, options.calls, &mut p).await?;
        } else {
            gets(&http, &proxy.url, &token, &body, options.calls, &mut p).await?;
            gets(&http, &upstream.url, &token, &body, options.calls, &mut d).await?;
        }
        let (dp, pp) = (d.percentile(0.5), p.percentile(0.5));
        println!("{:>5}  {dp:>13.0}  {pp:>14.0}  {:>12.0}", round + 1, pp - dp);
        direct.micros.extend(d.micros);
        proxied.micros.extend(p.micros);
    }
    let summary = |name: &str, case: &mut Case| {
        println!(
            "{name:<8} {} calls: p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs",
            case.micros.len(),
            case.percentile(0.5),
            case.percentile(0.9),
            case.percentile(0.99)
        );
    };
    summary("direct", &mut direct);
    summary("proxied", &mut proxied);
    println!("the proxy adds {:.0} µs at p50 (bound: 1000 µs)", proxied.percentile(0.5) - direct.percentile(0.5));
    if let Some([one, five, fifteen]) = wecom_bench::sys::load_average() {
        println!("load avg {one:.2} {five:.2} {fifteen:.2}");
    }
    proxy.stop().await;
    upstream.stop().await;
    Ok(())
}
