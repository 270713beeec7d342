//! The envelope every answer travels in, and request decoding that names the offending field.
//!
//! Every answer is HTTP 200 with `{"errcode": N, "errmsg": "...", ...payload}`. Decoding a
//! request reports a wrong JSON type the way the real service does:
//! ``field `type` expect type `int`. invalid Request Parameter`` (errcode 40058).

use std::fmt;

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::errcode::ErrCode;

/// The status part of any answer; other fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Status {
    /// 0 on success.
    #[serde(default)]
    pub errcode: ErrCode,
    /// "ok" on success, the real errmsg otherwise.
    #[serde(default)]
    pub errmsg: String,
}

/// The body of an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// The error code.
    pub errcode: ErrCode,
    /// The errmsg, with hint and more-info URL.
    #[serde(default)]
    pub errmsg: String,
    /// Present on parameter errors (the real service sends `[]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_info: Option<Vec<serde_json::Value>>,
}

/// The start of every successful answer.
const OK_HEAD: &[u8] = br#"{"errcode":0,"errmsg":"ok""#;

/// Writes `{"errcode":0,"errmsg":"ok",...payload}` without an intermediate value.
///
/// The payload must serialise as a JSON object (every response type does).
pub fn encode_ok<T: Serialize>(payload: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(OK_HEAD);
    // Serialising our own response types to a Vec cannot fail; if a foreign payload ever
    // does, the answer degrades to the bare envelope rather than a panic.
    let body = serde_json::to_vec(payload).unwrap_or_default();
    match body.as_slice() {
        [b'{', b'}'] | [] => {}
        [b'{', rest @ ..] => {
            out.push(b',');
            out.extend_from_slice(rest);
            return out;
        }
        _ => {}
    }
    out.push(b'}');
    out
}

/// Writes `{"errcode":0,"errmsg":"ok","<field>":<value>}` around a value that is already
/// encoded JSON: the same bytes as [`encode_ok`] of a payload with that one field, for servers
/// that keep answers encoded.
pub fn encode_ok_field(field: &str, value_json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(OK_HEAD.len() + field.len() + value_json.len() + 8);
    out.extend_from_slice(OK_HEAD);
    out.extend_from_slice(b",\"");
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(value_json);
    out.push(b'}');
    out
}

/// Encodes an error answer.
pub fn encode_error(body: &ErrorBody) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|_| br#"{"errcode":-1,"errmsg":"system busy"}"#.to_vec())
}

/// Decodes an answer: the payload on errcode 0, the error body otherwise.
pub fn decode_response<T: DeserializeOwned>(bytes: &[u8]) -> Result<Result<T, ErrorBody>, serde_json::Error> {
    let status: Status = serde_json::from_slice(bytes)?;
    if status.errcode.is_ok() {
        return serde_json::from_slice(bytes).map(Ok);
    }
    let body: ErrorBody = serde_json::from_slice(bytes)?;
    Ok(Err(body))
}

/// Why a request body could not be decoded (always errcode 40058).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The field with the wrong type, as a path (`type`, `conclusions.text.content`, `user[0]`).
    pub field: Option<String>,
    /// The JSON type the field needs: `int`, `string`, `bool`, `array` or `object`.
    pub expected: Option<&'static str>,
    /// The decoder's own message.
    pub detail: String,
}

impl DecodeError {
    /// The errcode of every decode error.
    pub const CODE: ErrCode = ErrCode::INVALID_PARAMETER;

    /// The errmsg phrase the real service uses:
    /// ``field `type` expect type `int`. invalid Request Parameter``.
    pub fn phrase(&self) -> String {
        match (&self.field, self.expected) {
            (Some(field), Some(expected)) => {
                format!("field `{field}` expect type `{expected}`. {}", Self::CODE.phrase())
            }
            _ => Self::CODE.phrase().to_owned(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.phrase(), self.detail)
    }
}

impl std::error::Error for DecodeError {}

/// Maps serde's "expected …" wording to the type names the real service prints.
fn expected_type(message: &str) -> Option<&'static str> {
    let expected = message.rsplit_once("expected ")?.1;
    const TABLE: &[(&str, &str)] = &[
        ("i32", "int"),
        ("i64", "int"),
        ("u32", "int"),
        ("u64", "int"),
        ("a string", "string"),
        ("a boolean", "bool"),
        ("a sequence", "array"),
        ("struct", "object"),
        ("a map", "object"),
    ];
    TABLE.iter().find(|(serde_word, _)| expected.starts_with(serde_word)).map(|(_, name)| *name)
}

