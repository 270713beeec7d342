//! Why a run or a suite of `wecom-bench` could not complete.

use std::path::PathBuf;

/// Why a run or a suite could not complete (as opposed to the errcodes it measures).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An option, a duration or a mix that cannot run.
    #[error("{0}")]
    Usage(String),
    /// The HTTP client, or `wecom-client` on top of it, could not be built.
    #[error("cannot build the {what}: {reason}")]
    Client {
        /// `HTTP client` or `client`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The target gave no token.
    #[error("cannot get a token: {0}")]
    Token(String),
    /// A call the run needs besides the measured ones failed (set-up, a read pass, a list walk).
    #[error("{call} failed: {reason}")]
    Call {
        /// Which call, and where in the run.
        call: String,
        /// The errcode or transport failure.
        reason: String,
    },
    /// A task of the run panicked or was cancelled.
    #[error("{task} task failed: {source}")]
    Task {
        /// Which kind of task.
        task: &'static str,
        /// The join error.
        #[source]
        source: tokio::task::JoinError,
    },
    /// A file, a socket or a process of this machine.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, and to what.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The mock binary under test is missing or did not come up healthy.
    #[error("{0}")]
    Mock(String),
    /// A server's `/metrics` could not be read.
    #[error("cannot read {url}/metrics: {source}")]
    Metrics {
        /// The server's base URL.
        url: String,
        /// The HTTP error.
        #[source]
        source: reqwest::Error,
    },
    /// A chart could not be drawn.
    #[error("cannot draw {}: {reason}", path.display())]
    Chart {
        /// The SVG file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl BenchError {
    /// An I/O failure while doing `what`.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> BenchError {
        BenchError::Io { what: what.into(), source }
    }
}
