//! The client against a scriptable in-test HTTP stub (`stub.rs`). Each test names the one
//! behaviour it proves; none sleeps or measures time (backoff waits are a millisecond or two).
//!
//! The stub stands in for `wecom-mock`, which is written in parallel; once it lands, these
//! tests should drive it instead where it can reproduce the scenario.

mod join;
mod logs;
mod pagination;
mod retry;
mod stub;
mod token;
mod update;
mod validation;
mod wire;
