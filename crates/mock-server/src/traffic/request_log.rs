//! The request journal (`GET /__admin/requests`): a bounded ring of the last WeCom calls, for
//! seeing what a client actually sent. `--request-log-size N` (formerly `--journal-size`; `WECOM_MOCK_JOURNAL_SIZE`) sets how
//! many are kept, 0 turns it off (load runs). It never holds a token, a secret or a body.
//!
//! Each slot of the ring has its own small lock, and a writer picks its slot with one atomic
//! increment, so concurrent calls rarely meet; an entry allocates nothing for an API path (the
//! path is the table's `&'static str`, the corpid an `Arc` the corp already has).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use wecom_types::{Api, ErrCode};

use super::faults::path_matches;
use crate::api::{MAX_JOURNAL_SIZE, RequestEntry, RequestQuery};

/// Entries answered when the query gives no `limit`.
const DEFAULT_LIMIT: usize = 100;
/// An unknown path is kept up to this many bytes.
const MAX_PATH_BYTES: usize = 256;

/// The path of a call: an API of the table, or anything else (answered 404).
#[derive(Debug, Clone)]
pub(crate) enum CallPath {
    Api(Api),
    Other(Box<str>),
}

impl CallPath {
    /// An unknown path, cut to a sane length.
    pub(crate) fn other(path: &str) -> CallPath {
        let mut end = path.len().min(MAX_PATH_BYTES);
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        CallPath::Other(path[..end].into())
    }

    fn as_str(&self) -> &str {
        match self {
            CallPath::Api(api) => api.path(),
            CallPath::Other(path) => path,
        }
    }
}

/// What the ring keeps of a call.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub id: u64,
    pub at_ms: i64,
    pub method: hyper::Method,
    pub path: CallPath,
    pub corpid: Option<Arc<str>>,
    pub agentid: Option<u32>,
    /// `None` when the connection was dropped.
    pub answer: Option<(ErrCode, u16)>,
    pub latency_us: u64,
    pub fault: Option<u64>,
}

impl Recorded {
    fn entry(&self) -> RequestEntry {
        RequestEntry {
            id: self.id,
            at_ms: self.at_ms,
            method: self.method.to_string(),
            path: self.path.as_str().to_owned(),
            corpid: self.corpid.as_deref().map(str::to_owned),
            agentid: self.agentid,
            errcode: self.answer.map(|(code, _)| code.0),
            status: self.answer.map(|(_, status)| status),
            latency_us: self.latency_us,
            fault: self.fault.map(|id| format!("f{id}")),
        }
    }

    fn matches(&self, query: &RequestQuery) -> bool {
        query.path.as_deref().is_none_or(|pattern| path_matches(pattern, self.path.as_str()))
            && query.errcode.is_none_or(|code| self.answer.is_some_and(|(c, _)| c.0 == code))
            && query.corpid.as_deref().is_none_or(|corpid| self.corpid.as_deref() == Some(corpid))
    }
}

/// The ring.
pub(crate) struct RequestLog {
    slots: Box<[Mutex<Option<Recorded>>]>,
    next: AtomicU64,
}

impl RequestLog {
    /// A ring of `size` calls (0: off).
    pub(crate) fn new(size: usize) -> Self {
        let size = size.min(MAX_JOURNAL_SIZE);
        RequestLog { slots: (0..size).map(|_| Mutex::new(None)).collect(), next: AtomicU64::new(0) }
    }

    /// `false` when the ring is off.
    pub(crate) fn enabled(&self) -> bool {
        !self.slots.is_empty()
    }

    /// How many calls it keeps.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// How many calls it holds now.
    pub(crate) fn len(&self) -> usize {
        let written = self.next.load(Ordering::Relaxed);
        usize::try_from(written).unwrap_or(usize::MAX).min(self.slots.len())
    }

    /// Keeps a call, overwriting the oldest when full.
    pub(crate) fn push(&self, call: Recorded) {
        let len = self.slots.len() as u64;
        if len == 0 {
            return;
        }
        let at = self.next.fetch_add(1, Ordering::Relaxed) % len;
        if let Some(slot) = self.slots.get(at as usize) {
            *slot.lock() = Some(call);
        }
    }

    /// The newest calls matching `query`, oldest first.
    pub(crate) fn query(&self, query: &RequestQuery) -> Vec<RequestEntry> {
        let mut found: Vec<Recorded> =
            self.slots.iter().filter_map(|slot| slot.lock().clone()).filter(|call| call.matches(query)).collect();
        found.sort_by_key(|call| call.id);
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        let skip = found.len().saturating_sub(limit);
        found[skip..].iter().map(Recorded::entry).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: u64, api: Api, errcode: i32) -> Recorded {
        Recorded {
            id,
            at_ms: 0,
            method: hyper::Method::POST,
            path: CallPath::Api(api),
            corpid: Some(Arc::from("wwa")),
            agentid: Some(1),
            answer: Some((ErrCode(errcode), 200)),
            latency_us: 1,
            fault: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_calls_oldest_first() {
        let log = RequestLog::new(3);
        for id in 1..=5 {
            log.push(call(id, Api::GetContactWay, 0));
        }
        let ids: Vec<u64> = log.query(&RequestQuery::default()).iter().map(|e| e.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn queries_filter_by_path_errcode_corp_and_limit() {
        let log = RequestLog::new(10);
        log.push(call(1, Api::GetContactWay, 0));
        log.push(call(2, Api::AddContactWay, 45009));
        log.push(call(3, Api::AddContactWay, 0));
        let ids = |query: RequestQuery| log.query(&query).iter().map(|e| e.id).collect::<Vec<u64>>();
        assert_eq!(ids(RequestQuery { path: Some("add_contact_way".into()), ..Default::default() }), [2, 3]);
        assert_eq!(ids(RequestQuery { errcode: Some(45009), ..Default::default() }), [2]);
        assert_eq!(ids(RequestQuery { corpid: Some("wwb".into()), ..Default::default() }), Vec::<u64>::new());
        assert_eq!(ids(RequestQuery { limit: Some(1), ..Default::default() }), [3]);
    }

    #[test]
    fn a_ring_of_size_zero_keeps_nothing() {
        let log = RequestLog::new(0);
        log.push(call(1, Api::GetContactWay, 0));
        assert!(!log.enabled());
        assert!(log.query(&RequestQuery::default()).is_empty());
    }

    #[test]
    fn a_long_unknown_path_is_cut_on_a_character_boundary() {
        let path = format!("/{}", "字".repeat(200));
        let CallPath::Other(kept) = CallPath::other(&path) else { panic!("an unknown path") };
        assert!(kept.len() <= MAX_PATH_BYTES && path.starts_with(&*kept));
    }
}
