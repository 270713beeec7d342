//! `/healthz`: the status and the build that answers.

use hyper::StatusCode;

use crate::state::MockState;

/// `/healthz` while the mock serves normally: the status and the crate's version, so that an
/// operator (or the image smoke test) sees which build answers.
const HEALTHY: &str = concat!(r#"{"status":"ok","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#);
/// `/healthz` once a journal write failed (changes are refused): 503, so an orchestrator restarts it.
const JOURNAL_FAILED: &str = concat!(r#"{"status":"journal_failed","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#);

/// The `/healthz` answer, over HTTP and in-process ([`MockState::handle`]) alike.
pub(super) fn health(state: &MockState) -> (StatusCode, &'static str) {
    if state.journal_failed() { (StatusCode::SERVICE_UNAVAILABLE, JOURNAL_FAILED) } else { (StatusCode::OK, HEALTHY) }
}
