//! What the mock notices and does around the WeCom calls, for the teams that operate it:
//! metrics, injected faults, rate limits, the request journal, checkpoints and the hygiene
//! report. [`Traffic`] is the server's part, [`CorpTraffic`] each corp's, [`CallNotes`] what one
//! call leaves behind while it is served (see `http/traffic.rs` for where each step sits in the
//! request flow).

use std::cell::Cell;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use wecom_types::ErrCode;

use crate::checkpoints::Checkpoints;
use crate::control::AdminError;
use crate::faults::{FaultAdded, FaultRule, FaultStatus, Faults};
use crate::hygiene::{Facts, Hygiene, HygieneReport};
use crate::metrics::{Metrics, escape_label, header};
use crate::ratelimit::{RateCounters, Slot};
use crate::requests::{DEFAULT_JOURNAL_SIZE, RequestEntry, RequestLog, RequestQuery};
use crate::state::{Corp, MockState, Settings};

/// The server's counters, rules and rings.
pub(crate) struct Traffic {
    pub metrics: Metrics,
    pub faults: Faults,
    pub requests: RequestLog,
    pub checkpoints: Checkpoints,
    /// The origin of the monotonic times hygiene compares.
    started: Instant,
    /// The wall clock at `started`, unix milliseconds: the request journal's times are derived
    /// from the monotonic clock, one clock read per call.
    started_wall_ms: i64,
    next_request_id: AtomicU64,
    data_dir: Option<PathBuf>,
}

impl Traffic {
    pub(crate) fn new(settings: &Settings, data_dir: Option<&crate::DataDir>) -> Self {
        Traffic {
            metrics: Metrics::default(),
            faults: Faults::new(settings.seed),
            requests: RequestLog::new(settings.journal_size.unwrap_or(DEFAULT_JOURNAL_SIZE)),
            checkpoints: Checkpoints::default(),
            started: Instant::now(),
            started_wall_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            next_request_id: AtomicU64::new(0),
            data_dir: data_dir.map(|d| d.path.clone()),
        }
    }

    /// The id of the next answered call (1, 2, …).
    pub(crate) fn next_request_id(&self) -> u64 {
        self.next_request_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Microseconds from the server's start to `at`.
    pub(crate) fn micros(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_micros()).unwrap_or(u64::MAX)
    }

    /// The wall-clock time (unix milliseconds) of an instant given as [`micros`](Self::micros).
    pub(crate) fn wall_ms(&self, micros: u64) -> i64 {
        self.started_wall_ms.saturating_add(i64::try_from(micros / 1000).unwrap_or(i64::MAX))
    }
}

/// One corp's counters: rate-limit windows and habits.
pub(crate) struct CorpTraffic {
    /// The corp's id, shared by the request journal's entries without copying.
    pub corpid: Arc<str>,
    pub rates: RateCounters,
    pub hygiene: Hygiene,
}

impl CorpTraffic {
    pub(crate) fn new(corpid: &str) -> Self {
        CorpTraffic { corpid: Arc::from(corpid), rates: RateCounters::default(), hygiene: Hygiene::default() }
    }
}

/// What serving one WeCom call found out, filled in along the way.
pub(crate) struct CallNotes {
    /// The corp of an accepted token.
    pub corp: Option<Arc<Corp>>,
    pub agentid: Option<u32>,
    /// The answer's errcode.
    pub errcode: ErrCode,
    /// The concurrency slot while rate limits apply: held until the answer is sent.
    pub slot: Option<Slot>,
    pub facts: Cell<Facts>,
    /// The fault rule applied.
    pub fault: Option<u64>,
}

impl Default for CallNotes {
    fn default() -> Self {
        CallNotes {
            corp: None,
            agentid: None,
            errcode: ErrCode::OK,
            slot: None,
            facts: Cell::new(Facts::default()),
            fault: None,
        }
    }
}

/// Sums the sizes of the data dir's files whose names start with `prefix`.
fn files_bytes(dir: &Path, prefix: &str) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|name| name.starts_with(prefix)))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

