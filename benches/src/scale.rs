//! `wecom-bench scale`: a corp at the real quota beside a nearly empty one.
//!
//! Two fresh `wecom-mock` processes run side by side: one gets `small` configs (gets need
//! something to get), the other `configs` (500 000, the shared quota). Their RSS is read before
//! and after the fill. Gets are then measured in alternating rounds, small, full, small, full,
//! …, so that a change in the machine's load hits both alike; each round gets configs picked at
//! random from all of that corp's configs. Last come full list walks (limit 1000) of both.

use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use wecom_bench::load::{self, Latency, Mix, Mode, Op, RunOptions, Stop, Target};
use wecom_bench::sys::{Memory, process_memory};

use crate::startup;
use wecom_bench::BenchError;

/// What `scale` is run with.
#[derive(Debug, Clone)]
pub(crate) struct ScaleOptions {
    pub mock_bin: Option<PathBuf>,
    pub configs: usize,
    pub small: usize,
    pub duration: Duration,
    pub rounds: usize,
    /// Workers of the fill.
    pub concurrency: usize,
    /// Workers of the get rounds: 1 shows a lookup's own latency, more shows it under load.
    pub get_concurrency: usize,
    pub walks: usize,
    pub mode: Mode,
    /// Each config of the full corp is read this many times after the fill, RSS read after
    /// each pass (the answer cache keeps what is read again).
    pub reads: usize,
}

