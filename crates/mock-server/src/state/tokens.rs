//! Access tokens as the real service keeps them: valid for `ACCESS_TOKEN_LIFETIME_SECS` on the
//! corp's virtual clock, whatever happens to the mock meanwhile, unless revoked.
//!
//! A token describes itself ([`Claims`]: corp, app, issue time, expiry, a CSPRNG part, a MAC
//! keyed by the app's secret), so it is accepted while a corp with its corpid has the app with
//! the secret it was sealed with: across a restart, a reset, a PUT, a DELETE followed by a PUT
//! and a restore. What memory adds:
//! - a cache of tokens seen valid, so the MAC is checked once per token and corp incarnation,
//!   not on every call (the hot path costs what a map look-up did before);
//! - per corpid, a revocation instant (wall µs): tokens issued at or before it are refused.
//!   It outlives the corp (it is kept per corpid, not in the corp's state) and is journaled
//!   with a data dir;
//! - within one run, the token gettoken hands out while it is valid, and which tokens were
//!   replaced after they expired (they stay expired when the clock moves back).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use rand::RngCore;
use wecom_types::ErrCode;

use super::clock::wall_now;
use super::corp::Corp;
use crate::core::domain::ApiError;
use crate::core::model::CorpState;
use crate::core::token::{self, Claims, NONCE_LEN};

/// A token seen valid in this run.
#[derive(Debug)]
struct TokenEntry {
    corpid: Arc<str>,
    /// The corp incarnation whose app secret verified the MAC; another one (a PUT, a restore)
    /// verifies it again.
    corp: Weak<Corp>,
    agentid: u32,
    expires_at: i64,
    /// That corp's revocation epoch at the verification: a revocation bumps it.
    epoch: u64,
    /// gettoken replaced it after it expired: it answers "expired" whatever the clock says
    /// later (a virtual clock moved back must not bring it back to life).
    superseded: bool,
}

/// What the cache says about a token of a live corp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    pub agentid: u32,
    expires_at: i64,
    superseded: bool,
}

/// Revocation instants by corpid, shared with the compactor (they go into snapshots).
pub(crate) type Revocations = Arc<RwLock<BTreeMap<String, i64>>>;

/// Every token of the server.
pub(crate) struct Tokens {
    /// foldhash: only tokens whose MAC verified are stored, and a look-up is on the path of
    /// every call, so a fast hash without flooding protection is safe here.
    map: DashMap<String, TokenEntry, foldhash::fast::RandomState>,
    /// Per (corpid, agentid): the token gettoken hands out while it is valid (this run only).
    current: Mutex<HashMap<(String, u32), String>>,
    /// Per corpid: tokens issued at or before this wall instant (µs) are revoked.
    revoked: Revocations,
    /// The latest issue instant handed out: a revocation covers every token issued before it
    /// even when the wall clock stands still or steps back.
    last_issued_us: AtomicI64,
    next_epoch: AtomicU64,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            map: DashMap::default(),
            current: Mutex::default(),
            revoked: Revocations::default(),
            last_issued_us: AtomicI64::new(0),
            next_epoch: AtomicU64::new(1),
        }
    }
}

