//! The append-only journal: callers enqueue framed records while they hold a corp's lock (no
//! I/O there); whoever holds the [`Writer`] takes everything that has piled up, writes it in one
//! go (group commit), then releases every reply that waited for it.
//!
//! Who writes depends on the policy:
//! - `everysec` and `never` (leader/follower): a request waiting for its record first yields,
//!   so the requests its worker thread already has ready enqueue theirs, then takes the writer
//!   when it is free and writes the whole pile itself: an add costs no hop to another thread
//!   and, under load, a small share of one write(2); requests that find their record written
//!   return at once, those that find the writer busy wait for the one writing, and the first
//!   of them to wake writes what arrived meanwhile. Under `everysec` a second thread fsyncs the
//!   segment once a second: no reply ever waits for an fsync.
//! - `always`: the writer thread writes and fsyncs; one fdatasync covers every record that
//!   arrived while the previous one ran. A request thread never blocks on an fsync (on this
//!   kind of disk one takes milliseconds, which would stall the async workers).
//!
//! Segments are allocated ahead of their records (so an fdatasync writes data, not the file's
//! new size) and trimmed to them when closed; the writer and syncer threads run as batch work
//! for the scheduler, so an fsync's completion does not preempt a request thread.
//!
//! The writer thread also writes what no request waits for (a callback's outcome, the ticker
//! ending temp chats: `track` says whether a record has a waiter), rotations and the last batch
//! at shutdown; it looks at the queue every [`BACKSTOP`], so a record whose request went away
//! before waiting is written within two looks all the same.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};
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

/// How long the writer thread sleeps at most between looks at the queue.
const BACKSTOP: Duration = Duration::from_millis(100);

/// A segment's file is allocated ahead of its records, in steps that start at the first and
/// double up to the second: an fdatasync then finds the file's size and blocks already on disk
/// and writes the data alone (about two thirds of the time of one that appends, measured in
/// docs/PERFORMANCE.md). The rest of the last step reads as zeros, where replay stops.
const PREALLOCATE_FIRST: u64 = 1 << 20;
const PREALLOCATE_MAX: u64 = 16 << 20;

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
    /// `bytes` holds a record no request will write (nobody waits for it).
    unawaited: bool,
}

