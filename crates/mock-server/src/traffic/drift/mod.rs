//! The drift proxy's judgment (`wecom-mock --upstream URL`): each exchange on a WeCom path is
//! checked, with no call of its own to the upstream, for its answer's **shape** (`shape.rs`:
//! the wire types' documented fields and their JSON types) and its request's **rules**
//! (`rules.rs`: the pure-input checks against the upstream's errcode). Answers that cannot be
//! judged are counted as such. [`DriftLog`] keeps the findings (a bounded ring, newest last)
//! and the counters behind `GET /__admin/drift` and `/metrics`.
//!
//! Nothing here reads or keeps a value of a request or an answer beyond the exchange: the
//! findings name fields and errcodes, never a secret or a token.

mod rules;
mod shape;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::Value;
use wecom_types::{Api, ErrCode};

use crate::api::{DriftFinding, DriftKind, DriftReport, MAX_JOURNAL_SIZE};

pub(crate) use shape::prepare;

/// Answers that say nothing about the rules or the shape of the API: the service was busy,
/// throttled the caller, or refused its address.
const UNJUDGED: [ErrCode; 4] = [
    ErrCode::SYSTEM_BUSY,
    ErrCode::API_FREQ_OUT_OF_LIMIT,
    ErrCode::API_CONCURRENT_OUT_OF_LIMIT,
    ErrCode::IP_NOT_ALLOWED,
];

/// One finding of an exchange, before it is dated and numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub kind: DriftKind,
    /// The JSON field concerned; `None` for the whole answer.
    pub field: Option<String>,
    pub detail: String,
}

impl Found {
    /// A finding about the field at `path` (`""`: the whole answer).
    fn at(kind: DriftKind, path: &str, detail: String) -> Found {
        Found { kind, field: (!path.is_empty()).then(|| path.to_owned()), detail }
    }
}

/// What the proxy makes of one exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Checked: the findings (none when the upstream answers as the mock would).
    Checked(Vec<Found>),
    /// Not judged: -1, 45009, 45033, 60020, a 5xx, or no answer at all.
    CouldNotCheck,
}

/// One exchange as the proxy saw it.
pub(crate) struct Exchange<'a> {
    pub api: Api,
    /// The request's query string (a GET's request; never kept).
    pub query: &'a str,
    /// The request's body (a POST's request; never kept).
    pub body: &'a [u8],
    /// The upstream's HTTP status.
    pub status: u16,
    /// The upstream's answer, as sent on.
    pub answer: &'a [u8],
}

/// Judges an answered exchange; with the answer's errcode, when it has one.
pub(crate) fn judge(exchange: &Exchange<'_>) -> (Verdict, Option<ErrCode>) {
    if wecom_types::fidelity::DRIFT_UPSTREAM_5XX_UNCHECKED && exchange.status >= 500 {
        return (Verdict::CouldNotCheck, None);
    }
    let answer: Value = match serde_json::from_slice(exchange.answer) {
        Ok(answer) => answer,
        Err(_) => {
            let detail = "the answer is not JSON".to_owned();
            return (Verdict::Checked(vec![Found { kind: DriftKind::Shape, field: None, detail }]), None);
        }
    };
    let errcode = answer.get("errcode").and_then(Value::as_i64).and_then(|c| i32::try_from(c).ok()).map(ErrCode);
    if errcode.is_some_and(|code| UNJUDGED.contains(&code)) {
        return (Verdict::CouldNotCheck, errcode);
    }
    let mut found = Vec::new();
    shape::check(exchange.api, errcode, &answer, &mut found);
    // The rules are judged on WeCom's own answers only: HTTP 200 with an errcode (a 413 or 408
    // of a mock upstream is about the transport, not the request's fields).
    if exchange.status == 200
        && let Some(code) = errcode
    {
        rules::check(exchange.api, exchange.query, exchange.body, code, &mut found);
    }
    // A list answer repeats a deviation once per item: once is enough.
    let mut unique: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if !unique.contains(&f) {
            unique.push(f);
        }
    }
    (Verdict::Checked(unique), errcode)
}

/// The findings kept and the counters: `GET /__admin/drift`, `DELETE /__admin/drift`,
/// `/metrics`.
pub(crate) struct DriftLog {
    findings: Mutex<VecDeque<DriftFinding>>,
    capacity: usize,
    exchanges: AtomicU64,
    could_not_check: AtomicU64,
    /// Findings by kind since the start (in the order of [`DriftKind::ALL`]); `/metrics`
    /// counters, never cleared.
    totals: [AtomicU64; 3],
    /// Exchanges and those not judged since the start, for `/metrics` (never cleared).
    exchanges_total: AtomicU64,
    could_not_check_total: AtomicU64,
}

impl DriftLog {
    /// A log keeping the last `capacity` findings (the request log's size).
    pub(crate) fn new(capacity: usize) -> Self {
        DriftLog {
            findings: Mutex::new(VecDeque::new()),
            capacity: capacity.min(MAX_JOURNAL_SIZE),
            exchanges: AtomicU64::new(0),
            could_not_check: AtomicU64::new(0),
            totals: Default::default(),
            exchanges_total: AtomicU64::new(0),
            could_not_check_total: AtomicU64::new(0),
        }
    }

