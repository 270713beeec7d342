//! # wecom-callback-crypto
//!
//! The encryption WeCom uses for callbacks (the scheme of the official `WXBizMsgCrypt`
//! libraries): verify a callback's `msg_signature`, decrypt its `Encrypt` field, answer the
//! URL-verification handshake, and the other direction for servers that send callbacks (such
//! as `wecom-mock`).
//!
//! In a callback handler:
//!
//! ```
//! use wecom_callback_crypto::CallbackCrypto;
//!
//! # fn main() -> Result<(), wecom_callback_crypto::Error> {
//! // The app's Token and EncodingAESKey from the admin console, and your corpid.
//! let crypto = CallbackCrypto::new("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee")?;
//!
//! // GET ?msg_signature=…&timestamp=…&nonce=…&echostr=… when the URL is saved: answer the plain text.
//! let echo = crypto.verify_url(
//!     "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
//!     "1476416373",
//!     "47744683",
//!     "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
//! )?;
//! assert_eq!(echo, "1288432023552776189");
//!
//! // POST ?msg_signature=…&timestamp=…&nonce=… with the XML envelope: the event's XML.
//! # let (signature, timestamp, nonce, body) = {
//! #     let sent = crypto.encrypt_message("<xml><Event><![CDATA[change_external_contact]]></Event></xml>", "1700000000", "42")?;
//! #     (sent.msg_signature.clone(), sent.timestamp.clone(), sent.nonce.clone(), wecom_callback_crypto::envelope("ww1436e0e65a779aee", &sent.encrypt, 1000002))
//! # };
//! let event = crypto.decrypt_message(&signature, &timestamp, &nonce, &body)?;
//! assert_eq!(wecom_callback_crypto::xml_text(&event, "Event").as_deref(), Some("change_external_contact"));
//! # Ok(()) }
//! ```
//!
//! The scheme, from the official "加解密方案说明": `AESKey = Base64_Decode(EncodingAESKey + "=")`
//! (32 bytes); AES-256-CBC with the key's first 16 bytes as IV and PKCS#7 padding to a multiple
//! of **32** bytes; the plain text is 16 random bytes, the message length as 4 bytes big-endian,
//! the message, then the ReceiveId (the corpid for a corp's own apps); `msg_signature` is the
//! lowercase hex SHA-1 of the byte-wise sorted concatenation of token, timestamp, nonce and the
//! base64 cipher text.
//!
//! The XML around it: [`xml_text`] / [`xml_texts`] / [`xml_inner`] read an envelope or an event
//! with `quick-xml` (CDATA, entities, `<State/>`, attributes, nested elements), [`element`] and
//! [`envelope`] write them as CDATA sections that any text survives.
//!
//! Every function returns an [`Error`] (or `None` for an element that is not there) on bad
//! input; none panics.

use aes::Aes256;
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand::RngCore;
use sha1::{Digest, Sha1};

mod xml;

pub use xml::{cdata, element, envelope, try_xml_text, xml_inner, xml_text, xml_texts};

/// Length of an EncodingAESKey: 43 base64 characters.
pub const ENCODING_AES_KEY_LEN: usize = 43;

/// The padding block: PKCS#7 to a multiple of 32 bytes (not AES's 16).
const PAD_BLOCK: usize = 32;
const RANDOM_LEN: usize = 16;
const LEN_PREFIX: usize = 4;

/// The official libraries decode with Java's and Python's lenient decoders: the unused low bits
/// of the 43rd character are ignored (the official test key `…ABCDEFG` has them set).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What went wrong. [`Error::code`] gives the official libraries' return code for each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The EncodingAESKey is not 43 base64 characters.
    #[error("the EncodingAESKey must be 43 base64 characters")]
    InvalidAesKey,
    /// `msg_signature` does not match token, timestamp, nonce and cipher text.
    #[error("msg_signature does not match")]
    SignatureMismatch,
    /// The XML has no `Encrypt` element.
    #[error("the XML has no <{0}> element")]
    MissingXmlElement(&'static str),
    /// The XML is not well-formed (an unclosed element or CDATA section, an unknown entity, …).
    #[error("malformed XML at byte {position}: {reason}")]
    MalformedXml {
        /// Byte offset in the XML where reading stopped.
        position: u64,
        /// What the XML reader found.
        reason: String,
    },
    /// The cipher text is not base64.
    #[error("the cipher text is not base64")]
    Base64,
    /// The cipher text is empty or not a whole number of AES blocks.
    #[error("the cipher text is not a whole number of AES blocks ({0} bytes)")]
    BlockLength(usize),
    /// The PKCS#7 padding is invalid (wrong key, or tampered cipher text).
    #[error("invalid padding: wrong key or tampered cipher text")]
    Padding,
    /// The plain text is shorter than its length prefix says.
    #[error("the decrypted text is truncated")]
    Truncated,
    /// The message is not UTF-8.
    #[error("the decrypted message is not UTF-8")]
    NotUtf8,
    /// The ReceiveId in the plain text is not ours (a message for another corp or app).
    #[error("the message is for `{found}`, not `{expected}`")]
    ReceiveIdMismatch {
        /// Ours.
        expected: String,
        /// The message's.
        found: String,
    },
    /// The message does not fit the 4-byte length prefix.
    #[error("the message is longer than 4 GiB")]
    TooLong,
}

