//! The whole server's state: corps side by side, and the access tokens that lead to them.
//!
//! Corps are independent (a `DashMap` from corpid to corp). Within a corp a write takes that
//! corp's lock for the few microseconds of check + apply, which keeps quotas exact under any
//! concurrency; reads share a read lock. No lock is held across I/O.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wecom_types::ErrCode;

use crate::control::AdminError;
use crate::domain::ApiError;
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
}

/// One corp: its state behind a lock, its id source and its tokens.
pub(crate) struct Corp {
    pub state: RwLock<CorpState>,
    rng: Mutex<StdRng>,
    /// Per app: the current token and the one before it (which then answers "expired").
    issued: Mutex<HashMap<u32, (String, Option<String>)>>,
    /// Tokens minted under another epoch are invalid (revocation, replacement).
    epoch: AtomicU64,
}

impl Corp {
    /// Runs a command: checks it against the state and applies its events, under the write
    /// lock. Temp chats that are due end first.
    pub(crate) fn write<R, E>(
        &self,
        command: impl FnOnce(&CorpState, i64, &mut StdRng) -> Result<(R, Vec<Event>), E>,
    ) -> Result<R, E> {
        let mut state = self.state.write();
        let now = state.now();
        for event in state.due_expirations(now) {
            state.apply(event);
        }
        let mut rng = self.rng.lock();
        let (reply, events) = command(&state, now, &mut rng)?;
        for event in events {
            state.apply(event);
        }
        Ok(reply)
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
        for event in events {
            state.apply(event);
        }
        n
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
}

/// The corps and tokens of one server.
pub struct MockState {
    /// The settings it was started with.
    pub settings: Settings,
    corps: DashMap<String, Arc<Corp>>,
    tokens: DashMap<String, TokenEntry>,
    next_epoch: AtomicU64,
    request_seq: AtomicU64,
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
    /// A server with the fixtures' corps (or the default corp) loaded.
    pub fn new(settings: Settings) -> Result<Self, String> {
        let state = MockState {
            settings,
            corps: DashMap::new(),
            tokens: DashMap::new(),
            next_epoch: AtomicU64::new(1),
            request_seq: AtomicU64::new(0),
        };
        state.load_fixtures(None)?;
        Ok(state)
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
                self.corps.clear();
                for fixture in &corps {
                    self.put_corp(fixture)?;
                }
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
                    self.insert_corp(fresh);
                }
            },
        }
        Ok(())
    }

    /// Creates or replaces a corp from its fixture; its state starts empty.
    pub fn put_corp(&self, fixture: &CorpFixture) -> Result<(), String> {
        let clock = self.corp(&fixture.corpid).map(|c| c.state.read().clock).unwrap_or_default();
        let (directory, chats) = fixture.build(clock.now())?;
        self.insert_corp(CorpState::new(fixture.corpid.clone(), directory, chats, clock));
        Ok(())
    }

    fn insert_corp(&self, state: CorpState) {
        let rng = match self.settings.seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ fnv1a(state.corpid.as_bytes())),
            None => StdRng::from_os_rng(),
        };
        let corp = Corp {
            state: RwLock::new(state),
            rng: Mutex::new(rng),
            issued: Mutex::new(HashMap::new()),
            epoch: AtomicU64::new(self.next_epoch.fetch_add(1, Ordering::Relaxed)),
        };
        let corpid = corp.state.read().corpid.clone();
        self.corps.insert(corpid, Arc::new(corp));
    }

    pub(crate) fn corp(&self, corpid: &str) -> Option<Arc<Corp>> {
        self.corps.get(corpid).map(|c| Arc::clone(&c))
    }

    pub(crate) fn remove_corp(&self, corpid: &str) -> bool {
        self.corps.remove(corpid).is_some()
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
            TokenEntry { corpid: Arc::from(corpid), agentid, expires_at: now + lifetime, epoch },
        );
        let previous = issued.insert(agentid, (token.clone(), None));
        if let Some((before, older)) = previous {
            if let Some(older) = older {
                self.tokens.remove(&older);
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
        if now >= entry.expires_at {
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

/// A small stable hash to derive per-corp seeds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}
