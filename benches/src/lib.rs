//! # wecom-bench
//!
//! How fast the mock and the client are, measured against the physical limit of the stack.
//!
//! - **`wecom-bench`**, the load tool (`cargo run --release -p wecom-bench --bin wecom-bench --
//!   --help`): drives a WeCom base URL with N concurrent clients for T seconds or N requests and
//!   an operation mix, and reports throughput, latency percentiles (HDR histogram), errcodes and
//!   its own CPU use, as text or JSON. It also serves the bare baseline ([`baseline`]) and drives
//!   it, and has a raw-reqwest mode that sends the same requests without `wecom-client`.
//! - **criterion benches** (`cargo bench -p wecom-bench`): encoding, decoding and validation
//!   of every request and answer (`benches/codec.rs`); the mock's handling of every API
//!   in-process, and client-to-mock round trips over loopback (`benches/mock.rs`).
//!
//! `docs/PERFORMANCE.md` has the commands behind every figure and this machine's ratios.
//!
//! The engine is usable from Rust too:
//!
//! ```no_run
//! use std::time::Duration;
//! use wecom_bench::load::{Mix, Mode, RunOptions, Stop, Target};
//!
//! # #[tokio::main] async fn main() -> Result<(), wecom_bench::BenchError> {
//! let options = RunOptions {
//!     concurrency: 64,
//!     stop: Stop::After(Duration::from_secs(10)),
//!     mix: Mix::preset("get-only")?,
//!     ..RunOptions::new(Target::mock("http://127.0.0.1:8080"), Mode::Client)
//! };
//! let report = wecom_bench::load::run(&options).await?;
//! println!("{}", report.text());
//! # Ok(()) }
//! ```

pub mod baseline;
mod error;
pub mod load;
pub mod sample;
pub mod sys;

pub use error::BenchError;
