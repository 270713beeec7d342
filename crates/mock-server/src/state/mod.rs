//! The whole server's state: corps side by side, the tokens that lead to them, the journal and
//! the traffic counters, and the one place the control surface is performed ([`Control`]).
//!
//! Corps are independent (a `DashMap` from corpid to corp). Within a corp a write takes that
//! corp's lock for the few microseconds of check + apply, which keeps quotas exact under any
//! concurrency; reads share a read lock. No lock is held across I/O.

mod checkpoints;
pub(crate) mod clock;
mod control;
mod corp;
mod corp_tags;
mod scope;
mod tokens;

pub use control::Control;
pub(crate) use corp::Corp;
pub(crate) use scope::{Act, Scope};
pub(crate) use tokens::constant_time_eq;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wecom_types::ErrCode;

use crate::api::{AdminError, AdminErrorKind, DEFAULT_JOURNAL_SIZE};
use crate::core::domain::{ApiError, Bug};
use crate::core::fixtures::{CorpFixture, FixtureError, Fixtures};
use crate::core::model::{Clock, CorpState, Tenant};
use crate::core::token::{Claims, CorpClaim};
use crate::durability::journal::Journal;
use crate::durability::record::{CorpImage, Record};
use crate::durability::{CompactorParts, DataDir, Freeze, Frozen, OpenError, Store, Unavailable, recover};
use crate::traffic::{CorpTraffic, Traffic};
use checkpoints::Checkpoints;
use clock::wall_now;
use corp_tags::CorpTags;
use tokens::Tokens;

/// The most corps one server holds by default (`--max-corps`).
pub const DEFAULT_MAX_CORPS: usize = 1000;
/// The most Contact Me and Join Group configs all corps of one server hold together by default
/// (`--max-total-configs`): about 1.9 GiB of RSS at the 404 bytes a config measured
/// (docs/OPERATIONS.md).
pub const DEFAULT_MAX_TOTAL_CONFIGS: u64 = 5_000_000;
/// How long a connection may take to send a whole request head by default
/// (`--header-timeout`; nginx's `client_header_timeout` is 60 s, hyper's own 30 s).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a keep-alive connection may go without a request by default (`--idle-timeout`;
/// nginx's `keepalive_timeout` is 75 s).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// How long a request body may take to arrive, from the end of its head, by default
/// (`--body-timeout`).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// `--max-connections` by default, in per cent of the process's open-file limit: the rest is
/// kept for the listener, the journal, callbacks and the refusals' own short-lived sockets.
pub const DEFAULT_MAX_CONNECTIONS_PERCENT: u64 = 80;
/// The open-file limit assumed where the OS reports none (unlimited, or not a Unix): Linux's
/// default ceiling (`fs.nr_open`).
const UNKNOWN_OPEN_FILE_LIMIT: u64 = 1 << 20;

/// `--max-connections` by default: [`DEFAULT_MAX_CONNECTIONS_PERCENT`] of the process's (soft)
/// open-file limit, read now.
pub fn default_max_connections() -> usize {
    #[cfg(unix)]
    let limit = match nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE) {
        Ok((soft, _hard)) if soft != nix::sys::resource::RLIM_INFINITY => soft,
        _ => UNKNOWN_OPEN_FILE_LIMIT,
    };
    #[cfg(not(unix))]
    let limit = UNKNOWN_OPEN_FILE_LIMIT;
    usize::try_from(limit.min(UNKNOWN_OPEN_FILE_LIMIT) * DEFAULT_MAX_CONNECTIONS_PERCENT / 100)
        .unwrap_or(usize::MAX)
        .max(1)
}

/// Compiles the drift proxy's answer shapes before the first exchange needs them.
fn shape_checks_ready() {
    crate::traffic::drift::prepare();
}

/// A timeout as the flags and the builder give it: zero turns it off.
pub fn timeout_or_off(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

/// Who may create tenants (`--tenant-signup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TenantSignup {
    /// Only the operator token (or anyone when no `--admin-token` is set).
    #[default]
    Closed,
    /// Anyone, without a token: CI jobs of other teams get a corp of their own.
    Open,
}

