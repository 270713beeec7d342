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

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The layout's version, the first byte: a token of another layout is unknown (40014).
const VERSION: u8 = 1;
/// Bytes of the random part.
pub(crate) const NONCE_LEN: usize = 16;
/// Bytes of the MAC kept (HMAC-SHA256 truncated to its left half, RFC 2104 §5).
const MAC_LEN: usize = 16;
/// version, agentid, issued (µs), expires (s), nonce; then the MAC; then the corpid.
const AGENTID_AT: usize = 1;
const ISSUED_AT: usize = AGENTID_AT + 4;
const EXPIRES_AT: usize = ISSUED_AT + 8;
const NONCE_AT: usize = EXPIRES_AT + 8;
const MAC_AT: usize = NONCE_AT + NONCE_LEN;
const CORPID_AT: usize = MAC_AT + MAC_LEN;
/// The longest token decoded: a corpid of up to 1 KiB (anything longer is not ours).
const MAX_TOKEN_CHARS: usize = 1400;
/// What the key derivation binds the secret to, so the key is this use's only.
const KEY_CONTEXT: &[u8] = b"wecom-mock access token v1";

/// What a token says about itself (not yet verified: see [`Claims::signed_by`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    pub corpid: String,
    pub agentid: u32,
    /// Wall time of issue, in microseconds since the epoch: revocations compare with it.
    pub issued_us: i64,
    /// The instant it expires on the corp's virtual clock (seconds).
    pub expires_at: i64,
    nonce: [u8; NONCE_LEN],
    mac: [u8; MAC_LEN],
}

/// The key an app's tokens are authenticated with: HMAC-SHA256 of the context, the corp and
/// the app under the app's secret.
fn key(secret: &str, corpid: &str, agentid: u32) -> [u8; 32] {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(KEY_CONTEXT);
    mac.update(&agentid.to_be_bytes());
    mac.update(corpid.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Claims {
    /// The claims of a token to issue now.
    pub(crate) fn new(corpid: &str, agentid: u32, issued_us: i64, expires_at: i64, nonce: [u8; NONCE_LEN]) -> Self {
        Claims { corpid: corpid.to_owned(), agentid, issued_us, expires_at, nonce, mac: [0; MAC_LEN] }
    }

    /// The HMAC of everything but the MAC itself, under the key of `secret`.
    fn mac_with(&self, secret: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&key(secret, &self.corpid, self.agentid)).unwrap_or_else(|_| unreachable!());
        mac.update(&self.fixed()[..MAC_AT]);
        mac.update(self.corpid.as_bytes());
        mac
    }

    /// The fixed-size head: version, agentid, issued, expires, nonce, MAC.
    fn fixed(&self) -> [u8; CORPID_AT] {
        let mut out = [0u8; CORPID_AT];
        out[0] = VERSION;
        out[AGENTID_AT..ISSUED_AT].copy_from_slice(&self.agentid.to_be_bytes());
        out[ISSUED_AT..EXPIRES_AT].copy_from_slice(&self.issued_us.to_be_bytes());
        out[EXPIRES_AT..NONCE_AT].copy_from_slice(&self.expires_at.to_be_bytes());
        out[NONCE_AT..MAC_AT].copy_from_slice(&self.nonce);
        out[MAC_AT..CORPID_AT].copy_from_slice(&self.mac);
        out
    }

    /// The token: the claims and their MAC under `secret`, in `[A-Za-z0-9_-]`.
    pub(crate) fn seal(mut self, secret: &str) -> String {
        let full = self.mac_with(secret).finalize().into_bytes();
        self.mac.copy_from_slice(&full[..MAC_LEN]);
        let mut bytes = self.fixed().to_vec();
        bytes.extend_from_slice(self.corpid.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What `token` claims, or `None` when it is not a token of this layout.
    pub(crate) fn open(token: &str) -> Option<Claims> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() <= CORPID_AT || bytes[0] != VERSION {
            return None;
        }
        let corpid = std::str::from_utf8(&bytes[CORPID_AT..]).ok()?.to_owned();
        let array = |at: usize| -> [u8; 8] { bytes[at..at + 8].try_into().unwrap_or_default() };
        Some(Claims {
            corpid,
            agentid: u32::from_be_bytes(bytes[AGENTID_AT..ISSUED_AT].try_into().unwrap_or_default()),
            issued_us: i64::from_be_bytes(array(ISSUED_AT)),
            expires_at: i64::from_be_bytes(array(EXPIRES_AT)),
            nonce: bytes[NONCE_AT..MAC_AT].try_into().unwrap_or_default(),
            mac: bytes[MAC_AT..CORPID_AT].try_into().unwrap_or_default(),
        })
    }

    /// `true` when the token was sealed with `secret` (compared in constant time).
    pub(crate) fn signed_by(&self, secret: &str) -> bool {
        self.mac_with(secret).verify_truncated_left(&self.mac).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims::new("wwmock0000000001", 1_000_001, 1_700_000_000_123_456, 1_700_007_200, [7; NONCE_LEN])
    }

    #[test]
    fn a_sealed_token_opens_to_its_claims_and_is_signed_by_its_secret_only() {
        let token = claims().seal("mock-secret");
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        let opened = Claims::open(&token).expect("opens");
        assert_eq!(
            (opened.corpid.as_str(), opened.agentid, opened.issued_us, opened.expires_at),
            ("wwmock0000000001", 1_000_001, 1_700_000_000_123_456, 1_700_007_200)
        );
        assert!(opened.signed_by("mock-secret"));
        assert!(!opened.signed_by("mock-secret-no-contact"));
        assert!(!opened.signed_by(""));
    }

    #[test]
    fn every_changed_byte_breaks_the_mac_or_the_layout() {
        let token = claims().seal("mock-secret");
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            let forged = URL_SAFE_NO_PAD.encode(&changed);
            let accepted = Claims::open(&forged).is_some_and(|c| c.signed_by("mock-secret"));
            assert!(!accepted, "byte {at} changed and the token still verifies");
        }
    }

    #[test]
    fn what_is_not_a_token_of_this_layout_does_not_open() {
        let long = "A".repeat(MAX_TOKEN_CHARS + 4);
        for junk in ["", "x", "not base64!", "AAAA", &long] {
            assert!(Claims::open(junk).is_none(), "{junk:?}");
        }
        let mut other_version = URL_SAFE_NO_PAD.decode(claims().seal("s")).expect("base64");
        other_version[0] = VERSION + 1;
        assert!(Claims::open(&URL_SAFE_NO_PAD.encode(other_version)).is_none());
    }

    #[test]
    fn the_key_binds_the_corp_and_the_app() {
        assert_ne!(key("s", "wwa", 1), key("s", "wwb", 1));
        assert_ne!(key("s", "wwa", 1), key("s", "wwa", 2));
        assert_ne!(key("s", "wwa", 1), key("t", "wwa", 1));
    }
}
