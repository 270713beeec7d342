//! # wecom-mock
//!
//! A stateful, in-memory fake of the WeCom server for the "Contact Me" (联系我) and "Join Group"
//! (加入群聊) APIs, wire compatible with the real one: the same paths, HTTP 200 with the errcode
//! envelope, errmsg in the real shape, token lifecycle, quotas, member checks, one-time temp QR
//! codes, the 2021-07-10 list cutoff and stable cursors. Around it, a control surface
//! (`/__admin/…`) lets tests move the virtual clock, simulate customers scanning and joining,
//! and read a deterministic state dump; operators get `/metrics`, injected faults
//! ([`FaultRule`]), per-corp rate limits, the request journal ([`RequestQuery`]), checkpoints
//! and a hygiene report of each corp's client ([`HygieneReport`]), see `docs/OPERATIONS.md`.
//!
//! Use it from Rust tests:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use wecom_mock::MockServer;
//!
//! let mock = MockServer::start().await; // random port, the default corp ready
//! let base_url = mock.uri();            // point your client here
//! let (corpid, secret) = (mock.corpid(), mock.secret());
//! # let _ = (base_url, corpid, secret);
//! # }
//! ```
//!
//! or run the `wecom-mock` binary (`cargo run -p wecom-mock`), which serves the same code.
//!
//! State lives in memory unless a data dir is given ([`MockServerBuilder::data_dir`], or
//! `--data-dir` for the binary): then every change is journaled before it is answered and
//! survives a restart (see `docs/RELIABILITY.md`).
//!
//! What it is not: it does not depend on `wecom-client`, and it only models the APIs of this
//! project.

mod callbacks;
mod checkpoints;
mod domain;
mod dump;
mod durability;
mod faults;
mod http;
mod hygiene;
mod metrics;
mod model;
mod ops;
mod ratelimit;
mod requests;
mod server;
mod state;
mod traffic;

pub mod control;
pub mod fixtures;

pub use callbacks::VerifyCallbackResponse;
pub use checkpoints::{CheckpointInfo, CheckpointRequest, MAX_CHECKPOINTS_PER_CORP};
pub use dump::{ContactWayDump, CorpDump, CustomerDump, GroupChatDump, QuotaDump};
pub use durability::{DEFAULT_COMPACT_BYTES, DataDir, FsyncPolicy, OpenError};
pub use faults::{FaultAdded, FaultRule, FaultStatus, MAX_FAULT_DELAY_MS, MAX_FAULT_RULES};
pub use http::MAX_BODY_BYTES;
pub use hygiene::{Finding, HygieneReport, QUICK_RETRY_MS};
pub use ops::MessageEntry;
pub use requests::{DEFAULT_JOURNAL_SIZE, MAX_JOURNAL_SIZE, RequestEntry, RequestQuery};
pub use server::{MockServer, MockServerBuilder, serve};
pub use state::{MockState, Settings};
