//! The hygiene report (`GET /__admin/corps/{corpid}/hygiene`): what a corp's client does that
//! the real service punishes, noticed as its calls go by.
//!
//! Each call leaves a few [`Facts`] (the config it read, created or deleted, whether an update
//! cleared the members, the list cursor it sent and got); [`Hygiene::record`] folds them into
//! per-corp counters. On the hot path that is a handful of atomic operations; the small locks
//! are taken only by the calls a finding is about (gettoken, retries after a refusal, list
//! walks, updates that clear, and reads of configs not yet read back).
//!
//! The report starts over when the corp is replaced (PUT, reset, restore).

use std::cell::Cell;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;
use wecom_types::api::*;
use wecom_types::{Api, ErrCode, Patch};

use crate::api::{Finding, FindingCode, HygieneReport, QUICK_RETRY_MS};
use crate::core::model::{ConfigId, format_config_id, parse_config_id};

/// Examples kept per finding.
const EXAMPLES: usize = 5;
/// Config ids awaiting their first read that are remembered one by one; more are only counted.
const MAX_UNREAD_TRACKED: usize = 100_000;
/// List cursors handed out that are remembered until used.
const MAX_CURSORS_TRACKED: usize = 64;

/// What one call did, as far as hygiene is concerned. Filled in while the call is served.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts {
    /// A config read with get_contact_way / get_join_way.
    read: Option<ConfigId>,
    /// A config created.
    created: Option<ConfigId>,
    /// A config deleted.
    deleted: Option<ConfigId>,
    /// An update_contact_way that sent `user` empty or null: it clears the members.
    cleared_members: Option<ConfigId>,
    /// A list_contact_way call.
    list: Option<ListFacts>,
}

/// A list call: its filter (everything but the cursor), the cursor it sent and the one it got.
#[derive(Debug, Clone, Copy)]
struct ListFacts {
    filter: u64,
    cursor: Option<u64>,
    next: Option<u64>,
}

fn hash_of(value: impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn note(facts: &Cell<Facts>, change: impl FnOnce(&mut Facts)) {
    let mut value = facts.get();
    change(&mut value);
    facts.set(value);
}

fn config_id(text: &Option<String>) -> Option<ConfigId> {
    text.as_deref().and_then(parse_config_id)
}

/// Where a call's facts go, and whether reads are worth noting.
pub(crate) struct Observer<'a> {
    pub facts: &'a Cell<Facts>,
    pub hygiene: &'a Hygiene,
}

impl Observer<'_> {
    /// Reads and deletes matter only while some created config awaits its first read: a
    /// get-heavy load skips parsing the id again.
    fn reads_matter(&self) -> bool {
        self.hygiene.unread_len.load(Ordering::Relaxed) > 0
    }
}

/// A request or answer that says something about the client's habits.
pub(crate) trait Observe {
    /// Notes what it says; most say nothing.
    fn observe(&self, _observer: &Observer<'_>) {}
}

macro_rules! says_nothing {
    ($($ty:ty),* $(,)?) => { $( impl Observe for $ty {} )* };
}

says_nothing!(
    AddContactWay,
    GetContactWayResponse,
    CloseTempChat,
    AddJoinWay,
    GetJoinWayResponse,
    UpdateJoinWay,
    GetExternalContact,
    GetExternalContactResponse,
    GetGroupChat,
    GetGroupChatResponse,
    GetFollowUserList,
    GetFollowUserListResponse,
    ListExternalContact,
    ListExternalContactResponse,
    SendWelcomeMsg,
    Empty,
);

impl Observe for AddContactWayResponse {
    fn observe(&self, o: &Observer<'_>) {
        note(o.facts, |f| f.created = parse_config_id(&self.config_id));
    }
}

impl Observe for AddJoinWayResponse {
    fn observe(&self, o: &Observer<'_>) {
        note(o.facts, |f| f.created = parse_config_id(&self.config_id));
    }
}

impl Observe for GetContactWay {
    fn observe(&self, o: &Observer<'_>) {
        ConfigRead(self.config_id.as_deref()).observe(o);
    }
}

/// The config id a get names, borrowed (the get's fast path builds no [`GetContactWay`]).
pub(crate) struct ConfigRead<'a>(pub Option<&'a str>);

impl Observe for ConfigRead<'_> {
    fn observe(&self, o: &Observer<'_>) {
        if o.reads_matter() {
            note(o.facts, |f| f.read = self.0.and_then(parse_config_id));
        }
    }
}

