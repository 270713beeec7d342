//! # wecom-mock
//!
//! A stateful, in-memory fake of the WeCom server for the "Contact Me" (联系我) and "Join Group"
//! (加入群聊) APIs, wire compatible with the real one: the same paths, HTTP 200 with the errcode
//! envelope, errmsg in the real shape, token lifecycle, quotas, member checks, one-time temp QR
//! codes, the 2021-07-10 list cutoff and stable cursors. Around it, a control surface
//! (`/__admin/…`, in Rust [`Control`]) lets tests move the virtual clock, simulate customers
//! scanning and joining, and read a deterministic state dump; operators get `/metrics`,
//! injected faults ([`api::FaultRule`]), per-corp rate limits, the request journal
//! ([`api::RequestQuery`]), checkpoints and a hygiene report of each corp's client
//! ([`api::HygieneReport`]), see `docs/OPERATIONS.md`.
//!
//! Use it from Rust tests:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use wecom_mock::MockServer;
//! use wecom_mock::api::ScanRequest;
//!
//! let mock = MockServer::start().await; // random port, the default corp ready
//! let base_url = mock.uri();            // point your client here
//! let (corpid, secret) = (mock.corpid(), mock.secret());
//! mock.control().set_clock(1_700_000_000).expect("every corp's clock frozen");
//! let unknown = mock.control().scan(&ScanRequest { corpid: corpid.into(), config_id: "nope".into(), ..Default::default() });
//! assert_eq!(unknown.map_err(|e| e.status()), Err(404));
//! # let _ = (base_url, secret);
//! # }
//! ```
//!
//! or run the `wecom-mock` binary (`cargo run -p wecom-mock`), which serves the same code.
//!
//! Every path it serves is described by an OpenAPI 3.1 document generated from the types
//! ([`openapi_document`]), served at `GET /__admin/openapi.json` and kept as `docs/openapi.json`.
//!
//! State lives in memory unless a data dir is given ([`MockServerBuilder::data_dir`], or
//! `--data-dir` for the binary): then every change is journaled before it is answered and
//! survives a restart (see `docs/RELIABILITY.md`).
//!
//! The source is grouped by layer (see `ARCHITECTURE.md`): `core/` is pure (state, events,
//! rules), `state/` holds the corps and performs the control surface, `durability/` the journal,
//! `traffic/` what is counted around calls, `net/` the outbound callbacks, `http/` the routing.
//!
//! What it is not: it does not depend on `wecom-client`, and it only models the APIs of this
//! project.

pub mod api;
mod connection;
mod core;
mod durability;
mod http;
mod net;
mod server;
mod state;
mod traffic;

#[doc(hidden)]
pub use crate::core::domain::Bug;
pub use crate::core::fixtures;
pub use durability::{DEFAULT_COMPACT_BYTES, DataDir, FsyncPolicy, OpenError};
pub use http::openapi::document as openapi_document;
pub use http::{DRAIN_BYTES, MAX_ADMIN_BODY_BYTES};
pub use http::{DRIFT_HEADER, MAX_BODY_BYTES};
pub use net::upstream::{DEFAULT_UPSTREAM_TIMEOUT, MAX_PROXIED_BODY_BYTES, Upstream, UpstreamError};
pub use server::{MockServer, MockServerBuilder, StartError, serve};
pub use state::{
    Control, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS_PERCENT,
    DEFAULT_MAX_CORPS, DEFAULT_MAX_TOTAL_CONFIGS, MockState, Settings, TenantSignup, default_max_connections,
    timeout_or_off,
};
