//! The access-token cache: one token per client, refreshed a margin before it runs out, by one
//! task at a time.
//!
//! Two locks with two jobs: a short synchronous lock guards the cached value (never held across
//! an `await`), and an async mutex makes sure that only one task calls `gettoken` while the
//! others wait for its result instead of sending their own.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use wecom_types::Api;
use wecom_types::api::GetTokenResponse;

use crate::error::Error;

/// The default time before expiry at which the token is refreshed.
pub(crate) const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

#[derive(Clone)]
struct Cached {
    token: Arc<str>,
    refresh_at: Instant,
}

/// What the refreshing task leaves behind for the tasks that waited on it.
#[derive(Default)]
struct Flight {
    /// The error of the last refresh and the epoch it ended, so waiters that queued during that
    /// refresh share its failure instead of each sending their own gettoken.
    last_failure: Option<(u64, Error)>,
}

pub(crate) struct TokenCache {
    current: RwLock<Option<Cached>>,
    flight: Mutex<Flight>,
    /// Counts finished refreshes; a waiter compares it before and after queueing.
    epoch: AtomicU64,
    margin: Duration,
}

/// How long a token that is valid for `expires_in` seconds is used before refreshing.
///
/// Normally `expires_in - margin`. The server may answer with the remaining lifetime of a token
/// it already handed out, which can be shorter than the margin; then half of what is left is
/// used, so the cache neither refetches on every call nor keeps a token to its last second.
pub(crate) fn usable_for(expires_in: i64, margin: Duration) -> Duration {
    let lifetime = Duration::from_secs(u64::try_from(expires_in).unwrap_or(0));
    lifetime.saturating_sub(margin).max(lifetime / 2)
}

impl TokenCache {
    pub(crate) fn new(margin: Duration) -> Self {
        TokenCache {
            current: RwLock::new(None),
            flight: Mutex::new(Flight::default()),
            epoch: AtomicU64::new(0),
            margin,
        }
    }

