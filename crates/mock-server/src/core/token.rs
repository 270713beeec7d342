//! Access tokens that describe themselves: the corp, the app, when the token was issued and
//! when it expires, a random part, and an HMAC-SHA256 over all of it with a key derived from
//! the app's secret.
//!
//! Why: the real service keeps a token for its lifetime, and SDKs that cache tokens across
//! their own restarts never refresh on 40014, so the mock must accept a token after its own
//! restart, reset or corp re-creation. A token that carries its claims and a MAC is checked
//! against what the fixtures give back (the app's secret) instead of against memory that a
//! restart loses; and any instance loaded with the same corp accepts it.
//!
//! Making a valid token takes the app's secret: neither `--seed` (the random part comes from
//! the CSPRNG the caller passes in) nor anything else the mock keeps is a key. Verification
//! compares the MAC in constant time. Pure: no clock, no randomness of its own.
//!
//! The layout (version 2) is 48 bytes, 64 characters of base64url, whatever the corpid's
//! length: every call carries the token in its query string, and the server reads, hashes and
//! compares all of it, so its length is a cost on every call. The corp is named by a tag (the
//! first 8 bytes of the corpid's SHA-256) that the server resolves to its corps; the MAC's key
//! binds the full corpid, so two corps whose tags collide cannot take each other's tokens.
//! Tokens of version 1 (the first release of this layout: 92 characters for a 16-character
//! corpid) are still accepted, so an upgrade does not end the tokens SDKs have cached.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The layout issued, the first byte.
const VERSION: u8 = 2;
/// Bytes of the random part.
pub(crate) const NONCE_LEN: usize = 8;
/// Bytes of the MAC kept: HMAC-SHA256 truncated to its left 96 bits. Only the mock checks a
/// MAC, one request per guess, so a forger without the secret needs about 2^95 requests on
/// average (at a million a second, some 10^15 years); NIST SP 800-107 counts 64 bits as
/// enough where the number of verifications is bounded, and 96 is what IPsec's and TLS 1.2's
/// truncated HMACs keep.
const MAC_LEN: usize = 12;
/// Version 2: version, corp tag, agentid, issued (µs, 7 bytes), expires (s), nonce; the MAC.
const TAG_AT: usize = 1;
const AGENTID_AT: usize = TAG_AT + TAG_LEN;
const ISSUED_AT: usize = AGENTID_AT + 4;
const EXPIRES_AT: usize = ISSUED_AT + ISSUED_LEN;
const NONCE_AT: usize = EXPIRES_AT + 8;
const MAC_AT: usize = NONCE_AT + NONCE_LEN;
const TOKEN_BYTES: usize = MAC_AT + MAC_LEN;
/// Characters of a token: 48 bytes are 64 characters of base64 without padding.
pub(crate) const TOKEN_CHARS: usize = TOKEN_BYTES / 3 * 4;
const _: () = assert!(TOKEN_CHARS == wecom_types::fidelity::ACCESS_TOKEN_CHARS && TOKEN_BYTES.is_multiple_of(3));
/// Bytes of the corp tag.
const TAG_LEN: usize = 8;
/// Bytes of the issue time: microseconds up to 2^56 (the year 4253).
const ISSUED_LEN: usize = 7;
/// The latest issue time a token can carry.
pub(crate) const MAX_ISSUED_US: i64 = (1 << (8 * ISSUED_LEN)) - 1;
/// What the key derivation binds the secret to, so the key is this use's only.
const KEY_CONTEXT: &[u8] = b"wecom-mock access token v2";

/// The same 8 bytes for every token of a corp: the first 8 of SHA-256 of its corpid. With the
/// version byte they make the token's first 12 characters, a corp's routing key.
pub(crate) type CorpTag = [u8; TAG_LEN];

/// The tag of `corpid`.
pub(crate) fn corp_tag(corpid: &str) -> CorpTag {
    let digest = Sha256::digest(corpid.as_bytes());
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&digest[..TAG_LEN]);
    tag
}

/// Which corp a token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CorpClaim {
    /// Version 2: the corpid's tag.
    Tag(CorpTag),
    /// Version 1: the corpid itself.
    Id(String),
}

