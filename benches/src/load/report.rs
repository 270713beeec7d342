//! A run's report: throughput, latency percentiles per op, errcodes, CPU; as text and JSON.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::stats::{Latency, Stats};
use super::{Mode, RunOptions};
use crate::sys::{CpuTime, Memory};

/// One op's figures.
#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    /// `get`, `add`, … (`walk` figures are per page).
    pub op: String,
    /// Requests sent.
    pub requests: u64,
    /// Of which failed (any errcode but 0, or transport).
    pub errors: u64,
    /// Requests per second.
    pub throughput_rps: f64,
    /// Latency percentiles.
    pub latency: Latency,
}

/// Full list walks.
#[derive(Debug, Clone, Serialize)]
pub struct WalkReport {
    /// Walks finished.
    pub walks: u64,
    /// Pages requested in all.
    pub pages: u64,
    /// Time of a whole walk.
    pub duration: Latency,
}

/// CPU use during the measurement.
///
/// `tool` is this process (getrusage, all threads), `target` the target process when its pid was
/// given (`/proc/PID/stat`, 10 ms ticks). `tool_share_of_machine` is the tool's CPU time over
/// the measurement's wall time times the CPUs it may use: the part of the machine the load
/// generator took away from the server.
#[derive(Debug, Clone, Serialize)]
pub struct CpuReport {
    /// The CPUs this process may run on.
    pub cpus: usize,
    /// The tool's CPU time.
    pub tool: CpuTime,
    /// The tool's CPU time per request, µs.
    pub tool_us_per_request: f64,
    /// The tool's CPU time / (wall time × cpus).
    pub tool_share_of_machine: f64,
    /// The target's CPU time.
    pub target: Option<CpuTime>,
    /// The target's CPU time per request, µs.
    pub target_us_per_request: Option<f64>,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The base URL loaded.
    pub url: String,
    /// Client, raw or baseline.
    pub mode: Mode,
    /// The mix's name.
    pub mix: String,
    /// Concurrent workers.
    pub concurrency: usize,
    /// Open-loop rate asked for, ops/s.
    pub rate: Option<f64>,
    /// Pool configs created at set-up.
    pub pool: usize,
    /// Set-up time, s.
    pub setup_s: f64,
    /// Measurement time, s.
    pub elapsed_s: f64,
    /// Requests in the measurement (walk pages count one each).
    pub requests: u64,
    /// Of which failed.
    pub errors: u64,
    /// Requests per second.
    pub throughput_rps: f64,
    /// All requests' latency.
    pub latency: Latency,
    /// Per op.
    pub ops: Vec<OpReport>,
    /// Full walks, when the mix has them.
    pub walks: Option<WalkReport>,
    /// Answers by errcode (`0` = success; `transport`, `http_NNN`, `decode`, `other`).
    pub errcodes: BTreeMap<String, u64>,
    /// CPU use.
    pub cpu: CpuReport,
    /// The target's memory at the end, when its pid was given.
    pub target_memory: Option<Memory>,
    /// The machine's 1, 5 and 15 minute load averages at the end.
    pub load_average: Option<[f64; 3]>,
}

