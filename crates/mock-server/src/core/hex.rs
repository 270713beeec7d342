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
    let bytes = text.as_bytes();
    if bytes.len() != 16 {
        return None;
    }
    let mut value = 0u64;
    for &b in bytes {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        value = (value << 4) | u64::from(digit);
    }
    Some(value)
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
}
