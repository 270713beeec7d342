//! The data dir's reader: start-up (`MockState::open` with `--data-dir`) over a journal segment
//! or a snapshot built from the input. Whatever the bytes, opening either recovers a state or
//! refuses with an `OpenError`; it never panics.
//!
//! Three shapes of input, picked by its first byte: the raw bytes after a valid file header;
//! JSON payloads (one per line) framed with valid checksums, so the decoder of every record
//! kind is reached; or the records the mock itself wrote (every kind: events, corps, token
//! revocations, checkpoints; the snapshot's corps, revocations and checkpoints), each spliced
//! with the input at a position the input picks.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID};
use wecom_mock::{DataDir, MockState, Settings};

/// What the mock wrote: each file kind's header and record payloads.
struct Written {
    header: [Vec<u8>; 2],
    payloads: [Vec<Vec<u8>>; 2],
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
        Written {
            header: [first(&journal), first(&snapshot)],
            payloads: [journal.iter().flat_map(|f| records(f)).collect(), snapshot.iter().flat_map(|f| records(f)).collect()],
        }
    })
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
