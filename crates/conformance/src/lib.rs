//! # wecom-conformance
//!
//! Keeps `wecom-client` and `wecom-mock` honest against each other **and** against the spec: an
//! independent reference model of one corp ([`model`]), written from
//! `contact-way-api.md` / `errcodes.md` / `mock-server.md` and never from the mock's code,
//! predicts the errcode and payload of every operation. Generated operation sequences
//! ([`machine`]) run through the real client against a server over HTTP ([`session`]), and
//! every answer plus the final state dump is compared with the model. The spec-case table
//! (`spec/cases.jsonl`, read by [`spec`] and run by [`cases`]) covers every row of `errcodes.md`, and [`concurrency`] checks what many clients
//! at once must never see.
//!
//! ## How to use
//!
//! `cargo test -p wecom-conformance` runs everything against an in-process mock;
//! `PROPTEST_CASES=5000 cargo test -p wecom-conformance` is a soak run. Against any server:
//!
//! ```text
//! wecom-conformance --base-url http://127.0.0.1:8080 --corpid wwmock0000000001 --secret mock-secret --junit report.xml
//! ```
//!
//! A failing sequence prints as calls you can paste into a regression test:
//!
//! ```no_run
//! use serde_json::json;
//! use wecom_conformance::op::{Seq, cw};
//! use wecom_conformance::setup::Setup;
//!
//! # async fn example() -> Result<(), wecom_conformance::session::Mismatch> {
//! let mock = wecom_mock::MockServer::start().await;
//! let mut s = Seq::default();
//! s.add_contact_way(0, json!({"type": 1, "scene": 2, "user": ["zhangsan"]}));
//! s.update_contact_way(0, cw(0), json!({"user": []}));
//! wecom_conformance::check_against(&mock.uri(), Setup::default(), &s).await
//! # }
//! ```

pub mod cases;
pub mod concurrency;
pub mod directory;
pub mod machine;
pub mod model;
pub mod op;
pub mod report;
pub mod session;
pub mod setup;
// The shared table (`spec/`) through symlinks inside the crate: `cargo package` copies their
// targets, so the published crate carries the files it compiles.
#[path = "../spec/cases.rs"]
pub mod spec;
pub mod step;
pub mod target;

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs one sequence in a fresh corp of the server at `base_url` (which needs the control
/// surface) and compares it with the model: the function a regression test calls.
pub async fn check_against(base_url: &str, setup: setup::Setup, seq: &op::Seq) -> Result<(), session::Mismatch> {
    static CORPS: AtomicUsize = AtomicUsize::new(0);
    let target = target::Target::new(base_url);
    let corpid = format!("wwregression{:06}", CORPS.fetch_add(1, Ordering::SeqCst));
    session::check_sequence(&target, &setup, &corpid, &seq.ops, None).await
}
