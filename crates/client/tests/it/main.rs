//! The client against the real `wecom-mock` (`mock.rs`: every API and the behaviours the mock
//! can reproduce) and against a scriptable in-test HTTP stub (`stub.rs`) where a test must
//! count requests or inspect the exact bytes on the wire. Each test names the one behaviour it
//! proves; none sleeps or measures time (backoff waits are a millisecond or two).

mod join;
#[cfg(feature = "ledger")]
mod ledger;
mod logs;
mod mock;
mod pagination;
mod readme;
mod retry;
mod stub;
mod token;
mod transport;
mod update;
mod validation;
mod welcome;
mod wire;