/// Server-wide settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of the `qr_code` / `pic_url` URLs handed out.
    pub public_url: String,
    /// When set, `/__admin/*` needs `Authorization: Bearer <token>` (this one, or a tenant's).
    pub admin_token: Option<String>,
    /// Seed for config ids and other draws (tokens always come from the OS CSPRNG).
    pub seed: Option<u64>,
    /// The corps to create at start-up and on reset; empty means the default corp.
    pub fixtures: Fixtures,
    /// Calls kept by the request log (`GET /__admin/requests`, `--request-log-size`); `None`
    /// means [`DEFAULT_JOURNAL_SIZE`](crate::api::DEFAULT_JOURNAL_SIZE), 0 turns it off.
    pub request_log_size: Option<usize>,
    /// Who may create tenants.
    pub tenant_signup: TenantSignup,
    /// The most corps the server holds (a create beyond is 409 `too_many_corps`).
    pub max_corps: usize,
    /// The most configs all corps hold together (an add beyond is refused, errcode 41045).
    pub max_total_configs: u64,
    /// A tenant with no call (WeCom or admin) for this long is deleted; `None`: never.
    pub tenant_ttl: Option<std::time::Duration>,
    /// A connection whose request head has not arrived this long after its first byte (or
    /// after it was opened) is closed; `None`: never.
    pub header_timeout: Option<Duration>,
    /// A keep-alive connection with no request for this long is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// A request body that has not arrived this long after its head is answered 408 and its
    /// connection closed; `None`: never.
    pub body_timeout: Option<Duration>,
    /// The most client connections open at once; a connection beyond is answered 503
    /// `too_many_connections` and closed.
    pub max_connections: usize,
    /// A call whose TCP peer is inside this block (a reverse proxy) is judged, for the apps'
    /// trusted IPs, by the last `X-Forwarded-For` entry instead; `None` (the default): never.
    pub trust_forwarded_for: Option<ipnet::IpNet>,
    /// A drift proxy (`--upstream`): every path but `/healthz`, `/metrics`,
    /// `/__admin/openapi.json` and `/__admin/drift` goes to this upstream, and the server holds
    /// no corp; `None` (the default): the mock itself.
    pub upstream: Option<crate::net::upstream::Upstream>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: String::new(),
            admin_token: None,
            seed: None,
            fixtures: Fixtures::default(),
            request_log_size: None,
            tenant_signup: TenantSignup::Closed,
            max_corps: DEFAULT_MAX_CORPS,
            max_total_configs: DEFAULT_MAX_TOTAL_CONFIGS,
            tenant_ttl: None,
            header_timeout: Some(DEFAULT_HEADER_TIMEOUT),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            body_timeout: Some(DEFAULT_BODY_TIMEOUT),
            max_connections: default_max_connections(),
            trust_forwarded_for: None,
            upstream: None,
        }
    }
}

/// The corps and tokens of one server.
pub struct MockState {
    /// The settings it was started with.
    pub settings: Settings,
    corps: Arc<DashMap<String, Arc<Corp>, foldhash::fast::RandomState>>,
    /// The corps by the tag their tokens carry, kept with `corps`.
    corp_tags: CorpTags,
    /// Corps are created, replaced and removed one operation at a time (and not while the
    /// compactor copies them), so each such change is one journal record in a clear order.
    lifecycle: Arc<Mutex<()>>,
    /// The journal and compactor with a data dir.
    store: Option<Store>,
    tokens: Tokens,
    request_seq: AtomicU64,
    /// Rules broken on purpose, set only by `MockServerBuilder::inject_bug`.
    pub(crate) bugs: Vec<Bug>,
    /// Metrics, faults and the request journal.
    pub(crate) traffic: Traffic,
    /// Each corp's saved checkpoints (journaled with a data dir, shared with the compactor).
    checkpoints: Arc<Checkpoints>,
    /// Tenant admin tokens: the SHA-256 (hex) of each to its corp.
    tenant_tokens: DashMap<String, String, foldhash::fast::RandomState>,
    /// Configs of every corp together, kept by each corp's writes (`--max-total-configs`).
    total_configs: Arc<AtomicU64>,
}

/// A change the journal cannot take is refused with -1 ("system busy") on a WeCom path.
impl From<Unavailable> for ApiError {
    fn from(_: Unavailable) -> Self {
        ApiError::with_detail(ErrCode::SYSTEM_BUSY, "system busy: the mock cannot write its journal")
    }
}

