//! Durability with `--data-dir`: every change is in the journal before its answer is sent.
//!
//! The flow of one write (see `ARCHITECTURE.md`): under the corp's write lock `Corp::write`
//! encodes the events and enqueues them ([`journal::Journal::append`], no I/O), applies them and
//! releases the lock; the HTTP layer then awaits the record's group commit before it answers
//! ([`track`] notes which record a request made). A background compactor rotates the journal,
//! copies each corp under its read lock and writes a snapshot; start-up loads the newest
//! snapshot and replays the journal after it ([`recover`]).

mod frame;
pub(crate) mod journal;
pub(crate) mod record;
pub(crate) mod recover;

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use crate::core::fixtures::FixtureError;
use crate::core::model::CorpState;
use journal::Journal;
use record::CorpImage;

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
}

/// The journal cannot take a change (it failed, or the server is shutting down): the change is
/// refused before it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the journal cannot take the change")]
pub(crate) struct Unavailable;

tokio::task_local! {
    /// The highest journal LSN written while serving the current request.
    static REQUEST_LSN: Cell<u64>;
}

std::thread_local! {
    /// The highest journal LSN written by the synchronous part of a request running on this
    /// thread; `None` outside [`track`]. A plain thread-local, not a task-local scope: the part
    /// cannot yield, so no other task runs on the thread meanwhile, and tokio's
    /// `sync_scope` (swapping the value in and out of a `RefCell`) was about 170 instructions
    /// of every call (docs/PERFORMANCE.md).
    static SYNC_LSN: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs a request's synchronous part and returns the last journal record it wrote, which the
/// answer has to wait for. The handlers stay synchronous (and shared with the embedding API);
/// the LSN travels beside them instead of through every signature.
pub(crate) fn track<R>(serve: impl FnOnce() -> R) -> (R, u64) {
    /// Puts back what an enclosing `track` had seen, also when `serve` panics.
    struct Enclosing(Option<u64>);
    impl Drop for Enclosing {
        fn drop(&mut self) {
            SYNC_LSN.set(self.0);
        }
    }
    let enclosing = Enclosing(SYNC_LSN.replace(Some(0)));
    let answer = serve();
    let lsn = SYNC_LSN.get().unwrap_or(0);
    drop(enclosing);
    (answer, lsn)
}

/// [`track`] for an asynchronous request (an admin route that waits on the network).
pub(crate) async fn track_async<R>(serve: impl std::future::Future<Output = R>) -> (R, u64) {
    REQUEST_LSN
        .scope(Cell::new(0), async {
            let answer = serve.await;
            (answer, REQUEST_LSN.with(Cell::get))
        })
        .await
}

/// Notes a record written for the current request: the innermost [`track`] on this thread
/// if there is one, else the [`track_async`] scope of the task, else nobody.
fn note_lsn(lsn: u64) {
    let noted = SYNC_LSN.with(|cell| cell.get().map(|seen| cell.set(Some(seen.max(lsn)))).is_some());
    if !noted {
        let _ = REQUEST_LSN.try_with(|cell| cell.set(cell.get().max(lsn)));
    }
}

/// The journal and the compactor of a running server.
pub(crate) struct Store {
    pub journal: Arc<Journal>,
    dir: PathBuf,
    compactor: Mutex<Option<(mpsc::Sender<()>, JoinHandle<()>)>>,
}

/// Every corp as a snapshot covers it: the journal was rotated, and no lifecycle change nor
/// write of a copied corp fell between the rotation and its copy.
pub(crate) struct Frozen {
    /// The segment just closed: the snapshot covers it and everything before.
    pub covers: u64,
    /// The seq the next record gets.
    pub next_seq: u64,
    /// Each corp with the seq of the last record it reflects.
    pub corps: Vec<(u64, CorpState)>,
    /// Revocations by corpid, and the named checkpoints as (corpid, name, state): lifecycle
    /// changes like corps, copied under the same lock.
    pub revoked: Vec<(String, i64)>,
    pub checkpoints: Vec<(String, String, Arc<CorpState>)>,
}

/// How the server's state hands the compactor its corps: rotates the journal and copies every
/// corp, with corp creation and removal held off meanwhile.
pub(crate) type Freeze = Box<dyn Fn(&Journal) -> Result<Frozen, Unavailable> + Send>;

/// What the compactor needs from the server's state.
pub(crate) struct CompactorParts {
    pub dir: PathBuf,
    pub freeze: Freeze,
}

impl Store {
    pub(crate) fn new(
        options: &DataDir,
        segment: u64,
        next_seq: u64,
        parts: CompactorParts,
    ) -> Result<Store, OpenError> {
        let (tx, rx) = mpsc::channel();
        let writer = journal::WriterOptions {
            dir: options.path.clone(),
            policy: options.fsync,
            compact_bytes: options.compact_bytes,
            fail_after_bytes: options.fail_after_bytes,
        };
        let journal = Arc::new(
            Journal::start(writer, segment, next_seq, tx.clone())
                .map_err(|source| OpenError::Io { path: options.path.clone(), source })?,
        );
        let handle = {
            let journal = Arc::clone(&journal);
            std::thread::Builder::new()
                .name("wecom-mock-compactor".into())
                .spawn(move || {
                    while rx.recv().is_ok() {
                        if journal.has_failed() {
                            continue;
                        }
                        if let Err(err) = compact(&journal, &parts)
                            && journal.usable().is_ok()
                        {
                            tracing::warn!(%err, "compaction failed; the journal keeps everything");
                        }
                    }
                })
                .map_err(|source| OpenError::Io { path: options.path.clone(), source })?
        };
        Ok(Store { journal, dir: options.path.clone(), compactor: Mutex::new(Some((tx, handle))) })
    }

    /// The data dir.
    pub(crate) fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Asks the background compactor for a snapshot now (after recovery has put every corp in
    /// place: the snapshot copies the corps it finds).
    pub(crate) fn compact_soon(&self) {
        if let Some((tx, _)) = self.compactor.lock().as_ref() {
            let _ = tx.send(());
        }
    }

    /// Writes and fsyncs the journal and stops it, then waits for the compactor: a compaction
    /// in progress either finishes its snapshot or fails to rotate the closed journal, and
    /// both leave a data dir that recovers to the same state.
    pub(crate) fn close(&self) {
        if let Some((tx, handle)) = self.compactor.lock().take() {
            drop(tx);
            self.journal.close();
            // The writer held the last other sender: the compactor's loop ends now.
            let _ = handle.join();
        }
        self.journal.close();
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

/// Rotates the journal and copies every corp (through the state's [`Freeze`]), writes a
/// snapshot covering the closed segments, then removes what the snapshot replaces. Requests
/// keep being served throughout: each corp is only read-locked for the time of a clone.
fn compact(journal: &Journal, parts: &CompactorParts) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let Frozen { covers, next_seq, corps, revoked, checkpoints } =
        (parts.freeze)(journal).map_err(|_| std::io::Error::other("the journal is unavailable"))?;
    let mut images: Vec<(u64, CorpImage)> = corps.iter().map(|(seq, state)| (*seq, CorpImage::of(state))).collect();
    images.sort_by(|a, b| a.1.corpid.cmp(&b.1.corpid));
    let checkpoints =
        checkpoints.into_iter().map(|(corpid, name, state)| (corpid, name, CorpImage::of(&state))).collect();
    let kept = recover::Kept { revoked, checkpoints };
    let path = recover::write_snapshot(&parts.dir, covers, next_seq, &images, &kept)?;
    let mut removed = 0;
    for entry in std::fs::read_dir(&parts.dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let number = |prefix: &str, suffix: &str| {
            name.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)).and_then(|n| n.parse::<u64>().ok())
        };
        let stale =
            number("wal-", ".log").is_some_and(|n| n <= covers) || number("snap-", ".snap").is_some_and(|n| n < covers);
        if stale {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    tracing::info!(
        snapshot = %path.display(),
        corps = images.len(),
        removed_files = removed,
        ms = started.elapsed().as_millis() as u64,
        "journal compacted"
    );
    Ok(())
}

/// Sums the sizes of the data dir's files whose names start with `prefix` (`wal-` journal
/// segments, `snap-` snapshots): metadata reads, no lock held.
pub(crate) fn files_bytes(dir: &std::path::Path, prefix: &str) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|name| name.starts_with(prefix)))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use crate::durability::{note_lsn, track};

    #[test]
    fn track_returns_the_highest_lsn_written_inside_it_and_nothing_from_outside() {
        note_lsn(99);
        let ((), lsn) = track(|| {
            note_lsn(5);
            note_lsn(3);
        });
        assert_eq!(lsn, 5);
        assert_eq!(track(|| ()).1, 0, "a write outside every track is nobody's");
    }

    #[test]
    fn an_inner_track_keeps_its_writes_from_the_enclosing_one() {
        let (inner, outer) = track(|| {
            note_lsn(2);
            let ((), inner) = track(|| note_lsn(7));
            note_lsn(4);
            inner
        });
        assert_eq!((inner, outer), (7, 4));
    }

    #[test]
    fn a_panicking_track_leaves_the_thread_outside_every_track() {
        let caught = std::panic::catch_unwind(|| track(|| panic!("the handler failed")));
        assert!(caught.is_err());
        note_lsn(9);
        assert_eq!(track(|| ()).1, 0);
    }
}
