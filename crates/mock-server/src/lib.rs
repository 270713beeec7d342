//! # wecom-mock
//!
//! Will be: a stateful in-memory fake of the WeCom server for Contact Me and Join Group, wire
//! compatible with the real one, embeddable in tests (`MockServer::start()`) and runnable as the
//! `wecom-mock` binary.
//!
//! It never depends on `wecom-client`.
