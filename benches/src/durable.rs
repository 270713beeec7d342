//! `wecom-bench durable`: what a data dir costs adds, as ratios measured in one run.
//!
//! Every round runs the same closed-loop add-only load against a fresh `wecom-mock` per case:
//!
//! | case | flags |
//! |---|---|
//! | `memory` | none (the reference) |
//! | `always` | `--data-dir DIR --fsync always` (the docker image's default) |
//! | `everysec` | `--data-dir DIR --fsync everysec` |
//! | `never` | `--data-dir DIR --fsync never` |
//!
//! each with a new temporary data dir, removed after its run. The journal's counters
//! (`wecom_mock_journal_*_total` on `/metrics`, read before and after the measurement) give
//! the fsyncs per second and the records per fsync beside the throughput: how well the group
//! commit batches.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use wecom_bench::load::{self, Mix, Mode, Report, RunOptions, Stop, Target};

use crate::chart;
use crate::startup;
use wecom_bench::BenchError;

/// What `durable` is run with.
#[derive(Debug, Clone)]
pub(crate) struct DurableOptions {
    pub mock_bin: Option<PathBuf>,
    pub rounds: usize,
    pub duration: Duration,
    pub concurrency: usize,
    pub mode: Mode,
    pub svg: Option<PathBuf>,
}

/// The cases: name, `--fsync` (none: in memory), the target of its ratio to `memory`.
const CASES: [(&str, Option<&str>, Option<f64>); 4] = [
    ("memory", None, None),
    ("always", Some("always"), Some(0.75)),
    ("everysec", Some("everysec"), Some(0.9)),
    ("never", Some("never"), Some(0.95)),
];

/// The journal's counters on `/metrics`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Journal {
    records: f64,
    writes: f64,
    fsyncs: f64,
}

impl Journal {
    fn since(self, before: Journal) -> Journal {
        Journal {
            records: self.records - before.records,
            writes: self.writes - before.writes,
            fsyncs: self.fsyncs - before.fsyncs,
        }
    }
}

/// One round of one case.
#[derive(Debug, Serialize)]
struct Run {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    errors: u64,
    /// The journal's work during the measurement (none in memory).
    journal: Option<Journal>,
    fsyncs_per_s: Option<f64>,
    records_per_fsync: Option<f64>,
    records_per_write: Option<f64>,
    /// The whole report of the round.
    report: Report,
}

#[derive(Debug, Serialize)]
struct Case {
    name: &'static str,
    fsync: Option<&'static str>,
    runs: Vec<Run>,
    /// The round of median throughput.
    median: usize,
}

#[derive(Debug, Serialize)]
pub(crate) struct DurableReport {
    concurrency: usize,
    duration_s: f64,
    rounds: usize,
    mode: Mode,
    cases: Vec<Case>,
    ratios: Vec<(String, f64, Option<f64>)>,
    load_average_before: Option<[f64; 3]>,
    load_average_after: Option<[f64; 3]>,
}

async fn journal_counters(http: &reqwest::Client, url: &str) -> Result<Journal, BenchError> {
    let text = crate::metrics::scrape(http, url).await?;
    let value = |name: &str| crate::metrics::value(&text, name).unwrap_or(0.0);
    Ok(Journal {
        records: value("wecom_mock_journal_records_total"),
        writes: value("wecom_mock_journal_writes_total"),
        fsyncs: value("wecom_mock_journal_fsyncs_total"),
    })
}

