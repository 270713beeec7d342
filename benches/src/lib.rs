//! # wecom-benches
//!
//! Will be: criterion benches of encoding, validation, the mock's request handling and
//! client-to-mock round trips, a bare hyper baseline, and the `wecom-bench` load tool.
