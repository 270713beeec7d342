//! The primitives of the binary records (data format 3): LEB128 varints, zigzag for signed
//! numbers, `u128` as 16 little-endian bytes, texts and lists as a varint length then their
//! bytes or elements, an option as a `0`/`1` byte then the value.
//!
//! A layout of our own rather than a serde format: the model's types skip absent fields when
//! written as JSON (`skip_serializing_if`), which the compact serde formats cannot read back, and
//! a hand-written layout costs no more code than mirror types would. What a type puts is what it
//! gets, field by field, in declaration order ([`Bin`]); the layouts of the records are in
//! `layout.rs`.
//!
//! Decoding never trusts a length: a list's count is checked against the bytes left (every
//! element takes at least one byte) before anything is allocated, so damaged or hostile bytes
//! are an error, never a panic or a huge allocation.

use std::collections::VecDeque;

/// Why a binary record could not be read. A record whose checksum matched and that still does
/// not decode was written by another build (or the file was tampered with).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// The bytes end inside a field.
    #[error("the record ends inside a field")]
    Short,
    /// A tag (record kind, event kind, option marker) this build does not know.
    #[error("unknown {what} tag {tag}")]
    Tag { what: &'static str, tag: u64 },
    /// A varint longer than its type.
    #[error("a number does not fit its field")]
    Overflow,
    /// A text that is not UTF-8.
    #[error("a text field is not UTF-8")]
    Utf8,
    /// A part kept as JSON (a wire type of the API) does not decode.
    #[error("a JSON part does not decode: {0}")]
    Json(#[from] serde_json::Error),
    /// Bytes left after the last field.
    #[error("{0} bytes follow the record's last field")]
    Trailing(usize),
    /// A list or text longer than the record.
    #[error("a length of {0} is longer than the record")]
    Length(u64),
}

/// Where a record is written.
pub(crate) struct Out<'a>(pub &'a mut Vec<u8>);

impl Out<'_> {
    pub(crate) fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    pub(crate) fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    pub(crate) fn signed(&mut self, n: i64) {
        self.varint(((n << 1) ^ (n >> 63)) as u64);
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    pub(crate) fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    /// A list: its length, then each element.
    pub(crate) fn list<'t, T: Bin + 't>(&mut self, items: impl ExactSizeIterator<Item = &'t T>) {
        self.varint(items.len() as u64);
        for item in items {
            item.put(self);
        }
    }
}

/// What a record is read from.
pub(crate) struct In<'a> {
    bytes: &'a [u8],
}

impl<'a> In<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        In { bytes }
    }

    /// `Ok` when every byte was read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.bytes.len() {
            0 => Ok(()),
            left => Err(DecodeError::Trailing(left)),
        }
    }

    pub(crate) fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.bytes.split_first().ok_or(DecodeError::Short)?;
        self.bytes = rest;
        Ok(first)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.bytes.len() {
            return Err(DecodeError::Short);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(DecodeError::Overflow);
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError::Overflow)
    }

    pub(crate) fn signed(&mut self) -> Result<i64, DecodeError> {
        let n = self.varint()?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    /// A count of elements or bytes: never more than the bytes left.
    pub(crate) fn len(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        usize::try_from(n).ok().filter(|n| *n <= self.bytes.len()).ok_or(DecodeError::Length(n))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.len()?;
        self.take(n)
    }

    pub(crate) fn text(&mut self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| DecodeError::Utf8)
    }

    /// A small tag (a record or event kind).
    pub(crate) fn tag(&mut self) -> Result<u64, DecodeError> {
        self.varint()
    }

    /// A list written by [`Out::list`].
    pub(crate) fn list<T: Bin, C: FromIterator<T>>(&mut self) -> Result<C, DecodeError> {
        let n = self.len()?;
        (0..n).map(|_| T::get(self)).collect()
    }
}

