//! Access tokens: minted from the OS CSPRNG (never from `--seed`), valid for
//! `ACCESS_TOKEN_LIFETIME_SECS` on the corp's virtual clock, invalidated by bumping the corp's
//! epoch (revocation, replacement) or by a newer token of the same app.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use dashmap::DashMap;
use rand::Rng;
use wecom_types::ErrCode;

use super::clock::wall_now;
use super::corp::Corp;
use crate::core::domain::ApiError;
use crate::core::model::CorpState;

/// What a token stands for.
#[derive(Debug, Clone)]
pub(crate) struct TokenEntry {
    pub corpid: Arc<str>,
    /// The corp it was minted by: found without looking the corpid up, while that corp is
    /// still the live one (see `MockState::authenticate`).
    pub corp: Weak<Corp>,
    pub agentid: u32,
    expires_at: i64,
    epoch: u64,
    /// A newer token of the same app was issued: this one answers "expired" whatever the
    /// clock says (a virtual clock moved back must not bring it back to life).
    superseded: bool,
}

/// Every token of the server.
pub(crate) struct Tokens {
    /// foldhash: a token can only be looked up, never stored, by a caller, so a fast hash
    /// without flooding protection is safe here, and it is on the path of every call.
    map: DashMap<String, TokenEntry, foldhash::fast::RandomState>,
    next_epoch: AtomicU64,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens { map: DashMap::default(), next_epoch: AtomicU64::new(1) }
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
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // ThreadRng is a CSPRNG reseeded from the OS; the --seed never reaches tokens.
    let mut rng = rand::rng();
    (0..len).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

impl Tokens {
    /// A fresh epoch for a corp: tokens minted under any other are invalid.
    pub(crate) fn new_epoch(&self) -> u64 {
        self.next_epoch.fetch_add(1, Ordering::Relaxed)
    }

    /// `gettoken`: the same token while it is valid, a new one after.
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
        let epoch = corp.epoch.load(Ordering::Acquire);
        let mut issued = corp.issued.lock();
        if let Some((current, _)) = issued.get(&agentid)
            && let Some(entry) = self.map.get(current)
            && entry.epoch == epoch
            && now < entry.expires_at
        {
            // The seconds it has left (more than a lifetime once the clock moved back).
            return Ok((current.clone(), entry.expires_at.saturating_sub(now)));
        }
        let token = token_chars(64);
        let lifetime = wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS;
        self.map.insert(
            token.clone(),
            TokenEntry {
                corpid: Arc::from(corpid),
                corp: Arc::downgrade(corp),
                agentid,
                expires_at: now.saturating_add(lifetime),
                epoch,
                superseded: false,
            },
        );
        let previous = issued.insert(agentid, (token.clone(), None));
        if let Some((before, older)) = previous {
            if let Some(older) = older {
                self.map.remove(&older);
            }
            if let Some(mut entry) = self.map.get_mut(&before) {
                entry.superseded = true;
            }
            if let Some(slot) = issued.get_mut(&agentid) {
                slot.1 = Some(before);
            }
        }
        Ok((token, lifetime))
    }

    /// What `token` stands for, valid or not.
    pub(crate) fn lookup(&self, token: &str) -> Option<TokenEntry> {
        self.map.get(token).map(|entry| entry.clone())
    }

    /// The corp a token was minted for, even expired.
    pub(crate) fn corpid_of(&self, token: &str) -> Option<Arc<str>> {
        self.map.get(token).map(|entry| Arc::clone(&entry.corpid))
    }

    /// Checks a known token against its corp: 40014 under an old epoch, the corp's
    /// expired-token code once superseded or past its lifetime; then runs `then` under the same
    /// read lock (what the call needs to know next, without locking again).
    /// `wall` is the call's reading of the wall clock ([`wall_now`](super::clock::wall_now));
    /// `then` gets the corp's instant at it.
    pub(crate) fn check<T>(
        entry: &TokenEntry,
        corp: &Corp,
        wall: i64,
        then: impl FnOnce(&CorpState, i64) -> T,
    ) -> Result<T, ApiError> {
        if corp.epoch.load(Ordering::Acquire) != entry.epoch {
            return Err(ApiError::new(ErrCode::INVALID_ACCESS_TOKEN));
        }
        let state = corp.state.read();
        let now = state.now_at(wall);
        if entry.superseded || now >= entry.expires_at {
            return Err(ApiError::new(state.directory.expired_token_errcode));
        }
        Ok(then(&state, now))
    }

    /// Every token of the corp becomes invalid (40014 from then on).
    pub(crate) fn revoke(&self, corp: &Corp, corpid: &str) {
        corp.epoch.store(self.new_epoch(), Ordering::Release);
        corp.issued.lock().clear();
        self.map.retain(|_, entry| &*entry.corpid != corpid);
    }
}
