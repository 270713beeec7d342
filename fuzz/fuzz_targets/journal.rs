//! The data dir's reader: start-up (`MockState::open` with `--data-dir`) over a journal segment
//! or a snapshot built from the input. Whatever the bytes, opening either recovers a state or
//! refuses with an `OpenError`; it never panics.
//!
//! Four shapes of input, picked by its first byte: the raw bytes after a valid file header;
//! payloads (one per line) framed with valid checksums, so the decoders of every record kind,
//! binary and JSON, are reached; the records the mock itself wrote (binary, every kind: events,
//! corps, token revocations, checkpoints; the snapshot's corps, revocations and checkpoints),
//! each spliced with the input at a position the input picks; or the journal the mock wrote,
//! damaged once (a flipped byte, a cut, or bytes torn off its end) at a place the input picks.
//!
//! The last shape has an oracle for "never half-applied": a journal damaged inside record `i`
//! recovers either to exactly the state its first `i` whole records make (every corp's dump
//! compared) or refuses to start.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID};
use wecom_mock::{DataDir, MockState, Settings};

/// What the mock wrote: each file kind's header and record payloads, and its journal segment
/// whole with the dumps each prefix of its records recovers to.
struct Written {
    header: [Vec<u8>; 2],
    payloads: [Vec<Vec<u8>>; 2],
    journal: Vec<u8>,
    /// `prefixes[i]`: every corp's dump after the first `i` records of `journal`.
    prefixes: Vec<Vec<(String, Vec<u8>)>>,
    /// Where each record of `journal` ends.
    ends: Vec<usize>,
}

const JOURNAL: usize = 0;
const SNAPSHOT: usize = 1;

fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("wecom-fuzz-journal-{}-{name}-{n}", std::process::id()))
}

/// The payloads of the framed records of a file (`[len u32 LE][crc u32 LE][payload]`).
fn records(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 16;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let Some(payload) = bytes.get(at + 8..at + 8 + len) else { break };
        out.push(payload.to_vec());
        at += 8 + len;
    }
    out
}

fn files(dir: &Path, suffix: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the data dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).expect("a file")).collect()
}

/// Lets the mock write a journal with every record kind, then a snapshot of it.
fn written() -> &'static Written {
    static WRITTEN: OnceLock<Written> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let dir = scratch("seed");
        let state = MockState::open(Settings::default(), Some(&DataDir::new(&dir))).expect("a fresh data dir");
        let control = state.control();
        let other = CorpFixture { corpid: "wwfuzz".into(), ..CorpFixture::default_corp() };
        control.put_corp(&other).expect("put");
        control.set_clock(1_750_000_000).expect("clock");
        add_contact_ways(&state);
        control.checkpoint(DEFAULT_CORPID, "seeded").expect("checkpoint");
        control.revoke_tokens(DEFAULT_CORPID).expect("revoke");
        control.delete_corp("wwfuzz").expect("delete");
        drop(state);
        let journal = files(&dir, ".log");
        // A start with journal segments compacts them into a snapshot in the background.
        let state = MockState::open(Settings::default(), Some(&DataDir::new(&dir))).expect("recovers");
        for _ in 0..500 {
            if !files(&dir, ".snap").is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        drop(state);
        let snapshot = files(&dir, ".snap");
        let _ = std::fs::remove_dir_all(&dir);
        let first = |files: &[Vec<u8>]| files.first().map(|f| f[..16].to_vec()).expect("a file was written");
        let segment = journal.first().cloned().expect("a journal segment");
        let ends = record_ends(&segment);
        let prefixes = std::iter::once(16).chain(ends.iter().copied()).map(|end| dumps_of(&segment[..end]).expect("a prefix recovers")).collect();
        Written {
            header: [first(&journal), first(&snapshot)],
            payloads: [journal.iter().flat_map(|f| records(f)).collect(), snapshot.iter().flat_map(|f| records(f)).collect()],
            journal: segment,
            prefixes,
            ends,
        }
    })
}