impl Error {
    /// The official libraries' return code (`WXBizMsgCrypt_*`), for logs and interop.
    pub fn code(&self) -> i32 {
        match self {
            Error::SignatureMismatch => -40001,
            Error::MissingXmlElement(_) | Error::MalformedXml { .. } => -40002,
            Error::InvalidAesKey => -40004,
            Error::ReceiveIdMismatch { .. } => -40005,
            Error::TooLong => -40006,
            Error::BlockLength(_) | Error::Padding => -40007,
            Error::Truncated | Error::NotUtf8 => -40008,
            Error::Base64 => -40010,
        }
    }
}

/// A message encrypted and signed: the query parameters and the `Encrypt` text of a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// Base64 cipher text (the `Encrypt` element, or `echostr`).
    pub encrypt: String,
    /// `msg_signature`.
    pub msg_signature: String,
    /// `timestamp`, as sent.
    pub timestamp: String,
    /// `nonce`, as sent.
    pub nonce: String,
}

/// One app's callback settings: Token, EncodingAESKey and the ReceiveId (the corpid).
#[derive(Clone)]
pub struct CallbackCrypto {
    token: String,
    key: [u8; 32],
    receive_id: String,
}

impl std::fmt::Debug for CallbackCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token and key are secrets: never in logs.
        f.debug_struct("CallbackCrypto").field("receive_id", &self.receive_id).finish_non_exhaustive()
    }
}

/// Decodes an EncodingAESKey into the 32-byte AES key.
pub fn decode_aes_key(encoding_aes_key: &str) -> Result<[u8; 32], Error> {
    if encoding_aes_key.len() != ENCODING_AES_KEY_LEN {
        return Err(Error::InvalidAesKey);
    }
    let bytes = LENIENT.decode(format!("{encoding_aes_key}=")).map_err(|_| Error::InvalidAesKey)?;
    bytes.try_into().map_err(|_| Error::InvalidAesKey)
}

