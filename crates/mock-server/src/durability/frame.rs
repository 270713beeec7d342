//! The bytes on disk: a file header (magic and format version) and framed records
//! `[len: u32 LE][crc32c(len ‖ payload): u32 LE][payload]`.
//!
//! A record is either read whole with a matching checksum or not at all, so a torn write at
//! the end of a file is seen as such and never half-applied.
//!
//! A journal segment is preallocated ahead of its records (format 4), so it may end in zeros:
//! a frame head of eight zero bytes, with nothing but zeros after it, is where the records end
//! (no record has one: the checksum of an empty payload is not zero). Zeros followed by
//! anything else are damage.

use std::io;

/// The format this build writes and reads (4: journal segments may end in preallocated zeros;
/// 3: binary records, `layout.rs`; 1 and 2 wrote JSON; all still read). A file with a higher
/// number was written by a newer build and is refused rather than misread.
pub(crate) const FORMAT_VERSION: u32 = 4;

/// Magic of a journal segment.
pub(crate) const JOURNAL_MAGIC: [u8; 8] = *b"WCMJRNL\0";
/// Magic of a snapshot.
pub(crate) const SNAPSHOT_MAGIC: [u8; 8] = *b"WCMSNAP\0";

/// Header length: magic, version, reserved.
pub(crate) const HEADER_LEN: usize = 16;

/// Bytes before a record's payload.
pub(crate) const FRAME_OVERHEAD: usize = 8;

/// The room a new frame is made with.
const TYPICAL_RECORD: usize = 120;

/// A record larger than this is taken for a corrupt length (a corp's image is far smaller).
pub(crate) const MAX_RECORD: usize = 1 << 30;

/// A file header.
pub(crate) fn header(magic: [u8; 8]) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out[..8].copy_from_slice(&magic);
    out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    out
}

/// What a file's first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Header {
    /// Shorter than a header (a file created by a crash before its header was written).
    Incomplete,
    /// Not one of ours.
    Foreign,
    /// Ours, at this format version.
    Version(u32),
}

pub(crate) fn read_header(bytes: &[u8], magic: [u8; 8]) -> Header {
    if bytes.len() < HEADER_LEN {
        return if magic.starts_with(bytes) { Header::Incomplete } else { Header::Foreign };
    }
    if bytes[..8] != magic {
        return Header::Foreign;
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&bytes[8..12]);
    Header::Version(u32::from_le_bytes(version))
}

/// The checksum of a record: CRC-32C (Castagnoli, hardware-accelerated by the `crc32c` crate)
/// over the length field and the payload.
fn checksum(len: [u8; 4], payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&len), payload)
}

/// A record under construction: the frame's head is reserved and the payload is written after
/// it, so framing copies nothing. Built before the journal's queue lock is taken: the lock
/// guards only the order of records, not the CPU work of encoding and checksumming them.
pub(crate) struct Framed(Vec<u8>);

impl Framed {
    /// An empty frame, ready for its payload ([`Framed::payload`]), with room for a typical
    /// record (an add's events take about 70 bytes): growing the buffer byte by byte was a third
    /// of an add's encoding (callgrind, `docs/PERFORMANCE.md`).
    pub(crate) fn new() -> Self {
        let mut bytes = Vec::with_capacity(FRAME_OVERHEAD + TYPICAL_RECORD);
        bytes.resize(FRAME_OVERHEAD, 0);
        Framed(bytes)
    }

    /// Where the payload is written.
    pub(crate) fn payload(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// Fills in the length and the checksum: the bytes as they go to disk.
    pub(crate) fn seal(mut self) -> io::Result<Vec<u8>> {
        let size = self.0.len() - FRAME_OVERHEAD;
        let len = u32::try_from(size)
            .ok()
            .filter(|len| (*len as usize) <= MAX_RECORD)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?
            .to_le_bytes();
        let crc = checksum(len, &self.0[FRAME_OVERHEAD..]);
        self.0[..4].copy_from_slice(&len);
        self.0[4..FRAME_OVERHEAD].copy_from_slice(&crc.to_le_bytes());
        Ok(self.0)
    }
}

/// Appends one framed record to `out`.
pub(crate) fn frame_into(out: &mut Vec<u8>, payload: &[u8]) -> io::Result<()> {
    let mut framed = Framed::new();
    framed.payload().extend_from_slice(payload);
    out.extend_from_slice(&framed.seal()?);
    Ok(())
}

/// Why reading records stopped before the end of the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The bytes end inside a record: a write that did not finish.
    Torn,
    /// A record's checksum or length is wrong.
    Corrupt,
}

/// Walks the framed records of `bytes` (after the header).
pub(crate) struct Records<'a> {
    bytes: &'a [u8],
    offset: usize,
    stop: Option<Stop>,
    unwritten: bool,
}

impl<'a> Records<'a> {
    pub(crate) fn new(bytes: &'a [u8], offset: usize) -> Self {
        Records { bytes, offset, stop: None, unwritten: false }
    }

    /// Whether the records ended at preallocated zeros (the rest of the bytes, from
    /// [`Records::offset`] on) rather than at the end of the bytes.
    pub(crate) fn ended_at_unwritten(&self) -> bool {
        self.unwritten
    }