/// What a token says about itself (not yet verified: see [`Claims::signed_by`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    pub corp: CorpClaim,
    pub agentid: u32,
    /// Wall time of issue, in microseconds since the epoch: revocations compare with it.
    pub issued_us: i64,
    /// The instant it expires on the corp's virtual clock (seconds).
    pub expires_at: i64,
    /// The bytes the MAC covers, as they came, and the MAC.
    signed: Vec<u8>,
    mac: Vec<u8>,
    /// The key derivation's context of the token's version.
    context: &'static [u8],
}

/// The key an app's tokens are authenticated with: HMAC-SHA256 of the context, the corp and
/// the app under the app's secret.
fn key(context: &[u8], secret: &str, corpid: &str, agentid: u32) -> [u8; 32] {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(context);
    mac.update(&agentid.to_be_bytes());
    mac.update(corpid.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The HMAC of `signed` under the key of the app.
fn mac_of(context: &[u8], secret: &str, corpid: &str, agentid: u32, signed: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(&key(context, secret, corpid, agentid)).unwrap_or_else(|_| unreachable!());
    mac.update(signed);
    mac
}

/// A new token (version 2) of app `agentid` of `corpid`, authenticated with its `secret`, in
/// `[A-Za-z0-9_-]`. `issued_us` is kept within `0..=MAX_ISSUED_US`.
pub(crate) fn seal(
    corpid: &str,
    agentid: u32,
    issued_us: i64,
    expires_at: i64,
    nonce: [u8; NONCE_LEN],
    secret: &str,
) -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[0] = VERSION;
    bytes[TAG_AT..AGENTID_AT].copy_from_slice(&corp_tag(corpid));
    bytes[AGENTID_AT..ISSUED_AT].copy_from_slice(&agentid.to_be_bytes());
    let issued = issued_us.clamp(0, MAX_ISSUED_US).to_be_bytes();
    bytes[ISSUED_AT..EXPIRES_AT].copy_from_slice(&issued[8 - ISSUED_LEN..]);
    bytes[EXPIRES_AT..NONCE_AT].copy_from_slice(&expires_at.to_be_bytes());
    bytes[NONCE_AT..MAC_AT].copy_from_slice(&nonce);
    let full = mac_of(KEY_CONTEXT, secret, corpid, agentid, &bytes[..MAC_AT]).finalize().into_bytes();
    bytes[MAC_AT..].copy_from_slice(&full[..MAC_LEN]);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn be_i64(bytes: &[u8]) -> i64 {
    let mut out = [0u8; 8];
    out[8 - bytes.len().min(8)..].copy_from_slice(&bytes[..bytes.len().min(8)]);
    i64::from_be_bytes(out)
}

fn be_u32(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0, |acc, b| (acc << 8) | u32::from(*b))
}

impl Claims {
    /// What `token` claims, or `None` when it is not a token of a layout the mock issues or
    /// issued.
    pub(crate) fn open(token: &str) -> Option<Claims> {
        if token.len() == TOKEN_CHARS {
            return Claims::open_v2(token);
        }
        v1::open(token)
    }

    fn open_v2(token: &str) -> Option<Claims> {
        let mut bytes = [0u8; TOKEN_BYTES];
        let decoded = URL_SAFE_NO_PAD.decode_slice(token, &mut bytes).ok()?;
        if decoded != TOKEN_BYTES || bytes[0] != VERSION {
            return None;
        }
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&bytes[TAG_AT..AGENTID_AT]);
        Some(Claims {
            corp: CorpClaim::Tag(tag),
            agentid: be_u32(&bytes[AGENTID_AT..ISSUED_AT]),
            issued_us: be_i64(&bytes[ISSUED_AT..EXPIRES_AT]),
            expires_at: be_i64(&bytes[EXPIRES_AT..NONCE_AT]),
            signed: bytes[..MAC_AT].to_vec(),
            mac: bytes[MAC_AT..].to_vec(),
            context: KEY_CONTEXT,
        })
    }

    /// `true` when the token names the corp `corpid` (its tag, or its corpid for version 1).
    pub(crate) fn names(&self, corpid: &str) -> bool {
        match &self.corp {
            CorpClaim::Tag(tag) => *tag == corp_tag(corpid),
            CorpClaim::Id(id) => id == corpid,
        }
    }

    /// `true` when the token was sealed for `corpid` with `secret` (compared in constant
    /// time).
    pub(crate) fn signed_by(&self, corpid: &str, secret: &str) -> bool {
        self.names(corpid)
            && mac_of(self.context, secret, corpid, self.agentid, &self.signed).verify_truncated_left(&self.mac).is_ok()
    }
}

