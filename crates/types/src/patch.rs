//! [`Patch`]: a field of an overwrite-style update that can be left alone, cleared, or set.
//!
//! `update_contact_way` replaces every field that is present in the body, and an empty value
//! clears it (spec §C4). SDKs that serialise unset fields as `null`, `[]` or `""` wipe members
//! that way. With `Patch`, an unset field is absent from the JSON, and clearing is a variant you
//! have to write.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One field of an update request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Leave the stored value as it is: the field is absent from the JSON.
    #[default]
    Keep,
    /// Reset the field to its default (lists and strings empty).
    Clear,
    /// Replace the stored value.
    Set(T),
}

impl<T> Patch<T> {
    /// `true` for [`Patch::Keep`]; used by `skip_serializing_if`.
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The value of a [`Patch::Set`].
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(value) => Some(value),
            _ => None,
        }
    }

    /// A field present in the body: `null` (`None`) or an empty value clears, anything else sets.
    pub(crate) fn from_present(value: Option<T>) -> Self
    where
        T: PatchValue,
    {
        match value {
            None => Patch::Clear,
            Some(value) if value.is_empty_value() => Patch::Clear,
            Some(value) => Patch::Set(value),
        }
    }

    /// Maps the value of a [`Patch::Set`].
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(value) => Patch::Set(f(value)),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `None` clears, `Some` sets: for callers who already hold the full desired value.
    fn from(value: Option<T>) -> Self {
        match value {
            None => Patch::Clear,
            Some(value) => Patch::Set(value),
        }
    }
}

/// How a type writes "cleared" on the wire: the empty value of that JSON type where it has one
/// (the form the real service is seen to accept), `null` otherwise.
pub trait PatchValue {
    /// Writes the cleared form.
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error>;
    /// `true` when a present value means "reset to default" (`""`, `[]`, `0`, `{}`).
    fn is_empty_value(&self) -> bool;
}

impl PatchValue for String {
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("")
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl<T> PatchValue for Vec<T> {
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        serializer.serialize_seq(Some(0))?.end()
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl PatchValue for i32 {
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(0)
    }
    fn is_empty_value(&self) -> bool {
        *self == 0
    }
}

impl PatchValue for i64 {
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(0)
    }
    fn is_empty_value(&self) -> bool {
        *self == 0
    }
}

impl PatchValue for bool {
    fn serialize_cleared<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
    fn is_empty_value(&self) -> bool {
        false
    }
}

impl<T: Serialize + PatchValue> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // `skip_serializing_if = "Patch::is_keep"` keeps Keep out of the body; if a caller
            // serialises a bare Keep anyway, null is the least harmful spelling.
            Patch::Keep => serializer.serialize_none(),
            Patch::Clear => T::serialize_cleared(serializer),
            Patch::Set(value) => value.serialize(serializer),
        }
    }
}

/// A present field decodes as `Clear` when it is `null` or an empty value, `Set` otherwise;
/// an absent field stays `Keep` through `#[serde(default)]`.
impl<'de, T: Deserialize<'de> + PatchValue> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Patch::from_present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
    struct Body {
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        user: Patch<Vec<String>>,
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        remark: Patch<String>,
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        skip_verify: Patch<bool>,
    }

    #[test]
    fn keep_is_absent_from_the_json() {
        let json = serde_json::to_string(&Body::default()).expect("encodes");
        assert_eq!(json, "{}");
    }

    #[test]
    fn clear_is_the_empty_value_of_the_type() {
        let body = Body { user: Patch::Clear, remark: Patch::Clear, skip_verify: Patch::Clear };
        let json = serde_json::to_string(&body).expect("encodes");
        assert_eq!(json, r#"{"user":[],"remark":"","skip_verify":null}"#);
    }

    #[test]
    fn decoding_tells_absent_null_empty_and_set_apart() {
        let body: Body = serde_json::from_str(r#"{"user":null,"remark":"x","skip_verify":false}"#).expect("decodes");
        assert_eq!(body.user, Patch::Clear);
        assert_eq!(body.remark, Patch::Set("x".to_owned()));
        assert_eq!(body.skip_verify, Patch::Set(false));
        let body: Body = serde_json::from_str(r#"{"user":[]}"#).expect("decodes");
        assert_eq!(body.user, Patch::Clear);
        assert_eq!(body.remark, Patch::Keep);
    }
}
