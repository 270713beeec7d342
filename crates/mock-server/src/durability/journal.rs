//! The append-only journal: callers enqueue framed records while they hold a corp's lock (no
//! I/O there), one writer thread writes what has piled up and fsyncs it once for all of it
//! (group commit), then releases every reply that waited for it.
//!
//! Under `everysec` the writer releases the replies as soon as the batch is written, and a
//! second thread fsyncs the segment once a second: no reply ever waits for an fsync.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use super::frame::{self, JOURNAL_MAGIC};
use super::layout;
use super::record::Record;
use crate::core::model::Event;

use super::data_dir::FsyncPolicy;
use super::error::Unavailable;

/// How far the journal has got: every record up to `acked` meets the fsync policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    pub acked: u64,
    /// A write or fsync failed: nothing after `acked` will ever be acknowledged.
    pub failed: bool,
}

/// The name of journal segment `n`.
pub(crate) fn segment_name(n: u64) -> String {
    format!("wal-{n:020}.log")
}

/// Makes a directory entry (a created or renamed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

struct Queue {
    /// Framed records not yet handed to the writer.
    bytes: Vec<u8>,
    /// The LSN (count of records) of the last record in `bytes`.
    last_lsn: u64,
    /// Where in `bytes` the next segment starts, when a rotation was asked for.
    rotate_at: Option<usize>,
    /// The segment records enqueued now go to.
    segment: u64,
    closing: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    progress: watch::Sender<Progress>,
    next_seq: AtomicU64,
    failed: AtomicBool,
    closed: AtomicBool,
    /// fdatasync calls made: with group commit far fewer than records under load.
    syncs: AtomicU64,
    /// Records and bytes written to the segments, and the writes (batches) that carried them.
    records: AtomicU64,
    bytes: AtomicU64,
    batches: AtomicU64,
    /// `everysec`: the segment being written, for the syncer thread.
    segment_file: Mutex<Arc<File>>,
    /// `everysec`: wakes the syncer early (closing).
    syncer_wake: Condvar,
    syncer_stop: Mutex<bool>,
}

/// What the journal has done so far (`/metrics`: `wecom_mock_journal_*_total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct JournalStats {
    pub records: u64,
    pub bytes: u64,
    pub batches: u64,
    pub fsyncs: u64,
}

/// Options of the writer thread.
#[derive(Debug, Clone)]
pub(crate) struct WriterOptions {
    pub dir: PathBuf,
    pub policy: FsyncPolicy,
    /// Ask for a compaction once a segment has grown past this many bytes.
    pub compact_bytes: u64,
    /// Fault injection: writes fail as on a full disk once this many bytes were written.
    pub fail_after_bytes: Option<u64>,
}

/// The journal of one data dir.
pub(crate) struct Journal {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    syncer: Mutex<Option<JoinHandle<()>>>,
}