/// One corp's figures.
#[derive(Debug, Serialize)]
pub(crate) struct Corp {
    configs: usize,
    /// Adds per second while filling.
    fill_rps: f64,
    memory_before: Option<Memory>,
    memory_after: Option<Memory>,
    /// After each pass that read every config once (`--reads`).
    memory_after_reads: Vec<Option<Memory>>,
    /// Get rounds, in order.
    gets: Vec<Gets>,
    /// Median over the rounds.
    median_p50_us: f64,
    median_p99_us: f64,
    median_rps: f64,
    /// Full walks with limit 1000.
    walks: Vec<Walk>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Gets {
    throughput_rps: f64,
    latency: Latency,
    errors: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct Walk {
    ms: f64,
    pages: u64,
    ids: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct ScaleReport {
    small: Corp,
    full: Corp,
    /// (full RSS after − full RSS before) / configs.
    bytes_per_config: Option<f64>,
    /// The same after each pass that read every config once.
    bytes_per_config_after_reads: Vec<Option<f64>>,
    /// Full over small, of the medians.
    p50_ratio: f64,
    p99_ratio: f64,
    rps_ratio: f64,
    load_average: Option<[f64; 3]>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

struct Side {
    mock: startup::Spawned,
    target: Target,
    ids: Arc<Vec<String>>,
    corp: Corp,
}

async fn prepare(bin: &std::path::Path, configs: usize, options: &ScaleOptions) -> Result<Side, BenchError> {
    let mock = startup::spawn(bin).await?;
    let target = Target::mock(&mock.url);
    let memory_before = mock.pid.and_then(process_memory);
    eprintln!("scale: adding {configs} configs to {}", mock.url);
    let started = Instant::now();
    let ids = load::fill(&target, options.mode, configs, options.concurrency).await?;
    let fill_rps = ratio(ids.len() as f64, started.elapsed().as_secs_f64());
    let corp = Corp {
        configs,
        fill_rps,
        memory_before,
        memory_after: mock.pid.and_then(process_memory),
        memory_after_reads: Vec::new(),
        gets: Vec::new(),
        median_p50_us: 0.0,
        median_p99_us: 0.0,
        median_rps: 0.0,
        walks: Vec::new(),
    };
    Ok(Side { mock, target, ids: Arc::new(ids), corp })
}

async fn gets(side: &mut Side, options: &ScaleOptions) -> Result<(), BenchError> {
    let run = RunOptions {
        concurrency: options.get_concurrency,
        stop: Stop::After(options.duration),
        mix: Mix { name: "get-only".to_owned(), weights: vec![(Op::Get, 1)] },
        pool_ids: Some(Arc::clone(&side.ids)),
        target_pid: side.mock.pid,
        ..RunOptions::new(side.target.clone(), options.mode)
    };
    let report = load::run(&run).await?;
    side.corp.gets.push(Gets { throughput_rps: report.throughput_rps, latency: report.latency, errors: report.errors });
    Ok(())
}

async fn walks(side: &mut Side, options: &ScaleOptions) -> Result<(), BenchError> {
    for _ in 0..options.walks.max(1) {
        let (duration, pages, ids) = load::walk_once(&side.target, options.mode).await?;
        side.corp.walks.push(Walk { ms: duration.as_secs_f64() * 1000.0, pages, ids });
    }
    Ok(())
}

fn finish(corp: &mut Corp) {
    corp.median_p50_us = median(corp.gets.iter().map(|g| g.latency.p50_us).collect());
    corp.median_p99_us = median(corp.gets.iter().map(|g| g.latency.p99_us).collect());
    corp.median_rps = median(corp.gets.iter().map(|g| g.throughput_rps).collect());
}

/// Runs the comparison.
pub(crate) async fn run(options: &ScaleOptions) -> Result<ScaleReport, BenchError> {
    let bin = startup::mock_bin(options.mock_bin.clone())?;
    let mut small = prepare(&bin, options.small, options).await?;
    let mut full = prepare(&bin, options.configs, options).await?;
    for pass in 0..options.reads {
        eprintln!(
            "scale: reading each of the {} configs once (pass {} of {})",
            full.ids.len(),
            pass + 1,
            options.reads
        );
        let failed = load::read_each(&full.target, options.mode, Arc::clone(&full.ids), options.concurrency).await?;
        if failed > 0 {
            return Err(BenchError::Call { call: "the read pass".to_owned(), reason: format!("{failed} gets failed") });
        }
        full.corp.memory_after_reads.push(full.mock.pid.and_then(process_memory));
    }
    for round in 0..options.rounds.max(1) {
        eprintln!("scale: get round {} of {}", round + 1, options.rounds.max(1));
        gets(&mut small, options).await?;
        gets(&mut full, options).await?;
    }
    walks(&mut small, options).await?;
    walks(&mut full, options).await?;
    finish(&mut small.corp);
    finish(&mut full.corp);
    small.mock.stop().await;
    full.mock.stop().await;
    let (small, full) = (small.corp, full.corp);
    let per_config = |after: Option<Memory>| match (full.memory_before, after) {
        (Some(before), Some(after)) if full.configs > 0 => {
            Some((after.rss_kib as f64 - before.rss_kib as f64) * 1024.0 / full.configs as f64)
        }
        _ => None,
    };
    Ok(ScaleReport {
        bytes_per_config: per_config(full.memory_after),
        bytes_per_config_after_reads: full.memory_after_reads.iter().map(|m| per_config(*m)).collect(),
        p50_ratio: ratio(full.median_p50_us, small.median_p50_us),
        p99_ratio: ratio(full.median_p99_us, small.median_p99_us),
        rps_ratio: ratio(full.median_rps, small.median_rps),
        small,
        full,
        load_average: wecom_bench::sys::load_average(),
    })
}

impl ScaleReport {
    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let mib = |m: Option<Memory>| m.map_or("?".to_owned(), |m| format!("{:.1} MiB", m.rss_mib()));
        for corp in [&self.small, &self.full] {
            let _ = writeln!(
                out,
                "{:>7} configs: filled at {:.0} adds/s; RSS {} before, {} after (peak {})",
                corp.configs,
                corp.fill_rps,
                mib(corp.memory_before),
                mib(corp.memory_after),
                corp.memory_after.map_or("?".to_owned(), |m| format!("{:.1} MiB", m.peak_rss_kib as f64 / 1024.0)),
            );
            for (i, g) in corp.gets.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "         get round {}: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, {} errors",
                    i + 1,
                    g.throughput_rps,
                    g.latency.p50_us,
                    g.latency.p99_us,
                    g.latency.p999_us,
                    g.errors
                );
            }
            let walks: Vec<String> = corp.walks.iter().map(|w| format!("{:.1} ms ({} pages)", w.ms, w.pages)).collect();
            let _ = writeln!(out, "         full walks: {}", walks.join(", "));
        }
        if let Some(bytes) = self.bytes_per_config {
            let _ = writeln!(out, "memory per config: {bytes:.0} bytes of RSS");
        }
        for (pass, bytes) in self.bytes_per_config_after_reads.iter().enumerate() {
            let mib = self.full.memory_after_reads.get(pass).copied().flatten().map_or(0.0, |m| m.rss_mib());
            let bytes = bytes.map_or("?".to_owned(), |b| format!("{b:.0}"));
            let _ = writeln!(
                out,
                "memory per config after reading each {} time(s): {bytes} bytes ({mib:.1} MiB)",
                pass + 1
            );
        }
        let _ = writeln!(
            out,
            "gets, full / small (medians): p50 {:.2}, p99 {:.2}, throughput {:.2}",
            self.p50_ratio, self.p99_ratio, self.rps_ratio
        );
        if let Some([one, five, fifteen]) = self.load_average {
            let _ = writeln!(out, "load avg {one:.2} {five:.2} {fifteen:.2}");
        }
        out
    }
}
