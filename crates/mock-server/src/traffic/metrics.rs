//! `GET /metrics`: counters and latency histograms of the WeCom paths, kept in fixed arrays of
//! atomics indexed by [`Api`] and errcode, so that recording a request takes no lock and
//! allocates nothing; the per-corp gauges are read from the corps only when scraped.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wecom_types::errcode::ERRCODE_TABLE;
use wecom_types::{Api, ErrCode};

/// Paths counted: every API, then one slot for paths that are not an API (answered 404).
pub(crate) const PATHS: usize = Api::ALL.len() + 1;
/// The slot of paths that are not an API.
pub(crate) const UNKNOWN_PATH: usize = Api::ALL.len();
/// Errcodes counted: every code of the table, then one slot for any other code (a fault can
/// inject any integer).
const CODES: usize = ERRCODE_TABLE.len() + 1;
const OTHER_CODE: usize = ERRCODE_TABLE.len();

/// Upper bounds of the latency buckets, in microseconds (the last bucket, `+Inf`, is implied).
/// The mock answers most calls in well under a millisecond; the top end is there for delays
/// injected by faults and for fsyncs on slow disks.
const BUCKETS_US: [u64; 17] = [
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// What a fault did, for `wecom_mock_faults_applied_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultKind {
    Errcode,
    Delay,
    Drop,
}

const FAULT_KINDS: [(FaultKind, &str); 3] =
    [(FaultKind::Errcode, "errcode"), (FaultKind::Delay, "delay"), (FaultKind::Drop, "drop")];

/// The server-wide counters.
pub(crate) struct Metrics {
    /// `[path][errcode]`.
    requests: Box<[[AtomicU64; CODES]; PATHS]>,
    /// `[path][bucket]`, not cumulative (summed when rendered); the last bucket is `+Inf`.
    latency: Box<[[AtomicU64; BUCKETS_US.len() + 1]; PATHS]>,
    /// `[path]`, nanoseconds.
    latency_sum_ns: [AtomicU64; PATHS],
    /// `[path][kind]`.
    faults: [[AtomicU64; FAULT_KINDS.len()]; PATHS],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Box::new(std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0)))),
            latency: Box::new(std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0)))),
            latency_sum_ns: std::array::from_fn(|_| AtomicU64::new(0)),
            faults: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
        }
    }
}

/// The slot of errcode 0, found once at compile time.
const OK_SLOT: usize = {
    let mut i = 0;
    while i < ERRCODE_TABLE.len() && ERRCODE_TABLE[i].code.0 != 0 {
        i += 1;
    }
    i
};

/// The slot of an errcode: 0 (by far the most common) without a search, then the table, then
/// "other".
fn code_slot(code: ErrCode) -> usize {
    if code.is_ok() {
        return OK_SLOT;
    }
    ERRCODE_TABLE.iter().position(|info| info.code == code).unwrap_or(OTHER_CODE)
}

fn bucket_slot(latency: Duration) -> usize {
    let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    BUCKETS_US.iter().position(|bound| us <= *bound).unwrap_or(BUCKETS_US.len())
}

/// The label of a path slot.
fn path_label(slot: usize) -> &'static str {
    Api::ALL.get(slot).map_or("other", |api| api.path())
}

impl Metrics {
    /// Counts an answered request: its errcode and how long it took.
    pub(crate) fn record(&self, path: usize, errcode: ErrCode, latency: Duration) {
        let path = path.min(UNKNOWN_PATH);
        self.requests[path][code_slot(errcode)].fetch_add(1, Ordering::Relaxed);
        self.latency[path][bucket_slot(latency)].fetch_add(1, Ordering::Relaxed);
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_ns[path].fetch_add(ns, Ordering::Relaxed);
    }