/// Runs the suite.
pub(crate) async fn run(options: &DurableOptions) -> Result<DurableReport, BenchError> {
    let bin = startup::mock_bin(options.mock_bin.clone())?;
    let load_average_before = wecom_bench::sys::load_average();
    let http = reqwest::Client::new();
    let scratch = std::env::temp_dir().join(format!("wecom-bench-durable-{}", std::process::id()));
    let rounds = options.rounds.max(1);
    let mut runs: Vec<Vec<Run>> = CASES.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for (i, (name, fsync, _)) in CASES.iter().enumerate() {
            eprintln!("durable: round {} of {rounds}, {name}", round + 1);
            let dir = scratch.join(format!("{name}-{round}"));
            let dir_text = dir.display().to_string();
            let args: Vec<&str> = match fsync {
                Some(policy) => vec!["--data-dir", &dir_text, "--fsync", policy],
                None => Vec::new(),
            };
            let server = startup::spawn_with(&bin, &args).await?;
            let before = journal_counters(&http, &server.url).await?;
            // No pool and no warm-up: the journal's counters then cover the measurement alone
            // (and a token).
            let run = RunOptions {
                concurrency: options.concurrency,
                stop: Stop::After(options.duration),
                mix: Mix::preset("add-only")?,
                pool: 0,
                warmup: Duration::ZERO,
                target_pid: server.pid,
                ..RunOptions::new(Target::mock(&server.url), options.mode)
            };
            let report = load::run(&run).await?;
            let journal = journal_counters(&http, &server.url).await?.since(before);
            server.stop().await;
            let _ = std::fs::remove_dir_all(&dir);
            let measured = fsync.is_some();
            let per = |a: f64, b: f64| (measured && b > 0.0).then(|| a / b);
            runs[i].push(Run {
                rps: report.throughput_rps,
                p50_us: report.latency.p50_us,
                p99_us: report.latency.p99_us,
                errors: report.errors,
                journal: measured.then_some(journal),
                fsyncs_per_s: per(journal.fsyncs, report.elapsed_s),
                records_per_fsync: per(journal.records, journal.fsyncs),
                records_per_write: per(journal.records, journal.writes),
                report,
            });
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let cases: Vec<Case> = CASES
        .iter()
        .zip(runs)
        .map(|((name, fsync, _), runs)| {
            let rps: Vec<f64> = runs.iter().map(|r| r.rps).collect();
            Case { name, fsync: *fsync, median: crate::compare::median_index(&rps), runs }
        })
        .collect();
    let median_rps = |case: &Case| case.runs.get(case.median).map_or(0.0, |r| r.rps);
    let memory = cases.first().map_or(0.0, median_rps);
    let ratios = cases
        .iter()
        .zip(CASES)
        .skip(1)
        .map(|(case, (_, _, target))| {
            let ratio = if memory > 0.0 { median_rps(case) / memory } else { 0.0 };
            (format!("add --fsync {} / in memory", case.name), ratio, target)
        })
        .collect();
    let report = DurableReport {
        concurrency: options.concurrency,
        duration_s: options.duration.as_secs_f64(),
        rounds,
        mode: options.mode,
        cases,
        ratios,
        load_average_before,
        load_average_after: wecom_bench::sys::load_average(),
    };
    if let Some(path) = &options.svg {
        let bars: Vec<chart::Bar> = report
            .cases
            .iter()
            .filter_map(|case| {
                let run = case.runs.get(case.median)?;
                Some(chart::Bar { name: case.name.to_owned(), rps: run.rps, p50_us: run.p50_us, p99_us: run.p99_us })
            })
            .collect();
        let title =
            format!("add_contact_way with a data dir, {} connections, medians of {rounds} rounds", options.concurrency);
        chart::write(path, &title, "memory", &bars)?;
    }
    Ok(report)
}

impl DurableReport {
    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "add-only, {} workers ({:?} mode), {} rounds of {:.0} s per case, a fresh mock and data dir per run; \
             the round of median throughput",
            self.concurrency, self.mode, self.rounds, self.duration_s
        );
        let _ = writeln!(
            out,
            "{:<9} {:>8} {:>7} {:>7} {:>9} {:>10} {:>11} {:>6}  rounds (req/s)",
            "case", "req/s", "p50 µs", "p99 µs", "fsyncs/s", "rec/fsync", "rec/write", "errors"
        );
        let shown = |v: Option<f64>, digits: usize| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"));
        for case in &self.cases {
            let Some(run) = case.runs.get(case.median) else { continue };
            let rounds: Vec<String> = case.runs.iter().map(|r| format!("{:.0}", r.rps)).collect();
            let _ = writeln!(
                out,
                "{:<9} {:>8.0} {:>7.0} {:>7.0} {:>9} {:>10} {:>11} {:>6}  {}",
                case.name,
                run.rps,
                run.p50_us,
                run.p99_us,
                shown(run.fsyncs_per_s, 0),
                shown(run.records_per_fsync, 1),
                shown(run.records_per_write, 1),
                case.runs.iter().map(|r| r.errors).sum::<u64>(),
                rounds.join(" ")
            );
        }
        for (name, ratio, target) in &self.ratios {
            let verdict = match target {
                Some(t) if ratio >= t => format!("(target ≥ {t}) met"),
                Some(t) => format!("(target ≥ {t}) MISSED"),
                None => String::new(),
            };
            let _ = writeln!(out, "{name:<32} {ratio:.2} {verdict}");
        }
        if self.cases.iter().any(|c| c.runs.iter().any(|r| r.errors > 0)) {
            let _ =
                writeln!(out, "some requests failed: see the errcodes in the JSON report; the ratios are not valid");
        }
        for (when, load) in [("before", self.load_average_before), ("after", self.load_average_after)] {
            if let Some([one, five, fifteen]) = load {
                let _ = writeln!(out, "load avg {when}: {one:.2} {five:.2} {fifteen:.2}");
            }
        }
        out
    }
}