/// Decodes a JSON request body; unknown fields are ignored, a wrong type names its field.
///
/// The body must be a JSON object: serde would otherwise read a top-level array positionally.
pub fn decode_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(DecodeError { field: None, expected: None, detail: "the body is not a JSON object".to_owned() });
    }
    // Most bodies are valid: decode them without tracking the path, which allocates the name of
    // every key and made decoding an add several times slower (docs/PERFORMANCE.md). Only a
    // failed body is decoded again to name its field.
    let mut fast = serde_json::Deserializer::from_slice(bytes);
    if let Ok(value) = T::deserialize(&mut fast)
        && fast.end().is_ok()
    {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let detail = inner.to_string();
        let is_type_error = inner.is_data();
        let field = (is_type_error && path != ".").then_some(path);
        let expected = if is_type_error { expected_type(&detail) } else { None };
        DecodeError { field, expected, detail }
    })?;
    // Trailing bytes after the object make the body invalid JSON.
    de.end().map_err(|err| DecodeError { field: None, expected: None, detail: err.to_string() })?;
    Ok(value)
}

/// The value of `key` when the body is exactly `{"key":"value"}` (JSON whitespace allowed)
/// with a plain string (no escape, no control character): what [`decode_body`] reads from such
/// a body, found without serde. `None` for anything else, which then goes to [`decode_body`].
///
/// The one-field requests (`{"config_id":"…"}`) are the most frequent bodies; serde's generic
/// path was about a twentieth of a `get_contact_way`'s instructions on the mock.
pub fn plain_string_field<'a>(bytes: &'a [u8], key: &str) -> Option<&'a str> {
    fn skip_whitespace(bytes: &[u8]) -> &[u8] {
        let start = bytes.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).unwrap_or(bytes.len());
        &bytes[start..]
    }
    fn token<'b>(bytes: &'b [u8], expected: &[u8]) -> Option<&'b [u8]> {
        skip_whitespace(bytes).strip_prefix(expected)
    }
    let rest = token(bytes, b"{")?;
    let rest = token(rest, b"\"")?.strip_prefix(key.as_bytes())?.strip_prefix(b"\"")?;
    let rest = token(token(rest, b":")?, b"\"")?;
    // A byte search for the end (SIMD), then one pass for control characters, which JSON
    // forbids raw in a string: a char-by-char scan cost as much as serde.
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    let (value, rest) = rest.split_at(end);
    // A fold without an early exit: the compiler makes it a vector loop, a third of `any`'s.
    if value.iter().fold(false, |control, &b| control | (b < 0x20)) {
        return None;
    }
    let rest = token(rest.strip_prefix(b"\"")?, b"}")?;
    if !skip_whitespace(rest).is_empty() {
        return None;
    }
    std::str::from_utf8(value).ok()
}

/// Reads a struct-typed field of a request (`#[serde(deserialize_with = "crate::wire::object")]`):
/// a JSON object, or `null` for "not given".
///
/// serde would also read a JSON array as the struct's fields in order (`"conclusions":
/// [{"content":"bye"}]` as a text part); the real service answers such a body 40058, so a
/// non-empty array is a wrong type here. The empty array alone reads as the empty object
/// ([`EMPTY_ARRAY_IS_EMPTY_OBJECT`](crate::fidelity::EMPTY_ARRAY_IS_EMPTY_OBJECT)).
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_option(ObjectVisitor(std::marker::PhantomData))
}

/// [`object`] for a [`Patch`](crate::Patch) field of an update.
pub(crate) fn object_patch<'de, D, T>(deserializer: D) -> Result<crate::Patch<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + crate::patch::PatchValue,
{
    object(deserializer).map(crate::Patch::from_present)
}

/// Accepts `null`, an object, or the empty array; anything else is the wrong type.
struct ObjectVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `expected_type` reads "struct" as the real service's `object`.
        let name = std::any::type_name::<T>();
        write!(f, "struct {}", name.rsplit("::").next().unwrap_or(name))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let empty = de::value::MapDeserializer::<_, A::Error>::new(std::iter::empty::<(&str, &str)>());
        T::deserialize(empty).map(Some)
    }
}