impl Journal {
    /// Creates segment `segment` and starts the writer. `compact` is told when a segment has
    /// grown past the threshold.
    pub(crate) fn start(
        options: WriterOptions,
        segment: u64,
        next_seq: u64,
        compact: std::sync::mpsc::Sender<()>,
    ) -> io::Result<Journal> {
        let file = Arc::new(create_segment(&options.dir, segment)?);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue { bytes: Vec::new(), last_lsn: 0, rotate_at: None, segment, closing: false }),
            wake: Condvar::new(),
            progress: watch::Sender::new(Progress::default()),
            next_seq: AtomicU64::new(next_seq),
            failed: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            syncs: AtomicU64::new(0),
            records: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            segment_file: Mutex::new(Arc::clone(&file)),
            syncer_wake: Condvar::new(),
            syncer_stop: Mutex::new(false),
        });
        let syncer = if options.policy == FsyncPolicy::EverySec {
            let shared = Arc::clone(&shared);
            let dir = options.dir.clone();
            Some(std::thread::Builder::new().name("wecom-mock-fsync".into()).spawn(move || run_syncer(&shared, &dir))?)
        } else {
            None
        };
        let writer = Writer {
            shared: Arc::clone(&shared),
            options,
            file,
            segment,
            segment_bytes: frame::HEADER_LEN as u64,
            total_bytes: 0,
            dirty: false,
            compact,
            compaction_asked: false,
        };
        let handle = std::thread::Builder::new().name("wecom-mock-journal".into()).spawn(move || writer.run())?;
        Ok(Journal { shared, writer: Mutex::new(Some(handle)), syncer: Mutex::new(syncer) })
    }

    /// `Err` once the journal has failed or closed: a change must not be made then.
    pub(crate) fn usable(&self) -> Result<(), Unavailable> {
        if self.shared.failed.load(Ordering::Acquire) || self.shared.closed.load(Ordering::Acquire) {
            Err(Unavailable)
        } else {
            Ok(())
        }
    }

    pub(crate) fn has_failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Encodes (with `encode`, given the next seq and the payload to write into) and enqueues a
    /// record; returns the seq. No I/O: safe under a corp lock. The record's LSN is noted for
    /// the request being served, which waits for it before answering (see
    /// [`super::track::track`]).
    pub(crate) fn append(&self, encode: impl FnOnce(u64, &mut Vec<u8>)) -> Result<u64, Unavailable> {
        self.usable()?;
        let seq = self.shared.next_seq.fetch_add(1, Ordering::Relaxed);
        let mut framed = frame::Framed::new();
        encode(seq, framed.payload());
        let framed = framed.seal().map_err(|_| Unavailable)?;
        let lsn = {
            let mut queue = self.shared.queue.lock();
            if queue.closing {
                return Err(Unavailable);
            }
            queue.bytes.extend_from_slice(&framed);
            queue.last_lsn += 1;
            queue.last_lsn
        };
        self.shared.wake.notify_one();
        super::track::note_lsn(lsn);
        Ok(seq)
    }

    /// Enqueues the record `make` builds with the next seq ([`Journal::append`]).
    pub(crate) fn append_record(&self, make: impl FnOnce(u64) -> Record) -> Result<u64, Unavailable> {
        self.append(|seq, out| layout::put_record(out, &make(seq)))
    }

    /// Enqueues the events of one write to `corpid` ([`Journal::append`]), encoded from the
    /// borrowed events (a write journals its events before it applies them).
    pub(crate) fn append_events(&self, corpid: &str, events: &[Event]) -> Result<u64, Unavailable> {
        self.append(|seq, out| layout::put_events(out, corpid, seq, events))
    }

    /// Starts a new segment for the records enqueued from now on; returns the number of the
    /// segment just closed (every record enqueued before this call is in it or before it).
    pub(crate) fn rotate(&self) -> Result<u64, Unavailable> {
        self.usable()?;
        let closed = {
            let mut queue = self.shared.queue.lock();
            if queue.closing || queue.rotate_at.is_some() {
                return Err(Unavailable);
            }
            queue.rotate_at = Some(queue.bytes.len());
            queue.segment += 1;
            queue.segment - 1
        };
        self.shared.wake.notify_one();
        Ok(closed)
    }

    /// The LSN of the last record enqueued: waiting for it covers every change made so far.
    pub(crate) fn last_lsn(&self) -> u64 {
        self.shared.queue.lock().last_lsn
    }

    /// How many fdatasync calls the writer (and under `everysec` the syncer) made.
    pub(crate) fn syncs(&self) -> u64 {
        self.shared.syncs.load(Ordering::Relaxed)
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> JournalStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let shared = &self.shared;
        JournalStats {
            records: load(&shared.records),
            bytes: load(&shared.bytes),
            batches: load(&shared.batches),
            fsyncs: load(&shared.syncs),
        }
    }

    /// The seq the next record will get (snapshots store it so seqs never go back).
    pub(crate) fn next_seq(&self) -> u64 {
        self.shared.next_seq.load(Ordering::Relaxed)
    }

    /// Waits until record `lsn` meets the fsync policy; `Err` when the journal failed first.
    pub(crate) async fn wait(&self, lsn: u64) -> Result<(), Unavailable> {
        let mut progress = self.shared.progress.subscribe();
        match progress.wait_for(|p| p.acked >= lsn || p.failed).await {
            Ok(p) if p.acked >= lsn => Ok(()),
            _ => Err(Unavailable),
        }
    }

    /// Writes and fsyncs everything enqueued, then stops the writer. Later changes are refused.
    pub(crate) fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.queue.lock().closing = true;
        self.shared.wake.notify_one();
        // The syncer first: the writer's last batch ends with an fsync of its own.
        *self.shared.syncer_stop.lock() = true;
        self.shared.syncer_wake.notify_one();
        if let Some(handle) = self.syncer.lock().take()
            && handle.join().is_err()
        {
            tracing::error!("the journal's fsync thread panicked");
        }
        if let Some(handle) = self.writer.lock().take() {
            if handle.join().is_err() {
                tracing::error!("the journal writer panicked");
            }
            tracing::debug!(records = self.shared.progress.borrow().acked, fsyncs = self.syncs(), "journal closed");
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.close();
    }
}

