//! Snapshots, and start-up: the newest snapshot, then the journal segments after it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::error::OpenError;
use super::frame::{self, FORMAT_VERSION, Header, JOURNAL_MAGIC, Records, SNAPSHOT_MAGIC, Stop};
use super::journal::sync_dir;
use super::layout;
use super::record::{CorpImage, Record, SnapshotRecord, decode_record, decode_snapshot_record};
use crate::core::model::CorpState;

/// The name of the snapshot that covers journal segments up to `n`.
pub(crate) fn snapshot_name(n: u64) -> String {
    format!("snap-{n:020}.snap")
}

/// What a snapshot holds besides the corps: revocations by corpid, and named checkpoints as
/// (corpid, name, image).
#[derive(Debug, Default)]
pub(crate) struct Kept {
    pub revoked: Vec<(String, i64)>,
    pub checkpoints: Vec<(String, String, CorpImage)>,
}

/// Writes a snapshot atomically (a temporary file, fsync, rename, fsync of the directory).
pub(crate) fn write_snapshot(
    dir: &Path,
    covers: u64,
    next_seq: u64,
    corps: &[(u64, CorpImage)],
    kept: &Kept,
) -> io::Result<PathBuf> {
    let tmp = dir.join(format!("snap-{covers:020}.tmp"));
    let mut bytes = frame::header(SNAPSHOT_MAGIC).to_vec();
    let mut payload = Vec::new();
    let mut put = |bytes: &mut Vec<u8>, record: SnapshotRecord<&CorpImage>| {
        payload.clear();
        layout::put_snapshot_record(&mut payload, &record);
        frame::frame_into(bytes, &payload)
    };
    put(&mut bytes, SnapshotRecord::Meta { covers, next_seq, corps: corps.len() as u64 })?;
    for (seq, image) in corps {
        put(&mut bytes, SnapshotRecord::Corp { seq: *seq, image })?;
    }
    for (corpid, before) in &kept.revoked {
        put(&mut bytes, SnapshotRecord::Revoked { corpid: corpid.clone(), before: *before })?;
    }
    for (corpid, name, image) in &kept.checkpoints {
        put(&mut bytes, SnapshotRecord::Checkpoint { corpid: corpid.clone(), name: name.clone(), image })?;
    }
    let mut file = fs::File::create(&tmp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    drop(file);
    let path = dir.join(snapshot_name(covers));
    fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// What start-up found in the data dir.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// Every corp with the seq of the last record it reflects.
    pub corps: BTreeMap<String, (u64, CorpState)>,
    pub next_seq: u64,
    /// The segment to write next.
    pub next_segment: u64,
    /// Nothing was there: load the fixtures.
    pub fresh: bool,
    /// Journal records applied on top of the snapshot.
    pub replayed: u64,
    /// Journal segments read.
    pub segments: usize,
    /// Revocations by corpid: tokens issued at or before the instant (wall µs) are refused.
    pub revoked: BTreeMap<String, i64>,
    /// Each corp's named checkpoints.
    pub checkpoints: BTreeMap<String, BTreeMap<String, CorpState>>,
}

fn damaged(path: &Path, detail: impl Into<String>) -> OpenError {
    OpenError::Damaged { path: path.to_owned(), detail: detail.into() }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OpenError + '_ {
    move |source| OpenError::Io { path: path.to_owned(), source }
}

fn check_header(path: &Path, bytes: &[u8], magic: [u8; 8]) -> Result<Header, OpenError> {
    match frame::read_header(bytes, magic) {
        Header::Version(v) if v > FORMAT_VERSION => Err(OpenError::Newer { path: path.to_owned(), version: v }),
        Header::Version(v) if v < 1 => Err(damaged(path, format!("unknown format version {v}"))),
        Header::Foreign => Err(damaged(path, "not a wecom-mock file (wrong magic)")),
        header => Ok(header),
    }
}

/// The numbered files of a data dir.
fn numbered(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<(u64, PathBuf)>, OpenError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)).and_then(|n| n.parse().ok()) {
            out.push((n, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the data dir (creating it when missing): the newest snapshot, then every later
/// journal segment. A torn or corrupt tail of the last segment is reported, cut off and
/// dropped; damage anywhere else, or a file of a newer format, refuses the start.
pub(crate) fn recover(dir: &Path) -> Result<Recovered, OpenError> {
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    for (_, tmp) in numbered(dir, "snap-", ".tmp")? {
        // A snapshot that was being written when the process stopped; the journal still has it all.
        fs::remove_file(&tmp).map_err(io_error(&tmp))?;
    }
    let snapshots = numbered(dir, "snap-", ".snap")?;
    let segments = numbered(dir, "wal-", ".log")?;
    let mut out = Recovered { next_seq: 1, next_segment: 1, fresh: true, ..Recovered::default() };
    // Refuse a newer format before touching anything.
    for (_, path) in snapshots.iter().chain(&segments) {
        let mut head = [0u8; frame::HEADER_LEN];
        let len = read_prefix(path, &mut head).map_err(io_error(path))?;
        let magic = if segments.iter().any(|(_, p)| p == path) { JOURNAL_MAGIC } else { SNAPSHOT_MAGIC };
        check_header(path, &head[..len], magic)?;
    }
    let mut covers = 0;
    if let Some((n, path)) = snapshots.last() {
        load_snapshot(path, &mut out)?;
        covers = *n;
        out.fresh = false;
        out.next_segment = n + 1;
    }
    let later: Vec<&(u64, PathBuf)> = segments.iter().filter(|(n, _)| *n > covers).collect();
    for (i, (n, path)) in later.iter().enumerate() {
        let last = i + 1 == later.len();
        replay_segment(path, last, &mut out)?;
        out.segments += 1;
        out.next_segment = out.next_segment.max(n + 1);
    }
    if let Some((n, _)) = segments.last() {
        out.next_segment = out.next_segment.max(n + 1);
    }
    Ok(out)
}

fn read_prefix(path: &Path, buf: &mut [u8]) -> io::Result<usize> {
    use std::io::Read;
    let mut file = fs::File::open(path)?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn load_snapshot(path: &Path, out: &mut Recovered) -> Result<(), OpenError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    if check_header(path, &bytes, SNAPSHOT_MAGIC)? == Header::Incomplete {
        return Err(damaged(path, "the snapshot is shorter than its header"));
    }
    let mut records = Records::new(&bytes, frame::HEADER_LEN);
    let meta = records.next().ok_or_else(|| damaged(path, "the snapshot has no header record"))?;
    let Ok(SnapshotRecord::Meta { next_seq, corps, .. }) = decode_snapshot_record(meta) else {
        return Err(damaged(path, "the snapshot's first record is not its header"));
    };
    out.next_seq = out.next_seq.max(next_seq);
    let mut seen = 0u64;
    for payload in records.by_ref() {
        match decode_snapshot_record(payload) {
            Ok(SnapshotRecord::Corp { seq, image }) => {
                out.next_seq = out.next_seq.max(seq + 1);
                out.corps.insert(image.corpid.clone(), (seq, image.into_state()));
                seen += 1;
            }
            Ok(SnapshotRecord::Revoked { corpid, before }) => revoke(out, corpid, before),
            Ok(SnapshotRecord::Checkpoint { corpid, name, image }) => {
                out.checkpoints.entry(corpid).or_default().insert(name, image.into_state());
            }
            Ok(SnapshotRecord::Meta { .. }) => return Err(damaged(path, "a second header record")),
            Err(err) => return Err(damaged(path, format!("a corp record does not decode: {err}"))),
        }
    }
    // Zeros end a journal segment's records (its space allocated ahead); a snapshot is written
    // whole before it is renamed into place, so zeros in one are damage.
    if records.stop().is_some() || records.ended_at_unwritten() || seen != corps {
        return Err(damaged(path, format!("the snapshot is damaged after {seen} of {corps} corps")));
    }
    Ok(())
}

fn replay_segment(path: &Path, last: bool, out: &mut Recovered) -> Result<(), OpenError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    if check_header(path, &bytes, JOURNAL_MAGIC)? == Header::Incomplete {
        if !last {
            return Err(damaged(path, "a journal segment before the last one has no header"));
        }
        // Created by a crash before its header was written: it holds nothing.
        tracing::warn!(file = %path.display(), "an empty journal segment without a header was removed");
        fs::remove_file(path).map_err(io_error(path))?;
        return Ok(());
    }
    let mut records = Records::new(&bytes, frame::HEADER_LEN);
    for payload in records.by_ref() {
        let record = decode_record(payload).map_err(|err| {
            damaged(
                path,
                format!("a record with a valid checksum does not decode ({err}); was it written by another build?"),
            )
        })?;
        apply(record, out);
        out.replayed += 1;
        out.fresh = false;
    }
    if let Some(stop) = records.stop() {
        let kept = records.offset();
        let dropped = bytes.len() - kept;
        let what = match stop {
            Stop::Torn => "a torn record (a write cut short)",
            Stop::Corrupt => "a record with a wrong checksum or length",
        };
        if !last {
            return Err(damaged(path, format!("{what} at byte {kept} of a segment before the last one")));
        }
        tracing::warn!(
            file = %path.display(),
            at = kept,
            dropped_bytes = dropped,
            "the journal ends in {what}: dropped, never applied (it was never acknowledged)"
        );
        trim(path, kept)?;
    } else if records.ended_at_unwritten() {
        if !last {
            // A segment is trimmed to its records before the next one is created.
            return Err(damaged(
                path,
                format!("zeros from byte {} of a segment before the last one", records.offset()),
            ));
        }
        // What a kill left of the space allocated ahead of the records: given back (the writer
        // goes on in a new segment), so the journal's size is what it holds.
        trim(path, records.offset())?;
    }
    Ok(())
}

/// Cuts the segment at `path` to `len` bytes, durably.
fn trim(path: &Path, len: usize) -> Result<(), OpenError> {
    let file = fs::OpenOptions::new().write(true).open(path).map_err(io_error(path))?;
    file.set_len(len as u64).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// Applies one journal record. A record older than what the snapshot holds for its corp is
/// already in it (snapshots are taken while the journal keeps going).
fn apply(record: Record, out: &mut Recovered) {
    match record {
        Record::Events { corpid, seq, events } => {
            out.next_seq = out.next_seq.max(seq + 1);
            if let Some((applied, state)) = out.corps.get_mut(&corpid)
                && *applied < seq
            {
                for event in events {
                    state.apply(event);
                }
                *applied = seq;
            }
        }
        Record::Corps { seq, clear, removed, put } => {
            out.next_seq = out.next_seq.max(seq + 1);
            if clear {
                out.corps.retain(|_, (applied, _)| *applied > seq);
            }
            for corpid in removed {
                if out.corps.get(&corpid).is_some_and(|(applied, _)| *applied < seq) {
                    out.corps.remove(&corpid);
                }
            }
            for image in put {
                if out.corps.get(&image.corpid).is_none_or(|(applied, _)| *applied < seq) {
                    out.corps.insert(image.corpid.clone(), (seq, image.into_state()));
                }
            }
            // A corp's checkpoints go with it (as `MockState::install` drops them).
            let corps = &out.corps;
            out.checkpoints.retain(|corpid, _| corps.contains_key(corpid));
        }
        Record::TokensRevoked { seq, corpid, before } => {
            out.next_seq = out.next_seq.max(seq + 1);
            revoke(out, corpid, before);
        }
        Record::Checkpoint { seq, corpid, name, image } => {
            out.next_seq = out.next_seq.max(seq + 1);
            // Saved only for a corp that exists (under the same lock as its removal).
            if out.corps.contains_key(&corpid) {
                out.checkpoints.entry(corpid).or_default().insert(name, image.into_state());
            }
        }
    }
}

/// A revocation: the later instant of two holds (replaying one twice changes nothing).
fn revoke(out: &mut Recovered, corpid: String, before: i64) {
    let slot = out.revoked.entry(corpid).or_insert(before);
    *slot = (*slot).max(before);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fixtures::CorpFixture;
    use crate::core::model::{Clock, Event};
    use crate::durability::journal::segment_name;

    fn corp(corpid: &str, frozen_at: i64) -> CorpState {
        let fixture = CorpFixture { corpid: corpid.to_owned(), ..CorpFixture::default_corp() };
        let (directory, chats) = fixture.build(0).expect("the default corp builds");
        CorpState::new(corpid.to_owned(), directory, chats, Clock { frozen_at: Some(frozen_at) })
    }

    fn recovered(corps: &[(&str, u64, i64)]) -> Recovered {
        let mut out = Recovered::default();
        for (id, seq, at) in corps {
            out.corps.insert((*id).to_owned(), (*seq, corp(id, *at)));
        }
        out
    }

    fn clock_of(out: &Recovered, corpid: &str) -> Option<(u64, Option<i64>)> {
        out.corps.get(corpid).map(|(seq, state)| (*seq, state.clock.frozen_at))
    }

    fn set_clock(corpid: &str, seq: u64, at: i64) -> Record {
        Record::Events { corpid: corpid.into(), seq, events: vec![Event::ClockSet { frozen_at: Some(at) }] }
    }

    #[test]
    fn a_snapshot_ending_in_zeros_is_damaged_though_a_segment_may() {
        let dir = std::env::temp_dir().join(format!("wecom-mock-recover-zeros-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("dir");
        let image = CorpImage::of(&corp("wwa", 100));
        let kept = Kept { revoked: vec![("wwa".into(), 5)], checkpoints: Vec::new() };
        let path = write_snapshot(&dir, 1, 2, &[(1, image)], &kept).expect("written");
        let whole = fs::read(&path).expect("read");
        assert!(load_snapshot(&path, &mut Recovered::default()).is_ok(), "whole, it loads");
        // The revocation, the last record, turned to zeros: the corps are all there, yet it is
        // refused rather than loaded without the revocation.
        let mut zeroed = whole.clone();
        let revocation_len = {
            let mut payload = Vec::new();
            layout::put_snapshot_record(
                &mut payload,
                &SnapshotRecord::<&CorpImage>::Revoked { corpid: "wwa".into(), before: 5 },
            );
            payload.len() + frame::FRAME_OVERHEAD
        };
        let at = zeroed.len() - revocation_len;
        zeroed[at..].fill(0);
        fs::write(&path, &zeroed).expect("write");
        assert!(matches!(load_snapshot(&path, &mut Recovered::default()), Err(OpenError::Damaged { .. })));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn zeros_end_the_last_segment_and_damage_an_earlier_one() {
        let dir = std::env::temp_dir().join(format!("wecom-mock-recover-segments-{}", std::process::id()));
        let segment = |zeros: usize| {
            let mut bytes = frame::header(JOURNAL_MAGIC).to_vec();
            let mut payload = Vec::new();
            layout::put_record(&mut payload, &set_clock("wwa", 1, 7));
            frame::frame_into(&mut bytes, &payload).expect("frames");
            bytes.resize(bytes.len() + zeros, 0);
            bytes
        };
        let write = |name: String, bytes: &[u8]| fs::write(dir.join(name), bytes).expect("write");
        for (first_zeros, last_zeros, opens) in [(0, 4096, true), (4096, 0, false), (0, 0, true)] {
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).expect("dir");
            write(segment_name(1), &segment(first_zeros));
            write(segment_name(2), &segment(last_zeros));
            let result = recover(&dir);
            assert_eq!(result.is_ok(), opens, "zeros after the first {first_zeros}, after the last {last_zeros}");
            if opens {
                let last = fs::metadata(dir.join(segment_name(2))).expect("the last");
                assert_eq!(last.len() as usize, segment(0).len(), "the last segment is trimmed to its records");
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn events_a_snapshot_already_holds_are_skipped_and_later_ones_applied() {
        let mut out = recovered(&[("wwa", 10, 100)]);
        apply(set_clock("wwa", 9, 1), &mut out);
        apply(set_clock("wwa", 10, 2), &mut out);
        assert_eq!(clock_of(&out, "wwa"), Some((10, Some(100))));
        apply(set_clock("wwa", 11, 3), &mut out);
        assert_eq!(clock_of(&out, "wwa"), Some((11, Some(3))));
        apply(set_clock("wwnobody", 12, 4), &mut out);
        assert!(!out.corps.contains_key("wwnobody"), "events of a corp that is gone change nothing");
        assert_eq!(out.next_seq, 13);
    }

    #[test]
    fn lifecycle_records_only_touch_older_incarnations() {
        let mut out = recovered(&[("wwold", 5, 1), ("wwnew", 20, 2), ("wwkept", 30, 3)]);
        let clear = Record::Corps { seq: 15, clear: true, removed: vec![], put: vec![] };
        apply(clear, &mut out);
        assert!(!out.corps.contains_key("wwold"));
        assert_eq!(clock_of(&out, "wwnew"), Some((20, Some(2))), "created after the reset: kept");
        let put = Record::Corps { seq: 25, clear: false, removed: vec![], put: vec![CorpImage::of(&corp("wwnew", 7))] };
        apply(put.clone(), &mut out);
        assert_eq!(clock_of(&out, "wwnew"), Some((25, Some(7))));
        apply(put, &mut out);
        assert_eq!(clock_of(&out, "wwnew"), Some((25, Some(7))), "replaying it twice changes nothing");
        let remove =
            Record::Corps { seq: 28, clear: false, removed: vec!["wwkept".into(), "wwnew".into()], put: vec![] };
        apply(remove, &mut out);
        assert_eq!(clock_of(&out, "wwkept"), Some((30, Some(3))), "a later incarnation is not removed");
        assert!(!out.corps.contains_key("wwnew"));
    }

    #[test]
    fn an_image_round_trips_through_json() {
        let state = corp("wwimage", 42);
        let image = CorpImage::of(&state);
        let bytes = serde_json::to_vec(&image).expect("encodes");
        let back: CorpImage = serde_json::from_slice(&bytes).expect("decodes");
        // Compared as bytes: the member index is not stored (it is rebuilt below).
        assert_eq!(serde_json::to_vec(&back).expect("encodes"), bytes);
        let restored = back.into_state();
        assert_eq!(restored.directory.member_idx("zhangsan"), state.directory.member_idx("zhangsan"));
    }
}