impl Observe for GetJoinWay {
    fn observe(&self, o: &Observer<'_>) {
        if o.reads_matter() {
            note(o.facts, |f| f.read = config_id(&self.config_id));
        }
    }
}

impl Observe for DelContactWay {
    fn observe(&self, o: &Observer<'_>) {
        if o.reads_matter() {
            note(o.facts, |f| f.deleted = config_id(&self.config_id));
        }
    }
}

impl Observe for DelJoinWay {
    fn observe(&self, o: &Observer<'_>) {
        if o.reads_matter() {
            note(o.facts, |f| f.deleted = config_id(&self.config_id));
        }
    }
}

impl Observe for UpdateContactWay {
    fn observe(&self, o: &Observer<'_>) {
        let cleared = match &self.user {
            Patch::Clear => true,
            Patch::Set(users) => users.is_empty(),
            Patch::Keep => false,
        };
        if cleared {
            note(o.facts, |f| f.cleared_members = Some(config_id(&self.config_id).unwrap_or_default()));
        }
    }
}

impl Observe for ListContactWay {
    fn observe(&self, o: &Observer<'_>) {
        let filter = hash_of((self.start_time, self.end_time, self.limit, &self.userid, self.skip_verify));
        let cursor = self.cursor.as_deref().filter(|c| !c.is_empty()).map(hash_of);
        note(o.facts, |f| f.list = Some(ListFacts { filter, cursor, next: None }));
    }
}

impl Observe for ListContactWayResponse {
    fn observe(&self, o: &Observer<'_>) {
        if !self.next_cursor.is_empty() {
            let next = hash_of(self.next_cursor.as_str());
            note(o.facts, |f| {
                if let Some(list) = &mut f.list {
                    list.next = Some(next);
                }
            });
        }
    }
}

/// foldhash: the ids are drawn at random, so a fast hash spreads them as well as SipHash.
type IdMap<V> = foldhash::HashMap<ConfigId, V>;

/// The last few of something.
#[derive(Debug, Default)]
struct Examples<T>(VecDeque<T>);

impl<T> Examples<T> {
    fn push(&mut self, value: T) {
        if self.0.len() == EXAMPLES {
            self.0.pop_front();
        }
        self.0.push_back(value);
    }
}

/// A list cursor handed out.
#[derive(Debug)]
struct CursorNote {
    filter: u64,
    cursor: u64,
    request_id: u64,
    used: bool,
    /// A walk with the same filter started again from the first page while it was unused.
    restarted: bool,
}

#[derive(Debug, Default)]
struct Cursors {
    notes: VecDeque<CursorNote>,
    /// Abandoned cursors that fell out of `notes`.
    abandoned_before: u64,
    abandoned_examples: Examples<u64>,
}

impl Cursors {
    fn record(&mut self, list: ListFacts, request_id: u64) {
        match list.cursor {
            Some(cursor) => {
                for note in self.notes.iter_mut().filter(|n| n.cursor == cursor) {
                    note.used = true;
                }
            }
            None => {
                for note in self.notes.iter_mut().filter(|n| n.filter == list.filter && !n.used) {
                    note.restarted = true;
                }
            }
        }
        if let Some(next) = list.next {
            if self.notes.len() == MAX_CURSORS_TRACKED
                && let Some(old) = self.notes.pop_front()
                && old.restarted
                && !old.used
            {
                self.abandoned_before += 1;
                self.abandoned_examples.push(old.request_id);
            }
            self.notes.push_back(CursorNote {
                filter: list.filter,
                cursor: next,
                request_id,
                used: false,
                restarted: false,
            });
        }
    }

    fn abandoned(&self) -> (u64, Vec<u64>) {
        let mut examples = self.abandoned_examples.0.clone();
        let mut count = self.abandoned_before;
        for note in self.notes.iter().filter(|n| n.restarted && !n.used) {
            count += 1;
            if examples.len() == EXAMPLES {
                examples.pop_front();
            }
            examples.push_back(note.request_id);
        }
        (count, examples.into())
    }
}