/// … and with 503 `journal_unavailable` on the control surface.
impl From<Unavailable> for AdminError {
    fn from(_: Unavailable) -> Self {
        AdminError::new(
            AdminErrorKind::JournalUnavailable,
            "the mock cannot write its journal: the change was not made",
        )
    }
}

/// Why a checkpoint was not saved; nothing changed.
#[derive(Debug)]
pub(crate) enum SaveError {
    /// The corp holds [`MAX_CHECKPOINTS_PER_CORP`](crate::api::MAX_CHECKPOINTS_PER_CORP) already.
    Full,
    /// The corp was removed meanwhile.
    Gone,
    /// The journal cannot take it.
    Journal(Unavailable),
}

impl From<Unavailable> for SaveError {
    fn from(unavailable: Unavailable) -> Self {
        SaveError::Journal(unavailable)
    }
}

/// Why corps could not be put in place: a fixture that cannot work, or a journal that cannot
/// take the change. Either way nothing changed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstallError {
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    #[error(transparent)]
    Journal(#[from] Unavailable),
    #[error("the server holds its --max-corps limit of {0} corps: delete some first")]
    TooManyCorps(usize),
}

impl From<InstallError> for AdminError {
    fn from(err: InstallError) -> Self {
        match err {
            InstallError::Fixture(err) => AdminError::bad_request(format!("invalid corp: {err}")),
            InstallError::Journal(unavailable) => unavailable.into(),
            too_many @ InstallError::TooManyCorps(_) => {
                AdminError::new(AdminErrorKind::TooManyCorps, too_many.to_string())
            }
        }
    }
}

impl From<InstallError> for OpenError {
    fn from(err: InstallError) -> Self {
        match err {
            InstallError::Fixture(err) => OpenError::Fixtures(err),
            InstallError::Journal(_) | InstallError::TooManyCorps(_) => OpenError::Journal,
        }
    }
}

impl MockState {
    /// A server with the fixtures' corps (or the default corp) loaded, in memory.
    pub fn new(settings: Settings) -> Result<Self, OpenError> {
        MockState::open(settings, None)
    }

    /// A server kept in `data_dir` when given: its state is recovered from there, and the
    /// fixtures are loaded only into an empty data dir (afterwards the data dir is the truth).
    pub fn open(settings: Settings, data_dir: Option<&DataDir>) -> Result<Self, OpenError> {
        let traffic = Traffic::new(settings.seed, settings.request_log_size.unwrap_or(DEFAULT_JOURNAL_SIZE));
        let mut state = MockState {
            settings,
            corps: Arc::new(DashMap::default()),
            corp_tags: CorpTags::default(),
            lifecycle: Arc::new(Mutex::new(())),
            store: None,
            tokens: Tokens::default(),
            request_seq: AtomicU64::new(0),
            bugs: Vec::new(),
            traffic,
            checkpoints: Arc::default(),
            tenant_tokens: DashMap::default(),
            total_configs: Arc::new(AtomicU64::new(0)),
        };
        if state.settings.upstream.is_some() {
            // A drift proxy answers with its upstream's state, never with one of its own.
            shape_checks_ready();
            return match data_dir {
                Some(_) => Err(OpenError::ProxyWithDataDir),
                None => Ok(state),
            };
        }
        let Some(options) = data_dir else {
            state.load_fixtures(None)?;
            return Ok(state);
        };
        let recovered = recover::recover(&options.path)?;
        let parts = CompactorParts { dir: options.path.clone(), freeze: state.freeze() };
        let compact_now = recovered.segments > 0;
        state.store = Some(Store::new(options, recovered.next_segment, recovered.next_seq, parts)?);
        if recovered.fresh {
            state.load_fixtures(None)?;
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
            state.tokens.restore_revocations(recovered.revoked);
            state.checkpoints.restore(recovered.checkpoints);
        }
        // Only now: a compaction started before the recovered corps are in place would write a
        // snapshot without them and delete the segments that hold them.
        if compact_now && let Some(store) = &state.store {
            store.compact_soon();
        }
        Ok(state)
    }