impl Queue {
    /// Whether the writer thread has something to write that no request will: a record nobody
    /// waits for, a rotation, the close, or (`always`) any record.
    fn wants_writer(&self, policy: FsyncPolicy) -> bool {
        self.unawaited
            || self.rotate_at.is_some()
            || self.closing
            || (policy == FsyncPolicy::Always && !self.bytes.is_empty())
    }
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer thread: a record nobody waits for, a rotation, closing, or (`always`)
    /// any record.
    wake: Condvar,
    /// The segment being written; whoever holds it writes ([`drain`]).
    writer: Mutex<Writer>,
    policy: FsyncPolicy,
    /// Batches written by a waiting request rather than the writer thread.
    led: AtomicU64,
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
    /// Bytes allocated ahead of the records in the segment being written.
    unwritten: AtomicU64,
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
    /// Of the batches, those a waiting request wrote itself (`everysec`, `never`).
    pub led: u64,
    /// Bytes the segment being written holds allocated ahead of its records: the journal's
    /// size on disk less this is what it holds.
    pub unwritten: u64,
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
    writer_thread: Mutex<Option<JoinHandle<()>>>,
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
        let policy = options.policy;
        let writer = Writer {
            options,
            file: Arc::clone(&file),
            segment,
            segment_bytes: frame::HEADER_LEN as u64,
            allocated: frame::HEADER_LEN as u64,
            preallocate: true,
            total_bytes: 0,
            dirty: false,
            compact: Some(compact),
            compaction_asked: false,
            written_lsn: 0,
            spare: Vec::new(),
        };
        let dir = writer.options.dir.clone();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                bytes: Vec::new(),
                last_lsn: 0,
                rotate_at: None,
                segment,
                closing: false,
                unawaited: false,
            }),
            wake: Condvar::new(),
            writer: Mutex::new(writer),
            policy,
            led: AtomicU64::new(0),
            progress: watch::Sender::new(Progress::default()),
            next_seq: AtomicU64::new(next_seq),
            failed: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            syncs: AtomicU64::new(0),
            records: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            unwritten: AtomicU64::new(0),
            segment_file: Mutex::new(file),
            syncer_wake: Condvar::new(),
            syncer_stop: Mutex::new(false),
        });
        let syncer = if policy == FsyncPolicy::EverySec {
            let shared = Arc::clone(&shared);
            Some(std::thread::Builder::new().name("wecom-mock-fsync".into()).spawn(move || run_syncer(&shared, &dir))?)
        } else {
            None
        };
        let handle = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new().name("wecom-mock-journal".into()).spawn(move || run_writer(&shared))?
        };
        Ok(Journal { shared, writer_thread: Mutex::new(Some(handle)), syncer: Mutex::new(syncer) })
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
        let awaited = {
            let mut queue = self.shared.queue.lock();
            if queue.closing {
                return Err(Unavailable);
            }
            queue.bytes.extend_from_slice(&framed);
            queue.last_lsn += 1;
            // A request that will wait for the record writes it itself, unless the policy
            // leaves the writing to the writer thread.
            let awaited = super::track::note_lsn(queue.last_lsn);
            queue.unawaited |= !awaited;
            awaited
        };
        if !awaited || self.shared.policy == FsyncPolicy::Always {
            self.shared.wake.notify_one();
        }
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
            led: load(&shared.led),
            unwritten: load(&shared.unwritten),
        }
    }

    /// The seq the next record will get (snapshots store it so seqs never go back).
    pub(crate) fn next_seq(&self) -> u64 {
        self.shared.next_seq.load(Ordering::Relaxed)
    }

    /// Waits until record `lsn` meets the fsync policy; `Err` when the journal failed first.
    /// Under `everysec` and `never` the waiting request writes the queue itself when the writer
    /// is free (the module's doc).
    pub(crate) async fn wait(&self, lsn: u64) -> Result<(), Unavailable> {
        let shared = &self.shared;
        if shared.policy != FsyncPolicy::Always {
            // Let the requests this worker thread already has ready enqueue their records first:
            // the first of them back writes the whole pile in one write(2) (tokio resumes a
            // yielded task once the thread has run out of other work or every 61 polls).
            tokio::task::yield_now().await;
        }
        // The common case under `everysec` / `never`: the writer is free, and this request writes
        // its record (and whatever else waits) without subscribing to anything.
        if shared.policy != FsyncPolicy::Always
            && let Some(writer) = shared.writer.try_lock()
            && drain(shared, writer) == Drained::Wrote
        {
            shared.led.fetch_add(1, Ordering::Relaxed);
        }
        {
            let now = shared.progress.borrow();
            if now.acked >= lsn {
                return Ok(());
            }
        }
        // Subscribed before looking again: a batch published from here on wakes this request.
        let mut progress = shared.progress.subscribe();
        loop {
            let now = *progress.borrow_and_update();
            if now.acked >= lsn {
                return Ok(());
            }
            if now.failed {
                return Err(Unavailable);
            }
            if shared.policy != FsyncPolicy::Always
                && let Some(writer) = shared.writer.try_lock()
                && drain(shared, writer) == Drained::Wrote
            {
                shared.led.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            // Another thread is writing (or has taken this record and is about to publish):
            // it publishes once it has let go of the writer.
            if progress.changed().await.is_err() {
                return Err(Unavailable);
            }
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
        if let Some(handle) = self.writer_thread.lock().take() {
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

/// Tells the scheduler the calling thread (the writer or the syncer) is batch work: when its
/// fsync completes it then waits for a request thread's time slice to end instead of
/// preempting it. Under `--fsync always` on two cores that is about a tenth more adds, as
/// piles twice as big share each fdatasync (docs/PERFORMANCE.md). Best effort: where it is refused
/// the thread keeps the default policy (the nice value is set back to 0 with it, which a
/// process started with a higher one may not do: then only the policy changes).
#[cfg(target_os = "linux")]
fn yield_to_requests() {
    use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityOsValue, ThreadSchedulePolicy};
    let batch = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    // Nice 0, as the thread was created with: only the policy changes.
    let priority = ThreadPriority::Os(ThreadPriorityOsValue::default());
    if let Err(err) =
        thread_priority::set_thread_priority_and_policy(thread_priority::thread_native_id(), priority, batch)
    {
        tracing::debug!(
            ?err,
            "the journal's thread could not be made batch work (or its nice value could not be kept)"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn yield_to_requests() {}

/// Allocates `len` bytes of `file` from `offset` on, growing its length: the blocks read as
/// zeros until written.
#[cfg(target_os = "linux")]
fn preallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let to_off = |n: u64| i64::try_from(n).map_err(|_| io::Error::other("a journal segment beyond i64::MAX bytes"));
    nix::fcntl::fallocate(file, nix::fcntl::FallocateFlags::empty(), to_off(offset)?, to_off(len)?)
        .map_err(io::Error::from)
}

/// Elsewhere segments grow by appending.
#[cfg(not(target_os = "linux"))]
fn preallocate(_file: &File, _offset: u64, _len: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

/// `everysec`: fsyncs the segment being written once a second when something was written
/// since the last fsync, off the writer's path.
fn run_syncer(shared: &Shared, dir: &Path) {
    yield_to_requests();
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

/// The segment being written and what is known about it. Held by whoever writes.
struct Writer {
    options: WriterOptions,
    /// Shared with the `everysec` syncer.
    file: Arc<File>,
    /// The segment `file` is.
    segment: u64,
    /// Bytes of the segment written: its header and records.
    segment_bytes: u64,
    /// The segment file's length: what is written and the zeros allocated after it.
    allocated: u64,
    /// Whether to allocate ahead at all: off once the file system refused (it cannot, as
    /// some cannot, or the disk is full: then the write says so).
    preallocate: bool,
    total_bytes: u64,
    /// Written but not fsynced.
    dirty: bool,
    /// Asks the compactor for a snapshot; dropped at close, which ends the compactor's loop.
    compact: Option<std::sync::mpsc::Sender<()>>,
    compaction_asked: bool,
    /// The LSN of the last record written.
    written_lsn: u64,
    /// The buffer the queue gets back after a batch (so the queue rarely allocates).
    spare: Vec<u8>,
}

/// What the writer takes from the queue in one go.
struct Batch {
    bytes: Vec<u8>,
    last_lsn: u64,
    rotate_at: Option<usize>,
    closing: bool,
}

/// What a [`drain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drained {
    /// Records were written (and published).
    Wrote,
    /// The queue held no records (maybe a rotation, or the close).
    Nothing,
}

/// The writer thread: waits for what no request will write (see the module's doc) and writes
/// it; every [`BACKSTOP`] it also looks, and writes records that were already there at the
/// previous look (their request went away); at close it writes and fsyncs the rest, then stops.
fn run_writer(shared: &Shared) {
    yield_to_requests();
    // The last record seen at a look that nobody asked for: records still there a look later
    // have no request writing them.
    let mut seen_at_last_look = 0;
    loop {
        let closing = {
            let mut queue = shared.queue.lock();
            if !queue.wants_writer(shared.policy) {
                let looked = shared.wake.wait_for(&mut queue, BACKSTOP).timed_out();
                if !queue.wants_writer(shared.policy) {
                    if !looked {
                        continue;
                    }
                    // Records there since the last look have no request writing them; newer
                    // ones are being written by their requests.
                    let stuck = !queue.bytes.is_empty() && queue.last_lsn == seen_at_last_look;
                    seen_at_last_look = queue.last_lsn;
                    if !stuck {
                        continue;
                    }
                }
            }
            queue.closing
        };
        drain(shared, shared.writer.lock());
        if closing {
            // The compactor waits on this sender's channel: it stops once nothing can ask.
            shared.writer.lock().compact = None;
            break;
        }
    }
}

/// Takes everything the queue holds and writes it (with the fsync the policy asks for), lets go
/// of the writer, then releases the replies that waited for it: in that order, so a request
/// that found the writer busy is woken after it is free again.
fn drain(shared: &Shared, mut writer: MutexGuard<'_, Writer>) -> Drained {
    let batch = {
        let spare = std::mem::take(&mut writer.spare);
        let mut queue = shared.queue.lock();
        queue.unawaited = false;
        Batch {
            bytes: std::mem::replace(&mut queue.bytes, spare),
            last_lsn: queue.last_lsn,
            rotate_at: queue.rotate_at.take(),
            closing: queue.closing,
        }
    };
    let result = writer.write_batch(shared, &batch);
    let wrote = !batch.bytes.is_empty();
    if result.is_ok() && wrote {
        shared.records.fetch_add(batch.last_lsn.saturating_sub(writer.written_lsn), Ordering::Relaxed);
        shared.batches.fetch_add(1, Ordering::Relaxed);
        writer.written_lsn = writer.written_lsn.max(batch.last_lsn);
    }
    if writer.segment_bytes > writer.options.compact_bytes && !writer.compaction_asked {
        // The compactor rotates the journal, which resets the count.
        writer.compaction_asked = writer.compact.as_ref().is_some_and(|compact| compact.send(()).is_ok());
    }
    let mut spare = batch.bytes;
    spare.clear();
    writer.spare = spare;
    let failure = result.err().map(|err| (err, writer.options.dir.clone()));
    drop(writer);
    match failure {
        None if wrote => {
            shared.progress.send_modify(|p| p.acked = p.acked.max(batch.last_lsn));
            Drained::Wrote
        }
        None => Drained::Nothing,
        Some((err, dir)) => {
            fail(shared, &dir, &err);
            Drained::Nothing
        }
    }
}

impl Writer {
    fn write_batch(&mut self, shared: &Shared, batch: &Batch) -> io::Result<()> {
        if shared.failed.load(Ordering::Acquire) {
            // Nothing is written after a failure: the file may end in a torn record.
            return Err(io::Error::other("the journal failed earlier"));
        }
        let split = batch.rotate_at.unwrap_or(batch.bytes.len()).min(batch.bytes.len());
        self.write(shared, &batch.bytes[..split])?;
        if batch.rotate_at.is_some() {
            // The closed segment is complete on disk before the next one exists, so only the
            // last segment can ever end torn.
            self.give_back_unwritten(shared)?;
            self.sync(shared)?;
            self.segment += 1;
            self.file = Arc::new(create_segment(&self.options.dir, self.segment)?);
            *shared.segment_file.lock() = Arc::clone(&self.file);
            self.segment_bytes = frame::HEADER_LEN as u64;
            self.allocated = self.segment_bytes;
            self.compaction_asked = false;
            self.dirty = false;
            self.write(shared, &batch.bytes[split..])?;
        }
        if batch.closing {
            self.give_back_unwritten(shared)?;
        }
        // `everysec` leaves its fsyncs to the syncer thread.
        let sync = self.options.policy == FsyncPolicy::Always && self.dirty;
        if sync || (batch.closing && self.dirty) {
            self.sync(shared)?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Allocates the segment file ahead so that `end` bytes fit, by the next step.
    fn allocate_for(&mut self, shared: &Shared, end: u64) {
        if !self.preallocate || end <= self.allocated {
            return;
        }
        let step = self.allocated.clamp(PREALLOCATE_FIRST, PREALLOCATE_MAX).max(end - self.allocated);
        match preallocate(&self.file, self.allocated, step) {
            Ok(()) => {
                self.allocated += step;
                shared.unwritten.store(self.allocated - self.segment_bytes, Ordering::Relaxed);
            }
            Err(err) => {
                tracing::debug!(%err, "the journal's file system does not allocate ahead: segments grow by appending");
                self.preallocate = false;
            }
        }
    }

    /// Cuts what was allocated ahead off the segment (it is being closed). The caller fsyncs.
    fn give_back_unwritten(&mut self, shared: &Shared) -> io::Result<()> {
        if self.allocated > self.segment_bytes {
            self.file.set_len(self.segment_bytes)?;
            self.allocated = self.segment_bytes;
            self.dirty = true;
            shared.unwritten.store(0, Ordering::Relaxed);
        }
        Ok(())
    }

    fn sync(&mut self, shared: &Shared) -> io::Result<()> {
        shared.syncs.fetch_add(1, Ordering::Relaxed);
        self.file.sync_data()
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        (&*self.file).write_all(bytes)
    }

    fn write(&mut self, shared: &Shared, bytes: &[u8]) -> io::Result<()> {
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
        self.allocate_for(shared, self.segment_bytes + bytes.len() as u64);
        self.write_all(bytes)?;
        self.segment_bytes += bytes.len() as u64;
        self.total_bytes += bytes.len() as u64;
        shared.bytes.fetch_add(bytes.len() as u64, Ordering::Release);
        shared.unwritten.store(self.allocated.saturating_sub(self.segment_bytes), Ordering::Relaxed);
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
        assert_eq!(drain(&shared, shared.writer.lock()), Drained::Wrote);
        assert_eq!(journal.syncs() - before, 1, "one fsync for the whole pile");
        assert_eq!(shared.progress.borrow().acked, 1000);
        let _ = std::fs::remove_dir_all(dir);
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(future)
    }

    /// Appends a record for a request that will wait for it (inside `track`).
    fn append_awaited(journal: &Journal) -> u64 {
        crate::durability::track(|| journal.append_record(record).expect("appends")).1
    }

    #[test]
    fn under_everysec_and_never_the_waiting_request_writes_its_record_itself() {
        for policy in [FsyncPolicy::EverySec, FsyncPolicy::Never] {
            let (journal, dir) = journal(&format!("lead-{policy:?}"), policy);
            for n in 1..=5 {
                let lsn = append_awaited(&journal);
                block_on(journal.wait(lsn)).expect("written");
                assert_eq!(journal.stats().led, n, "{policy:?}: no hop to the writer thread");
            }
            assert_eq!(journal.stats().records, 5);
            journal.close();
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn under_everysec_and_never_requests_ready_together_share_one_write() {
        const REQUESTS: u64 = 16;
        for policy in [FsyncPolicy::EverySec, FsyncPolicy::Never] {
            let (journal, dir) = journal(&format!("pile-{policy:?}"), policy);
            let journal = Arc::new(journal);
            block_on(async {
                // One worker thread with sixteen requests ready at once, as under load.
                let requests: Vec<_> = (0..REQUESTS)
                    .map(|_| {
                        let journal = Arc::clone(&journal);
                        tokio::spawn(async move {
                            let lsn = append_awaited(&journal);
                            journal.wait(lsn).await.expect("written");
                        })
                    })
                    .collect();
                for request in requests {
                    request.await.expect("a request");
                }
            });
            let stats = journal.stats();
            assert_eq!(stats.records, REQUESTS, "{policy:?}");
            assert_eq!(stats.batches, 1, "{policy:?}: one write(2) for the whole pile");
            journal.close();
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn under_always_the_writer_thread_writes_and_fsyncs() {
        let (journal, dir) = journal("always", FsyncPolicy::Always);
        let lsn = append_awaited(&journal);
        block_on(journal.wait(lsn)).expect("written");
        assert_eq!(journal.stats().led, 0, "a request never blocks on an fsync");
        assert!(journal.syncs() >= 1);
        journal.close();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_record_nobody_waits_for_is_written_by_the_writer_thread() {
        let (journal, dir) = journal("unawaited", FsyncPolicy::Never);
        journal.append_record(record).expect("appends");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while journal.stats().records == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(journal.stats().records, 1);
        assert_eq!(journal.stats().led, 0);
        journal.close();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn concurrent_waiters_all_return_and_every_record_is_on_disk_once() {
        const TASKS: u64 = 64;
        const EACH: u64 = 50;
        let (journal, dir) = journal("followers", FsyncPolicy::Never);
        let journal = Arc::new(journal);
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(4).build().expect("runtime");
        runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let journal = Arc::clone(&journal);
                    tokio::spawn(async move {
                        for _ in 0..EACH {
                            let lsn = append_awaited(&journal);
                            journal.wait(lsn).await.expect("written");
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("a task");
            }
        });
        assert_eq!(journal.stats().records, TASKS * EACH);
        journal.close();
        let bytes = std::fs::read(dir.join(segment_name(1))).expect("the segment");
        let seqs: Vec<u64> = frame::Records::new(&bytes, frame::HEADER_LEN)
            .map(|payload| match layout::get_record(payload).expect("decodes") {
                Record::Events { seq, .. } => seq,
                other => panic!("an events record, not {other:?}"),
            })
            .collect();
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, (1..=TASKS * EACH).collect::<Vec<_>>(), "each record once, none torn");
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_segment_is_allocated_ahead_of_its_records_and_trimmed_to_them_when_closed() {
        let (journal, dir) = journal("allocate", FsyncPolicy::Always);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        for _ in 0..10 {
            let lsn = append_awaited(&journal);
            runtime.block_on(journal.wait(lsn)).expect("written");
        }
        let path = dir.join(segment_name(1));
        let written = frame::HEADER_LEN as u64 + journal.stats().bytes;
        let length = std::fs::metadata(&path).expect("the segment").len();
        assert!(length >= PREALLOCATE_FIRST, "allocated ahead: {length} bytes");
        assert_eq!(journal.stats().unwritten, length - written);
        let closed = journal.rotate().expect("rotates");
        let lsn = append_awaited(&journal);
        runtime.block_on(journal.wait(lsn)).expect("written");
        assert_eq!(std::fs::metadata(&path).expect("the segment").len(), written, "segment {closed} trimmed");
        journal.close();
        let second = std::fs::read(dir.join(segment_name(2))).expect("the next segment");
        let mut records = frame::Records::new(&second, frame::HEADER_LEN);
        assert_eq!(records.by_ref().count(), 1);
        assert!(!records.ended_at_unwritten(), "closing trims the last segment too");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The scheduling policies (`/proc`'s stat field 41) of this process's threads named `name`.
    #[cfg(target_os = "linux")]
    fn policies_of_threads(name: &str) -> Vec<u32> {
        let tasks = std::fs::read_dir("/proc/self/task").expect("/proc");
        tasks
            .filter_map(Result::ok)
            .filter(|task| std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim() == name))
            .filter_map(|task| {
                let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
                // After the command's closing parenthesis the fields are plain: state is field 3.
                let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                fields.get(41 - 3)?.parse().ok()
            })
            .collect()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_writer_and_the_syncer_run_as_batch_work() {
        const SCHED_BATCH: u32 = 3;
        let (journal, dir) = journal("batch", FsyncPolicy::EverySec);
        // The threads set their policy as they start.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut policies = Vec::new();
        while std::time::Instant::now() < deadline {
            policies = [policies_of_threads("wecom-mock-jour"), policies_of_threads("wecom-mock-fsyn")].concat();
            if policies.len() == 2 && policies.iter().all(|p| *p == SCHED_BATCH) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(policies, [SCHED_BATCH, SCHED_BATCH], "the writer's and the syncer's policies");
        journal.close();
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