/// One corp's habits so far.
pub(crate) struct Hygiene {
    gettoken: AtomicU64,
    /// Calls of every other API attributed to the corp.
    calls: AtomicU64,
    gettoken_examples: Mutex<Examples<u64>>,
    /// Per API: when the last -1 / 45009 / 45033 answer was sent (µs since the server started,
    /// + 1 so that 0 means none), until the next call of that API consumes it.
    refused_at: [AtomicU64; Api::ALL.len()],
    retries: AtomicU64,
    quick_retries: AtomicU64,
    quick_examples: Mutex<Examples<u64>>,
    cleared: AtomicU64,
    cleared_examples: Mutex<Examples<(u64, ConfigId)>>,
    cursors: Mutex<Cursors>,
    /// Created and not yet read back: config id → the request that created it.
    unread: Mutex<IdMap<u64>>,
    /// `unread.len()`, readable without the lock (a read skips the lock while it is 0).
    unread_len: AtomicUsize,
    unread_untracked: AtomicU64,
    /// Calls refused with 60020 (an address outside the app's trusted IPs).
    untrusted: AtomicU64,
    untrusted_examples: Mutex<Examples<u64>>,
}

impl Default for Hygiene {
    fn default() -> Self {
        Hygiene {
            gettoken: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            gettoken_examples: Mutex::default(),
            refused_at: std::array::from_fn(|_| AtomicU64::new(0)),
            retries: AtomicU64::new(0),
            quick_retries: AtomicU64::new(0),
            quick_examples: Mutex::default(),
            cleared: AtomicU64::new(0),
            cleared_examples: Mutex::default(),
            cursors: Mutex::default(),
            unread: Mutex::default(),
            unread_len: AtomicUsize::new(0),
            unread_untracked: AtomicU64::new(0),
            untrusted: AtomicU64::new(0),
            untrusted_examples: Mutex::default(),
        }
    }
}

/// `true` for the answers a client should back off from.
pub(crate) fn asks_for_backoff(code: ErrCode) -> bool {
    code.is_transient()
}

/// One answered call, as [`Hygiene::record`] sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    pub api: Api,
    /// `None` when the connection was dropped.
    pub errcode: Option<ErrCode>,
    pub facts: Facts,
    pub request_id: u64,
    /// When it was answered, µs since the server started, and how long it took.
    pub answered_us: u64,
    pub latency_us: u64,
}

