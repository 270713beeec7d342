//! `wecom-bench scale`'s result: memory, get latency and list walks of a full corp beside a
//! nearly empty one.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;
use wecom_benches::load::{Latency, Report};
use wecom_benches::sys::Memory;

/// Get figures of one corp size.
#[derive(Debug, Serialize)]
pub(crate) struct Gets {
    configs: usize,
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
    configs: usize,
    /// Configs added per second while filling.
    fill_rps: f64,
    /// Target memory: at start, with the small corp, with the full corp.
    memory_start: Option<Memory>,
    memory_small: Option<Memory>,
    memory_full: Option<Memory>,
    /// (full RSS - small RSS) / configs added.
    bytes_per_config: Option<f64>,
    small: Gets,
    full: Gets,
    /// full p50 / small p50, and the same for p99.
    p50_ratio: f64,
    p99_ratio: f64,
    small_walk: Walk,
    walks: Vec<Walk>,
    load_average: Option<[f64; 3]>,
}

fn walk((duration, pages, ids): (Duration, u64, u64)) -> Walk {
    Walk { ms: duration.as_secs_f64() * 1000.0, pages, ids }
}

fn gets(configs: usize, report: &Report) -> Gets {
    Gets { configs, throughput_rps: report.throughput_rps, latency: report.latency, errors: report.errors }
}

impl ScaleReport {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        configs: usize,
        small_configs: usize,
        fill_secs: f64,
        added: usize,
        [start, small_memory, full_memory]: [Option<Memory>; 3],
        small: &Report,
        full: &Report,
        small_walk: (Duration, u64, u64),
        walks: &[(Duration, u64, u64)],
    ) -> ScaleReport {
        let bytes_per_config = match (small_memory, full_memory) {
            (Some(s), Some(f)) if added > 0 => Some((f.rss_kib as f64 - s.rss_kib as f64) * 1024.0 / added as f64),
            _ => None,
        };
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        ScaleReport {
            configs,
            fill_rps: ratio(added as f64, fill_secs),
            memory_start: start,
            memory_small: small_memory,
            memory_full: full_memory,
            bytes_per_config,
            p50_ratio: ratio(full.latency.p50_us, small.latency.p50_us),
            p99_ratio: ratio(full.latency.p99_us, small.latency.p99_us),
            small: gets(small_configs, small),
            full: gets(configs, full),
            small_walk: walk(small_walk),
            walks: walks.iter().copied().map(walk).collect(),
            load_average: wecom_benches::sys::load_average(),
        }
    }

    pub(crate) fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let mib = |m: &Option<Memory>| m.map_or("?".to_owned(), |m| format!("{:.1} MiB", m.rss_mib()));
        let _ = writeln!(out, "filled     {} configs at {:.0} adds/s", self.configs, self.fill_rps);
        let _ = writeln!(
            out,
            "memory     RSS at start {}, with {} configs {}, with {} configs {} (peak {})",
            mib(&self.memory_start),
            self.small.configs,
            mib(&self.memory_small),
            self.full.configs,
            mib(&self.memory_full),
            self.memory_full.map_or("?".to_owned(), |m| format!("{:.1} MiB", m.peak_rss_kib as f64 / 1024.0)),
        );
        if let Some(bytes) = self.bytes_per_config {
            let _ = writeln!(out, "per config {bytes:.0} bytes of RSS");
        }
        for g in [&self.small, &self.full] {
            let _ = writeln!(
                out,
                "gets       {:>7} configs: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, {} errors",
                g.configs, g.throughput_rps, g.latency.p50_us, g.latency.p99_us, g.latency.p999_us, g.errors
            );
        }
        let _ = writeln!(out, "get ratio  full / small: p50 {:.2}, p99 {:.2}", self.p50_ratio, self.p99_ratio);
        let _ = writeln!(
            out,
            "walk       {} configs: {:.1} ms ({} pages)",
            self.small_walk.ids, self.small_walk.ms, self.small_walk.pages
        );
        for w in &self.walks {
            let _ = writeln!(out, "walk       {} configs: {:.1} ms ({} pages)", w.ids, w.ms, w.pages);
        }
        if let Some([one, five, fifteen]) = self.load_average {
            let _ = writeln!(out, "load avg   {one:.2} {five:.2} {fifteen:.2}");
        }
        out
    }
}
