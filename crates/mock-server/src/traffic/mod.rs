//! What the mock notices and does around the WeCom calls, for the teams that operate it:
//! metrics, injected faults, rate limits, the request journal, the hygiene report, the
//! connection counters and the drift proxy's findings.
//! [`Traffic`] is the server's part, [`CorpTraffic`] each corp's (see `http/wecom/mod.rs` for
//! where each step sits in the request flow). Nothing here knows the corps' state: it counts
//! calls.

pub(crate) mod connections;
pub(crate) mod drift;
pub(crate) mod faults;
pub(crate) mod hygiene;
pub(crate) mod metrics;
pub(crate) mod ratelimit;
pub(crate) mod request_log;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use connections::Connections;
use drift::DriftLog;
use faults::Faults;
use hygiene::Hygiene;
use metrics::Metrics;
use ratelimit::RateCounters;
use request_log::RequestLog;

/// The server's counters, rules and rings.
pub(crate) struct Traffic {
    pub metrics: Metrics,
    pub faults: Faults,
    pub requests: RequestLog,
    /// The drift proxy's findings and counters (`--upstream`), bounded like the request log.
    pub drift: DriftLog,
    /// The origin of the monotonic times hygiene compares.
    started: Instant,
    /// The wall clock at `started`, unix milliseconds: the request journal's times are derived
    /// from the monotonic clock, one clock read per call.
    started_wall_ms: i64,
    next_request_id: AtomicU64,
    /// Tenants deleted by `--tenant-ttl`.
    pub tenants_expired: AtomicU64,
    /// Connections open, and those the connection limits closed or refused.
    pub connections: Arc<Connections>,
}

impl Traffic {
    /// `seed` seeds the fault draws; `journal_size` calls are kept by the request journal.
    pub(crate) fn new(seed: Option<u64>, journal_size: usize) -> Self {
        Traffic {
            metrics: Metrics::default(),
            faults: Faults::new(seed),
            requests: RequestLog::new(journal_size),
            drift: DriftLog::new(journal_size),
            started: Instant::now(),
            started_wall_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            next_request_id: AtomicU64::new(0),
            tenants_expired: AtomicU64::new(0),
            connections: Arc::default(),
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
    /// Shared with the concurrency slots of calls in flight, which give their place back.
    pub rates: Arc<RateCounters>,
    pub hygiene: Hygiene,
}

impl CorpTraffic {
    pub(crate) fn new(corpid: &str) -> Self {
        CorpTraffic { corpid: Arc::from(corpid), rates: Arc::default(), hygiene: Hygiene::default() }
    }
}