/// Decodes a GET request from its (already percent-decoded) query pairs; the first of repeated
/// keys wins.
pub fn decode_query<'a, T: DeserializeOwned>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<T, DecodeError> {
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        if !map.contains_key(key) {
            map.insert(key.to_owned(), serde_json::Value::String(value.to_owned()));
        }
    }
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|err| DecodeError {
        field: None,
        expected: None,
        detail: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{AddContactWay, AddContactWayResponse, Conclusions, Empty, GetToken, UpdateContactWay};

    #[test]
    fn a_plain_one_field_body_reads_as_decode_body_reads_it() {
        use crate::api::GetContactWay;
        let bodies: &[(&[u8], Option<&str>)] = &[
            (br#"{"config_id":"42b34949e138eb6e027c123cba77fad7"}"#, Some("42b34949e138eb6e027c123cba77fad7")),
            (b" {\t\"config_id\" :\r\n \"x\" } \n", Some("x")),
            (br#"{"config_id":""}"#, Some("")),
            ("{\"config_id\":\"é中\"}".as_bytes(), Some("é中")),
            // Everything below is left to serde: escapes, other fields, other types, repeats.
            (br#"{"config_id":"a\"b"}"#, None),
            (br#"{"config_id":"a\u0041"}"#, None),
            (b"{\"config_id\":\"a\tb\"}", None),
            (br#"{"config_id":"a","x":1}"#, None),
            (br#"{"x":1,"config_id":"a"}"#, None),
            (br#"{"config_id":"a","config_id":"b"}"#, None),
            (br#"{"config_id":1}"#, None),
            (br#"{"config_id":null}"#, None),
            (br#"{"config_id":"a"}x"#, None),
            (br#"{"config_id":"a""#, None),
            (br#"{"config\u005fid":"a"}"#, None),
            (br#"{"config_idx":"a"}"#, None),
            (br#"["config_id","a"]"#, None),
            (b"{\"config_id\":\"\xff\"}", None),
            (b"", None),
        ];
        for (body, expected) in bodies {
            let shown = String::from_utf8_lossy(body);
            assert_eq!(plain_string_field(body, "config_id"), *expected, "{shown}");
            if let Some(value) = expected {
                let reference = decode_body::<GetContactWay>(body).map(|r| r.config_id);
                assert_eq!(reference, Ok(Some((*value).to_owned())), "{shown}: the same as decode_body");
            }
        }
    }

    #[test]
    fn encode_ok_puts_the_status_first() {
        let body = encode_ok(&AddContactWayResponse { config_id: "abc".into(), qr_code: None });
        assert_eq!(body, br#"{"errcode":0,"errmsg":"ok","config_id":"abc"}"#);
        assert_eq!(encode_ok(&Empty {}), br#"{"errcode":0,"errmsg":"ok"}"#);
    }

    #[test]
    fn encode_ok_field_writes_the_same_bytes_as_encode_ok() {
        let payload = crate::api::GetJoinWayResponse {
            join_way: crate::api::JoinWay { config_id: "c".into(), state: Some("s".into()), ..Default::default() },
        };
        let value = serde_json::to_vec(&payload.join_way).expect("encodes");
        assert_eq!(encode_ok_field("join_way", &value), encode_ok(&payload));
    }

    #[test]
    fn a_wrong_type_names_the_field_and_the_expected_type() {
        let err = decode_body::<AddContactWay>(br#"{"type":"1","scene":2}"#).expect_err("wrong type");
        assert_eq!(err.field.as_deref(), Some("type"));
        assert_eq!(err.phrase(), "field `type` expect type `int`. invalid Request Parameter");
    }

    #[test]
    fn nested_and_list_fields_are_named_by_path() {
        let err = decode_body::<AddContactWay>(br#"{"user":["a",1]}"#).expect_err("wrong type");
        assert_eq!(err.field.as_deref(), Some("user[1]"));
        assert_eq!(err.expected, Some("string"));
        let err = decode_body::<AddContactWay>(br#"{"conclusions":{"text":{"content":5}}}"#).expect_err("wrong type");
        assert_eq!(err.field.as_deref(), Some("conclusions.text.content"));
        let err = decode_body::<AddContactWay>(br#"{"is_temp":"yes"}"#).expect_err("wrong type");
        assert_eq!(err.expected, Some("bool"));
        let err = decode_body::<AddContactWay>(br#"{"conclusions":5}"#).expect_err("wrong type");
        assert_eq!(err.expected, Some("object"));
    }

    #[test]
    fn an_array_where_an_object_is_expected_is_a_wrong_type_naming_the_field() {
        // serde reads an array as a struct's fields in order; the real service answers 40058.
        let cases: &[(&[u8], &str)] = &[
            (br#"{"conclusions":[{"content":"bye"}]}"#, "conclusions"),
            (br#"{"conclusions":{"text":["bye"]}}"#, "conclusions.text"),
            (br#"{"conclusions":{"image":["m1"]}}"#, "conclusions.image"),
            (br#"{"conclusions":{"link":["t","p","d","u"]}}"#, "conclusions.link"),
            (br#"{"conclusions":{"miniprogram":["t","m","a","p"]}}"#, "conclusions.miniprogram"),
            (br#"{"conclusions":[null]}"#, "conclusions"),
        ];
        for (body, field) in cases {
            let err = decode_body::<AddContactWay>(body).expect_err("an array is not an object");
            assert_eq!(err.field.as_deref(), Some(*field), "{}", String::from_utf8_lossy(body));
            assert_eq!(err.phrase(), format!("field `{field}` expect type `object`. invalid Request Parameter"));
        }
        let err = decode_body::<UpdateContactWay>(br#"{"config_id":"x","conclusions":[{"content":"bye"}]}"#)
            .expect_err("an array is not an object");
        assert_eq!(err.field.as_deref(), Some("conclusions"));
    }

    #[test]
    fn the_empty_array_reads_as_the_empty_object() {
        let req: AddContactWay = decode_body(br#"{"conclusions":[]}"#).expect("decodes");
        assert_eq!(req.conclusions, Some(Conclusions::default()));
        let req: AddContactWay = decode_body(br#"{"conclusions":{"text":[],"link":null}}"#).expect("decodes");
        let text = req.conclusions.and_then(|c| c.text);
        assert_eq!(text, Some(crate::api::ConclusionText::default()));
        let req: UpdateContactWay = decode_body(br#"{"config_id":"x","conclusions":[]}"#).expect("decodes");
        assert_eq!(req.conclusions, crate::Patch::Clear);
        let req: UpdateContactWay = decode_body(br#"{"config_id":"x","conclusions":null}"#).expect("decodes");
        assert_eq!(req.conclusions, crate::Patch::Clear);
        let req: UpdateContactWay = decode_body(br#"{"config_id":"x"}"#).expect("decodes");
        assert_eq!(req.conclusions, crate::Patch::Keep);
    }

    #[test]
    fn syntax_errors_and_non_objects_are_plain_parameter_errors() {
        for body in [&b"{"[..], b"", b"[]", b"5", b"{\"type\":1}x", b"\xff\xfe"] {
            let err = decode_body::<AddContactWay>(body).expect_err("not a request");
            assert_eq!(DecodeError::CODE, ErrCode::INVALID_PARAMETER);
            assert!(err.phrase().ends_with("invalid Request Parameter"), "{err}");
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let req: AddContactWay = decode_body(br#"{"type":1,"whatever":{"deep":[1,2]}}"#).expect("decodes");
        assert_eq!(req.contact_type.map(|t| t.0), Some(1));
    }

    #[test]
    fn query_pairs_decode_and_the_first_repeat_wins() {
        let req: GetToken = decode_query([("corpid", "ww1"), ("corpsecret", "s"), ("corpid", "ww2")]).expect("decodes");
        assert_eq!(req.corpid.as_deref(), Some("ww1"));
        assert_eq!(req.corpsecret.as_deref(), Some("s"));
    }

    #[test]
    fn a_real_looking_error_body_decodes_with_hint_and_field_info() {
        let body = br#"{"errcode":40058,"errmsg":"field `userid` expect type `string`. invalid Request Parameter, hint: [1732500000_12_abcdef], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=40058","field_info":[]}"#;
        let err = decode_response::<Empty>(body).expect("valid json").expect_err("an error answer");
        assert_eq!(err.errcode, ErrCode::INVALID_PARAMETER);
        assert_eq!(err.field_info, Some(vec![]));
        let msg = crate::errcode::ErrMsg::parse(&err.errmsg);
        assert_eq!(msg.hint.as_deref(), Some("1732500000_12_abcdef"));
        assert!(msg.phrase.starts_with("field `userid`"));
    }
}