/// A few adds and an update through the WeCom API, so the journal holds config events.
fn add_contact_ways(state: &MockState) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let (_, token) = state.handle("/cgi-bin/gettoken", "corpid=wwmock0000000001&corpsecret=mock-secret", b"").await;
        let token: serde_json::Value = serde_json::from_slice(&token).expect("json");
        let query = format!("access_token={}", token["access_token"].as_str().expect("a token"));
        let mut ids = Vec::new();
        for state_text in ["a", "b", "c"] {
            let body = format!(r#"{{"type":1,"scene":2,"user":["zhangsan"],"state":"{state_text}"}}"#);
            let (_, answer) = state.handle("/cgi-bin/externalcontact/add_contact_way", &query, body.as_bytes()).await;
            let answer: serde_json::Value = serde_json::from_slice(&answer).expect("json");
            ids.push(answer["config_id"].as_str().expect("an id").to_owned());
        }
        let body = format!(r#"{{"config_id":"{}","remark":"changed"}}"#, ids[0]);
        state.handle("/cgi-bin/externalcontact/update_contact_way", &query, body.as_bytes()).await;
    });
}

/// Where each framed record of a segment ends.
fn record_ends(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 16;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        if at + 8 + len > bytes.len() {
            break;
        }
        at += 8 + len;
        out.push(at);
    }
    out
}

/// Every corp's dump after recovering a data dir holding `segment` as its only file, or `None`
/// when the start is refused.
fn dumps_of(segment: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let dir = scratch("prefix");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("wal-00000000000000000001.log"), segment).expect("write");
    let dumps = MockState::open(Settings::default(), Some(&DataDir::new(&dir))).ok().map(|state| {
        let control = state.control();
        let corps = control.corps().expect("corps");
        corps
            .iter()
            .map(|corp| (corp.corpid.clone(), control.dump_bytes(&corp.corpid).expect("a dump")))
            .collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    dumps
}

/// `[len][crc32c(len ‖ payload)][payload]`, as the journal frames a record.
fn frame(out: &mut Vec<u8>, payload: &[u8]) {
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32c::crc32c_append(crc32c::crc32c(&len), payload);
    out.extend_from_slice(&len);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let written = written();
    if mode >= 0xf0 {
        return damaged_once(written, mode, rest);
    }
    let kind = usize::from(mode & 1);
    let mut file = written.header[kind].clone();
    match (mode >> 1) % 3 {
        0 => file.extend_from_slice(rest),
        1 => rest.split(|b| *b == b'\n').for_each(|line| frame(&mut file, line)),
        _ => {
            let (&at, splice) = rest.split_first().unwrap_or((&0, &[]));
            for payload in &written.payloads[kind] {
                let mut payload = payload.clone();
                let at = usize::from(at).min(payload.len());
                let end = (at + splice.len()).min(payload.len());
                payload.splice(at..end, splice.iter().copied());
                frame(&mut file, &payload);
            }
        }
    }
    let dir = scratch("case");
    std::fs::create_dir_all(&dir).expect("dir");
    let name = if kind == JOURNAL { "wal-00000000000000000001.log" } else { "snap-00000000000000000001.snap" };
    debug_assert!(kind == JOURNAL || kind == SNAPSHOT);
    std::fs::write(dir.join(name), &file).expect("write");
    // Recovered or refused: both are fine, a panic is not.
    let _ = MockState::open(Settings::default(), Some(&DataDir::new(&dir)));
    let _ = std::fs::remove_dir_all(&dir);
});

/// The mock's own journal damaged once: it recovers to the state of the whole records before
/// the damage, or refuses to start; never anything in between.
fn damaged_once(written: &Written, mode: u8, rest: &[u8]) {
    let original = &written.journal;
    let mut file = original.clone();
    let body = file.len() - 16;
    let at = 16 + rest.iter().take(4).fold(0usize, |n, b| n << 8 | usize::from(*b)) % body.max(1);
    let amount = usize::from(rest.get(4).copied().unwrap_or(1));
    match mode % 3 {
        // A flipped byte (xor with a non-zero mask).
        0 => file[at] ^= u8::try_from(amount).ok().filter(|b| *b != 0).unwrap_or(0x01),
        // A cut: everything from `at` on is gone (a write that never finished).
        1 => file.truncate(at),
        // Torn: the write reached the disk up to `at`, the filesystem shows zeros after it.
        _ => {
            file.truncate(at);
            file.resize(at + amount, 0);
        }
    }
    // The first byte that differs from what the mock wrote (or is missing), and so the first
    // record that is not whole.
    let damaged_at =
        (0..original.len()).find(|j| file.get(*j) != original.get(*j)).unwrap_or(original.len());
    let whole = written.ends.iter().take_while(|end| **end <= damaged_at).count();
    let Some(recovered) = dumps_of(&file) else { return };
    assert!(
        written.prefixes.get(whole) == Some(&recovered),
        "damage at byte {damaged_at} (after {whole} whole records) recovered to a state no prefix of whole records makes"
    );
}
