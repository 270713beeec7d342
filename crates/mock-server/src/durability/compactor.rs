//! The journal and the background compactor of a running server: rotation, snapshot, and the
//! removal of what a snapshot replaces.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::data_dir::DataDir;
use super::error::{OpenError, Unavailable};
use super::journal::{self, Journal};
use super::record::CorpImage;
use super::recover;
use crate::core::model::CorpState;

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
