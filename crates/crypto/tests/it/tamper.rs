//! Round trips, and every way a callback can be wrong: each is a typed error, never a panic and
//! never a wrong plain text.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use wecom_callback_crypto::{CallbackCrypto, Error, decode_aes_key, envelope};

const TOKEN: &str = "T0ken";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const CORPID: &str = "wwmock0000000001";

fn ours() -> CallbackCrypto {
    CallbackCrypto::new(TOKEN, KEY, CORPID).unwrap_or_else(|e| panic!("valid settings: {e}"))
}

fn sealed(message: &str) -> String {
    ours().encrypt(message.as_bytes()).unwrap_or_else(|e| panic!("encrypts: {e}"))
}

/// Re-encrypts raw bytes (no random prefix, no length, no padding added) under our key, to
/// build malformed plain texts that still decrypt block-wise.
fn raw_cipher(plain: &[u8]) -> String {
    use aes::Aes256;
    use cbc::cipher::block_padding::NoPadding;
    use cbc::cipher::{BlockEncryptMut, KeyIvInit};
    let key = decode_aes_key(KEY).unwrap_or_else(|e| panic!("{e}"));
    let mut buf = plain.to_vec();
    let len = buf.len();
    let cipher = cbc::Encryptor::<Aes256>::new_from_slices(&key, &key[..16]).unwrap_or_else(|e| panic!("{e}"));
    let out = cipher.encrypt_padded_mut::<NoPadding>(&mut buf, len).unwrap_or_else(|e| panic!("{e}"));
    STANDARD.encode(out)
}

#[test]
fn round_trip_through_the_envelope() {
    let sent = ours().encrypt_message("<xml><State><![CDATA[春天]]></State></xml>", "1750000000", "n1").ok();
    let Some(sent) = sent else { panic!("encrypts") };
    let body = envelope(CORPID, &sent.encrypt, 1_000_001);
    let back = ours().decrypt_message(&sent.msg_signature, &sent.timestamp, &sent.nonce, &body);
    assert_eq!(back.as_deref(), Ok("<xml><State><![CDATA[春天]]></State></xml>"));
}

#[test]
fn the_same_message_encrypts_differently_each_time() {
    assert_ne!(sealed("same"), sealed("same"), "16 fresh random bytes lead every plain text");
}

#[test]
fn padding_fills_to_a_multiple_of_32_bytes_even_when_already_aligned() {
    // 16 + 4 + len + 16 (corpid): lengths 12 and 44 make the body 48 and 80; 28 makes it 64.
    for len in [0usize, 11, 12, 28, 44, 300] {
        let message = "x".repeat(len);
        let cipher = STANDARD.decode(sealed(&message)).unwrap_or_default();
        let body = 16 + 4 + len + CORPID.len();
        let padded = body + (32 - body % 32);
        assert_eq!(cipher.len(), padded, "message of {len} bytes");
        assert_eq!(ours().decrypt(&STANDARD.encode(&cipher)).as_deref(), Ok(message.as_str()));
    }
}

#[track_caller]
fn check(result: Result<String, Error>, expected: &Error) {
    assert_eq!(result.as_ref().err(), Some(expected), "{result:?}");
}

#[test]
fn tampered_callbacks_are_refused_with_their_reason() {
    let encrypt = sealed("<xml/>");
    let signature = ours().sign("1", "2", &encrypt);
    let crypto = ours();

    check(crypto.verify_and_decrypt("0".repeat(40).as_str(), "1", "2", &encrypt), &Error::SignatureMismatch);
    check(crypto.verify_and_decrypt(&signature, "1", "3", &encrypt), &Error::SignatureMismatch);
    check(crypto.verify_and_decrypt(&signature, "2", "2", &encrypt), &Error::SignatureMismatch);
    let other_token = CallbackCrypto::new("other", KEY, CORPID).ok();
    check(
        other_token.map_or(Err(Error::InvalidAesKey), |c| c.verify_and_decrypt(&signature, "1", "2", &encrypt)),
        &Error::SignatureMismatch,
    );

    // A flipped bit in the cipher text is also a signature mismatch: the signature covers it.
    let mut bytes = STANDARD.decode(&encrypt).unwrap_or_default();
    bytes[5] ^= 1;
    check(crypto.verify_and_decrypt(&signature, "1", "2", &STANDARD.encode(&bytes)), &Error::SignatureMismatch);

    // A message for another corp: same key and token, another ReceiveId.
    let theirs = CallbackCrypto::new(TOKEN, KEY, "wwsomeoneelse0001").ok();
    let foreign = theirs.and_then(|c| c.encrypt(b"<xml/>").ok()).unwrap_or_default();
    let foreign_sig = crypto.sign("1", "2", &foreign);
    check(
        crypto.verify_and_decrypt(&foreign_sig, "1", "2", &foreign),
        &Error::ReceiveIdMismatch { expected: CORPID.into(), found: "wwsomeoneelse0001".into() },
    );
}