    /// Where the last whole record ended.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    /// Why the walk ended early, if it did.
    pub(crate) fn stop(&self) -> Option<&Stop> {
        self.stop.as_ref()
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.stop.is_some() || self.unwritten {
            return None;
        }
        let rest = self.bytes.get(self.offset..).unwrap_or_default();
        if rest.is_empty() {
            return None;
        }
        // Zeros to the end: the preallocated rest of a segment (a torn frame head that happens
        // to be zeros so far was never acknowledged either).
        if all_zero(rest) {
            self.unwritten = true;
            return None;
        }
        if rest.len() < FRAME_OVERHEAD {
            self.stop = Some(Stop::Torn);
            return None;
        }
        if all_zero(&rest[..FRAME_OVERHEAD]) {
            // No frame starts with eight zeros: the zeros of a write that never happened, with
            // something after them.
            self.stop = Some(Stop::Corrupt);
            return None;
        }
        let mut len = [0u8; 4];
        len.copy_from_slice(&rest[..4]);
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&rest[4..8]);
        let size = u32::from_le_bytes(len) as usize;
        if size > MAX_RECORD {
            self.stop = Some(Stop::Corrupt);
            return None;
        }
        let Some(payload) = rest.get(FRAME_OVERHEAD..FRAME_OVERHEAD + size) else {
            self.stop = Some(Stop::Torn);
            return None;
        };
        if checksum(len, payload) != u32::from_le_bytes(crc) {
            self.stop = Some(Stop::Corrupt);
            return None;
        }
        self.offset += FRAME_OVERHEAD + size;
        Some(payload)
    }
}

fn all_zero(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            frame_into(&mut out, p).expect("frames");
        }
        out
    }

    #[test]
    fn the_checksum_is_crc32c_of_the_length_and_the_payload() {
        // The standard check value of CRC-32C: the polynomial format v1 was written with.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
        let bytes = framed(&[b"123456789"]);
        assert_eq!(bytes[..4], 9u32.to_le_bytes());
        let mut covered = 9u32.to_le_bytes().to_vec();
        covered.extend_from_slice(b"123456789");
        assert_eq!(bytes[4..8], crc32c::crc32c(&covered).to_le_bytes());
    }

    #[test]
    fn whole_records_read_back_in_order() {
        let bytes = framed(&[b"one", b"", b"three"]);
        let mut records = Records::new(&bytes, 0);
        let read: Vec<&[u8]> = records.by_ref().collect();
        assert_eq!(read, [b"one".as_slice(), b"", b"three"]);
        assert_eq!(records.stop(), None);
        assert_eq!(records.offset(), bytes.len());
    }

    #[test]
    fn every_cut_of_the_last_record_is_torn_and_keeps_the_whole_ones() {
        let bytes = framed(&[b"first", b"second record"]);
        let first_end = FRAME_OVERHEAD + 5;
        for cut in first_end + 1..bytes.len() {
            let mut records = Records::new(&bytes[..cut], 0);
            assert_eq!(records.by_ref().count(), 1, "cut at {cut}");
            assert_eq!(records.stop(), Some(&Stop::Torn), "cut at {cut}");
            assert_eq!(records.offset(), first_end);
        }
    }

    #[test]
    fn records_end_where_the_preallocated_zeros_begin() {
        let records_only = framed(&[b"one", b"two"]);
        for zeros in [1, 7, 8, 4096] {
            let mut bytes = records_only.clone();
            bytes.resize(bytes.len() + zeros, 0);
            let mut records = Records::new(&bytes, 0);
            assert_eq!(records.by_ref().count(), 2, "{zeros} zeros");
            assert_eq!(records.stop(), None, "{zeros} zeros: not damage");
            assert!(records.ended_at_unwritten(), "{zeros} zeros");
            assert_eq!(records.offset(), records_only.len());
        }
        let mut records = Records::new(&records_only, 0);
        assert_eq!(records.by_ref().count(), 2);
        assert!(!records.ended_at_unwritten(), "no zeros, nothing unwritten");
    }

    #[test]
    fn zeros_with_a_record_after_them_are_corrupt() {
        let mut bytes = framed(&[b"one"]);
        let first_end = bytes.len();
        bytes.resize(first_end + 64, 0);
        bytes.extend_from_slice(&framed(&[b"after the gap"]));
        let mut records = Records::new(&bytes, 0);
        assert_eq!(records.by_ref().count(), 1);
        assert_eq!(records.stop(), Some(&Stop::Corrupt));
        assert_eq!(records.offset(), first_end);
    }

    #[test]
    fn every_flipped_bit_is_caught_as_corrupt_or_torn() {
        let bytes = framed(&[b"payload"]);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            let mut records = Records::new(&damaged, 0);
            assert_eq!(records.by_ref().count(), 0, "bit {bit}");
            assert!(records.stop().is_some(), "bit {bit}");
        }
    }

    #[test]
    fn headers_tell_ours_foreign_incomplete_and_newer_apart() {
        let ours = header(JOURNAL_MAGIC);
        assert_eq!(read_header(&ours, JOURNAL_MAGIC), Header::Version(FORMAT_VERSION));
        assert_eq!(read_header(&ours, SNAPSHOT_MAGIC), Header::Foreign);
        assert_eq!(read_header(&ours[..5], JOURNAL_MAGIC), Header::Incomplete);
        assert_eq!(read_header(b"", JOURNAL_MAGIC), Header::Incomplete);
        assert_eq!(read_header(b"garbage-garbage-", JOURNAL_MAGIC), Header::Foreign);
        let mut newer = ours;
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert_eq!(read_header(&newer, JOURNAL_MAGIC), Header::Version(FORMAT_VERSION + 1));
    }
}