/// Compares secrets without leaking where they differ through timing.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `len` characters of `[A-Za-z0-9_-]` from a CSPRNG.
pub(crate) fn token_chars(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // ThreadRng is a CSPRNG reseeded from the OS; the --seed never reaches tokens.
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// Wall time in microseconds since the epoch.
pub(crate) fn wall_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn invalid() -> ApiError {
    ApiError::new(ErrCode::INVALID_ACCESS_TOKEN)
}

impl Tokens {
    /// A fresh epoch for a corp incarnation (tokens verified under another are verified again).
    pub(crate) fn new_epoch(&self) -> u64 {
        self.next_epoch.fetch_add(1, Ordering::Relaxed)
    }

    /// The revocation instants, for the compactor.
    pub(crate) fn revocations(&self) -> Revocations {
        Arc::clone(&self.revoked)
    }

    /// Puts back revocations recovered from a data dir.
    pub(crate) fn restore_revocations(&self, recovered: BTreeMap<String, i64>) {
        let mut revoked = self.revoked.write();
        for (corpid, before) in recovered {
            let slot = revoked.entry(corpid).or_insert(before);
            *slot = (*slot).max(before);
        }
    }

    /// `true` when tokens of `corpid` issued at `issued_us` are revoked.
    fn is_revoked(&self, corpid: &str, issued_us: i64) -> bool {
        self.revoked.read().get(corpid).is_some_and(|before| issued_us <= *before)
    }

    /// `gettoken` with the corp's `secret`: the same token while it is valid, a new one after.
    pub(crate) fn issue(&self, corp: &Arc<Corp>, corpid: &str, secret: &str) -> Result<(String, i64), ApiError> {
        let (agentid, now) = {
            let state = corp.state.read();
            // Every secret is compared, so timing does not tell which app nearly matched.
            let mut found = None;
            for app in &state.directory.apps {
                if constant_time_eq(app.secret.as_bytes(), secret.as_bytes()) {
                    found = Some(app.agentid);
                }
            }
            (found.ok_or_else(|| ApiError::new(ErrCode::INVALID_CREDENTIAL))?, state.now_at(wall_now()))
        };
        let mut current = self.current.lock();
        let slot = (corpid.to_owned(), agentid);
        if let Some(token) = current.get(&slot) {
            // Verified again: the corp may have been replaced with another secret meanwhile.
            let verified = Claims::open(token).ok_or_else(invalid).and_then(|claims| self.verify(token, &claims, corp));
            match verified {
                Ok(seen) if !seen.superseded && now < seen.expires_at => {
                    // The seconds it has left (more than a lifetime once the clock moved back).
                    return Ok((token.clone(), seen.expires_at.saturating_sub(now)));
                }
                Ok(seen) if now >= seen.expires_at => {
                    if let Some(mut entry) = self.map.get_mut(token.as_str()) {
                        entry.superseded = true;
                    }
                }
                _ => {}
            }
        }
        let lifetime = wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS;
        let revoked_before = self.revoked.read().get(corpid).copied().unwrap_or(i64::MIN);
        // Within what the token's 7 bytes hold (the year 4253), so the cache and the token agree.
        let issued_us = wall_micros().max(revoked_before.saturating_add(1)).min(token::MAX_ISSUED_US);
        self.last_issued_us.fetch_max(issued_us, Ordering::AcqRel);
        let mut nonce = [0u8; NONCE_LEN];
        // ThreadRng is a CSPRNG reseeded from the OS; the --seed never reaches tokens.
        rand::rng().fill_bytes(&mut nonce);
        let expires_at = now.saturating_add(lifetime);
        let token = token::seal(corpid, agentid, issued_us, expires_at, nonce, secret);
        self.map.insert(
            token.clone(),
            TokenEntry {
                corpid: Arc::from(corpid),
                corp: Arc::downgrade(corp),
                agentid,
                expires_at,
                epoch: corp.epoch.load(Ordering::Acquire),
                superseded: false,
            },
        );
        current.insert(slot, token.clone());
        Ok((token, lifetime))
    }

    /// A token of a live corp as the cache knows it, or `None` when it must be verified (never
    /// seen, or seen under another corp incarnation or revocation epoch). Copies three fields:
    /// this is on the path of every call.
    pub(crate) fn cached(&self, token: &str) -> Option<(Arc<Corp>, Seen)> {
        let entry = self.map.get(token)?;
        let corp = entry.corp.upgrade()?;
        if corp.retired.load(Ordering::Acquire) || corp.epoch.load(Ordering::Acquire) != entry.epoch {
            return None;
        }
        let seen = Seen { agentid: entry.agentid, expires_at: entry.expires_at, superseded: entry.superseded };
        Some((corp, seen))
    }

    /// Checks a token the cache does not vouch for against a live corp it names: the MAC under
    /// the app's secret, then the revocations; caches it when it passes. 40014 otherwise.
    pub(crate) fn verify(&self, token: &str, claims: &Claims, corp: &Arc<Corp>) -> Result<Seen, ApiError> {
        // Read before the revocations: a revocation that lands after it bumps the epoch, so the
        // entry cached below is verified again on its next use.
        let epoch = corp.epoch.load(Ordering::Acquire);
        let corpid: Arc<str> = {
            let state = corp.state.read();
            let app = state.directory.app(claims.agentid).ok_or_else(invalid)?;
            if !claims.signed_by(&state.corpid, &app.secret) {
                return Err(invalid());
            }
            Arc::from(state.corpid.as_str())
        };
        if self.is_revoked(&corpid, claims.issued_us) {
            return Err(invalid());
        }
        let mut entry = self.map.entry(token.to_owned()).or_insert_with(|| TokenEntry {
            corpid,
            corp: Weak::new(),
            agentid: claims.agentid,
            expires_at: claims.expires_at,
            epoch,
            superseded: false,
        });
        entry.corp = Arc::downgrade(corp);
        entry.epoch = epoch;
        Ok(Seen { agentid: entry.agentid, expires_at: entry.expires_at, superseded: entry.superseded })
    }

    /// The corpid a token was issued for, when its MAC verifies against a live corp it names
    /// (`corps` gives them), or it is cached: fault rules limited to a corp and the request
    /// journal name the corp of calls the token check refuses, never one a forged token names.
    pub(crate) fn corpid_of(&self, token: &str, corps: impl FnOnce(&Claims) -> Vec<Arc<Corp>>) -> Option<Arc<str>> {
        if let Some(entry) = self.map.get(token) {
            return Some(Arc::clone(&entry.corpid));
        }
        let claims = Claims::open(token)?;
        corps(&claims).into_iter().find_map(|corp| {
            let state = corp.state.read();
            let signed =
                state.directory.app(claims.agentid).is_some_and(|app| claims.signed_by(&state.corpid, &app.secret));
            signed.then(|| Arc::from(state.corpid.as_str()))
        })
    }

    /// Checks an accepted token's expiry on the corp's clock: the corp's expired-token code
    /// once superseded or past its lifetime; then runs `then` under the same read lock (what
    /// the call needs to know next, without locking again). `wall` is the call's reading of
    /// the wall clock ([`wall_now`](super::clock::wall_now)); `then` gets the corp's
    /// instant at it.
    pub(crate) fn check<T>(
        seen: Seen,
        corp: &Corp,
        wall: i64,
        then: impl FnOnce(&CorpState, i64) -> T,
    ) -> Result<T, ApiError> {
        let state = corp.state.read();
        let now = state.now_at(wall);
        if seen.superseded || now >= seen.expires_at {
            return Err(ApiError::new(state.directory.expired_token_errcode));
        }
        Ok(then(&state, now))
    }

    /// The instant a revocation of `corpid` made now covers: every token issued so far.
    pub(crate) fn revocation_instant(&self, corpid: &str) -> i64 {
        let previous = self.revoked.read().get(corpid).copied().unwrap_or(i64::MIN);
        wall_micros().max(self.last_issued_us.load(Ordering::Acquire)).max(previous)
    }

    /// Every token of `corpid` issued at or before `before` answers 40014 from now on, for
    /// good (the live corp's cached tokens are verified again and refused).
    pub(crate) fn revoke(&self, corp: Option<&Corp>, corpid: &str, before: i64) {
        {
            let mut revoked = self.revoked.write();
            let slot = revoked.entry(corpid.to_owned()).or_insert(before);
            *slot = (*slot).max(before);
        }
        // After the instant is in place: a verification that read the old epoch is redone.
        if let Some(corp) = corp {
            corp.epoch.store(self.new_epoch(), Ordering::Release);
        }
        self.current.lock().retain(|(id, _), _| id != corpid);
        self.map.retain(|_, entry| &*entry.corpid != corpid);
    }
}
