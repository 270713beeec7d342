//! `wecom-bench compare`: the throughput targets as ratios measured in one run.
//!
//! It starts a fresh `wecom-mock` for the gets, a fresh one for every add run (an empty corp with
//! the whole quota ahead of it) and the bare baseline (`wecom-bench baseline`, a process of its
//! own like the mock), then runs the same closed-loop load against each in turn, round after
//! round, so that a change in the machine's load hits every case alike:
//!
//! | case | mode | target | mix |
//! |---|---|---|---|
//! | `baseline` | raw | baseline | every request a `get_contact_way` |
//! | `get_raw` / `get_client` | raw / client | mock | get-only |
//! | `add_raw` / `add_client` | raw / client | mock | add-only |
//!
//! The ratios use the median throughput of each case over the rounds; beside them, the ratio
//! of the best rounds, which on a machine whose other work comes in bursts is the one least
//! disturbed by it.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use wecom_bench::load::{self, Mix, Mode, Report, RunOptions, Stop, Target};

use crate::chart;
use crate::startup;
use wecom_bench::BenchError;

/// What `compare` is run with.
#[derive(Debug, Clone)]
pub(crate) struct CompareOptions {
    pub mock_bin: Option<PathBuf>,
    pub rounds: usize,
    pub duration: Duration,
    pub concurrency: usize,
    /// Where to draw the chart, if anywhere.
    pub svg: Option<PathBuf>,
}

/// One case's runs.
#[derive(Debug, Serialize)]
pub(crate) struct Case {
    name: &'static str,
    mode: Mode,
    mix: &'static str,
    /// Throughput of each round, req/s.
    rps: Vec<f64>,
    median_rps: f64,
    /// The best round: the one least disturbed by the machine's other work.
    best_rps: f64,
    /// Latency of the median round.
    p50_us: f64,
    p99_us: f64,
    /// CPU per request of the tool and of the server, µs (median round).
    tool_us_per_request: f64,
    target_us_per_request: Option<f64>,
    /// The tool's share of the machine's CPU (median round).
    tool_share_of_machine: f64,
    errors: u64,
    reports: Vec<Report>,
}