    /// Counts a fault applied on a path.
    pub(crate) fn fault(&self, path: usize, kind: FaultKind) {
        let slot = FAULT_KINDS.iter().position(|(k, _)| *k == kind).unwrap_or(0);
        self.faults[path.min(UNKNOWN_PATH)][slot].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests answered so far with `errcode` on `api` (for tests and the report).
    #[cfg(test)]
    pub(crate) fn requests(&self, api: Api, errcode: ErrCode) -> u64 {
        self.requests[api as usize][code_slot(errcode)].load(Ordering::Relaxed)
    }

    /// Writes the counters and histograms in the Prometheus text format.
    pub(crate) fn render(&self, out: &mut String) {
        header(out, "wecom_mock_requests_total", "counter", "WeCom API requests answered, by path and errcode.");
        for (path, codes) in self.requests.iter().enumerate() {
            for (slot, count) in codes.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count == 0 {
                    continue;
                }
                let code = match ERRCODE_TABLE.get(slot) {
                    Some(info) => info.code.0.to_string(),
                    None => "other".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "wecom_mock_requests_total{{path=\"{}\",errcode=\"{code}\"}} {count}",
                    path_label(path)
                );
            }
        }
        header(
            out,
            "wecom_mock_request_duration_seconds",
            "histogram",
            "Time from reading a WeCom API request to its answer, by path (injected delays included).",
        );
        for (path, buckets) in self.latency.iter().enumerate() {
            let counts: Vec<u64> = buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
            let total: u64 = counts.iter().sum();
            if total == 0 {
                continue;
            }
            let label = path_label(path);
            let mut cumulative = 0;
            for (i, count) in counts.iter().enumerate() {
                cumulative += count;
                let le = match BUCKETS_US.get(i) {
                    Some(us) => format_seconds(*us),
                    None => "+Inf".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "wecom_mock_request_duration_seconds_bucket{{path=\"{label}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let sum = self.latency_sum_ns[path].load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(out, "wecom_mock_request_duration_seconds_sum{{path=\"{label}\"}} {sum}");
            let _ = writeln!(out, "wecom_mock_request_duration_seconds_count{{path=\"{label}\"}} {total}");
        }
        header(
            out,
            "wecom_mock_faults_applied_total",
            "counter",
            "Faults injected through /__admin/faults, by path and kind (a dropped connection has no errcode).",
        );
        for (path, kinds) in self.faults.iter().enumerate() {
            for (slot, count) in kinds.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "wecom_mock_faults_applied_total{{path=\"{}\",kind=\"{}\"}} {count}",
                        path_label(path),
                        FAULT_KINDS[slot].1
                    );
                }
            }
        }
    }
}

/// `0.00005`, `0.001`, `10`: seconds without float noise.
fn format_seconds(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// The `# HELP` and `# TYPE` lines of a metric.
pub(crate) fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped, as the text format requires.
pub(crate) fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_table_has_its_own_slot_and_others_share_one() {
        for (i, info) in ERRCODE_TABLE.iter().enumerate() {
            assert_eq!(code_slot(info.code), i, "{:?}", info.code);
        }
        assert_eq!(code_slot(ErrCode(123_456)), OTHER_CODE);
    }

    #[test]
    fn latencies_fall_into_the_first_bucket_that_holds_them() {
        for (us, slot) in [(0, 0), (50, 0), (51, 1), (999, 4), (1_000, 4), (10_000_001, BUCKETS_US.len())] {
            assert_eq!(bucket_slot(Duration::from_micros(us)), slot, "{us} µs");
        }
    }

    #[test]
    fn bucket_bounds_print_as_plain_seconds() {
        for (us, text) in [(50, "0.00005"), (2_500, "0.0025"), (1_000_000, "1"), (2_500_000, "2.5")] {
            assert_eq!(format_seconds(us), text);
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn recording_moves_the_counter_and_the_histogram() {
        let metrics = Metrics::default();
        metrics.record(Api::GetContactWay as usize, ErrCode::OK, Duration::from_micros(70));
        metrics.record(Api::GetContactWay as usize, ErrCode::OK, Duration::from_micros(70));
        assert_eq!(metrics.requests(Api::GetContactWay, ErrCode::OK), 2);
        let mut out = String::new();
        metrics.render(&mut out);
        let path = Api::GetContactWay.path();
        assert!(out.contains(&format!("wecom_mock_requests_total{{path=\"{path}\",errcode=\"0\"}} 2")), "{out}");
        assert!(out.contains(&format!("_bucket{{path=\"{path}\",le=\"0.00005\"}} 0")), "{out}");
        assert!(out.contains(&format!("_bucket{{path=\"{path}\",le=\"0.0001\"}} 2")), "{out}");
        assert!(out.contains(&format!("_count{{path=\"{path}\"}} 2")), "{out}");
    }
}