    /// The control surface of this server, in Rust, as the operator: what `/__admin` does over
    /// HTTP with the operator's token.
    pub fn control(&self) -> Control<'_> {
        Control::new(self, Scope::Operator)
    }

    /// The control surface as the holder of `admin_token` sees it: a tenant's token opens its
    /// corp only; the operator's (`--admin-token`) opens everything. 401 for any other token.
    pub fn control_with_token(&self, admin_token: &str) -> Result<Control<'_>, AdminError> {
        Ok(Control::new(self, self.scope_of(Some(admin_token))?))
    }

    /// Whose control surface a bearer token opens: the operator's token everything, a tenant's
    /// its corp; no token: everything without `--admin-token`, else (nearly) nothing; another
    /// token: 401 (on a server without `--admin-token`, everything).
    pub(crate) fn scope_of(&self, token: Option<&str>) -> Result<Scope, AdminError> {
        let token = token.filter(|t| !t.is_empty());
        let operator = self.settings.admin_token.as_deref();
        if let (Some(token), Some(expected)) = (token, operator)
            && constant_time_eq(token.as_bytes(), expected.as_bytes())
        {
            return Ok(Scope::Operator);
        }
        if let Some(corpid) = token.and_then(|t| self.tenant_of_token(t)) {
            return Ok(Scope::Tenant(corpid));
        }
        match (operator, token) {
            (None, _) => Ok(Scope::Operator),
            (Some(_), None) => Ok(Scope::Anonymous),
            (Some(_), Some(_)) => Err(scope::unauthorized()),
        }
    }

    /// The control surface of a scope.
    pub(crate) fn control_as(&self, scope: Scope) -> Control<'_> {
        Control::new(self, scope)
    }

    /// `true` once the journal failed (a full disk, say): changes are refused until a restart.
    pub fn journal_failed(&self) -> bool {
        self.store.as_ref().is_some_and(|store| store.journal.has_failed())
    }

    /// How the compactor gets the corps: under the lifecycle lock (no corp created or removed
    /// meanwhile), the journal is rotated and each corp copied under its read lock.
    fn freeze(&self) -> Freeze {
        let corps = Arc::clone(&self.corps);
        let lifecycle = Arc::clone(&self.lifecycle);
        let revocations = self.tokens.revocations();
        let checkpoints = Arc::clone(&self.checkpoints);
        Box::new(move |journal: &Journal| {
            let _lifecycle = lifecycle.lock();
            let covers = journal.rotate()?;
            let corps = corps.iter().map(|corp| corp.image()).collect();
            let revoked = revocations.read().iter().map(|(corpid, before)| (corpid.clone(), *before)).collect();
            let checkpoints = checkpoints.all();
            Ok(Frozen { covers, next_seq: journal.next_seq(), corps, revoked, checkpoints })
        })
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

    /// What the journal has written and fsynced so far (with a data dir).
    pub(crate) fn journal_stats(&self) -> Option<crate::durability::journal::JournalStats> {
        self.store.as_ref().map(|store| store.journal.stats())
    }

    /// The data dir, when there is one.
    pub(crate) fn data_dir(&self) -> Option<&std::path::Path> {
        self.store.as_ref().map(Store::dir)
    }

    fn fixture_corps(&self) -> Vec<CorpFixture> {
        if self.settings.fixtures.corps.is_empty() {
            vec![CorpFixture::default_corp()]
        } else {
            self.settings.fixtures.corps.clone()
        }
    }

    /// (Re)loads the fixtures: every corp, or only `only`.
    pub(crate) fn load_fixtures(&self, only: Option<&str>) -> Result<(), InstallError> {
        let corps = self.fixture_corps();
        match only {
            None => {
                // Built first, so a broken fixture leaves everything as it was.
                let mut states = Vec::with_capacity(corps.len());
                for fixture in &corps {
                    let clock = self.clock_of(&fixture.corpid);
                    let (directory, chats) = fixture.build(clock.now_at(wall_now()))?;
                    states.push(CorpState::new(fixture.corpid.clone(), directory, chats, clock));
                }
                // Tenants are not in the fixtures: a full reset ends them.
                self.install(true, &[], states)?;
            }
            Some(corpid) => match corps.iter().find(|c| c.corpid == corpid) {
                Some(fixture) => self.put_corp(fixture)?,
                // A corp that is not in the fixtures (a tenant) is emptied in place.
                None => {
                    let Some(corp) = self.corp(corpid) else { return Ok(()) };
                    let replacement = corp.state.read().clone();
                    let (dir, chats) = (replacement.directory, replacement.group_chats);
                    let mut fresh =
                        CorpState::new(corpid.to_owned(), dir, chats.into_values().collect(), replacement.clock);
                    fresh.tenant = replacement.tenant;
                    self.install(false, &[], vec![fresh])?;
                }
            },
        }
        Ok(())
    }

    /// The clock a corp has now (a replacement keeps it), or wall time for a new corp.
    fn clock_of(&self, corpid: &str) -> Clock {
        self.corp(corpid).map(|c| c.state.read().clock).unwrap_or_default()
    }

    /// Creates or replaces a corp from its fixture; its state starts empty (a tenant's corp
    /// stays a tenant's: credentials are not state).
    pub(crate) fn put_corp(&self, fixture: &CorpFixture) -> Result<(), InstallError> {
        self.put_tenant(fixture, None)
    }

    /// Creates or replaces a corp from its fixture, as `tenant`'s corp when one is given.
    pub(crate) fn put_tenant(&self, fixture: &CorpFixture, tenant: Option<Tenant>) -> Result<(), InstallError> {
        let existing = self.corp(&fixture.corpid);
        if existing.is_none() && self.corps.len() >= self.settings.max_corps {
            return Err(InstallError::TooManyCorps(self.settings.max_corps));
        }
        let (clock, kept) = existing
            .map(|c| {
                let state = c.state.read();
                (state.clock, state.tenant.clone())
            })
            .unwrap_or_default();
        let (directory, chats) = fixture.build(clock.now_at(wall_now()))?;
        let mut state = CorpState::new(fixture.corpid.clone(), directory, chats, clock);
        state.tenant = tenant.or(kept);
        self.install(false, &[], vec![state])?;
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
                let state = corp.state.write();
                corp.retired.store(flag, Ordering::Release);
                // A retired corp's configs no longer count (its writes stop counting too).
                let configs = corp::configs(&state);
                if flag {
                    self.total_configs.fetch_sub(configs, Ordering::AcqRel);
                } else {
                    self.total_configs.fetch_add(configs, Ordering::AcqRel);
                }
            }
        };
        // After this no change to an old corp can reach the journal, so the record below
        // follows every record of theirs.
        retire(true);
        let mut seq = 0;
        if let Some(journal) = journal {
            let removed: Vec<String> = removed.iter().map(|id| (*id).to_owned()).collect();
            let images: Vec<CorpImage> = put.iter().map(CorpImage::of).collect();
            match journal.append_record(|s| Record::Corps { seq: s, clear, removed, put: images }) {
                Ok(s) => seq = s,
                Err(err) => {
                    retire(false);
                    return Err(err);
                }
            }
        }
        for corp in &old {
            if let Some(tenant) = &corp.state.read().tenant {
                self.tenant_tokens.remove(&tenant.token_sha256);
            }
        }
        if clear {
            self.corps.clear();
            self.corp_tags.clear();
        }
        let mut existed = false;
        for id in removed {
            existed |= self.corps.remove(*id).is_some();
            self.corp_tags.remove(id);
        }
        for state in put {
            self.insert_corp(state, seq);
        }
        // A corp's checkpoints go with it; a replaced corp keeps them (recovery does the same).
        self.checkpoints.retain_corps(|id| self.corps.contains_key(id));
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
        if let Some(tenant) = &state.tenant {
            self.tenant_tokens.insert(tenant.token_sha256.clone(), state.corpid.clone());
        }
        self.total_configs.fetch_add(corp::configs(&state), Ordering::AcqRel);
        let corp = Corp {
            traffic: CorpTraffic::new(&state.corpid),
            total_configs: Arc::clone(&self.total_configs),
            is_tenant: state.tenant.is_some(),
            last_call: AtomicU64::new(self.uptime_secs()),
            state: RwLock::new(state),
            rng: Mutex::new(rng),
            epoch: AtomicU64::new(self.tokens.new_epoch()),
            journal: self.store.as_ref().map(|store| Arc::clone(&store.journal)),
            applied_seq: AtomicU64::new(seq),
            retired: AtomicBool::new(false),
        };
        let corpid = corp.state.read().corpid.clone();
        self.corp_tags.insert(&corpid);
        self.corps.insert(corpid, Arc::new(corp));
    }

    pub(crate) fn corp(&self, corpid: &str) -> Option<Arc<Corp>> {
        self.corps.get(corpid).map(|c| Arc::clone(&c))
    }

    /// Replaces a corp's state wholesale (a checkpoint's restore), journaled like a PUT.
    pub(crate) fn install_state(&self, state: CorpState) -> Result<(), Unavailable> {
        self.install(false, &[], vec![state]).map(|_| ())
    }

    /// Removes a corp (journaled); `Ok(false)` when there was none.
    pub(crate) fn remove_corp(&self, corpid: &str) -> Result<bool, Unavailable> {
        self.install(false, &[corpid], Vec::new())
    }

    /// Every corp id, sorted.
    pub(crate) fn corpids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.corps.iter().map(|c| c.key().clone()).collect();
        ids.sort();
        ids
    }

    /// Every corp, in corpid order.
    pub(crate) fn corps(&self) -> Vec<Arc<Corp>> {
        self.corpids().iter().filter_map(|id| self.corp(id)).collect()
    }

    /// The next request id, for errmsg hints.
    pub(crate) fn request_id(&self, now: i64) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        format!("{now}_{seq}_{:06x}", rand::rng().random::<u32>() & 0xff_ffff)
    }

    /// `gettoken`: the same token while it is valid, a new one after.
    pub(crate) fn get_token(&self, corpid: &str, secret: &str) -> Result<(String, i64), ApiError> {
        let corp = self.corp(corpid).ok_or_else(|| ApiError::new(ErrCode::INVALID_CORPID))?;
        self.tokens.issue(&corp, corpid, secret)
    }

    /// Checks a call's token: 41001 without one; 40014 unknown, revoked, or while no corp with
    /// its corpid has its app with the secret it was sealed with; the corp's expired-token code
    /// after expiry, at the corp's instant for `wall` (the call's one reading of the wall
    /// clock). Returns the corp and the calling app; `then` gets the state, the app and that
    /// instant.
    pub(crate) fn authenticate<T>(
        &self,
        token: Option<&str>,
        wall: i64,
        then: impl FnOnce(&CorpState, u32, i64) -> T,
    ) -> Result<(Arc<Corp>, u32, T), ApiError> {
        let token = token.filter(|t| !t.is_empty()).ok_or_else(|| ApiError::new(ErrCode::ACCESS_TOKEN_MISSING))?;
        // The cache vouches for a token of the live corp it was verified against; otherwise
        // (first use in this run, a replaced corp, a revocation since) the MAC is checked.
        let (corp, seen) = match self.tokens.cached(token) {
            Some(hit) => hit,
            None => {
                let invalid = || ApiError::new(ErrCode::INVALID_ACCESS_TOKEN);
                let claims = Claims::open(token).ok_or_else(invalid)?;
                self.corps_named(&claims)
                    .into_iter()
                    .find_map(|corp| self.tokens.verify(token, &claims, &corp).ok().map(|seen| (corp, seen)))
                    .ok_or_else(invalid)?
            }
        };
        let agentid = seen.agentid;
        let result = tokens::Tokens::check(seen, &corp, wall, |state, now| then(state, agentid, now))?;
        Ok((corp, agentid, result))
    }

    /// The corp a token was minted for, even expired (fault rules limited to a corp, and the
    /// request journal, name the corp of calls the token check refuses).
    pub(crate) fn token_corpid(&self, token: &str) -> Option<Arc<str>> {
        self.tokens.corpid_of(token, |claims| self.corps_named(claims))
    }

    /// The live corps a token's claims name: its corpid's (a token of the first layout), or
    /// those of its tag (nearly always one).
    fn corps_named(&self, claims: &Claims) -> Vec<Arc<Corp>> {
        match &claims.corp {
            CorpClaim::Id(corpid) => self.corp(corpid).into_iter().collect(),
            CorpClaim::Tag(tag) => self.corp_tags.corpids(tag).iter().filter_map(|id| self.corp(id)).collect(),
        }
    }

    /// `POST /__admin/corps/{corpid}/tokens/revoke`: every token of the corpid issued so far
    /// answers 40014 for good (journaled: it holds across resets, PUTs, restores and restarts
    /// with a data dir). `false` when there is no such corp.
    pub(crate) fn revoke_tokens(&self, corpid: &str) -> Result<bool, Unavailable> {
        let _lifecycle = self.lifecycle.lock();
        let Some(corp) = self.corp(corpid) else { return Ok(false) };
        let before = self.tokens.revocation_instant(corpid);
        if let Some(store) = &self.store {
            store.journal.append_record(|seq| Record::TokensRevoked { seq, corpid: corpid.to_owned(), before })?;
        }
        self.tokens.revoke(Some(&corp), corpid, before);
        Ok(true)
    }

    /// Saves a copy of a corp's state as its checkpoint `name` (journaled with a data dir).
    pub(crate) fn save_checkpoint(&self, corpid: &str, name: &str, state: Arc<CorpState>) -> Result<(), SaveError> {
        let _lifecycle = self.lifecycle.lock();
        if self.corp(corpid).is_none() {
            return Err(SaveError::Gone);
        }
        if !self.checkpoints.has_room(corpid, name) {
            return Err(SaveError::Full);
        }
        if let Some(store) = &self.store {
            let image = Box::new(CorpImage::of(&state));
            let (corpid, name) = (corpid.to_owned(), name.to_owned());
            store.journal.append_record(|seq| Record::Checkpoint { seq, corpid, name, image })?;
        }
        self.checkpoints.save(corpid, name, state);
        Ok(())
    }

    /// Ends due temp chats in every corp, and tenants idle past `--tenant-ttl` (the background
    /// ticker, once a second).
    pub(crate) fn tick(&self) {
        for corp in self.corps.iter() {
            corp.expire_due();
        }
        self.expire_tenants();
    }

    /// Deletes the tenants that have had no call for `--tenant-ttl` (wall time since their last
    /// call, whatever their virtual clocks say), journaled like any delete.
    fn expire_tenants(&self) {
        let Some(ttl) = self.settings.tenant_ttl else { return };
        let now = self.uptime_secs();
        let idle: Vec<(String, u64)> = self
            .corps
            .iter()
            .filter(|corp| corp.is_tenant)
            .filter_map(|corp| {
                let quiet = now.saturating_sub(corp.last_call.load(Ordering::Relaxed));
                (quiet >= ttl.as_secs()).then(|| (corp.key().clone(), quiet))
            })
            .collect();
        for (corpid, quiet) in idle {
            match self.remove_corp(&corpid) {
                Ok(true) => {
                    self.traffic.tenants_expired.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(corpid = %corpid, idle_secs = quiet, "tenant expired: no call for --tenant-ttl");
                }
                Ok(false) => {}
                Err(Unavailable) => tracing::warn!(corpid = %corpid, "tenant not expired: the journal failed"),
            }
        }
    }

    /// Seconds of wall time since the server started: what tenant expiry counts in (never a
    /// corp's virtual clock).
    pub(crate) fn uptime_secs(&self) -> u64 {
        self.traffic.micros(std::time::Instant::now()) / 1_000_000
    }

    /// Configs of every corp together.
    pub(crate) fn total_configs(&self) -> u64 {
        self.total_configs.load(Ordering::Acquire)
    }

    /// The tenant corp whose admin token this is, if any (found by the token's SHA-256, then
    /// compared in constant time).
    pub(crate) fn tenant_of_token(&self, token: &str) -> Option<String> {
        let digest = token_sha256(token);
        let entry = self.tenant_tokens.get(&digest)?;
        constant_time_eq(entry.key().as_bytes(), digest.as_bytes()).then(|| entry.value().clone())
    }

    /// Checkpoints held, every corp's together.
    pub(crate) fn checkpoint_count(&self) -> usize {
        self.checkpoints.count()
    }

    /// How many tenants there are.
    pub(crate) fn tenant_count(&self) -> usize {
        self.tenant_tokens.len()
    }
}

/// Lowercase hex of the SHA-256 of a tenant admin token: what is stored of it.
pub(crate) fn token_sha256(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A small stable hash to derive per-corp seeds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
