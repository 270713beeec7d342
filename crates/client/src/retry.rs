//! Retries as data: a [`RetryPolicy`], the [`Outcome`] of one send, and the pure [`decide`]
//! function that says what to do next. The send loop only sleeps and resends; every rule lives
//! here, where it is tested without a network.
//!
//! What is retried:
//!
//! | outcome | idempotent API | add_contact_way / add_join_way |
//! |---|---|---|
//! | errcode -1, 45009, 45033 | backoff, up to `max_retries` | the same: the server refused, nothing was created |
//! | errcode 40001, 40014, 42001 | refresh the token, resend once | the same: a token error is answered before anything is created |
//! | transport error, never sent (connect, DNS, TLS) | backoff | backoff: the server never saw it |
//! | transport error, maybe sent (timeout, reset, cut-off answer) | backoff | **returned at once**, see below |
//! | HTTP 429, 502, 503, 504 without a WeCom answer | backoff | 429 backoff; 5xx returned at once |
//! | anything else | returned at once | returned at once |
//!
//! An add whose fate is unknown is not resent, because a resend that succeeds would create a
//! second config and the first one's id (the only key to it, and a unit of the 500 000 quota)
//! would be lost. The caller gets [`Error::Transport`] with
//! [`Delivery::MaybeSent`] and decides: give each add a unique `state` and look for it with
//! [`Client::contact_way_ids`](crate::Client::contact_way_ids) before trying again.

use std::time::Duration;

use wecom_types::ErrCode;

use crate::error::{Delivery, Error, is_transient_status};

/// How often and how patiently the client retries transient failures.
///
/// ```
/// use std::time::Duration;
/// use wecom_client::RetryPolicy;
///
/// let policy = RetryPolicy { max_retries: 5, base_delay: Duration::from_millis(50), ..RetryPolicy::default() };
/// assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(50));
/// assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Resends after the first try; 0 turns backoff retries off. The one resend after a token
    /// refresh is not counted here.
    pub max_retries: u32,
    /// The backoff ceiling of the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The largest backoff ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

impl RetryPolicy {
    /// A policy that never backs off and resends (token refreshes still happen).
    ///
    /// ```
    /// assert_eq!(wecom_client::RetryPolicy::none().max_retries, 0);
    /// ```
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// The longest wait before retry number `retry` (1-based): `base_delay · 2^(retry-1)`, at most
    /// `max_delay`. The actual wait is drawn uniformly below it ([`full_jitter`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = wecom_client::RetryPolicy::default();
    /// assert_eq!(policy.backoff_ceiling(40), policy.max_delay);
    /// ```
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.base_delay.saturating_mul(1u32 << doublings).min(self.max_delay)
    }
}

/// What one send came back with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// errcode 0.
    Success,
    /// A WeCom answer with this non-zero errcode.
    Api(ErrCode),
    /// Lost in transport.
    Transport(Delivery),
    /// A non-success HTTP status without a WeCom answer.
    Http(u16),
    /// Nothing a resend could fix (validation, decoding, configuration).
    Fatal,
}

impl Outcome {
    /// Classifies a call's result.
    ///
    /// ```
    /// use wecom_client::{Error, retry::Outcome};
    /// use wecom_types::{Api, ErrCode};
    ///
    /// let err = Error::Api { api: Api::DelJoinWay, code: ErrCode(45009), message: String::new() };
    /// assert_eq!(Outcome::of::<()>(&Err(err)), Outcome::Api(ErrCode::API_FREQ_OUT_OF_LIMIT));
    /// ```
    pub fn of<T>(result: &Result<T, Error>) -> Outcome {
        match result {
            Ok(_) => Outcome::Success,
            Err(Error::Api { code, .. }) => Outcome::Api(*code),
            Err(Error::Transport { delivery, .. }) => Outcome::Transport(*delivery),
            Err(Error::Http { status, .. }) => Outcome::Http(*status),
            Err(_) => Outcome::Fatal,
        }
    }
}