/// A value with a binary layout: `put` writes its fields in order, `get` reads them back.
pub(crate) trait Bin: Sized {
    fn put(&self, out: &mut Out<'_>);
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError>;
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Bin for $t {
            fn put(&self, out: &mut Out<'_>) {
                out.varint(u64::from(*self));
            }
            fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
                <$t>::try_from(inp.varint()?).map_err(|_| DecodeError::Overflow)
            }
        }
    )*};
}
unsigned!(u16, u32, u64);

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Bin for $t {
            fn put(&self, out: &mut Out<'_>) {
                out.signed(i64::from(*self));
            }
            fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
                <$t>::try_from(inp.signed()?).map_err(|_| DecodeError::Overflow)
            }
        }
    )*};
}
signed!(i32, i64);

impl Bin for u128 {
    fn put(&self, out: &mut Out<'_>) {
        out.0.extend_from_slice(&self.to_le_bytes());
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(inp.take(16)?);
        Ok(u128::from_le_bytes(bytes))
    }
}

impl Bin for bool {
    fn put(&self, out: &mut Out<'_>) {
        out.byte(u8::from(*self));
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        match inp.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::Tag { what: "bool", tag: u64::from(tag) }),
        }
    }
}

impl Bin for String {
    fn put(&self, out: &mut Out<'_>) {
        out.text(self);
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.text().map(str::to_owned)
    }
}

impl Bin for Box<str> {
    fn put(&self, out: &mut Out<'_>) {
        out.text(self);
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.text().map(Box::from)
    }
}

impl Bin for compact_str::CompactString {
    fn put(&self, out: &mut Out<'_>) {
        out.text(self);
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.text().map(compact_str::CompactString::from)
    }
}

impl<T: Bin> Bin for Option<T> {
    fn put(&self, out: &mut Out<'_>) {
        match self {
            None => out.byte(0),
            Some(value) => {
                out.byte(1);
                value.put(out);
            }
        }
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        match inp.byte()? {
            0 => Ok(None),
            1 => T::get(inp).map(Some),
            tag => Err(DecodeError::Tag { what: "option", tag: u64::from(tag) }),
        }
    }
}

impl<T: Bin> Bin for Box<T> {
    fn put(&self, out: &mut Out<'_>) {
        (**self).put(out);
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        T::get(inp).map(Box::new)
    }
}

impl<T: Bin> Bin for Vec<T> {
    fn put(&self, out: &mut Out<'_>) {
        out.list(self.iter());
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.list()
    }
}

impl<T: Bin> Bin for VecDeque<T> {
    fn put(&self, out: &mut Out<'_>) {
        out.list(self.iter());
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.list()
    }
}

impl<T: Bin> Bin for Box<[T]> {
    fn put(&self, out: &mut Out<'_>) {
        out.list(self.iter());
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.list()
    }
}

impl<A: smallvec::Array> Bin for smallvec::SmallVec<A>
where
    A::Item: Bin,
{
    fn put(&self, out: &mut Out<'_>) {
        out.list(self.iter());
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        inp.list()
    }
}

impl<A: Bin, B: Bin> Bin for (A, B) {
    fn put(&self, out: &mut Out<'_>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        Ok((A::get(inp)?, B::get(inp)?))
    }
}

impl<A: Bin, B: Bin, C: Bin> Bin for (A, B, C) {
    fn put(&self, out: &mut Out<'_>) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn get(inp: &mut In<'_>) -> Result<Self, DecodeError> {
        Ok((A::get(inp)?, B::get(inp)?, C::get(inp)?))
    }
}

/// A value kept as its JSON inside the binary record: the API's wire types (closing messages,
/// welcome texts and attachments) and the directory, which are rare on the write path and whose
/// serde shapes are already the format (absent fields skipped, defaults for older data).
pub(crate) struct AsJson;