/// `msg_signature`: SHA-1 hex of the sorted concatenation of the four strings.
pub fn signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    let mut parts = [token, timestamp, nonce, encrypt];
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without leaking through timing where two signatures differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl CallbackCrypto {
    /// Settings for one app; `receive_id` is the corpid for a corp's own apps.
    pub fn new(
        token: impl Into<String>,
        encoding_aes_key: &str,
        receive_id: impl Into<String>,
    ) -> Result<CallbackCrypto, Error> {
        Ok(CallbackCrypto {
            token: token.into(),
            key: decode_aes_key(encoding_aes_key)?,
            receive_id: receive_id.into(),
        })
    }

    /// The ReceiveId messages must carry.
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// The signature of a cipher text with this app's token.
    pub fn sign(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        signature(&self.token, timestamp, nonce, encrypt)
    }

    /// `true` when `msg_signature` is this app's signature of the rest.
    pub fn verify(&self, msg_signature: &str, timestamp: &str, nonce: &str, encrypt: &str) -> bool {
        let expected = self.sign(timestamp, nonce, encrypt);
        constant_time_eq(expected.as_bytes(), msg_signature.trim().to_ascii_lowercase().as_bytes())
    }

    /// Encrypts `message` with fresh random bytes from the OS: the base64 cipher text.
    pub fn encrypt(&self, message: &[u8]) -> Result<String, Error> {
        let mut random = [0u8; RANDOM_LEN];
        rand::rng().fill_bytes(&mut random);
        self.encrypt_with_random(&random, message)
    }

    /// Encrypts with the given 16 "random" bytes: deterministic, for test vectors.
    pub fn encrypt_with_random(&self, random: &[u8; 16], message: &[u8]) -> Result<String, Error> {
        let len = u32::try_from(message.len()).map_err(|_| Error::TooLong)?;
        let body = RANDOM_LEN + LEN_PREFIX + message.len() + self.receive_id.len();
        let pad = PAD_BLOCK - body % PAD_BLOCK;
        let mut buf = Vec::with_capacity(body + pad);
        buf.extend_from_slice(random);
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(message);
        buf.extend_from_slice(self.receive_id.as_bytes());
        // PKCS#7 to 32 bytes: 1 to 32 bytes, each the pad length (which always fits a byte).
        buf.resize(body + pad, pad as u8);
        let total = buf.len();
        let cipher =
            cbc::Encryptor::<Aes256>::new_from_slices(&self.key, &self.key[..16]).map_err(|_| Error::InvalidAesKey)?;
        let encrypted = cipher.encrypt_padded_mut::<NoPadding>(&mut buf, total).map_err(|_| Error::Padding)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(encrypted))
    }

    /// Encrypts and signs `message` for a callback with this `timestamp` and `nonce`.
    pub fn encrypt_message(&self, message: &str, timestamp: &str, nonce: &str) -> Result<Encrypted, Error> {
        let encrypt = self.encrypt(message.as_bytes())?;
        let msg_signature = self.sign(timestamp, nonce, &encrypt);
        Ok(Encrypted { encrypt, msg_signature, timestamp: timestamp.to_owned(), nonce: nonce.to_owned() })
    }

    /// Decrypts a base64 cipher text and checks its ReceiveId. Does not check a signature: use
    /// [`verify_and_decrypt`](Self::verify_and_decrypt) on anything that came over the network.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, Error> {
        let (message, receive_id) = self.open(encrypt)?;
        if receive_id != self.receive_id.as_bytes() {
            return Err(Error::ReceiveIdMismatch {
                expected: self.receive_id.clone(),
                found: String::from_utf8_lossy(&receive_id).into_owned(),
            });
        }
        String::from_utf8(message).map_err(|_| Error::NotUtf8)
    }

    /// Decrypts to (message, receive id) without checking the receive id.
    fn open(&self, encrypt: &str) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let mut buf = LENIENT.decode(encrypt.trim()).map_err(|_| Error::Base64)?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(Error::BlockLength(buf.len()));
        }
        let cipher =
            cbc::Decryptor::<Aes256>::new_from_slices(&self.key, &self.key[..16]).map_err(|_| Error::InvalidAesKey)?;
        let plain = cipher.decrypt_padded_mut::<NoPadding>(&mut buf).map_err(|_| Error::Padding)?;
        let pad = plain.last().copied().map_or(0, usize::from);
        if pad == 0
            || pad > PAD_BLOCK
            || pad > plain.len()
            || plain[plain.len() - pad..].iter().any(|b| usize::from(*b) != pad)
        {
            return Err(Error::Padding);
        }
        let body = &plain[..plain.len() - pad];
        let Some(prefix) = body.get(RANDOM_LEN..RANDOM_LEN + LEN_PREFIX) else { return Err(Error::Truncated) };
        let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let start = RANDOM_LEN + LEN_PREFIX;
        let end = start.checked_add(len).filter(|end| *end <= body.len()).ok_or(Error::Truncated)?;
        Ok((body[start..end].to_vec(), body[end..].to_vec()))
    }

    /// Checks `msg_signature`, then decrypts and checks the ReceiveId: what a callback handler
    /// does with the `Encrypt` element and the query string.
    pub fn verify_and_decrypt(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<String, Error> {
        if !self.verify(msg_signature, timestamp, nonce, encrypt) {
            return Err(Error::SignatureMismatch);
        }
        self.decrypt(encrypt)
    }

    /// The URL-verification handshake (`GET` with `echostr` when a callback URL is saved): the
    /// plain text to answer with, exactly (no quotes, no newline).
    pub fn verify_url(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<String, Error> {
        self.verify_and_decrypt(msg_signature, timestamp, nonce, echostr)
    }

    /// A posted callback: takes `Encrypt` from the XML envelope, checks the signature and
    /// decrypts. Returns the event's XML.
    pub fn decrypt_message(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        body: &str,
    ) -> Result<String, Error> {
        let encrypt = try_xml_text(body, "Encrypt")?.ok_or(Error::MissingXmlElement("Encrypt"))?;
        self.verify_and_decrypt(msg_signature, timestamp, nonce, &encrypt)
    }
}