/// Where a call stands when [`decide`] is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempt {
    /// Backoff retries already made.
    pub retries: u32,
    /// The API may create something (`ApiInfo::creates`).
    pub creates: bool,
    /// The API carries an access token (all but gettoken).
    pub needs_token: bool,
    /// The token was already refreshed once for this call.
    pub token_refreshed: bool,
}

/// What the send loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Hand the result to the caller.
    Return,
    /// Drop the token that failed, get a fresh one and resend at once.
    RefreshToken,
    /// Wait a random time up to `ceiling`, then resend.
    Retry {
        /// The upper bound of the wait.
        ceiling: Duration,
    },
}

/// The next step after a send, from the policy, where the call stands, and what came back.
///
/// ```
/// use wecom_client::retry::{decide, Attempt, Decision, Outcome};
/// use wecom_client::{Delivery, RetryPolicy};
///
/// let policy = RetryPolicy::default();
/// let add = Attempt { creates: true, needs_token: true, ..Attempt::default() };
/// assert_eq!(decide(&policy, &add, Outcome::Transport(Delivery::MaybeSent)), Decision::Return);
/// assert!(matches!(decide(&policy, &add, Outcome::Transport(Delivery::NotSent)), Decision::Retry { .. }));
/// ```
pub fn decide(policy: &RetryPolicy, attempt: &Attempt, outcome: Outcome) -> Decision {
    let backoff = || {
        if attempt.retries >= policy.max_retries {
            return Decision::Return;
        }
        Decision::Retry { ceiling: policy.backoff_ceiling(attempt.retries + 1) }
    };
    match outcome {
        Outcome::Success | Outcome::Fatal => Decision::Return,
        // gettoken's own 40001 means a wrong secret: a fresh token cannot cure it.
        Outcome::Api(code) if code.is_token_error() => {
            if attempt.needs_token && !attempt.token_refreshed {
                Decision::RefreshToken
            } else {
                Decision::Return
            }
        }
        Outcome::Api(code) if code.is_transient() => backoff(),
        Outcome::Api(_) => Decision::Return,
        Outcome::Transport(Delivery::NotSent) => backoff(),
        Outcome::Transport(Delivery::MaybeSent) if attempt.creates => Decision::Return,
        Outcome::Transport(Delivery::MaybeSent) => backoff(),
        // A 429 is the gateway refusing before forwarding; a 5xx may come after it forwarded.
        Outcome::Http(429) => backoff(),
        Outcome::Http(status) if is_transient_status(status) && !attempt.creates => backoff(),
        Outcome::Http(_) => Decision::Return,
    }
}

