//! What can go wrong with the data dir: at start ([`OpenError`]) and while serving
//! ([`Unavailable`]).

use std::path::PathBuf;

use super::frame;
use crate::core::fixtures::FixtureError;

/// Why the mock could not start from its data dir.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// A file was written by a newer wecom-mock.
    #[error(
        "{path} was written by a newer wecom-mock (data format v{version}; this build reads up to v{current}): \
         upgrade wecom-mock or use another --data-dir",
        path = path.display(), current = frame::FORMAT_VERSION
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its format version.
        version: u32,
    },
    /// A file is damaged where a crash cannot have torn it.
    #[error("{path} is damaged: {detail}; refusing to start rather than lose acknowledged changes", path = path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The data dir cannot be read or written.
    #[error("{path}: {source}", path = path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The fixtures could not be loaded (into memory, or into a fresh data dir).
    #[error("{0}")]
    Fixtures(#[from] FixtureError),
    /// The fresh data dir could not take the fixtures' corps.
    #[error("the journal could not take the fixtures' corps")]
    Journal,
    /// A drift proxy (`--upstream`) was given a data dir: it keeps no state to keep.
    #[error("--data-dir cannot be used with --upstream: the drift proxy keeps no WeCom state")]
    ProxyWithDataDir,
}

/// The journal cannot take a change (it failed, or the server is shutting down): the change is
/// refused before it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the journal cannot take the change")]
pub(crate) struct Unavailable;