impl Report {
    pub(crate) fn new(
        options: &RunOptions,
        setup: Duration,
        elapsed: Duration,
        stats: &Stats,
        tool: CpuTime,
        target: Option<CpuTime>,
        target_memory: Option<Memory>,
    ) -> Report {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let requests = stats.requests();
        let per_request = |cpu: &CpuTime| if requests == 0 { 0.0 } else { cpu.total_s() * 1e6 / requests as f64 };
        let cpus = crate::sys::cpus();
        let ops = stats
            .ops
            .iter()
            .map(|(op, s)| OpReport {
                op: op.name().to_owned(),
                requests: s.latency.len(),
                errors: s.errors,
                throughput_rps: s.latency.len() as f64 / secs,
                latency: Latency::of(&s.latency),
            })
            .collect();
        Report {
            url: options.target.url.clone(),
            mode: options.mode,
            mix: if options.mode == Mode::Baseline { "baseline".to_owned() } else { options.mix.name.clone() },
            concurrency: options.concurrency,
            rate: options.rate,
            pool: match &options.pool_ids {
                Some(ids) => ids.len(),
                None if options.mix.needs_pool() && options.mode != Mode::Baseline => options.pool,
                None => 0,
            },
            setup_s: setup.as_secs_f64(),
            elapsed_s: elapsed.as_secs_f64(),
            requests,
            errors: stats.errors(),
            throughput_rps: requests as f64 / secs,
            latency: Latency::of(&stats.overall()),
            ops,
            walks: stats.walks.as_ref().map(|h| WalkReport {
                walks: h.len(),
                pages: stats.pages,
                duration: Latency::of(h),
            }),
            errcodes: stats.errcodes(),
            cpu: CpuReport {
                cpus,
                tool_us_per_request: per_request(&tool),
                tool_share_of_machine: tool.total_s() / (secs * cpus as f64),
                tool,
                target_us_per_request: target.as_ref().map(per_request),
                target,
            },
            target_memory,
            load_average: crate::sys::load_average(),
        }
    }

    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as text for a terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mode = match self.mode {
            Mode::Client => "client",
            Mode::Raw => "raw",
            Mode::Baseline => "baseline",
        };
        let _ = writeln!(out, "target    {} ({mode}), mix {}, {} workers", self.url, self.mix, self.concurrency);
        if let Some(rate) = self.rate {
            let _ = writeln!(out, "rate      {rate:.0} ops/s asked (open loop)");
        }
        if self.pool > 0 {
            let _ = writeln!(out, "set-up    {} pool configs in {:.2} s", self.pool, self.setup_s);
        }
        let _ = writeln!(
            out,
            "measured  {} requests in {:.2} s: {:.0} req/s, {} errors",
            self.requests, self.elapsed_s, self.throughput_rps, self.errors
        );
        let _ = writeln!(
            out,
            "latency   {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "op", "req/s", "p50", "p90", "p99", "p99.9", "max"
        );
        let row = |out: &mut String, name: &str, rps: f64, l: &Latency| {
            let ms = |us: f64| if us >= 10_000.0 { format!("{:.1}ms", us / 1000.0) } else { format!("{us:.0}µs") };
            let _ = writeln!(
                out,
                "          {name:>8} {rps:>9.0} {:>9} {:>9} {:>9} {:>9} {:>9}",
                ms(l.p50_us),
                ms(l.p90_us),
                ms(l.p99_us),
                ms(l.p999_us),
                ms(l.max_us)
            );
        };
        for op in &self.ops {
            row(&mut out, &op.op, op.throughput_rps, &op.latency);
        }
        if self.ops.len() > 1 {
            row(&mut out, "all", self.throughput_rps, &self.latency);
        }
        if let Some(walks) = &self.walks {
            let _ = writeln!(
                out,
                "walks     {} full walks, {} pages; a walk took p50 {:.1} ms, max {:.1} ms",
                walks.walks,
                walks.pages,
                walks.duration.p50_us / 1000.0,
                walks.duration.max_us / 1000.0
            );
        }
        let codes: Vec<String> = self.errcodes.iter().map(|(code, n)| format!("{code}: {n}")).collect();
        let _ = writeln!(out, "errcodes  {}", codes.join(", "));
        let cpu = &self.cpu;
        let _ = writeln!(
            out,
            "tool cpu  {:.2} s user + {:.2} s sys = {:.1} µs/request, {:.1} % of {} CPUs",
            cpu.tool.user_s,
            cpu.tool.sys_s,
            cpu.tool_us_per_request,
            cpu.tool_share_of_machine * 100.0,
            cpu.cpus
        );
        if let (Some(target), Some(per)) = (&cpu.target, cpu.target_us_per_request) {
            let _ = writeln!(
                out,
                "target    {:.2} s user + {:.2} s sys = {per:.1} µs/request",
                target.user_s, target.sys_s
            );
        }
        if let Some(memory) = &self.target_memory {
            let _ = writeln!(
                out,
                "target    RSS {:.1} MiB (peak {:.1} MiB)",
                memory.rss_mib(),
                memory.peak_rss_kib as f64 / 1024.0
            );
        }
        if let Some([one, five, fifteen]) = self.load_average {
            let _ = writeln!(out, "load avg  {one:.2} {five:.2} {fifteen:.2}");
        }
        out
    }
}
