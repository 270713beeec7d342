//! The wall clock. It is read here and in the layers above, never in `core/`: the core takes
//! every instant as a value (a corp's [`Clock::now_at`](crate::core::model::Clock::now_at) the
//! wall reading given), so its rules can be run at any time a test chooses.

/// Wall-clock unix seconds.
pub(crate) fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