#[test]
fn malformed_cipher_texts_are_typed_errors() {
    let crypto = ours();
    // Zero "random" bytes: the first block alone decrypts to a pad byte of 0, every time.
    let sealed_text = crypto.encrypt_with_random(&[0u8; 16], b"hello").unwrap_or_default();
    let cases: Vec<(&str, String, Error)> = vec![
        ("not base64", "!!!not base64!!!".into(), Error::Base64),
        ("empty", String::new(), Error::BlockLength(0)),
        ("not whole blocks", STANDARD.encode([0u8; 20]), Error::BlockLength(20)),
        (
            "truncated to one block",
            STANDARD.encode(&STANDARD.decode(&sealed_text).unwrap_or_default()[..16]),
            Error::Padding,
        ),
        ("pad byte 0", raw_cipher(&[0u8; 32]), Error::Padding),
        ("pad byte over 32", raw_cipher(&[33u8; 48]), Error::Padding),
        (
            "pad bytes disagree",
            raw_cipher(&{
                let mut b = [4u8; 32];
                b[29] = 3;
                b
            }),
            Error::Padding,
        ),
        ("shorter than the length prefix", raw_cipher(&[16u8; 32]), Error::Truncated),
        (
            "length beyond the text",
            raw_cipher(&{
                let mut b = [1u8; 32];
                b[16..20].copy_from_slice(&1000u32.to_be_bytes());
                b
            }),
            Error::Truncated,
        ),
    ];
    for (name, encrypt, expected) in cases {
        let result = crypto.decrypt(&encrypt);
        assert_eq!(result.as_ref().err(), Some(&expected), "{name}: {result:?}");
    }
    // Valid padding and length, but the message bytes are not UTF-8.
    let mut plain = vec![0u8; 16];
    plain.extend_from_slice(&2u32.to_be_bytes());
    plain.extend_from_slice(&[0xff, 0xfe]);
    plain.extend_from_slice(CORPID.as_bytes());
    plain.resize(64, 26);
    assert_eq!(crypto.decrypt(&raw_cipher(&plain)), Err(Error::NotUtf8));
}

#[test]
fn an_envelope_without_encrypt_is_refused() {
    let result = ours().decrypt_message("x", "1", "2", "<xml><ToUserName>a</ToUserName></xml>");
    assert_eq!(result, Err(Error::MissingXmlElement("Encrypt")));
}

#[test]
fn keys_that_are_not_43_base64_characters_are_refused() {
    for key in ["", "short", &"a".repeat(42), &"a".repeat(44), &format!("{}!", &KEY[..42]), &"中".repeat(14)] {
        assert_eq!(CallbackCrypto::new(TOKEN, key, CORPID).err(), Some(Error::InvalidAesKey), "{key:?}");
    }
}

#[test]
fn errors_carry_the_official_return_codes() {
    assert_eq!(Error::SignatureMismatch.code(), -40001);
    assert_eq!(Error::InvalidAesKey.code(), -40004);
    assert_eq!(Error::ReceiveIdMismatch { expected: String::new(), found: String::new() }.code(), -40005);
    assert_eq!(Error::Padding.code(), -40007);
    assert_eq!(Error::Base64.code(), -40010);
}

proptest! {
    #[test]
    fn any_message_round_trips(message in ".{0,300}", timestamp in "[0-9]{1,10}", nonce in "[a-z0-9]{1,12}") {
        let crypto = ours();
        let sent = crypto.encrypt_message(&message, &timestamp, &nonce);
        prop_assert!(sent.is_ok());
        if let Ok(sent) = sent {
            let back = crypto.verify_and_decrypt(&sent.msg_signature, &timestamp, &nonce, &sent.encrypt);
            prop_assert_eq!(back, Ok(message));
        }
    }

    #[test]
    fn arbitrary_input_never_panics(encrypt in ".{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let crypto = ours();
        let _ = crypto.decrypt(&encrypt);
        let _ = crypto.decrypt(&STANDARD.encode(&bytes));
        let _ = crypto.decrypt_message("s", "t", "n", &encrypt);
    }
}