/// A target with what it was measured to be: the ratio of the medians, and of the best rounds.
#[derive(Debug, Serialize)]
pub(crate) struct Ratio {
    name: &'static str,
    measured: f64,
    best_rounds: f64,
    target: f64,
    met: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct CompareReport {
    concurrency: usize,
    duration_s: f64,
    rounds: usize,
    cases: Vec<Case>,
    ratios: Vec<Ratio>,
    load_average: Option<[f64; 3]>,
}

const CASES: [(&str, Mode, &str); 5] = [
    ("baseline", Mode::Baseline, "get-only"),
    ("get_raw", Mode::Raw, "get-only"),
    ("get_client", Mode::Client, "get-only"),
    ("add_raw", Mode::Raw, "add-only"),
    ("add_client", Mode::Client, "add-only"),
];

/// The index of the median value (the upper one of an even count).
pub(crate) fn median_index(values: &[f64]) -> usize {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    order.get(values.len() / 2).copied().unwrap_or_default()
}

/// Runs every case `rounds` times, interleaved.
pub(crate) async fn run(options: &CompareOptions) -> Result<CompareReport, BenchError> {
    let bin = startup::mock_bin(options.mock_bin.clone())?;
    let gets = startup::spawn(&bin).await?;
    let me = std::env::current_exe().map_err(|e| BenchError::io("cannot find this binary", e))?;
    // The baseline's body is the mock's get_contact_way answer for a mock at the gets' URL.
    let baseline = startup::spawn_with(&me, &["baseline", "--public-url", &gets.url]).await?;
    let mut runs: Vec<Vec<Report>> = CASES.iter().map(|_| Vec::new()).collect();
    for round in 0..options.rounds.max(1) {
        for (i, (name, mode, mix)) in CASES.iter().enumerate() {
            eprintln!("compare: round {} of {}, {name}", round + 1, options.rounds.max(1));
            // Every add run gets a fresh mock: an empty corp, and the whole quota to fill.
            let adds = if *mix == "add-only" { Some(startup::spawn(&bin).await?) } else { None };
            let server = match (mode, &adds) {
                (Mode::Baseline, _) => &baseline,
                (_, Some(adds)) => adds,
                _ => &gets,
            };
            let run = RunOptions {
                concurrency: options.concurrency,
                stop: Stop::After(options.duration),
                mix: Mix::preset(mix)?,
                target_pid: server.pid,
                ..RunOptions::new(Target::mock(&server.url), *mode)
            };
            runs[i].push(load::run(&run).await?);
            if let Some(adds) = adds {
                adds.stop().await;
            }
        }
    }
    gets.stop().await;
    baseline.stop().await;

    let cases: Vec<Case> = CASES
        .iter()
        .zip(runs)
        .map(|((name, mode, mix), reports)| {
            let rps: Vec<f64> = reports.iter().map(|r| r.throughput_rps).collect();
            let mid = &reports[median_index(&rps)];
            Case {
                name,
                mode: *mode,
                mix,
                median_rps: mid.throughput_rps,
                best_rps: rps.iter().copied().fold(0.0, f64::max),
                p50_us: mid.latency.p50_us,
                p99_us: mid.latency.p99_us,
                tool_us_per_request: mid.cpu.tool_us_per_request,
                target_us_per_request: mid.cpu.target_us_per_request,
                tool_share_of_machine: mid.cpu.tool_share_of_machine,
                errors: reports.iter().map(|r| r.errors).sum(),
                rps,
                reports,
            }
        })
        .collect();
    let case = |name: &str| cases.iter().find(|c| c.name == name).map_or((0.0, 0.0), |c| (c.median_rps, c.best_rps));
    let divide = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let ratio = |name: &'static str, a: &str, b: &str, target: f64| {
        let ((a_median, a_best), (b_median, b_best)) = (case(a), case(b));
        let measured = divide(a_median, b_median);
        Ratio { name, measured, best_rounds: divide(a_best, b_best), target, met: measured >= target }
    };
    let ratios = vec![
        ratio("mock get_contact_way / baseline", "get_raw", "baseline", 0.9),
        ratio("mock add_contact_way / baseline", "add_raw", "baseline", 0.8),
        ratio("client / raw reqwest, get", "get_client", "get_raw", 0.9),
        ratio("client / raw reqwest, add", "add_client", "add_raw", 0.9),
    ];
    if let Some(path) = &options.svg {
        let bars: Vec<chart::Bar> = cases
            .iter()
            .map(|c| chart::Bar { name: c.name.to_owned(), rps: c.median_rps, p50_us: c.p50_us, p99_us: c.p99_us })
            .collect();
        let title = format!(
            "wecom-bench compare: {} connections, medians of {} rounds",
            options.concurrency,
            options.rounds.max(1)
        );
        chart::write(path, &title, "baseline", &bars)?;
    }
    Ok(CompareReport {
        concurrency: options.concurrency,
        duration_s: options.duration.as_secs_f64(),
        rounds: options.rounds.max(1),
        cases,
        ratios,
        load_average: wecom_bench::sys::load_average(),
    })
}

impl CompareReport {
    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} workers, {} rounds of {:.0} s per case; medians over the rounds",
            self.concurrency, self.rounds, self.duration_s
        );
        let _ = writeln!(
            out,
            "{:<11} {:>9} {:>8} {:>8} {:>10} {:>10} {:>7}  rounds (req/s)",
            "case", "req/s", "p50 µs", "p99 µs", "tool µs/r", "srv µs/r", "errors"
        );
        for case in &self.cases {
            let rounds: Vec<String> = case.rps.iter().map(|r| format!("{r:.0}")).collect();
            let _ = writeln!(
                out,
                "{:<11} {:>9.0} {:>8.0} {:>8.0} {:>10.1} {:>10} {:>7}  {}",
                case.name,
                case.median_rps,
                case.p50_us,
                case.p99_us,
                case.tool_us_per_request,
                case.target_us_per_request.map_or("?".to_owned(), |v| format!("{v:.1}")),
                case.errors,
                rounds.join(" ")
            );
        }
        for ratio in &self.ratios {
            let _ = writeln!(
                out,
                "{:<34} {:.2} (target ≥ {:.2}) {:<6}  best rounds {:.2}",
                ratio.name,
                ratio.measured,
                ratio.target,
                if ratio.met { "met" } else { "MISSED" },
                ratio.best_rounds
            );
        }
        if self.cases.iter().any(|c| c.errors > 0) {
            let _ =
                writeln!(out, "some requests failed: see the errcodes in the JSON report; the ratios are not valid");
        }
        if let Some([one, five, fifteen]) = self.load_average {
            let _ = writeln!(out, "load avg {one:.2} {five:.2} {fifteen:.2}");
        }
        out
    }
}