    /// The cached token if it is not due for a refresh.
    fn fresh(&self) -> Option<Arc<str>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current.as_ref().filter(|c| Instant::now() < c.refresh_at).map(|c| Arc::clone(&c.token))
    }

    /// A valid token: the cached one, or one fetched by `fetch` (by this task or by the one
    /// already fetching).
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<str>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<GetTokenResponse, Error>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.epoch.load(Ordering::Acquire);
        let mut flight = self.flight.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        if let Some((epoch, error)) = &flight.last_failure
            && *epoch > seen
        {
            return Err(error.clone());
        }
        let started = Instant::now();
        let result = fetch().await.and_then(|answer| {
            if answer.access_token.is_empty() {
                // errcode 0 without a token: caching "" would send `access_token=` forever.
                let missing = <serde_json::Error as serde::de::Error>::missing_field("access_token");
                return Err(Error::Decode { api: Api::GetToken, source: Arc::new(missing) });
            }
            Ok(answer)
        });
        let epoch = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        match result {
            Ok(answer) => {
                let token: Arc<str> = answer.access_token.into();
                // Counting from before the request errs on the early side.
                let refresh_at = started + usable_for(answer.expires_in, self.margin);
                *self.current.write().unwrap_or_else(PoisonError::into_inner) =
                    Some(Cached { token: Arc::clone(&token), refresh_at });
                flight.last_failure = None;
                Ok(token)
            }
            Err(error) => {
                flight.last_failure = Some((epoch, error.clone()));
                Err(error)
            }
        }
    }

    /// Forgets `failed` after the server rejected it, unless another task has already replaced
    /// it (then the replacement is kept, and no second refresh happens).
    pub(crate) fn invalidate(&self, failed: &str) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| &*c.token == failed) {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use wecom_types::ErrCode;

    use super::*;

    #[test]
    fn usable_lifetime_keeps_the_margin_or_half() {
        let margin = Duration::from_secs(300);
        for (expires_in, secs) in [(7200, 6900), (600, 300), (400, 200), (100, 50), (0, 0), (-5, 0)] {
            assert_eq!(usable_for(expires_in, margin), Duration::from_secs(secs), "expires_in {expires_in}");
        }
    }

    fn answer(token: &str, expires_in: i64) -> Result<GetTokenResponse, Error> {
        Ok(GetTokenResponse { access_token: token.to_owned(), expires_in })
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_reused_until_its_refresh_time() {
        let cache = TokenCache::new(Duration::from_secs(300));
        assert_eq!(&*cache.get(|| async { answer("one", 7200) }).await.expect("token"), "one");
        assert_eq!(&*cache.get(|| async { answer("two", 7200) }).await.expect("token"), "one");
        tokio::time::advance(Duration::from_secs(6899)).await;
        assert_eq!(&*cache.get(|| async { answer("two", 7200) }).await.expect("token"), "one");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(&*cache.get(|| async { answer("two", 7200) }).await.expect("token"), "two");
    }

    #[tokio::test]
    async fn invalidate_only_drops_the_token_that_failed() {
        let cache = TokenCache::new(Duration::from_secs(300));
        cache.get(|| async { answer("one", 7200) }).await.expect("token");
        cache.invalidate("stale");
        assert_eq!(&*cache.get(|| async { answer("two", 7200) }).await.expect("token"), "one");
        cache.invalidate("one");
        assert_eq!(&*cache.get(|| async { answer("two", 7200) }).await.expect("token"), "two");
    }

    /// Ten tasks ask a cold cache while the first fetch is held open; returns what each got and
    /// how many fetches ran.
    async fn ten_waiters(outcome: Result<GetTokenResponse, Error>) -> (Vec<Result<Arc<str>, Error>>, usize) {
        use std::sync::atomic::AtomicUsize;
        use tokio::sync::Notify;

        let cache = Arc::new(TokenCache::new(Duration::from_secs(300)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Notify::new());
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (cache, fetches, gate, outcome) =
                    (Arc::clone(&cache), Arc::clone(&fetches), Arc::clone(&gate), outcome.clone());
                tokio::spawn(async move {
                    cache
                        .get(|| async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            gate.notified().await;
                            outcome
                        })
                        .await
                })
            })
            .collect();
        // On the current-thread runtime this lets every task run until it waits: one on the
        // gate, nine on the flight lock.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.expect("task"));
        }
        (results, fetches.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn waiters_share_one_fetch() {
        let (results, fetches) = ten_waiters(answer("one", 7200)).await;
        assert_eq!(fetches, 1);
        assert!(results.iter().all(|r| r.as_deref().ok() == Some("one")));
    }

    #[tokio::test]
    async fn waiters_share_a_failed_fetch_instead_of_each_sending_one() {
        let wrong_secret = Error::Api { api: Api::GetToken, code: ErrCode::INVALID_CREDENTIAL, message: String::new() };
        let (results, fetches) = ten_waiters(Err(wrong_secret)).await;
        assert_eq!(fetches, 1);
        assert!(results.iter().all(|r| r.as_ref().err().and_then(Error::code) == Some(ErrCode::INVALID_CREDENTIAL)));
    }

    #[tokio::test]
    async fn a_call_after_a_failed_fetch_tries_again() {
        let cache = TokenCache::new(Duration::from_secs(300));
        let busy = Error::Api { api: Api::GetToken, code: ErrCode::SYSTEM_BUSY, message: String::new() };
        cache.get(|| async { Err(busy) }).await.expect_err("busy");
        assert_eq!(&*cache.get(|| async { answer("one", 7200) }).await.expect("token"), "one");
    }

    #[tokio::test]
    async fn an_empty_token_is_an_error_and_not_cached() {
        let cache = TokenCache::new(Duration::from_secs(300));
        let err = cache.get(|| async { answer("", 7200) }).await.expect_err("empty token");
        assert!(matches!(err, Error::Decode { api: Api::GetToken, .. }), "{err:?}");
        assert_eq!(&*cache.get(|| async { answer("one", 7200) }).await.expect("token"), "one");
    }
}