/// "Full jitter": a wait drawn uniformly from `[0, ceiling]`, with `unit` the draw in `[0, 1)`.
/// Spreading the waits over the whole range keeps many clients that failed together from
/// coming back together.
///
/// ```
/// use std::time::Duration;
/// use wecom_client::retry::full_jitter;
///
/// assert_eq!(full_jitter(Duration::from_millis(100), 0.5), Duration::from_millis(50));
/// assert_eq!(full_jitter(Duration::from_millis(100), 7.0), Duration::from_millis(100));
/// ```
pub fn full_jitter(ceiling: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.0 };
    ceiling.mul_f64(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy =
        RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(10), max_delay: Duration::from_millis(25) };

    fn business(retries: u32) -> Attempt {
        Attempt { retries, creates: false, needs_token: true, token_refreshed: false }
    }

    fn add(retries: u32) -> Attempt {
        Attempt { creates: true, ..business(retries) }
    }

    fn retry(ms: u64) -> Decision {
        Decision::Retry { ceiling: Duration::from_millis(ms) }
    }

    #[track_caller]
    fn check(attempt: Attempt, outcome: Outcome, expected: Decision) {
        assert_eq!(decide(&POLICY, &attempt, outcome), expected, "{attempt:?} {outcome:?}");
    }

    #[test]
    fn transient_errcodes_back_off_until_the_bound() {
        for code in [ErrCode::SYSTEM_BUSY, ErrCode::API_FREQ_OUT_OF_LIMIT, ErrCode::API_CONCURRENT_OUT_OF_LIMIT] {
            check(business(0), Outcome::Api(code), retry(10));
            check(business(1), Outcome::Api(code), retry(20));
            check(business(2), Outcome::Api(code), retry(25));
            check(business(3), Outcome::Api(code), Decision::Return);
            // An add that the server refused created nothing, so it is retried the same way.
            check(add(0), Outcome::Api(code), retry(10));
        }
    }

    #[test]
    fn other_errcodes_return_at_once() {
        for code in [40058, 41044, 41045, 48002, 60111, 84061, 86003, 123_456] {
            check(business(0), Outcome::Api(ErrCode(code)), Decision::Return);
            check(add(0), Outcome::Api(ErrCode(code)), Decision::Return);
        }
    }

    #[test]
    fn token_errors_refresh_once_then_return() {
        for code in [ErrCode::INVALID_CREDENTIAL, ErrCode::INVALID_ACCESS_TOKEN, ErrCode::ACCESS_TOKEN_EXPIRED] {
            check(business(0), Outcome::Api(code), Decision::RefreshToken);
            check(add(2), Outcome::Api(code), Decision::RefreshToken);
            check(Attempt { token_refreshed: true, ..business(0) }, Outcome::Api(code), Decision::Return);
        }
    }

    #[test]
    fn gettoken_never_refreshes_its_own_errors() {
        let gettoken = Attempt { needs_token: false, ..business(0) };
        check(gettoken, Outcome::Api(ErrCode::INVALID_CREDENTIAL), Decision::Return);
        check(gettoken, Outcome::Api(ErrCode::SYSTEM_BUSY), retry(10));
    }

    #[test]
    fn transport_errors_resend_unless_an_add_may_have_arrived() {
        check(business(0), Outcome::Transport(Delivery::MaybeSent), retry(10));
        check(business(0), Outcome::Transport(Delivery::NotSent), retry(10));
        check(add(0), Outcome::Transport(Delivery::NotSent), retry(10));
        check(add(0), Outcome::Transport(Delivery::MaybeSent), Decision::Return);
        check(business(3), Outcome::Transport(Delivery::NotSent), Decision::Return);
    }

    #[test]
    fn gateway_statuses_follow_the_same_caution() {
        check(business(0), Outcome::Http(503), retry(10));
        check(add(0), Outcome::Http(503), Decision::Return);
        check(add(0), Outcome::Http(429), retry(10));
        check(business(0), Outcome::Http(404), Decision::Return);
        check(business(0), Outcome::Http(500), Decision::Return);
    }

    #[test]
    fn success_and_fatal_return() {
        check(business(0), Outcome::Success, Decision::Return);
        check(business(0), Outcome::Fatal, Decision::Return);
    }

    #[test]
    fn no_retries_policy_never_backs_off() {
        let attempt = business(0);
        assert_eq!(decide(&RetryPolicy::none(), &attempt, Outcome::Api(ErrCode::SYSTEM_BUSY)), Decision::Return);
        assert_eq!(
            decide(&RetryPolicy::none(), &attempt, Outcome::Api(ErrCode::ACCESS_TOKEN_EXPIRED)),
            Decision::RefreshToken
        );
    }

    #[test]
    fn backoff_ceiling_doubles_and_saturates() {
        let policy =
            RetryPolicy { max_retries: 100, base_delay: Duration::from_secs(1), max_delay: Duration::from_secs(60) };
        let ceilings: Vec<u64> = (1..=8).map(|n| policy.backoff_ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(policy.backoff_ceiling(u32::MAX), Duration::from_secs(60));
        assert_eq!(policy.backoff_ceiling(0), Duration::from_secs(1));
    }

    #[test]
    fn jitter_stays_within_the_ceiling() {
        let ceiling = Duration::from_millis(80);
        for (unit, ms) in [(0.0, 0), (0.25, 20), (0.999_999, 79), (1.5, 80), (-1.0, 0), (f64::NAN, 0)] {
            assert_eq!(full_jitter(ceiling, unit).as_millis(), ms, "unit {unit}");
        }
    }
}
