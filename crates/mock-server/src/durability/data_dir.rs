//! Where and how the state is kept on disk (`--data-dir`, `--fsync`, `--compact-bytes`).

use std::path::PathBuf;

/// When the journal is fsynced, and so what a crash can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// Before every answer (concurrent writers share one fsync): nothing acknowledged is lost.
    #[default]
    Always,
    /// Written before every answer, fsynced once a second: a killed process loses nothing, a
    /// machine crash or power loss at most the last second of acknowledged changes.
    EverySec,
    /// Written before every answer, fsynced only on rotation and shutdown: a killed process
    /// loses nothing, a machine crash what the OS had not yet written.
    Never,
}

/// Where and how the state is kept on disk.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The directory (created when missing).
    pub path: PathBuf,
    /// The fsync policy.
    pub fsync: FsyncPolicy,
    /// Compact the journal into a snapshot once a segment is this large.
    pub compact_bytes: u64,
    /// Fault injection for tests: the journal fails as on a full disk after this many bytes.
    #[doc(hidden)]
    pub fail_after_bytes: Option<u64>,
}

/// Default compaction threshold: 64 MiB of journal.
pub const DEFAULT_COMPACT_BYTES: u64 = 64 << 20;

impl DataDir {
    /// A data dir with the default policy (`always`) and compaction threshold.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataDir {
            path: path.into(),
            fsync: FsyncPolicy::Always,
            compact_bytes: DEFAULT_COMPACT_BYTES,
            fail_after_bytes: None,
        }
    }
}