/// The first layout: version, agentid, issued (µs), expires (s), a 16-byte nonce, a 128-bit
/// MAC, then the corpid. Read only: tokens issued before the upgrade stay valid for their
/// lifetime.
mod v1 {
    use super::*;

    const VERSION: u8 = 1;
    const AGENTID_AT: usize = 1;
    const ISSUED_AT: usize = AGENTID_AT + 4;
    const EXPIRES_AT: usize = ISSUED_AT + 8;
    const NONCE_AT: usize = EXPIRES_AT + 8;
    const MAC_AT: usize = NONCE_AT + 16;
    const CORPID_AT: usize = MAC_AT + 16;
    /// The longest token decoded: a corpid of up to 1 KiB (anything longer is not ours).
    pub(super) const MAX_TOKEN_CHARS: usize = 1400;
    pub(super) const KEY_CONTEXT: &[u8] = b"wecom-mock access token v1";

    pub(super) fn open(token: &str) -> Option<Claims> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() <= CORPID_AT || bytes[0] != VERSION {
            return None;
        }
        let corpid = std::str::from_utf8(&bytes[CORPID_AT..]).ok()?.to_owned();
        let mut signed = bytes[..MAC_AT].to_vec();
        signed.extend_from_slice(corpid.as_bytes());
        Some(Claims {
            corp: CorpClaim::Id(corpid),
            agentid: be_u32(&bytes[AGENTID_AT..ISSUED_AT]),
            issued_us: be_i64(&bytes[ISSUED_AT..EXPIRES_AT]),
            expires_at: be_i64(&bytes[EXPIRES_AT..NONCE_AT]),
            signed,
            mac: bytes[MAC_AT..CORPID_AT].to_vec(),
            context: KEY_CONTEXT,
        })
    }

    /// A version-1 token as the previous release sealed it (for the tests that it still opens).
    #[cfg(test)]
    pub(super) fn seal(corpid: &str, agentid: u32, issued_us: i64, expires_at: i64, secret: &str) -> String {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&agentid.to_be_bytes());
        bytes.extend_from_slice(&issued_us.to_be_bytes());
        bytes.extend_from_slice(&expires_at.to_be_bytes());
        bytes.extend_from_slice(&[9; 16]);
        let mut signed = bytes.clone();
        signed.extend_from_slice(corpid.as_bytes());
        let full = mac_of(KEY_CONTEXT, secret, corpid, agentid, &signed).finalize().into_bytes();
        bytes.extend_from_slice(&full[..16]);
        bytes.extend_from_slice(corpid.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPID: &str = "wwmock0000000001";

    fn token() -> String {
        seal(CORPID, 1_000_001, 1_700_000_000_123_456, 1_700_007_200, [7; NONCE_LEN], "mock-secret")
    }

    #[test]
    fn a_sealed_token_opens_to_its_claims_and_is_signed_by_its_secret_only() {
        let token = token();
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        let opened = Claims::open(&token).expect("opens");
        assert_eq!(
            (&opened.corp, opened.agentid, opened.issued_us, opened.expires_at),
            (&CorpClaim::Tag(corp_tag(CORPID)), 1_000_001, 1_700_000_000_123_456, 1_700_007_200)
        );
        assert!(opened.signed_by(CORPID, "mock-secret"));
        assert!(!opened.signed_by(CORPID, "mock-secret-no-contact"));
        assert!(!opened.signed_by(CORPID, ""));
        assert!(!opened.signed_by("wwmock0000000002", "mock-secret"), "another corp, the same secret");
    }

    #[test]
    fn a_token_is_64_characters_whatever_the_corpid() {
        for corpid in ["w", CORPID, "ww0123456789abcdef", &"x".repeat(1024)] {
            let token = seal(corpid, 1, 2, 3, [0; NONCE_LEN], "s");
            assert_eq!(token.len(), 64, "{corpid}");
            assert!(Claims::open(&token).is_some_and(|c| c.signed_by(corpid, "s")), "{corpid}");
        }
    }

    #[test]
    fn the_first_12_characters_are_the_same_for_every_token_of_a_corp() {
        let a = seal(CORPID, 1, 2, 3, [1; NONCE_LEN], "s");
        let b = seal(CORPID, 2, 5, 6, [2; NONCE_LEN], "t");
        let other = seal("wwmock0000000002", 1, 2, 3, [1; NONCE_LEN], "s");
        assert_eq!(a[..12], b[..12]);
        assert_ne!(a[..12], other[..12]);
    }

    #[test]
    fn the_issue_time_is_kept_to_the_microsecond_within_its_seven_bytes() {
        for (issued, kept) in
            [(0, 0), (1_765_000_000_000_001, 1_765_000_000_000_001), (-5, 0), (i64::MAX, MAX_ISSUED_US)]
        {
            let token = seal(CORPID, 1, issued, -7, [0; NONCE_LEN], "s");
            let opened = Claims::open(&token).expect("opens");
            assert_eq!((opened.issued_us, opened.expires_at), (kept, -7), "{issued}");
        }
    }

    #[test]
    fn every_changed_byte_breaks_the_mac_or_the_layout() {
        let token = token();
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            let forged = URL_SAFE_NO_PAD.encode(&changed);
            let accepted = Claims::open(&forged).is_some_and(|c| c.signed_by(CORPID, "mock-secret"));
            assert!(!accepted, "byte {at} changed and the token still verifies");
        }
    }

    #[test]
    fn what_is_not_a_token_of_a_known_layout_does_not_open() {
        let long = "A".repeat(v1::MAX_TOKEN_CHARS + 4);
        let sixty_four_not_base64 = "!".repeat(TOKEN_CHARS);
        for junk in ["", "x", "not base64!", "AAAA", &long, &sixty_four_not_base64] {
            assert!(Claims::open(junk).is_none(), "{junk:?}");
        }
        let mut other_version = URL_SAFE_NO_PAD.decode(token()).expect("base64");
        other_version[0] = VERSION + 1;
        assert!(Claims::open(&URL_SAFE_NO_PAD.encode(other_version)).is_none());
    }

    #[test]
    fn a_version_1_token_still_opens_and_verifies_with_its_corpid() {
        let old = v1::seal(CORPID, 1_000_001, 1_700_000_000_123_456, 1_700_007_200, "mock-secret");
        assert_eq!(old.len(), 92);
        let opened = Claims::open(&old).expect("opens");
        assert_eq!(
            (&opened.corp, opened.agentid, opened.issued_us, opened.expires_at),
            (&CorpClaim::Id(CORPID.to_owned()), 1_000_001, 1_700_000_000_123_456, 1_700_007_200)
        );
        assert!(opened.signed_by(CORPID, "mock-secret"));
        assert!(!opened.signed_by(CORPID, "other"));
        assert!(!opened.signed_by("wwmock0000000002", "mock-secret"));
        let mut bytes = URL_SAFE_NO_PAD.decode(&old).expect("base64");
        for at in 0..bytes.len() {
            bytes[at] ^= 0x01;
            let forged = URL_SAFE_NO_PAD.encode(&bytes);
            assert!(!Claims::open(&forged).is_some_and(|c| c.signed_by(CORPID, "mock-secret")), "byte {at}");
            bytes[at] ^= 0x01;
        }
    }

    #[test]
    fn the_key_binds_the_corp_the_app_and_the_version() {
        assert_ne!(key(KEY_CONTEXT, "s", "wwa", 1), key(KEY_CONTEXT, "s", "wwb", 1));
        assert_ne!(key(KEY_CONTEXT, "s", "wwa", 1), key(KEY_CONTEXT, "s", "wwa", 2));
        assert_ne!(key(KEY_CONTEXT, "s", "wwa", 1), key(KEY_CONTEXT, "t", "wwa", 1));
        assert_ne!(key(KEY_CONTEXT, "s", "wwa", 1), key(v1::KEY_CONTEXT, "s", "wwa", 1));
    }
}
