//! What workers record: a latency histogram per op, walk durations and an errcode tally. Each
//! worker keeps its own (no sharing on the hot path); they are merged at the end.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::mix::Op;

/// Latencies are recorded in nanoseconds up to 100 s with 3 significant digits; below 1 µs
/// (no request is that fast) the resolution is coarser, which keeps a histogram at 64 KiB
/// instead of 600 KiB: each worker has one per op, and all are merged at the end.
fn new_histogram() -> Histogram<u64> {
    // Constant bounds that hdrhistogram accepts: creation cannot fail.
    Histogram::new_with_bounds(1_000, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// One op's figures.
#[derive(Debug, Clone)]
pub(crate) struct OpStats {
    pub(crate) latency: Histogram<u64>,
    pub(crate) errors: u64,
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats { latency: new_histogram(), errors: 0 }
    }
}

/// A worker's (or, merged, the run's) figures: what the load tool records per request.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub(crate) ops: BTreeMap<Op, OpStats>,
    pub(crate) walks: Option<Histogram<u64>>,
    pub(crate) pages: u64,
    /// Successes are counted apart so that recording one allocates nothing.
    pub(crate) ok: u64,
    pub(crate) failures: BTreeMap<String, u64>,
}

fn nanos(latency: Duration) -> u64 {
    u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX).max(1)
}

impl Stats {
    /// One request's latency and outcome (`None` for success, else its errcode key).
    pub fn record(&mut self, op: Op, latency: Duration, failure: Option<String>) {
        let entry = self.ops.entry(op).or_default();
        entry.latency.saturating_record(nanos(latency));
        match failure {
            None => self.ok += 1,
            Some(key) => {
                entry.errors += 1;
                *self.failures.entry(key).or_default() += 1;
            }
        }
    }

    /// Answers by errcode key, `0` being success.
    pub(crate) fn errcodes(&self) -> BTreeMap<String, u64> {
        let mut all = self.failures.clone();
        if self.ok > 0 {
            all.insert("0".to_owned(), self.ok);
        }
        all
    }

    /// One finished walk.
    pub(crate) fn record_walk(&mut self, duration: Duration, pages: u64) {
        self.walks.get_or_insert_with(new_histogram).saturating_record(nanos(duration));
        self.pages += pages;
    }

    pub(crate) fn merge(&mut self, other: Stats) {
        for (op, theirs) in other.ops {
            let ours = self.ops.entry(op).or_default();
            // Same bounds on both sides: adding cannot fail.
            let _ = ours.latency.add(&theirs.latency);
            ours.errors += theirs.errors;
        }
        if let Some(theirs) = other.walks {
            let _ = self.walks.get_or_insert_with(new_histogram).add(&theirs);
        }
        self.pages += other.pages;
        self.ok += other.ok;
        for (key, n) in other.failures {
            *self.failures.entry(key).or_default() += n;
        }
    }

    pub(crate) fn requests(&self) -> u64 {
        self.ops.values().map(|s| s.latency.len()).sum()
    }

    pub(crate) fn errors(&self) -> u64 {
        self.ops.values().map(|s| s.errors).sum()
    }

    /// All ops together.
    pub(crate) fn overall(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for stats in self.ops.values() {
            let _ = all.add(&stats.latency);
        }
        all
    }
}

/// Percentiles of a histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Slowest.
    pub max_us: f64,
    /// Mean.
    pub mean_us: f64,
}

impl Latency {
    pub(crate) fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Latency {
            p50_us: us(h.value_at_quantile(0.50)),
            p90_us: us(h.value_at_quantile(0.90)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
            mean_us: h.mean() / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_stats_add_up() {
        let mut a = Stats::default();
        a.record(Op::Get, Duration::from_micros(100), None);
        a.record(Op::Get, Duration::from_micros(300), Some("41044".into()));
        let mut b = Stats::default();
        b.record(Op::Add, Duration::from_micros(200), None);
        b.record_walk(Duration::from_millis(5), 3);
        a.merge(b);
        assert_eq!((a.requests(), a.errors(), a.pages), (3, 1, 3));
        assert_eq!(a.errcodes().get("0"), Some(&2));
        assert_eq!(a.errcodes().get("41044"), Some(&1));
        let latency = Latency::of(&a.overall());
        assert!((199.0..=201.0).contains(&latency.p50_us), "{latency:?}");
        assert!((299.0..=301.0).contains(&latency.max_us), "{latency:?}");
    }
}
