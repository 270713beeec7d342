//! The control surface's error: HTTP 4xx / 5xx with `{"error": "snake_case_code", "message": …}`.
//! Which kind gets which status and code is one table, [`AdminErrorKind::info`], as the
//! errcode table is for the WeCom paths.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::core::domain::simulate::SimulateError;

/// What went wrong on the control surface; it decides the HTTP status and the `error` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AdminErrorKind {
    /// 400: the body or query does not parse, or a value is out of range.
    BadRequest,
    /// 400: a scan or join named an `external_userid` of the wrong shape.
    InvalidExternalUserid,
    /// 400: a scan named a member the config does not have.
    NotAMember,
    /// 401: a missing or wrong admin token.
    Unauthorized,
    /// 403: a tenant token reaching another corp or a server-wide operation.
    Forbidden,
    /// 404: no such corp.
    CorpNotFound,
    /// 404: no such Contact Me or Join Group config.
    ConfigNotFound,
    /// 404: no such app in the corp.
    AppNotFound,
    /// 404: no such fault rule.
    FaultNotFound,
    /// 404: no such checkpoint.
    CheckpointNotFound,
    /// 404: no such admin route.
    RouteNotFound,
    /// 405: the route exists, the method does not.
    MethodNotAllowed,
    /// 409: the temp QR code was already used.
    TempCodeUsed,
    /// 409: a temp config's unionid differs from the scanning customer's.
    UnionidMismatch,
    /// 409: the config's departments have no members to add.
    NoMembers,
    /// 409: the customer already follows that member (temp configs only).
    AlreadyFollowing,
    /// 409: every group of a Join Group config is full and none may be created.
    AllGroupsFull,
    /// 409: the app has no callback URL to verify.
    NoCallback,
    /// 409: the app's callback settings cannot be used.
    BadCallbackSettings,
    /// 409: a corp holds the most checkpoints it may.
    TooManyCheckpoints,
    /// 409: the server holds the most fault rules it may.
    TooManyFaults,
    /// 409: the server holds the most corps it may (`--max-corps`).
    TooManyCorps,
    /// 410: the temp QR code expired.
    TempCodeExpired,
    /// 408: the request body did not arrive within `--body-timeout`; the connection is closed.
    BodyTimeout,
    /// 413: the body is over the admin size limit.
    BodyTooLarge,
    /// 500: the mock failed (a bug: please report it).
    Internal,
    /// 503: the journal cannot take the change; nothing was changed.
    JournalUnavailable,
    /// 503: `--max-connections` connections are open; this one is answered and closed (on any
    /// path: it is refused before its request is read).
    TooManyConnections,
}

impl AdminErrorKind {
    /// Every kind, for tables and tests.
    pub const ALL: &'static [AdminErrorKind] = &[
        AdminErrorKind::BadRequest,
        AdminErrorKind::InvalidExternalUserid,
        AdminErrorKind::NotAMember,
        AdminErrorKind::Unauthorized,
        AdminErrorKind::Forbidden,
        AdminErrorKind::CorpNotFound,
        AdminErrorKind::ConfigNotFound,
        AdminErrorKind::AppNotFound,
        AdminErrorKind::FaultNotFound,
        AdminErrorKind::CheckpointNotFound,
        AdminErrorKind::RouteNotFound,
        AdminErrorKind::MethodNotAllowed,
        AdminErrorKind::TempCodeUsed,
        AdminErrorKind::UnionidMismatch,
        AdminErrorKind::NoMembers,
        AdminErrorKind::AlreadyFollowing,
        AdminErrorKind::AllGroupsFull,
        AdminErrorKind::NoCallback,
        AdminErrorKind::BadCallbackSettings,
        AdminErrorKind::TooManyCheckpoints,
        AdminErrorKind::TooManyFaults,
        AdminErrorKind::TooManyCorps,
        AdminErrorKind::TempCodeExpired,
        AdminErrorKind::BodyTimeout,
        AdminErrorKind::BodyTooLarge,
        AdminErrorKind::Internal,
        AdminErrorKind::JournalUnavailable,
        AdminErrorKind::TooManyConnections,
    ];

    /// The HTTP status and the `error` code: the table.
    pub const fn info(self) -> (u16, &'static str) {
        use AdminErrorKind::*;
        match self {
            BadRequest => (400, "bad_request"),
            InvalidExternalUserid => (400, "invalid_external_userid"),
            NotAMember => (400, "not_a_member"),
            Unauthorized => (401, "unauthorized"),
            Forbidden => (403, "forbidden"),
            CorpNotFound => (404, "corp_not_found"),
            ConfigNotFound => (404, "config_not_found"),
            AppNotFound => (404, "app_not_found"),
            FaultNotFound => (404, "fault_not_found"),
            CheckpointNotFound => (404, "checkpoint_not_found"),
            RouteNotFound => (404, "not_found"),
            MethodNotAllowed => (405, "method_not_allowed"),
            TempCodeUsed => (409, "temp_code_used"),
            UnionidMismatch => (409, "unionid_mismatch"),
            NoMembers => (409, "no_members"),
            AlreadyFollowing => (409, "already_following"),
            AllGroupsFull => (409, "all_groups_full"),
            NoCallback => (409, "no_callback"),
            BadCallbackSettings => (409, "bad_callback_settings"),
            TooManyCheckpoints => (409, "too_many_checkpoints"),
            TooManyFaults => (409, "too_many_faults"),
            TooManyCorps => (409, "too_many_corps"),
            TempCodeExpired => (410, "temp_code_expired"),
            BodyTimeout => (408, "body_timeout"),
            BodyTooLarge => (413, "body_too_large"),
            Internal => (500, "internal"),
            JournalUnavailable => (503, "journal_unavailable"),
            TooManyConnections => (503, "too_many_connections"),
        }
    }

    /// The HTTP status.
    pub const fn status(self) -> u16 {
        self.info().0
    }

    /// The `error` code on the wire.
    pub const fn code(self) -> &'static str {
        self.info().1
    }

    /// The kind of an `error` code read off the wire.
    pub fn from_code(code: &str) -> Option<AdminErrorKind> {
        AdminErrorKind::ALL.iter().copied().find(|kind| kind.code() == code)
    }
}

