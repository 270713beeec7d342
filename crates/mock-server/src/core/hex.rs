//! Fixed-width lowercase hex: the one codec of the ids the mock hands out (config ids and
//! welcome codes, 32 digits; list cursors, 16 + 32; group member versions, 32).
//!
//! Written out rather than through `format!("{:032x}")` or `from_str_radix`: a get formats and
//! parses a config id on every call, and the formatting machinery was a tenth of a get's
//! instructions in a profile (docs/PERFORMANCE.md).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends `value` as 16 lowercase hex digits.
pub(crate) fn push_u64(out: &mut String, value: u64) {
    for shift in (0..16).rev() {
        out.push(char::from(DIGITS[((value >> (4 * shift)) & 0xf) as usize]));
    }
}

/// Appends `value` as 32 lowercase hex digits.
pub(crate) fn push_u128(out: &mut String, value: u128) {
    push_u64(out, (value >> 64) as u64);
    push_u64(out, value as u64);
}

/// `value` as 32 lowercase hex digits.
pub(crate) fn u128_string(value: u128) -> String {
    let mut text = String::with_capacity(32);
    push_u128(&mut text, value);
    text
}

/// Exactly 16 lowercase hex digits, or `None`.
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    parse_u64_bytes(text.as_bytes())
}

/// [`parse_u64`] of bytes (any bytes: the tests try every one in every place).
fn parse_u64_bytes(bytes: &[u8]) -> Option<u64> {
    let (high, low) = bytes.split_first_chunk::<8>()?;
    let low: &[u8; 8] = low.try_into().ok()?;
    Some((u64::from(parse_8(high)?) << 32) | u64::from(parse_8(low)?))
}

/// Each byte of a word: its high bit.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
/// Each byte of a word: `1`.
const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `word` (all below `0x80`) set where that byte is `>= floor`.
const fn at_least(word: u64, floor: u8) -> u64 {
    // Per byte `b + 0x80 - floor`, at most 0xff: no carry crosses into the next byte.
    word.wrapping_add(ONES * (0x80 - floor as u64)) & HIGH_BITS
}

/// Eight lowercase hex digits, all eight bytes at once (SWAR): a table look-up per digit was
/// 107 instructions per 16 digits, and every get parses a config id's 32 (docs/PERFORMANCE.md).
fn parse_8(digits: &[u8; 8]) -> Option<u32> {
    let word = u64::from_be_bytes(*digits);
    if word & HIGH_BITS != 0 {
        return None;
    }
    let decimal = at_least(word, b'0') & !at_least(word, b'9' + 1);
    let letter = at_least(word, b'a') & !at_least(word, b'f' + 1);
    if decimal | letter != HIGH_BITS {
        return None;
    }
    // A digit's value is its low nibble, a letter's its low nibble + 9 ('a' is 0x61).
    let nibbles = (word & (ONES * 0x0f)) + (letter >> 7) * 9;
    // Pack the eight nibbles (one per byte, the first digit in the high byte) into 32 bits.
    let pairs = (nibbles | (nibbles >> 4)) & 0x00ff_00ff_00ff_00ff;
    let quads = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
    Some(((quads | (quads >> 16)) & 0xffff_ffff) as u32)
}

/// Exactly 32 lowercase hex digits, or `None`. Read as two 64-bit halves: cheaper shifts than
/// one `u128`.
pub(crate) fn parse_u128(text: &str) -> Option<u128> {
    if text.len() != 32 || !text.is_char_boundary(16) {
        return None;
    }
    let (high, low) = text.split_at(16);
    Some((u128::from(parse_u64(high)?) << 64) | u128::from(parse_u64(low)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_at_fixed_width() {
        for value in [0u128, 1, 0xabc, u128::from(u64::MAX), u128::MAX, 0x42b3_4949_e138_eb6e_027c_123c_ba77_fad7] {
            let text = u128_string(value);
            assert_eq!(text.len(), 32);
            assert_eq!(text, format!("{value:032x}"));
            assert_eq!(parse_u128(&text), Some(value));
        }
        let mut text = String::new();
        push_u64(&mut text, 0x0123_4567_89ab_cdef);
        assert_eq!((text.as_str(), parse_u64(&text)), ("0123456789abcdef", Some(0x0123_4567_89ab_cdef)));
    }

    #[test]
    fn anything_not_handed_out_is_refused() {
        let foreign = [
            "",
            "abc",
            "42B34949E138EB6E027C123CBA77FAD7",
            "+2b34949e138eb6e027c123cba77fad7",
            "zz",
            "é123456789abcdef0123456789abcde",
        ];
        for text in foreign {
            assert_eq!(parse_u128(text), None, "{text}");
        }
        assert_eq!(parse_u64("0123456789ABCDEF"), None);
        assert_eq!(parse_u64("0123456789abcde"), None);
    }

    #[test]
    fn every_byte_but_a_lowercase_digit_is_refused_in_any_place() {
        for byte in 0..=u8::MAX {
            let expected = char::from(byte).to_digit(16).filter(|_| !byte.is_ascii_uppercase());
            for place in 0..16 {
                let mut text = *b"0123456789abcdef";
                text[place] = byte;
                let value = expected.map(|digit| {
                    let mask = 0xf << (4 * (15 - place));
                    (0x0123_4567_89ab_cdef & !mask) | (u64::from(digit) << (4 * (15 - place)))
                });
                assert_eq!(parse_u64_bytes(&text), value, "byte {byte:#x} at {place}");
            }
        }
    }
}
