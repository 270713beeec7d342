//! The whole server's state: corps side by side, and the access tokens that lead to them.
//!
//! Corps are independent (a `DashMap` from corpid to corp). Within a corp a write takes that
//! corp's lock for the few microseconds of check + apply, which keeps quotas exact under any
//! concurrency; reads share a read lock. No lock is held across I/O.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wecom_types::ErrCode;

use crate::control::AdminError;
use crate::domain::ApiError;
use crate::durability::record::{CorpImage, Record};
use crate::durability::{CompactorParts, DataDir, OpenError, Store, Unavailable, recover};
use crate::fixtures::{CorpFixture, Fixtures};
use crate::model::{Clock, ConfigId, CorpState, Event};

/// Server-wide settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Base of the `qr_code` / `pic_url` URLs handed out.
    pub public_url: String,
    /// When set, `/__admin/*` needs `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// Seed for config ids and other draws (tokens always come from the OS CSPRNG).
    pub seed: Option<u64>,
    /// The corps to create at start-up and on reset; empty means the default corp.
    pub fixtures: Fixtures,
    /// Calls kept by the request journal (`GET /__admin/requests`); `None` means
    /// [`DEFAULT_JOURNAL_SIZE`](crate::DEFAULT_JOURNAL_SIZE), 0 turns it off.
    pub journal_size: Option<usize>,
}

/// One corp: its state behind a lock, its id source and its tokens.
pub(crate) struct Corp {
    pub state: RwLock<CorpState>,
    rng: Mutex<StdRng>,
    /// Per app: the current token and the one before it (which then answers "expired").
    issued: Mutex<HashMap<u32, (String, Option<String>)>>,
    /// Tokens minted under another epoch are invalid (revocation, replacement).
    epoch: AtomicU64,
    /// Where every change goes before it is answered (none in memory).
    journal: Option<Arc<crate::durability::journal::Journal>>,
    /// The seq of the last journal record this corp reflects; changed under the write lock.
    pub(crate) applied_seq: AtomicU64,
    /// Replaced or removed: a change that still reaches it is not journaled (it is as if it
    /// happened just before the replacement, which wipes it anyway).
    retired: AtomicBool,
    /// Rate-limit windows and the hygiene counters; they start over with the corp.
    pub(crate) traffic: crate::traffic::CorpTraffic,
}

impl Corp {
    /// Runs a command: checks it against the state and applies its events, under the write
    /// lock. Temp chats that are due end first. With a data dir the events are journaled before
    /// they are applied; when the journal cannot take them the command is refused unchanged.
    pub(crate) fn write<R, E: From<Unavailable>>(
        &self,
        command: impl FnOnce(&CorpState, i64, &mut StdRng) -> Result<(R, Vec<Event>), E>,
    ) -> Result<R, E> {
        let mut state = self.state.write();
        let now = state.now();
        let due = state.due_expirations(now);
        self.commit(&mut state, due)?;
        let mut rng = self.rng.lock();
        let (reply, events) = command(&state, now, &mut rng)?;
        self.commit(&mut state, events)?;
        Ok(reply)
    }

    /// Journals (enqueues, no I/O) then applies one write's events; called under the write lock.
    fn commit(&self, state: &mut CorpState, events: Vec<Event>) -> Result<(), Unavailable> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some(journal) = &self.journal
            && !self.retired.load(Ordering::Acquire)
        {
            let corpid = &state.corpid;
            let seq = journal.append(|seq| Record::Events { corpid: corpid.clone(), seq, events: events.clone() })?;
            self.applied_seq.store(seq, Ordering::Release);
        }
        for event in events {
            state.apply(event);
        }
        Ok(())
    }

    /// Reads the state at its current instant (ending due temp chats first, so a read never
    /// sees a chat that should be over).
    pub(crate) fn read<R>(&self, query: impl FnOnce(&CorpState, i64) -> R) -> R {
        {
            let state = self.state.read();
            let now = state.now();
            if state.next_due().is_none_or(|due| due > now) {
                return query(&state, now);
            }
        }
        self.expire_due();
        let state = self.state.read();
        let now = state.now();
        query(&state, now)
    }

    /// Ends every temp chat that is due; returns how many ended.
    pub(crate) fn expire_due(&self) -> usize {
        let mut state = self.state.write();
        let events = state.due_expirations(state.now());
        let n = events.len();
        // With a failed journal the chats stay until a restart rather than end unrecorded.
        if self.commit(&mut state, events).is_ok() { n } else { 0 }
    }

    /// Resolves once every change made to this corp so far meets the fsync policy (at once in
    /// memory): what is announced about a change, such as a callback, must not get ahead of
    /// the journal. `Err` when the journal failed first.
    pub(crate) fn settled(&self) -> impl std::future::Future<Output = Result<(), Unavailable>> + Send + 'static {
        let pending = self.journal.as_ref().map(|journal| (Arc::clone(journal), journal.last_lsn()));
        async move {
            match pending {
                Some((journal, lsn)) => journal.wait(lsn).await,
                None => Ok(()),
            }
        }
    }

    /// A fresh config id, unique in this corp.
    pub(crate) fn new_config_id(state: &CorpState, rng: &mut StdRng) -> ConfigId {
        loop {
            let id: ConfigId = rng.random();
            if id != 0 && !state.contact_ways.contains_key(&id) && !state.join_ways.contains_key(&id) {
                return id;
            }
        }
    }
}