/// An admin error: its kind (status and code) and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {}: {message}", kind.status(), kind.code())]
pub struct AdminError {
    /// What went wrong.
    pub kind: AdminErrorKind,
    /// What went wrong, for people.
    pub message: String,
}

impl AdminError {
    /// An error of `kind`.
    pub fn new(kind: AdminErrorKind, message: impl Into<String>) -> Self {
        AdminError { kind, message: message.into() }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The `error` code.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AdminError::new(AdminErrorKind::BadRequest, message)
    }

    /// 404 for an unknown corp.
    pub fn unknown_corp(corpid: &str) -> Self {
        AdminError::new(AdminErrorKind::CorpNotFound, format!("no corp `{corpid}`"))
    }

    /// 500: something that cannot happen did.
    pub fn internal(message: impl Into<String>) -> Self {
        AdminError::new(AdminErrorKind::Internal, message)
    }
}

/// The wire shape of an [`AdminError`].
#[derive(Serialize, Deserialize)]
struct Wire {
    error: String,
    message: String,
}

impl Serialize for AdminError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire { error: self.code().to_owned(), message: self.message.clone() }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AdminError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let kind = AdminErrorKind::from_code(&wire.error)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown admin error code `{}`", wire.error)))?;
        Ok(AdminError { kind, message: wire.message })
    }
}

/// `{"error", "message"}`, `error` one of the table's codes.
impl schemars::JsonSchema for AdminError {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AdminError".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = AdminErrorKind::ALL.iter().map(|kind| kind.code()).collect();
        schemars::json_schema!({
            "type": "object",
            "description": "An error of the control surface; the HTTP status goes with the code.",
            "properties": {
                "error": {"type": "string", "enum": codes},
                "message": {"type": "string", "description": "What went wrong, for people."},
            },
            "required": ["error", "message"],
        })
    }
}

impl From<SimulateError> for AdminError {
    fn from(err: SimulateError) -> Self {
        use AdminErrorKind as Kind;
        let kind = match err {
            SimulateError::InvalidExternalUserid(_) => Kind::InvalidExternalUserid,
            SimulateError::UnknownContactWay(_) | SimulateError::UnknownJoinWay(_) => Kind::ConfigNotFound,
            SimulateError::TempCodeUsed => Kind::TempCodeUsed,
            SimulateError::TempCodeExpired(_) => Kind::TempCodeExpired,
            SimulateError::UnionidMismatch => Kind::UnionidMismatch,
            SimulateError::NoMembers => Kind::NoMembers,
            SimulateError::NotAMember(_) => Kind::NotAMember,
            SimulateError::AlreadyFollowing => Kind::AlreadyFollowing,
            SimulateError::AllGroupsFull | SimulateError::NoGroupToModel => Kind::AllGroupsFull,
        };
        AdminError::new(kind, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code_and_a_4xx_or_5xx_status() {
        let mut codes: Vec<&str> = AdminErrorKind::ALL.iter().map(|kind| kind.code()).collect();
        for kind in AdminErrorKind::ALL {
            assert!((400..600).contains(&kind.status()), "{kind:?}");
            assert_eq!(AdminErrorKind::from_code(kind.code()), Some(*kind));
            assert!(kind.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{kind:?}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AdminErrorKind::ALL.len(), "codes are unique");
    }

    #[test]
    fn the_wire_shape_is_error_and_message() {
        let err = AdminError::unknown_corp("ww1");
        let json = serde_json::to_string(&err).expect("encodes");
        assert_eq!(json, r#"{"error":"corp_not_found","message":"no corp `ww1`"}"#);
        assert_eq!(serde_json::from_str::<AdminError>(&json).expect("decodes"), err);
        assert!(serde_json::from_str::<AdminError>(r#"{"error":"nope","message":""}"#).is_err());
    }
}
