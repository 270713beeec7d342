//! Rate limits (`"rate_limits"` in a corp's fixture; off by default): per corp and API, at most
//! `per_minute` and `per_hour` calls (45009 beyond) and at most `concurrent` calls in flight
//! (45033 beyond). Step 5 of the order of checks: after the token and the app's permission.
//!
//! Frequency is counted in fixed windows aligned to the corp's virtual clock: the minute
//! `[60k, 60k + 60)` and the hour `[3600k, 3600k + 3600)` of unix time. A frozen clock never
//! leaves its window, so a test sees 45009 for as long as it wants and a fresh window as soon as
//! it advances the clock past the boundary. A call answered 45009 or 45033 counts against
//! neither limit, so a client that backs off gets through as soon as the window turns. A call is
//! in flight from this check until its answer is sent (an injected delay included). `gettoken`
//! is not limited. Each window is one atomic word per API: no lock, nothing allocated.
//!
//! These choices are rows of the fidelity table: `RATE_LIMIT_WINDOWS`,
//! `RATE_LIMIT_REFUSED_CALLS_COUNT`, `RATE_LIMIT_SCOPE`, `RATE_LIMIT_IN_FLIGHT`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use wecom_types::{Api, ErrCode};

use crate::core::model::RateLimits;

/// One API's counters in one corp.
#[derive(Default)]
struct ApiRate {
    in_flight: AtomicU32,
    /// `(window << 32) | count`, the window being the minute (or hour) number truncated to 32
    /// bits.
    minute: AtomicU64,
    hour: AtomicU64,
}

/// A corp's counters, one set per API.
pub(crate) struct RateCounters {
    apis: [ApiRate; Api::ALL.len()],
}

impl Default for RateCounters {
    fn default() -> Self {
        RateCounters { apis: std::array::from_fn(|_| ApiRate::default()) }
    }
}

/// A call in flight: the concurrency slot is given back when this is dropped.
pub(crate) struct Slot {
    rates: Arc<RateCounters>,
    api: usize,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(rate) = self.rates.apis.get(self.api) {
            rate.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

fn pack(window: u32, count: u32) -> u64 {
    (u64::from(window) << 32) | u64::from(count)
}

fn unpack(word: u64) -> (u32, u32) {
    ((word >> 32) as u32, word as u32)
}

/// Counts one call in `window` unless `limit` calls were counted there already.
fn take(cell: &AtomicU64, window: u32, limit: u32) -> bool {
    let mut current = cell.load(Ordering::Acquire);
    loop {
        let (seen, count) = unpack(current);
        // Another window (a later one, or an earlier one after the clock moved back) starts over.
        let count = if seen == window { count } else { 0 };
        if count >= limit {
            return false;
        }
        match cell.compare_exchange_weak(current, pack(window, count + 1), Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return true,
            Err(actual) => current = actual,
        }
    }
}

/// Takes back a call counted by [`take`] in `window` (when the other limit refused it).
fn give_back(cell: &AtomicU64, window: u32) {
    let mut current = cell.load(Ordering::Acquire);
    loop {
        let (seen, count) = unpack(current);
        if seen != window || count == 0 {
            return;
        }
        match cell.compare_exchange_weak(current, pack(window, count - 1), Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// Admits a call of `api` to a corp (its `rates`) at virtual instant `now`, or answers 45033 /
/// 45009.
pub(crate) fn admit(rates: &Arc<RateCounters>, api: Api, limits: &RateLimits, now: i64) -> Result<Slot, ErrCode> {
    let index = api as usize;
    let Some(rate) = rates.apis.get(index) else {
        return Err(ErrCode::SYSTEM_BUSY);
    };
    let before = rate.in_flight.fetch_add(1, Ordering::AcqRel);
    // From here the slot is held; dropping it (on any refusal below) gives it back.
    let slot = Slot { rates: Arc::clone(rates), api: index };
    if before >= limits.concurrent {
        return Err(ErrCode::API_CONCURRENT_OUT_OF_LIMIT);
    }
    let minute = now.div_euclid(60) as u32;
    let hour = now.div_euclid(3600) as u32;
    if !take(&rate.minute, minute, limits.per_minute) {
        return Err(ErrCode::API_FREQ_OUT_OF_LIMIT);
    }
    if !take(&rate.hour, hour, limits.per_hour) {
        give_back(&rate.minute, minute);
        return Err(ErrCode::API_FREQ_OUT_OF_LIMIT);
    }
    Ok(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_up_to_its_limit_and_a_new_window_starts_over() {
        let cell = AtomicU64::new(0);
        let taken: Vec<bool> = (0..4).map(|_| take(&cell, 7, 3)).collect();
        assert_eq!(taken, [true, true, true, false]);
        assert!(take(&cell, 8, 3), "the next window");
        assert!(take(&cell, 6, 3), "an earlier window after the clock moved back starts over too");
    }

    #[test]
    fn giving_back_frees_a_place_in_the_same_window_only() {
        let cell = AtomicU64::new(0);
        assert!(take(&cell, 1, 1));
        give_back(&cell, 2);
        assert!(!take(&cell, 1, 1));
        give_back(&cell, 1);
        assert!(take(&cell, 1, 1));
    }
}