fn create_segment(dir: &Path, n: u64) -> io::Result<File> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(dir.join(segment_name(n)))?;
    file.write_all(&frame::header(JOURNAL_MAGIC))?;
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(file)
}

/// `everysec`: fsyncs the segment being written once a second when something was written
/// since the last fsync, off the writer's path.
fn run_syncer(shared: &Shared, dir: &Path) {
    let mut synced_bytes = 0;
    let mut stop = shared.syncer_stop.lock();
    while !*stop {
        shared.syncer_wake.wait_for(&mut stop, Duration::from_secs(1));
        if *stop || shared.failed.load(Ordering::Acquire) {
            break;
        }
        let written = shared.bytes.load(Ordering::Acquire);
        if written == synced_bytes {
            continue;
        }
        let file = Arc::clone(&shared.segment_file.lock());
        // No lock held during the fsync: closing waits for it, nothing else does.
        let result = parking_lot::MutexGuard::unlocked(&mut stop, || {
            shared.syncs.fetch_add(1, Ordering::Relaxed);
            file.sync_data()
        });
        match result {
            Ok(()) => synced_bytes = written,
            Err(err) => {
                fail(shared, dir, &err);
                break;
            }
        }
    }
}

/// Marks the journal failed: nothing after what was acknowledged will be.
fn fail(shared: &Shared, dir: &Path, err: &io::Error) {
    if !shared.failed.swap(true, Ordering::AcqRel) {
        tracing::error!(
            %err,
            dir = %dir.display(),
            "the journal cannot be written: changes are refused from now on (errcode -1 / HTTP 503); \
             restart once the disk is fixed to recover every acknowledged change"
        );
    }
    shared.progress.send_modify(|p| p.failed = true);
}

struct Writer {
    shared: Arc<Shared>,
    options: WriterOptions,
    /// Shared with the `everysec` syncer.
    file: Arc<File>,
    /// The segment `file` is.
    segment: u64,
    segment_bytes: u64,
    total_bytes: u64,
    /// Written but not fsynced.
    dirty: bool,
    compact: std::sync::mpsc::Sender<()>,
    compaction_asked: bool,
}

/// What the writer takes from the queue in one go.
struct Batch {
    bytes: Vec<u8>,
    last_lsn: u64,
    rotate_at: Option<usize>,
    closing: bool,
}

impl Writer {
    fn run(mut self) {
        let mut spare = Vec::new();
        let mut written_lsn = 0;
        loop {
            let batch = self.next_batch(std::mem::take(&mut spare));
            let result = self.write_batch(&batch);
            match result {
                Ok(()) => {
                    let shared = &self.shared;
                    shared.records.fetch_add(batch.last_lsn.saturating_sub(written_lsn), Ordering::Relaxed);
                    shared.batches.fetch_add(u64::from(!batch.bytes.is_empty()), Ordering::Relaxed);
                    written_lsn = written_lsn.max(batch.last_lsn);
                    shared.progress.send_modify(|p| p.acked = p.acked.max(batch.last_lsn));
                }
                Err(err) => fail(&self.shared, &self.options.dir, &err),
            }
            if self.segment_bytes > self.options.compact_bytes && !self.compaction_asked {
                // The compactor rotates the journal, which resets the count.
                self.compaction_asked = self.compact.send(()).is_ok();
            }
            if batch.closing {
                break;
            }
            spare = batch.bytes;
            spare.clear();
        }
    }

    /// Waits for records, a rotation or closing.
    fn next_batch(&mut self, spare: Vec<u8>) -> Batch {
        let mut queue = self.shared.queue.lock();
        while queue.bytes.is_empty() && queue.rotate_at.is_none() && !queue.closing {
            self.shared.wake.wait(&mut queue);
        }
        Batch {
            bytes: std::mem::replace(&mut queue.bytes, spare),
            last_lsn: queue.last_lsn,
            rotate_at: queue.rotate_at.take(),
            closing: queue.closing,
        }
    }