impl MockState {
    /// `GET /metrics`: the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        let traffic = &self.traffic;
        let mut out = String::with_capacity(16 * 1024);
        traffic.metrics.render(&mut out);
        let corps: Vec<Arc<Corp>> = self.corpids().iter().filter_map(|id| self.corp(id)).collect();
        header(&mut out, "wecom_mock_corps", "gauge", "Corps on this server.");
        let _ = writeln!(out, "wecom_mock_corps {}", corps.len());
        // One short read lock per corp; the text is written after it is released.
        let rows: Vec<(String, [u64; 6])> = corps
            .iter()
            .map(|corp| {
                corp.read(|state, now| {
                    let quotas = state.directory.quotas;
                    (
                        escape_label(&state.corpid),
                        [
                            state.contact_ways.values().len() as u64,
                            state.join_ways.len() as u64,
                            u64::from(state.shared_used),
                            u64::from(quotas.contact_ways),
                            u64::from(state.temp_used_on(now)),
                            u64::from(quotas.temp_daily),
                        ],
                    )
                })
            })
            .collect();
        // (name, help, quota label, column of `rows`)
        const GAUGES: [(&str, &str, Option<&str>, usize); 6] = [
            ("wecom_mock_contact_ways", "Contact Me configs per corp (temp ones included).", None, 0),
            ("wecom_mock_join_ways", "Join Group configs per corp.", None, 1),
            (
                "wecom_mock_quota_used",
                "Quota use per corp: the shared quota (non-temp Contact Me plus Join Group) and today's temp configs.",
                Some("contact_ways"),
                2,
            ),
            ("wecom_mock_quota_used", "", Some("temp_today"), 4),
            ("wecom_mock_quota_limit", "Quota limits per corp.", Some("contact_ways"), 3),
            ("wecom_mock_quota_limit", "", Some("temp_today"), 5),
        ];
        for (name, help, quota, column) in GAUGES {
            // A metric's second label set shares the first one's header.
            if !help.is_empty() {
                header(&mut out, name, "gauge", help);
            }
            for (corpid, row) in &rows {
                let value = row[column];
                match quota {
                    Some(quota) => {
                        let _ = writeln!(out, "{name}{{corpid=\"{corpid}\",quota=\"{quota}\"}} {value}");
                    }
                    None => {
                        let _ = writeln!(out, "{name}{{corpid=\"{corpid}\"}} {value}");
                    }
                }
            }
        }
        header(&mut out, "wecom_mock_faults_active", "gauge", "Fault rules that can still apply.");
        let _ = writeln!(out, "wecom_mock_faults_active {}", traffic.faults.active());
        header(&mut out, "wecom_mock_checkpoints", "gauge", "Checkpoints held, all corps together.");
        let _ = writeln!(out, "wecom_mock_checkpoints {}", traffic.checkpoints.count());
        header(
            &mut out,
            "wecom_mock_request_journal_entries",
            "gauge",
            "Calls held by the request journal (GET /__admin/requests).",
        );
        let _ = writeln!(out, "wecom_mock_request_journal_entries {}", traffic.requests.len());
        header(
            &mut out,
            "wecom_mock_request_journal_capacity",
            "gauge",
            "Calls the request journal keeps (--journal-size).",
        );
        let _ = writeln!(out, "wecom_mock_request_journal_capacity {}", traffic.requests.capacity());
        if let Some(dir) = &traffic.data_dir {
            // Metadata reads of a few files, with no lock held.
            header(
                &mut out,
                "wecom_mock_journal_bytes",
                "gauge",
                "Bytes of the data dir's journal segments (--data-dir).",
            );
            let _ = writeln!(out, "wecom_mock_journal_bytes {}", files_bytes(dir, "wal-"));
            header(&mut out, "wecom_mock_snapshot_bytes", "gauge", "Bytes of the data dir's snapshots (--data-dir).");
            let _ = writeln!(out, "wecom_mock_snapshot_bytes {}", files_bytes(dir, "snap-"));
        }
        out
    }

    /// `POST /__admin/faults`.
    pub fn add_fault(&self, rule: &FaultRule) -> Result<FaultAdded, AdminError> {
        self.traffic.faults.add(rule.clone())
    }

    /// `GET /__admin/faults`: every rule, oldest first.
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.traffic.faults.list()
    }

    /// `DELETE /__admin/faults`: every rule, or (`?corpid=`) the rules limited to one corp.
    pub fn clear_faults(&self, corpid: Option<&str>) {
        self.traffic.faults.clear(corpid);
    }

    /// `DELETE /__admin/faults/{id}`.
    pub fn remove_fault(&self, id: &str) -> Result<(), AdminError> {
        if self.traffic.faults.remove(id) {
            Ok(())
        } else {
            Err(AdminError::new(404, "fault_not_found", format!("no fault rule `{id}`")))
        }
    }

    /// `GET /__admin/requests`: the newest calls matching `query`, oldest first.
    pub fn requests(&self, query: &RequestQuery) -> Vec<RequestEntry> {
        self.traffic.requests.query(query)
    }

    /// `GET /__admin/corps/{corpid}/hygiene`.
    pub fn hygiene(&self, corpid: &str) -> Result<HygieneReport, AdminError> {
        let corp = self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        Ok(corp.traffic.hygiene.report(corpid))
    }
}

impl crate::MockServer {
    /// Adds a fault rule (see `POST /__admin/faults`).
    pub fn add_fault(&self, rule: &FaultRule) -> Result<FaultAdded, AdminError> {
        self.state().add_fault(rule)
    }

    /// Every fault rule with how often it applied.
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.state().faults()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state().clear_faults(None);
    }

    /// The request journal (see `GET /__admin/requests`).
    pub fn requests(&self, query: &RequestQuery) -> Vec<RequestEntry> {
        self.state().requests(query)
    }

    /// Saves a corp's state under `name`.
    pub fn checkpoint(&self, corpid: &str, name: &str) -> Result<crate::CheckpointInfo, AdminError> {
        self.state().checkpoint(corpid, name)
    }

    /// Makes a corp's state exactly the one saved under `name`.
    pub fn restore(&self, corpid: &str, name: &str) -> Result<crate::CheckpointInfo, AdminError> {
        self.state().restore(corpid, name)
    }

    /// A corp's hygiene report.
    pub fn hygiene(&self, corpid: &str) -> Result<HygieneReport, AdminError> {
        self.state().hygiene(corpid)
    }

    /// The `/metrics` text.
    pub fn metrics(&self) -> String {
        self.state().render_metrics()
    }
}