    /// Records an exchange's verdict; returns how many findings it had.
    pub(crate) fn record(&self, path: &str, request_id: u64, at: i64, verdict: Verdict) -> usize {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        self.exchanges_total.fetch_add(1, Ordering::Relaxed);
        let found = match verdict {
            Verdict::CouldNotCheck => {
                self.could_not_check.fetch_add(1, Ordering::Relaxed);
                self.could_not_check_total.fetch_add(1, Ordering::Relaxed);
                return 0;
            }
            Verdict::Checked(found) => found,
        };
        let count = found.len();
        if count == 0 {
            return 0;
        }
        for f in &found {
            self.totals[kind_index(f.kind)].fetch_add(1, Ordering::Relaxed);
            tracing::warn!(path, request_id, kind = f.kind.as_str(), field = f.field.as_deref(), detail = %f.detail, "drift");
        }
        if self.capacity > 0 {
            let mut kept = self.findings.lock();
            for f in found {
                if kept.len() == self.capacity {
                    kept.pop_front();
                }
                kept.push_back(DriftFinding {
                    at,
                    path: path.to_owned(),
                    kind: f.kind,
                    detail: f.detail,
                    request_id,
                    field: f.field,
                });
            }
        }
        count
    }

    /// `GET /__admin/drift`.
    pub(crate) fn report(&self) -> DriftReport {
        DriftReport {
            findings: self.findings.lock().iter().cloned().collect(),
            exchanges: self.exchanges.load(Ordering::Relaxed),
            could_not_check: self.could_not_check.load(Ordering::Relaxed),
        }
    }

    /// `DELETE /__admin/drift`: the findings and the report's counters start again (the
    /// `/metrics` counters do not).
    pub(crate) fn clear(&self) {
        let mut kept = self.findings.lock();
        kept.clear();
        self.exchanges.store(0, Ordering::Relaxed);
        self.could_not_check.store(0, Ordering::Relaxed);
    }

    /// Findings of `kind` since the start.
    pub(crate) fn total(&self, kind: DriftKind) -> u64 {
        self.totals[kind_index(kind)].load(Ordering::Relaxed)
    }

    /// Exchanges, and those that could not be judged, since the start.
    pub(crate) fn exchanges_total(&self) -> (u64, u64) {
        (self.exchanges_total.load(Ordering::Relaxed), self.could_not_check_total.load(Ordering::Relaxed))
    }
}

fn kind_index(kind: DriftKind) -> usize {
    match kind {
        DriftKind::Shape => 0,
        DriftKind::Rule => 1,
        DriftKind::Info => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange<'a>(api: Api, body: &'a str, status: u16, answer: &'a str) -> Exchange<'a> {
        Exchange { api, query: "", body: body.as_bytes(), status, answer: answer.as_bytes() }
    }

    #[test]
    fn unjudged_answers_could_not_be_checked() {
        let body = r#"{"type":3}"#;
        for answer in [
            r#"{"errcode":-1,"errmsg":"system busy"}"#,
            r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
            r#"{"errcode":45033,"errmsg":"api concurrent out of limit"}"#,
            r#"{"errcode":60020,"errmsg":"not allow to access from your ip"}"#,
        ] {
            assert_eq!(judge(&exchange(Api::AddContactWay, body, 200, answer)).0, Verdict::CouldNotCheck, "{answer}");
        }
        assert_eq!(judge(&exchange(Api::AddContactWay, body, 502, "<html>")).0, Verdict::CouldNotCheck);
    }

    #[test]
    fn an_answer_that_is_not_json_is_a_shape_finding() {
        let (Verdict::Checked(found), None) = judge(&exchange(Api::DelContactWay, "{}", 200, "<html>")) else {
            panic!("checked")
        };
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].kind, found[0].field.as_deref()), (DriftKind::Shape, None));
    }

    #[test]
    fn the_rules_are_judged_on_http_200_only() {
        let answer = r#"{"errcode":40058,"errmsg":"request body too large"}"#;
        let body = r#"{"type":1,"scene":2,"user":["a"]}"#;
        assert_eq!(judge(&exchange(Api::AddContactWay, body, 413, answer)).0, Verdict::Checked(vec![]));
        let (Verdict::Checked(found), _) = judge(&exchange(Api::AddContactWay, body, 200, answer)) else {
            panic!("checked")
        };
        assert_eq!(found.iter().map(|f| f.kind).collect::<Vec<_>>(), [DriftKind::Rule]);
    }

    #[test]
    fn the_log_keeps_the_newest_findings_and_clears() {
        let log = DriftLog::new(2);
        let found = |detail: &str| Found { kind: DriftKind::Info, field: None, detail: detail.to_owned() };
        assert_eq!(log.record("/p", 1, 10, Verdict::Checked(vec![found("a"), found("b")])), 2);
        assert_eq!(log.record("/p", 2, 11, Verdict::Checked(vec![found("c")])), 1);
        assert_eq!(log.record("/p", 3, 12, Verdict::CouldNotCheck), 0);
        let report = log.report();
        let details: Vec<&str> = report.findings.iter().map(|f| f.detail.as_str()).collect();
        assert_eq!(details, ["b", "c"]);
        assert_eq!((report.exchanges, report.could_not_check), (3, 1));
        log.clear();
        assert_eq!(log.report(), DriftReport::default());
        assert_eq!(log.total(DriftKind::Info), 3);
        assert_eq!(log.exchanges_total(), (3, 1));
    }
}