impl AsJson {
    pub(crate) fn put<T: serde::Serialize>(out: &mut Out<'_>, value: &T) {
        let start = out.0.len();
        // A length prefix of up to 5 bytes is reserved below; the JSON goes straight in after it.
        out.0.extend_from_slice(&[0; 5]);
        if serde_json::to_writer(&mut *out.0, value).is_err() {
            // These types serialize infallibly (no maps with non-string keys); should one ever
            // fail, the record carries JSON `null`, which its decoder refuses loudly.
            out.0.truncate(start + 5);
            out.0.extend_from_slice(b"null");
        }
        let len = out.0.len() - start - 5;
        // The length as a fixed 5-byte varint (padded with continuation bits), so the JSON needs
        // no second copy.
        let mut n = len as u64;
        for i in 0..5 {
            let more = if i < 4 { 0x80 } else { 0 };
            out.0[start + i] = ((n & 0x7f) as u8) | more;
            n >>= 7;
        }
    }

    pub(crate) fn get<T: serde::de::DeserializeOwned>(inp: &mut In<'_>) -> Result<T, DecodeError> {
        Ok(serde_json::from_slice(inp.bytes()?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Bin + PartialEq + std::fmt::Debug>(value: T) -> usize {
        let mut bytes = Vec::new();
        value.put(&mut Out(&mut bytes));
        let mut inp = In::new(&bytes);
        assert_eq!(T::get(&mut inp).expect("decodes"), value);
        inp.finish().expect("every byte read");
        bytes.len()
    }

    #[test]
    fn numbers_round_trip_at_their_extremes_in_as_few_bytes_as_they_need() {
        for (n, size) in [(0u64, 1), (127, 1), (128, 2), (u64::from(u32::MAX), 5), (u64::MAX, 10)] {
            assert_eq!(round_trip(n), size, "{n}");
        }
        for (n, size) in [(0i64, 1), (-1, 1), (63, 1), (-64, 1), (1_750_000_000, 5), (i64::MIN, 10), (i64::MAX, 10)] {
            assert_eq!(round_trip(n), size, "{n}");
        }
        assert_eq!(round_trip(u128::MAX), 16);
        assert_eq!(round_trip(i32::MIN), 5);
    }

    #[test]
    fn texts_options_lists_and_tuples_round_trip() {
        round_trip(String::from("状态 state"));
        round_trip(Some(Box::<str>::from("x")));
        round_trip(None::<u32>);
        round_trip(vec![(1i64, 2u128), (-3, 4)]);
        round_trip(VecDeque::from(vec![(String::from("a"), String::new(), 5i64)]));
    }

    #[test]
    fn a_number_too_large_for_its_field_is_refused() {
        let mut bytes = Vec::new();
        Out(&mut bytes).varint(u64::from(u32::MAX) + 1);
        assert!(matches!(u32::get(&mut In::new(&bytes)), Err(DecodeError::Overflow)));
        let eleven = [0xff; 11];
        assert!(matches!(In::new(&eleven).varint(), Err(DecodeError::Overflow)));
        let high = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(matches!(In::new(&high).varint(), Err(DecodeError::Overflow)));
    }

    #[test]
    fn a_length_beyond_the_record_is_refused_before_anything_is_allocated() {
        let mut bytes = Vec::new();
        Out(&mut bytes).varint(1 << 40);
        assert!(matches!(In::new(&bytes).list::<u16, Vec<u16>>(), Err(DecodeError::Length(_))));
        assert!(matches!(In::new(&bytes).text(), Err(DecodeError::Length(_))));
    }

    #[test]
    fn json_parts_round_trip_with_their_length_in_front() {
        let value = serde_json::json!({"text": {"content": "bye"}});
        let mut bytes = Vec::new();
        AsJson::put(&mut Out(&mut bytes), &value);
        let mut inp = In::new(&bytes);
        assert_eq!(AsJson::get::<serde_json::Value>(&mut inp).expect("decodes"), value);
        inp.finish().expect("every byte read");
    }
}