    fn write_batch(&mut self, batch: &Batch) -> io::Result<()> {
        if self.shared.failed.load(Ordering::Acquire) {
            // Nothing is written after a failure: the file may end in a torn record.
            return Err(io::Error::other("the journal failed earlier"));
        }
        let split = batch.rotate_at.unwrap_or(batch.bytes.len()).min(batch.bytes.len());
        self.write(&batch.bytes[..split])?;
        if batch.rotate_at.is_some() {
            // The closed segment is complete on disk before the next one exists, so only the
            // last segment can ever end torn.
            self.sync()?;
            self.segment += 1;
            self.file = Arc::new(create_segment(&self.options.dir, self.segment)?);
            *self.shared.segment_file.lock() = Arc::clone(&self.file);
            self.segment_bytes = frame::HEADER_LEN as u64;
            self.compaction_asked = false;
            self.dirty = false;
            self.write(&batch.bytes[split..])?;
        }
        // `everysec` leaves its fsyncs to the syncer thread.
        let sync = self.options.policy == FsyncPolicy::Always && self.dirty;
        if sync || (batch.closing && self.dirty) {
            self.sync()?;
            self.dirty = false;
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.shared.syncs.fetch_add(1, Ordering::Relaxed);
        self.file.sync_data()
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        (&*self.file).write_all(bytes)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if let Some(limit) = self.options.fail_after_bytes {
            let room = usize::try_from(limit.saturating_sub(self.total_bytes)).unwrap_or(usize::MAX);
            if bytes.len() > room {
                // Like a disk filling up mid-record: a torn tail, then the error.
                self.write_all(&bytes[..room])?;
                self.total_bytes += room as u64;
                return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device (injected)"));
            }
        }
        self.write_all(bytes)?;
        self.segment_bytes += bytes.len() as u64;
        self.total_bytes += bytes.len() as u64;
        self.shared.bytes.fetch_add(bytes.len() as u64, Ordering::Release);
        self.dirty = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(name: &str, policy: FsyncPolicy) -> (Journal, PathBuf) {
        let dir = std::env::temp_dir().join(format!("wecom-mock-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let options = WriterOptions { dir: dir.clone(), policy, compact_bytes: u64::MAX, fail_after_bytes: None };
        let (tx, _rx) = std::sync::mpsc::channel();
        (Journal::start(options, 1, 1, tx).expect("starts"), dir)
    }

    fn record(seq: u64) -> Record {
        Record::Events { corpid: "wwtest".into(), seq, events: Vec::new() }
    }

    #[test]
    fn records_that_piled_up_during_an_fsync_share_the_next_one() {
        let (journal, dir) = journal("group", FsyncPolicy::Always);
        journal.close();
        // A writer that finds 1 000 records waiting, as it does after a slow fsync under load.
        let shared = Arc::clone(&journal.shared);
        {
            let mut queue = shared.queue.lock();
            for seq in 0..1000 {
                let mut payload = Vec::new();
                layout::put_record(&mut payload, &record(seq));
                frame::frame_into(&mut queue.bytes, &payload).expect("frames");
            }
            queue.last_lsn = 1000;
        }
        let before = journal.syncs();
        let (tx, _rx) = std::sync::mpsc::channel();
        let writer = Writer {
            shared: Arc::clone(&shared),
            options: WriterOptions {
                dir: dir.clone(),
                policy: FsyncPolicy::Always,
                compact_bytes: u64::MAX,
                fail_after_bytes: None,
            },
            file: Arc::new(create_segment(&dir, 2).expect("segment")),
            segment: 2,
            segment_bytes: 0,
            total_bytes: 0,
            dirty: false,
            compact: tx,
            compaction_asked: false,
        };
        writer.run();
        assert_eq!(journal.syncs() - before, 1, "one fsync for the whole pile");
        assert_eq!(shared.progress.borrow().acked, 1000);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn everysec_acknowledges_what_is_written_and_fsyncs_it_off_the_writer() {
        let (journal, dir) = journal("everysec", FsyncPolicy::EverySec);
        for _ in 0..20 {
            journal.append_record(record).expect("appends");
        }
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(journal.wait(20)).expect("acknowledged once written");
        assert_eq!(journal.stats().records, 20);
        // The syncer's first tick is a second after the start; give a loaded machine time.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while journal.syncs() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(journal.syncs() >= 1, "the syncer fsyncs what was written");
        let before = journal.syncs();
        journal.close();
        assert_eq!(journal.syncs(), before + 1, "closing flushes once more");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn never_syncs_only_when_closing() {
        let (journal, dir) = journal("never", FsyncPolicy::Never);
        for _ in 0..50 {
            journal.append_record(record).expect("appends");
        }
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(journal.wait(50)).expect("written");
        assert_eq!(journal.syncs(), 0);
        journal.close();
        assert_eq!(journal.syncs(), 1, "closing flushes");
        assert_eq!(journal.append_record(record).map(|_| ()), Err(Unavailable), "closed: refused");
        let _ = std::fs::remove_dir_all(dir);
    }
}