/// What a token stands for.
#[derive(Debug, Clone)]
struct TokenEntry {
    corpid: Arc<str>,
    agentid: u32,
    expires_at: i64,
    epoch: u64,
    /// A newer token of the same app was issued: this one answers "expired" whatever the
    /// clock says (a virtual clock moved back must not bring it back to life).
    superseded: bool,
}

/// Hashes a token by its first bytes: every stored token comes from the OS CSPRNG, so its
/// bytes are already uniform, and a crafted key can be looked up but never stored (no flooding).
/// Cheaper than SipHash on the path of every call.
#[derive(Default, Clone, Copy)]
pub(crate) struct TokenHash;

impl std::hash::BuildHasher for TokenHash {
    type Hasher = TokenHasher;
    fn build_hasher(&self) -> TokenHasher {
        TokenHasher(0)
    }
}

/// See [`TokenHash`].
pub(crate) struct TokenHasher(u64);

impl std::hash::Hasher for TokenHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        // Mixed with the length so that short keys sharing a prefix still spread.
        self.0 = (self.0 ^ u64::from_le_bytes(head) ^ bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The corps and tokens of one server.
pub struct MockState {
    /// The settings it was started with.
    pub settings: Settings,
    corps: Arc<DashMap<String, Arc<Corp>>>,
    /// Corps are created, replaced and removed one operation at a time (and not while the
    /// compactor copies them), so each such change is one journal record in a clear order.
    lifecycle: Arc<Mutex<()>>,
    /// The journal and compactor with a data dir.
    store: Option<Store>,
    tokens: DashMap<String, TokenEntry, TokenHash>,
    next_epoch: AtomicU64,
    request_seq: AtomicU64,
    /// Rules broken on purpose, set only by `MockServerBuilder::inject_bug`.
    pub(crate) bugs: Vec<crate::control::Bug>,
    /// Metrics, faults, the request journal and checkpoints.
    pub(crate) traffic: crate::traffic::Traffic,
}

/// Compares secrets without leaking where they differ through timing.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_chars(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // ThreadRng is a CSPRNG reseeded from the OS; the --seed never reaches tokens.
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

impl MockState {
    /// A server with the fixtures' corps (or the default corp) loaded, in memory.
    pub fn new(settings: Settings) -> Result<Self, String> {
        MockState::open(settings, None).map_err(|e| e.to_string())
    }

    /// A server kept in `data_dir` when given: its state is recovered from there, and the
    /// fixtures are loaded only into an empty data dir (afterwards the data dir is the truth).
    pub fn open(settings: Settings, data_dir: Option<&DataDir>) -> Result<Self, OpenError> {
        let traffic = crate::traffic::Traffic::new(&settings, data_dir);
        let mut state = MockState {
            settings,
            corps: Arc::new(DashMap::new()),
            lifecycle: Arc::new(Mutex::new(())),
            store: None,
            tokens: DashMap::default(),
            next_epoch: AtomicU64::new(1),
            request_seq: AtomicU64::new(0),
            bugs: Vec::new(),
            traffic,
        };
        let Some(options) = data_dir else {
            state.load_fixtures(None).map_err(OpenError::Fixtures)?;
            return Ok(state);
        };
        let recovered = recover::recover(&options.path)?;
        let parts = CompactorParts {
            dir: options.path.clone(),
            corps: Arc::clone(&state.corps),
            lifecycle: Arc::clone(&state.lifecycle),
        };
        let compact_now = recovered.segments > 0;
        state.store = Some(Store::new(options, recovered.next_segment, recovered.next_seq, parts)?);
        if recovered.fresh {
            state.load_fixtures(None).map_err(OpenError::Fixtures)?;
        } else {
            tracing::info!(
                dir = %options.path.display(),
                corps = recovered.corps.len(),
                replayed = recovered.replayed,
                "state recovered from the data dir (fixtures are not loaded over it)"
            );
            for (_, (seq, corp)) in recovered.corps {
                state.insert_corp(corp, seq);
            }
        }
        // Only now: a compaction started before the recovered corps are in place would write a
        // snapshot without them and delete the segments that hold them.
        if compact_now && let Some(store) = &state.store {
            store.compact_soon();
        }
        Ok(state)
    }

    /// `true` once the journal failed (a full disk, say): changes are refused until a restart.
    pub fn journal_failed(&self) -> bool {
        self.store.as_ref().is_some_and(|store| store.journal.has_failed())
    }

    /// Waits until journal record `lsn` meets the fsync policy.
    pub(crate) async fn durable(&self, lsn: u64) -> Result<(), Unavailable> {
        match &self.store {
            Some(store) if lsn > 0 => store.journal.wait(lsn).await,
            _ => Ok(()),
        }
    }

    /// Writes and fsyncs everything journaled and stops the journal (clean shutdown).
    pub(crate) fn close_journal(&self) {
        if let Some(store) = &self.store {
            store.close();
        }
    }

    fn fixture_corps(&self) -> Vec<CorpFixture> {
        if self.settings.fixtures.corps.is_empty() {
            vec![CorpFixture::default_corp()]
        } else {
            self.settings.fixtures.corps.clone()
        }
    }

    /// (Re)loads the fixtures: every corp, or only `only`.
    pub(crate) fn load_fixtures(&self, only: Option<&str>) -> Result<(), String> {
        let corps = self.fixture_corps();
        match only {
            None => {
                // Built first, so a broken fixture leaves everything as it was.
                let mut states = Vec::with_capacity(corps.len());
                for fixture in &corps {
                    let clock = self.corp(&fixture.corpid).map(|c| c.state.read().clock).unwrap_or_default();
                    let (directory, chats) = fixture.build(clock.now())?;
                    states.push(CorpState::new(fixture.corpid.clone(), directory, chats, clock));
                }
                self.install(true, &[], states).map_err(|_| JOURNAL_UNAVAILABLE.to_owned())?;
            }
            Some(corpid) => match corps.iter().find(|c| c.corpid == corpid) {
                Some(fixture) => self.put_corp(fixture)?,
                // A corp that is not in the fixtures (a tenant) is emptied in place.
                None => {
                    let fixture = self.corp(corpid).ok_or_else(|| format!("no corp `{corpid}`"))?;
                    let replacement = fixture.state.read().clone();
                    let (dir, chats) = (replacement.directory, replacement.group_chats);
                    let fresh =
                        CorpState::new(corpid.to_owned(), dir, chats.into_values().collect(), replacement.clock);
                    self.install(false, &[], vec![fresh]).map_err(|_| JOURNAL_UNAVAILABLE.to_owned())?;
                }
            },
        }
        Ok(())
    }

    /// Creates or replaces a corp from its fixture; its state starts empty.
    pub fn put_corp(&self, fixture: &CorpFixture) -> Result<(), String> {
        let clock = self.corp(&fixture.corpid).map(|c| c.state.read().clock).unwrap_or_default();
        let (directory, chats) = fixture.build(clock.now())?;
        let state = CorpState::new(fixture.corpid.clone(), directory, chats, clock);
        self.install(false, &[], vec![state]).map_err(|_| JOURNAL_UNAVAILABLE.to_owned())?;
        Ok(())
    }

    /// Creates, replaces (`put`) and removes corps as one journaled step; returns whether any
    /// of `removed` existed.
    fn install(&self, clear: bool, removed: &[&str], put: Vec<CorpState>) -> Result<bool, Unavailable> {
        let _lifecycle = self.lifecycle.lock();
        let journal = self.store.as_ref().map(|store| &store.journal);
        if let Some(journal) = journal {
            journal.usable()?;
        }
        let old: Vec<Arc<Corp>> = if clear {
            self.corps.iter().map(|c| Arc::clone(c.value())).collect()
        } else {
            removed
                .iter()
                .copied()
                .chain(put.iter().map(|s| s.corpid.as_str()))
                .filter_map(|id| self.corp(id))
                .collect()
        };
        let retire = |flag: bool| {
            for corp in &old {
                let _write = corp.state.write();
                corp.retired.store(flag, Ordering::Release);
            }
        };
        // After this no change to an old corp can reach the journal, so the record below
        // follows every record of theirs.
        retire(true);
        let mut seq = 0;
        if let Some(journal) = journal {
            let removed: Vec<String> = removed.iter().map(|id| (*id).to_owned()).collect();
            let images: Vec<CorpImage> = put.iter().map(CorpImage::of).collect();
            match journal.append(|s| Record::Corps { seq: s, clear, removed, put: images }) {
                Ok(s) => seq = s,
                Err(err) => {
                    retire(false);
                    return Err(err);
                }
            }
        }
        if clear {
            self.corps.clear();
        }
        let mut existed = false;
        for id in removed {
            existed |= self.corps.remove(*id).is_some();
        }
        for state in put {
            self.insert_corp(state, seq);
        }
        Ok(existed)
    }

    /// Puts a corp in the map as it is (no journal record: the caller wrote one, or it was
    /// recovered from one).
    fn insert_corp(&self, state: CorpState, seq: u64) {
        let rng = match self.settings.seed {
            // Mixing in the seq keeps a seeded run reproducible for the same history while a
            // recovered corp does not hand out the ids of its first life again.
            Some(seed) => StdRng::seed_from_u64(seed ^ fnv1a(state.corpid.as_bytes()) ^ seq.rotate_left(32)),
            None => StdRng::from_os_rng(),
        };
        let traffic = crate::traffic::CorpTraffic::new(&state.corpid);
        let corp = Corp {
            state: RwLock::new(state),
            rng: Mutex::new(rng),
            issued: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(self.next_epoch.fetch_add(1, Ordering::Relaxed)),
            journal: self.store.as_ref().map(|store| Arc::clone(&store.journal)),
            applied_seq: AtomicU64::new(seq),
            retired: AtomicBool::new(false),
            traffic,
        };
        let corpid = corp.state.read().corpid.clone();
        self.corps.insert(corpid, Arc::new(corp));
    }

    pub(crate) fn corp(&self, corpid: &str) -> Option<Arc<Corp>> {
        self.corps.get(corpid).map(|c| Arc::clone(&c))
    }

    /// Replaces a corp's state wholesale (a checkpoint's restore), journaled like a PUT.
    pub(crate) fn install_state(&self, state: CorpState) -> Result<(), Unavailable> {
        self.install(false, &[], vec![state]).map(|_| ())
    }

    /// The corp a token was minted for, even expired (fault rules limited to a corp, and the
    /// request journal, name the corp of calls the token check refuses).
    pub(crate) fn token_corpid(&self, token: &str) -> Option<Arc<str>> {
        self.tokens.get(token).map(|entry| Arc::clone(&entry.corpid))
    }

    pub(crate) fn remove_corp(&self, corpid: &str) -> bool {
        self.install(false, &[corpid], Vec::new()).unwrap_or(false)
    }

    /// Every corp id, sorted.
    pub fn corpids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.corps.iter().map(|c| c.key().clone()).collect();
        ids.sort();
        ids
    }

    /// The next request id, for errmsg hints.
    pub(crate) fn request_id(&self, now: i64) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        format!("{now}_{seq}_{:06x}", rand::rng().random::<u32>() & 0xff_ffff)
    }

    /// `gettoken`: the same token while it is valid, a new one after.
    pub(crate) fn get_token(&self, corpid: &str, secret: &str) -> Result<(String, i64), ApiError> {
        let corp = self.corp(corpid).ok_or_else(|| ApiError::new(ErrCode::INVALID_CORPID))?;
        let (agentid, now) = {
            let state = corp.state.read();
            // Every secret is compared, so timing does not tell which app nearly matched.
            let mut found = None;
            for app in &state.directory.apps {
                if constant_time_eq(app.secret.as_bytes(), secret.as_bytes()) {
                    found = Some(app.agentid);
                }
            }
            (found.ok_or_else(|| ApiError::new(ErrCode::INVALID_CREDENTIAL))?, state.now())
        };
        let epoch = corp.epoch.load(Ordering::Acquire);
        let mut issued = corp.issued.lock();
        if let Some((current, _)) = issued.get(&agentid)
            && let Some(entry) = self.tokens.get(current)
            && entry.epoch == epoch
            && now < entry.expires_at
        {
            return Ok((current.clone(), entry.expires_at - now));
        }
        let token = token_chars(64);
        let lifetime = wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS;
        self.tokens.insert(
            token.clone(),
            TokenEntry { corpid: Arc::from(corpid), agentid, expires_at: now + lifetime, epoch, superseded: false },
        );
        let previous = issued.insert(agentid, (token.clone(), None));
        if let Some((before, older)) = previous {
            if let Some(older) = older {
                self.tokens.remove(&older);
            }
            if let Some(mut entry) = self.tokens.get_mut(&before) {
                entry.superseded = true;
            }
            if let Some(slot) = issued.get_mut(&agentid) {
                slot.1 = Some(before);
            }
        }
        Ok((token, lifetime))
    }

    /// Checks a call's token: 41001 without one, 40014 unknown or revoked, the corp's
    /// expired-token code after expiry. Returns the corp and the calling app.
    pub(crate) fn authenticate(&self, token: Option<&str>) -> Result<(Arc<Corp>, u32), ApiError> {
        let token = token.filter(|t| !t.is_empty()).ok_or_else(|| ApiError::new(ErrCode::ACCESS_TOKEN_MISSING))?;
        let invalid = || ApiError::new(ErrCode::INVALID_ACCESS_TOKEN);
        let entry = self.tokens.get(token).map(|e| e.clone()).ok_or_else(invalid)?;
        let corp = self.corp(&entry.corpid).ok_or_else(invalid)?;
        if corp.epoch.load(Ordering::Acquire) != entry.epoch {
            return Err(invalid());
        }
        let (now, expired_code) = {
            let state = corp.state.read();
            (state.now(), state.directory.expired_token_errcode)
        };
        if entry.superseded || now >= entry.expires_at {
            return Err(ApiError::new(expired_code));
        }
        Ok((corp, entry.agentid))
    }

    /// Every token of the corp becomes invalid (40014 from then on).
    pub fn revoke_tokens(&self, corpid: &str) -> Result<(), AdminError> {
        let corp = self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        corp.epoch.store(self.next_epoch.fetch_add(1, Ordering::Relaxed), Ordering::Release);
        corp.issued.lock().clear();
        self.tokens.retain(|_, entry| &*entry.corpid != corpid);
        Ok(())
    }

    /// Mints a fresh corp with the default directory and new secrets.
    pub fn create_tenant(&self) -> Result<crate::control::TenantResponse, AdminError> {
        let mut rng = rand::rng();
        let corpid = loop {
            let id = format!("ww{:016x}", rng.random::<u64>());
            if self.corp(&id).is_none() {
                break id;
            }
        };
        let mut fixture = CorpFixture::default_directory(&corpid);
        fixture.name = format!("Tenant {corpid}");
        for app in &mut fixture.apps {
            app.secret = token_chars(32);
        }
        let app =
            fixture.apps.first().cloned().ok_or_else(|| AdminError::bad_request("default directory has no app"))?;
        self.put_corp(&fixture).map_err(AdminError::bad_request)?;
        Ok(crate::control::TenantResponse { corpid, secret: app.secret, agentid: app.agentid })
    }

    /// Sets every corp's clock (or one corp's).
    pub(crate) fn set_clock(&self, corpid: Option<&str>, change: impl Fn(Clock) -> Clock) -> Result<Clock, AdminError> {
        let targets: Vec<String> = match corpid {
            Some(id) => {
                self.corp(id).ok_or_else(|| AdminError::unknown_corp(id))?;
                vec![id.to_owned()]
            }
            None => self.corpids(),
        };
        let mut last = Clock::default();
        for id in targets {
            let Some(corp) = self.corp(&id) else { continue };
            last = corp.write(|state, _, _| {
                let next = change(state.clock);
                Ok::<_, AdminError>((next, vec![Event::ClockSet { frozen_at: next.frozen_at }]))
            })?;
            // Moving the clock past a temp chat's end ends it at once.
            corp.expire_due();
        }
        Ok(last)
    }

    /// Ends due temp chats in every corp (the background ticker).
    pub(crate) fn tick(&self) {
        for corp in self.corps.iter() {
            corp.expire_due();
        }
    }
}

const JOURNAL_UNAVAILABLE: &str = "the mock cannot write its journal: the change was not made";

/// A small stable hash to derive per-corp seeds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
