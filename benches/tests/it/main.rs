//! The load tool's engine against a real mock and the baseline, by request count (no timing is
//! asserted: these must pass on a loaded 2-core machine).

use std::time::Duration;

use wecom_bench::BenchError;
use wecom_bench::baseline::Baseline;
use wecom_bench::load::{self, Mix, Mode, RunOptions, Stop, Target};
use wecom_mock::MockServer;

fn options(target: Target, mode: Mode, mix: &str, requests: u64) -> RunOptions {
    RunOptions {
        concurrency: 8,
        stop: Stop::Requests(requests),
        warmup: Duration::ZERO,
        mix: Mix::preset(mix).expect("a known mix"),
        pool: 20,
        ..RunOptions::new(target, mode)
    }
}

#[track_caller]
fn check_all_ok(report: &load::Report, requests: u64) {
    assert_eq!(report.requests, requests, "{}", report.text());
    assert_eq!(report.errors, 0, "{}", report.text());
    assert_eq!(report.errcodes.get("0"), Some(&requests), "{}", report.text());
    assert!(report.latency.p50_us > 0.0 && report.latency.p50_us <= report.latency.max_us);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mix_runs_against_the_mock_through_client_and_raw() {
    let mock = MockServer::start().await;
    for mode in [Mode::Client, Mode::Raw] {
        for mix in ["read-heavy", "write-heavy", "update-only", "list-only", "get=1,add=1,delete=1,update=1"] {
            let report = load::run(&options(Target::mock(&mock.uri()), mode, mix, 120)).await.expect("runs");
            check_all_ok(&report, 120);
            let json: serde_json::Value = serde_json::from_str(&report.json()).expect("the JSON report parses");
            assert_eq!(json["requests"], 120);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_reads_every_page() {
    let mock = MockServer::start().await;
    let target = Target::mock(&mock.uri());
    let created = load::fill(&target, Mode::Raw, 2_500, 8).await.expect("fills");
    assert_eq!(created.len(), 2_500);
    let (_, pages, ids) = load::walk_once(&target, Mode::Client).await.expect("walks");
    assert_eq!((pages, ids), (3, 2_500));
    let report = load::run(&options(target, Mode::Raw, "list-walk", 4)).await.expect("runs");
    let walks = report.walks.expect("walk figures");
    assert_eq!((walks.walks, walks.pages, report.requests), (4, 12, 12));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_baseline_answers_a_get_contact_way_body() {
    let baseline = Baseline::start().await.expect("starts");
    let report =
        load::run(&options(Target::mock(&baseline.uri()), Mode::Baseline, "write-heavy", 200)).await.expect("runs");
    check_all_ok(&report, 200);
    assert_eq!(report.mix, "baseline");
    assert_eq!(report.ops.len(), 1, "every op is sent as a get");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errcodes_are_counted_not_fatal() {
    let mock = MockServer::start().await;
    // Gets of a pool that was never created answer 41044 (unknown config id).
    let mut run = options(Target::mock(&mock.uri()), Mode::Raw, "get-only", 50);
    run.pool_ids = Some(std::sync::Arc::new(vec!["0123456789abcdef0123456789abcdef".to_owned()]));
    let report = load::run(&run).await.expect("runs");
    assert_eq!(report.errors, 50);
    assert_eq!(report.errcodes.get("41044"), Some(&50), "{:?}", report.errcodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_secret_or_a_dead_target_is_an_error_message() {
    let mock = MockServer::start().await;
    let bad = Target { secret: "wrong".to_owned(), ..Target::mock(&mock.uri()) };
    for mode in [Mode::Client, Mode::Raw] {
        let err = load::run(&options(bad.clone(), mode, "get-only", 1)).await.expect_err("no token");
        assert!(matches!(err, BenchError::Token(_)), "{mode:?}: {err}");
        let message = err.to_string();
        assert!(message.contains("token") || message.contains("40001"), "{message}");
    }
    let dead = Target::mock("http://127.0.0.1:9");
    assert!(load::run(&options(dead, Mode::Raw, "get-only", 1)).await.is_err());
}

#[test]
fn the_binary_prints_its_version() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wecom-bench")).arg("--version").output().expect("runs");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), concat!("wecom-bench ", env!("CARGO_PKG_VERSION")));
}
