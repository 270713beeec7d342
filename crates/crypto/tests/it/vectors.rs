//! Published examples, each checked both ways: our decryption finds the documented plain text,
//! and our encryption with the example's random bytes gives the documented cipher text byte for
//! byte.
//!
//! Sources:
//! - WeCom's official Python sample (`weworkapi_python`, `callback/Sample.py`): the
//!   URL-verification request and the posted message, with Token, EncodingAESKey and corpid.
//! - The official WeChat crypto demo's Java test (`WXBizMsgCryptTest.java` of the demo linked
//!   from the "消息加解密说明" page): an encryption with fixed random bytes `aaaabbbbccccdddd`.
//!   WeChat and WeCom share the scheme; the ReceiveId is an appid there.

use wecom_callback_crypto::{CallbackCrypto, signature, xml_text};

const SAMPLE_TOKEN: &str = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo";
const SAMPLE_KEY: &str = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";
const SAMPLE_CORPID: &str = "ww1436e0e65a779aee";

struct Vector {
    name: &'static str,
    token: &'static str,
    key: &'static str,
    receive_id: &'static str,
    /// `None` where the source gives no signature.
    signed: Option<(&'static str, &'static str, &'static str)>,
    encrypt: &'static str,
    random: &'static [u8; 16],
    plain: &'static str,
}

const VECTORS: &[Vector] = &[
    Vector {
        name: "WeCom Sample.py: verify URL (echostr)",
        token: SAMPLE_TOKEN,
        key: SAMPLE_KEY,
        receive_id: SAMPLE_CORPID,
        signed: Some(("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683")),
        encrypt: "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
        random: b"8908d0ff052afda0",
        plain: "1288432023552776189",
    },
    Vector {
        name: "WeCom Sample.py: decrypt a posted message",
        token: SAMPLE_TOKEN,
        key: SAMPLE_KEY,
        receive_id: SAMPLE_CORPID,
        signed: Some(("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914")),
        encrypt: "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+",
        random: b"694ce5a83ae07fe3",
        plain: "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>",
    },
    Vector {
        name: "WeChat crypto demo: encryption with fixed random bytes",
        token: "pamtest",
        key: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        receive_id: "wxb11529c136998cb6",
        signed: None,
        encrypt: "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
        random: b"aaaabbbbccccdddd",
        plain: "我是中文abcd123",
    },
];

fn crypto(v: &Vector) -> CallbackCrypto {
    match CallbackCrypto::new(v.token, v.key, v.receive_id) {
        Ok(crypto) => crypto,
        Err(err) => panic!("{}: the documented key is refused: {err}", v.name),
    }
}

#[test]
fn documented_cipher_texts_decrypt_to_the_documented_plain_texts() {
    for v in VECTORS {
        let crypto = crypto(v);
        assert_eq!(crypto.decrypt(v.encrypt).as_deref(), Ok(v.plain), "{}", v.name);
        if let Some((msg_signature, timestamp, nonce)) = v.signed {
            assert_eq!(crypto.sign(timestamp, nonce, v.encrypt), msg_signature, "{}", v.name);
            assert_eq!(
                crypto.verify_and_decrypt(msg_signature, timestamp, nonce, v.encrypt).as_deref(),
                Ok(v.plain),
                "{}",
                v.name
            );
        }
    }
}

#[test]
fn encryption_with_the_documented_random_bytes_gives_the_documented_cipher_text() {
    for v in VECTORS {
        let encrypted = crypto(v).encrypt_with_random(v.random, v.plain.as_bytes());
        assert_eq!(encrypted.as_deref(), Ok(v.encrypt), "{}", v.name);
    }
}

#[test]
fn the_documented_url_verification_answers_the_plain_echostr() {
    let v = &VECTORS[0];
    let Some((msg_signature, timestamp, nonce)) = v.signed else { panic!("the vector is signed") };
    assert_eq!(crypto(v).verify_url(msg_signature, timestamp, nonce, v.encrypt).as_deref(), Ok("1288432023552776189"));
}

#[test]
fn the_documented_posted_envelope_decrypts_to_its_message() {
    let v = &VECTORS[1];
    let Some((msg_signature, timestamp, nonce)) = v.signed else { panic!("the vector is signed") };
    // The body exactly as the sample shows it, newlines included.
    let body = format!(
        "<xml><ToUserName><![CDATA[{SAMPLE_CORPID}]]></ToUserName>\n<Encrypt><![CDATA[{}]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>",
        v.encrypt
    );
    let message = crypto(v).decrypt_message(msg_signature, timestamp, nonce, &body).unwrap_or_default();
    assert_eq!(xml_text(&message, "Content").as_deref(), Some("你好"));
    assert_eq!(xml_text(&message, "AgentID").as_deref(), Some("1000002"));
}

#[test]
fn the_signature_is_sha1_over_the_byte_sorted_parts() {
    // Sorting is by bytes, so the order the four parts are given in does not matter.
    let a = signature("b", "a", "d", "c");
    let b = signature("d", "c", "b", "a");
    assert_eq!(a, b);
    // SHA-1("abcd").
    assert_eq!(a, "81fe8bfe87576c3ecb22426f8e57847382917acf");
}