impl Hygiene {
    /// Folds one call of this corp in.
    pub(crate) fn record(&self, call: &Call) {
        let index = call.api as usize;
        if call.api == Api::GetToken {
            if call.errcode == Some(ErrCode::OK) {
                self.gettoken.fetch_add(1, Ordering::Relaxed);
                self.gettoken_examples.lock().push(call.request_id);
            }
        } else {
            self.calls.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(cell) = self.refused_at.get(index) {
            let refused = cell.load(Ordering::Relaxed);
            let arrived = call.answered_us.saturating_sub(call.latency_us) + 1;
            // Only a call that arrived after the refusal was answered can be its retry.
            if refused != 0 && arrived >= refused && cell.swap(0, Ordering::Relaxed) == refused {
                self.retries.fetch_add(1, Ordering::Relaxed);
                if arrived - refused < QUICK_RETRY_MS * 1000 {
                    self.quick_retries.fetch_add(1, Ordering::Relaxed);
                    self.quick_examples.lock().push(call.request_id);
                }
            }
            if call.errcode.is_some_and(asks_for_backoff) {
                cell.store(call.answered_us + 1, Ordering::Relaxed);
            }
        }
        if call.errcode != Some(ErrCode::OK) {
            if call.errcode == Some(ErrCode::IP_NOT_ALLOWED) {
                self.untrusted.fetch_add(1, Ordering::Relaxed);
                self.untrusted_examples.lock().push(call.request_id);
            }
            return;
        }
        let facts = call.facts;
        if let Some(id) = facts.created {
            let mut unread = self.unread.lock();
            if unread.len() < MAX_UNREAD_TRACKED {
                unread.insert(id, call.request_id);
                self.unread_len.store(unread.len(), Ordering::Relaxed);
            } else {
                self.unread_untracked.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(id) = facts.read.or(facts.deleted)
            && self.unread_len.load(Ordering::Relaxed) > 0
        {
            let mut unread = self.unread.lock();
            unread.remove(&id);
            // A hash map keeps its size when emptied: give back what a large corp read back
            // (100 000 tracked ids are 4 MiB), at most once per three quarters removed.
            if unread.capacity() > 4096 && unread.len() * 4 < unread.capacity() {
                unread.shrink_to_fit();
            }
            self.unread_len.store(unread.len(), Ordering::Relaxed);
        }
        if let Some(id) = facts.cleared_members {
            self.cleared.fetch_add(1, Ordering::Relaxed);
            self.cleared_examples.lock().push((call.request_id, id));
        }
        if let Some(list) = facts.list {
            self.cursors.lock().record(list, call.request_id);
        }
    }

    /// The findings so far.
    pub(crate) fn report(&self, corpid: &str) -> HygieneReport {
        let gettoken = self.gettoken.load(Ordering::Relaxed);
        let calls = self.calls.load(Ordering::Relaxed);
        let mut findings = Vec::new();
        // A cached token serves every call for two hours: one gettoken per two calls or worse
        // (and a few of them, so that one short test is not flagged) means no cache.
        if gettoken >= 3 && gettoken.saturating_mul(2) >= calls {
            findings.push(Finding {
                code: FindingCode::GettokenEveryCall,
                count: gettoken,
                message: format!(
                    "{gettoken} gettoken calls for {calls} other API calls: keep the access_token for its \
                     expires_in ({lifetime} s) and fetch a new one only shortly before it expires or when a call \
                     answers 40001 / 40014 / 42001; the real gettoken has its own frequency limit",
                    lifetime = wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS,
                ),
                request_ids: self.gettoken_examples.lock().0.iter().copied().collect(),
                config_ids: Vec::new(),
            });
        }
        let retries = self.retries.load(Ordering::Relaxed);
        let quick = self.quick_retries.load(Ordering::Relaxed);
        if quick >= 3 && quick.saturating_mul(2) >= retries {
            findings.push(Finding {
                code: FindingCode::RetryWithoutBackoff,
                count: quick,
                message: format!(
                    "{quick} of {retries} calls that followed a -1 / 45009 / 45033 answer on the same API came \
                     within {QUICK_RETRY_MS} ms: back off (exponentially, with jitter) before retrying, or the \
                     limit stays hit and the real service may block the app for longer"
                ),
                request_ids: self.quick_examples.lock().0.iter().copied().collect(),
                config_ids: Vec::new(),
            });
        }
        let (abandoned, examples) = self.cursors.lock().abandoned();
        if abandoned > 0 {
            findings.push(Finding {
                code: FindingCode::NextCursorIgnored,
                count: abandoned,
                message: format!(
                    "{abandoned} list_contact_way pages had a next_cursor that was never sent back while the walk \
                     started again from the first page: pass next_cursor as `cursor` until it comes back empty, \
                     or configs beyond the first page are never seen"
                ),
                request_ids: examples,
                config_ids: Vec::new(),
            });
        }
        let cleared = self.cleared.load(Ordering::Relaxed);
        if cleared > 0 {
            let examples: Vec<(u64, ConfigId)> = self.cleared_examples.lock().0.iter().copied().collect();
            findings.push(Finding {
                code: FindingCode::UpdateClearedMembers,
                count: cleared,
                message: format!(
                    "{cleared} update_contact_way calls sent `user` empty or null, which removes every member from \
                     the config: an update replaces each field it sends, so send only the fields you mean to \
                     change (or read the config first and send the members back)"
                ),
                request_ids: examples.iter().map(|(request, _)| *request).collect(),
                config_ids: examples.iter().filter(|(_, id)| *id != 0).map(|(_, id)| format_config_id(*id)).collect(),
            });
        }
        let (unread_count, unread_examples) = {
            let unread = self.unread.lock();
            let mut oldest: Vec<(u64, ConfigId)> = unread.iter().map(|(id, request)| (*request, *id)).collect();
            oldest.sort_unstable();
            oldest.truncate(EXAMPLES);
            (unread.len() as u64 + self.unread_untracked.load(Ordering::Relaxed), oldest)
        };
        if unread_count > 0 {
            findings.push(Finding {
                code: FindingCode::ConfigNeverReadBack,
                count: unread_count,
                message: format!(
                    "{unread_count} configs were created and never fetched with get_contact_way / get_join_way: \
                     read a new config back to check what was stored, and keep its config_id (a lost id is a \
                     quota unit lost for good)"
                ),
                request_ids: unread_examples.iter().map(|(request, _)| *request).collect(),
                config_ids: unread_examples.iter().map(|(_, id)| format_config_id(*id)).collect(),
            });
        }
        let untrusted = self.untrusted.load(Ordering::Relaxed);
        if untrusted > 0 {
            findings.push(Finding {
                code: FindingCode::UntrustedIp,
                count: untrusted,
                message: format!(
                    "{untrusted} calls were refused with 60020: they came from an address outside the calling \
                     app's trusted IPs (the errmsg's `from ip` names it). Add the address your server calls \
                     from (behind NAT, its public egress address) to the app's trusted IPs, or call from one \
                     already listed; retrying does not help"
                ),
                request_ids: self.untrusted_examples.lock().0.iter().copied().collect(),
                config_ids: Vec::new(),
            });
        }
        HygieneReport { corpid: corpid.to_owned(), gettoken_calls: gettoken, calls, findings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(api: Api, errcode: i32, request_id: u64, arrived_ms: u64, facts: Facts) -> Call {
        Call {
            api,
            errcode: Some(ErrCode(errcode)),
            facts,
            request_id,
            answered_us: arrived_ms * 1000 + 100,
            latency_us: 100,
        }
    }

    fn codes(report: &HygieneReport) -> Vec<FindingCode> {
        report.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn quick_retries_after_refusals_are_found_and_backed_off_ones_are_not() {
        let quick = Hygiene::default();
        let patient = Hygiene::default();
        for i in 0..4 {
            let at = i * 1000;
            quick.record(&call(Api::AddContactWay, 45009, 2 * i, at, Facts::default()));
            quick.record(&call(Api::AddContactWay, 0, 2 * i + 1, at + 1, Facts::default()));
            patient.record(&call(Api::AddContactWay, 45009, 2 * i, at, Facts::default()));
            patient.record(&call(Api::AddContactWay, 0, 2 * i + 1, at + 300, Facts::default()));
        }
        let report = quick.report("wwa");
        assert_eq!(codes(&report), [FindingCode::RetryWithoutBackoff]);
        assert_eq!(report.findings[0].count, 4);
        assert_eq!(codes(&patient.report("wwa")), Vec::<FindingCode>::new());
    }

    #[test]
    fn a_restarted_walk_with_an_unused_cursor_is_found() {
        let list = |cursor: Option<u64>, next: Option<u64>| Facts {
            list: Some(ListFacts { filter: 1, cursor, next }),
            ..Facts::default()
        };
        let walker = Hygiene::default();
        walker.record(&call(Api::ListContactWay, 0, 1, 0, list(None, Some(10))));
        walker.record(&call(Api::ListContactWay, 0, 2, 1, list(Some(10), None)));
        walker.record(&call(Api::ListContactWay, 0, 3, 2, list(None, Some(10))));
        walker.record(&call(Api::ListContactWay, 0, 4, 3, list(Some(10), None)));
        assert_eq!(codes(&walker.report("wwa")), Vec::<FindingCode>::new(), "every cursor followed");
        let first_page_only = Hygiene::default();
        first_page_only.record(&call(Api::ListContactWay, 0, 1, 0, list(None, Some(10))));
        first_page_only.record(&call(Api::ListContactWay, 0, 2, 1, list(None, Some(10))));
        let report = first_page_only.report("wwa");
        assert_eq!(codes(&report), [FindingCode::NextCursorIgnored]);
        assert_eq!(report.findings[0].request_ids, [1]);
    }

    #[test]
    fn configs_read_or_deleted_are_no_longer_unread() {
        let hygiene = Hygiene::default();
        let created = |id| Facts { created: Some(id), ..Facts::default() };
        hygiene.record(&call(Api::AddContactWay, 0, 1, 0, created(1)));
        hygiene.record(&call(Api::AddContactWay, 0, 2, 0, created(2)));
        hygiene.record(&call(Api::AddJoinWay, 0, 3, 0, created(3)));
        hygiene.record(&call(Api::GetContactWay, 0, 4, 0, Facts { read: Some(1), ..Facts::default() }));
        hygiene.record(&call(Api::DelJoinWay, 0, 5, 0, Facts { deleted: Some(3), ..Facts::default() }));
        // A failed read reads nothing.
        hygiene.record(&call(Api::GetContactWay, 41044, 6, 0, Facts { read: Some(2), ..Facts::default() }));
        let report = hygiene.report("wwa");
        assert_eq!(codes(&report), [FindingCode::ConfigNeverReadBack]);
        assert_eq!(report.findings[0].config_ids, [format_config_id(2)]);
    }
}
