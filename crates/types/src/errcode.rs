//! The WeCom error codes this project knows, in one table.
//!
//! [`ErrCode`] is a transparent `i32`, so a code the table does not list still decodes and
//! survives a round trip; the table only adds a name, the English phrase the real service puts
//! first in `errmsg`, and where we know it from.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a row of the table comes from (see `errcodes.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The official global error-code table.
    Table,
    /// A real server answer quoted in public.
    Observed,
    /// Only the seed notes.
    Seed,
    /// Our own choice; also listed in [`crate::fidelity`].
    Assumed,
}

/// One row of the error-code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrCodeInfo {
    /// The numeric code.
    pub code: ErrCode,
    /// A stable `SCREAMING_SNAKE` name, the same as the associated constant.
    pub name: &'static str,
    /// The English phrase that starts the real `errmsg`.
    pub phrase: &'static str,
    /// How sure we are of the phrase.
    pub phrase_source: Source,
}

/// A WeCom `errcode`. Any integer decodes; known ones have constants and a table row.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct ErrCode(pub i32);

macro_rules! errcode_table {
    ($( $(#[$meta:meta])* $name:ident = $code:literal, $phrase:literal, $src:ident; )*) => {
        impl ErrCode {
            $(
                $(#[$meta])*
                #[doc = concat!("`", stringify!($code), "`: ", $phrase)]
                pub const $name: ErrCode = ErrCode($code);
            )*
        }

        /// Every code the project uses, with its name and errmsg phrase.
        pub const ERRCODE_TABLE: &[ErrCodeInfo] = &[
            $( ErrCodeInfo {
                code: ErrCode($code),
                name: stringify!($name),
                phrase: $phrase,
                phrase_source: Source::$src,
            }, )*
        ];

        impl ErrCode {
            /// The table row of this code, if the table has one.
            pub const fn info(self) -> Option<&'static ErrCodeInfo> {
                let mut i = 0;
                while i < ERRCODE_TABLE.len() {
                    if ERRCODE_TABLE[i].code.0 == self.0 {
                        return Some(&ERRCODE_TABLE[i]);
                    }
                    i += 1;
                }
                None
            }
        }
    };
}

errcode_table! {
    SYSTEM_BUSY = -1, "system busy", Table;
    OK = 0, "ok", Table;
    /// Not a WeCom code: the mock's answer for a path it does not serve.
    API_NOT_FOUND = 404, "api not found", Assumed;
    INVALID_CREDENTIAL = 40001, "invalid credential", Observed;
    INVALID_CORPID = 40013, "invalid corpid", Observed;
    INVALID_ACCESS_TOKEN = 40014, "invalid access_token", Observed;
    INVALID_PARAMETER = 40058, "invalid Request Parameter", Observed;
    INVALID_EXTERNAL_USERID = 40096, "invalid external userid", Observed;
    USER_NOT_REAL_NAME_VERIFIED = 40098, "user not real-name verified", Assumed;
    ACCESS_TOKEN_MISSING = 41001, "access_token missing", Observed;
    CORPID_MISSING = 41002, "corpid missing", Observed;
    CORPSECRET_MISSING = 41004, "corpsecret missing", Observed;
    USERID_MISSING = 41009, "userid missing", Assumed;
    EXTERNAL_USERID_MISSING = 41035, "external userid missing", Assumed;
    CONTACT_WAY_TYPE_MISSING = 41037, "missing contact way type", Observed;
    CONTACT_WAY_SCENE_MISSING = 41038, "missing contact way scene", Assumed;
    INVALID_CONTACT_WAY_TYPE = 41039, "invalid contact way type", Assumed;
    INVALID_CONTACT_WAY_SCENE = 41040, "invalid contact way scene", Assumed;
    CONTACT_WAY_TOO_MANY_USERS = 41041, "contact way user count exceed limit", Assumed;
    INVALID_CONTACT_WAY_STYLE = 41042, "invalid contact way style", Assumed;
    CONFIG_ID_MISSING = 41043, "missing config_id", Assumed;
    INVALID_CONFIG_ID = 41044, "invalid config_id", Assumed;
    CONTACT_WAY_QUOTA_EXCEEDED = 41045, "exceed contact way count", Seed;
    WELCOME_CODE_MISSING = 41049, "missing welcome code", Assumed;
    INVALID_WELCOME_CODE = 41050, "invalid welcome code", Assumed;
    EXTERNAL_USER_STARTED_CHATTING = 41051, "externaluser has started chatting", Table;
    USER_NOT_ACTIVATED = 41054, "user not activated", Assumed;
    JOIN_WAY_TOO_MANY_CHATS = 41091, "join way chat count exceed limit", Assumed;
    WELCOME_MSG_BEING_DISTRIBUTED = 41096, "welcome msg is being distributed", Table;
    ACCESS_TOKEN_EXPIRED = 42001, "access_token expired", Observed;
    API_FREQ_OUT_OF_LIMIT = 45009, "api freq out of limit", Observed;
    API_CONCURRENT_OUT_OF_LIMIT = 45033, "api concurrent out of limit", Assumed;
    API_FORBIDDEN = 48002, "api forbidden", Observed;
    NO_PRIVILEGE_TO_ACCESS = 60011, "no privilege to access/modify contact/party/agent", Assumed;
    /// The call came from an address outside the app's trusted IPs (apps created since
    /// 2022-06-20); the errmsg's `from ip` names the caller's address.
    IP_NOT_ALLOWED = 60020, "not allow to access from your ip", Observed;
    USERID_NOT_FOUND = 60111, "userid not found", Assumed;
    DEPARTMENT_NOT_FOUND = 60123, "invalid party id", Assumed;
    NOT_EXTERNAL_CONTACT = 84061, "not external contact", Observed;
    NOT_CUSTOMER_CONTACT_USER = 84083, "user has no customer contact permission", Assumed;
    INVALID_CHAT_ID = 86001, "invalid chatid", Assumed;
    CHAT_ID_NOT_FOUND = 86003, "chatid not found", Assumed;
    NOT_CUSTOMER_GROUP = 90501, "chat is not external group chat", Observed;
}

impl ErrCode {
    /// `true` for `0`.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The table name, or `None` for a code the table does not list.
    pub fn name(self) -> Option<&'static str> {
        self.info().map(|info| info.name)
    }

    /// The English errmsg phrase, or a generic one for unknown codes.
    pub fn phrase(self) -> &'static str {
        self.info().map_or("unknown error", |info| info.phrase)
    }

    /// `true` for the codes that mean "try again later": -1 (busy), 45009 (frequency), 45033
    /// (concurrency). A client backs off and resends; the mock's hygiene report flags a
    /// client that does not.
    pub const fn is_transient(self) -> bool {
        matches!(self, ErrCode::SYSTEM_BUSY | ErrCode::API_FREQ_OUT_OF_LIMIT | ErrCode::API_CONCURRENT_OUT_OF_LIMIT)
    }

    /// `true` for the token errors a fresh token may cure: 40001, 40014, 42001 (the real
    /// service has answered 40014 for an expired token too).
    pub const fn is_token_error(self) -> bool {
        matches!(self, ErrCode::INVALID_CREDENTIAL | ErrCode::INVALID_ACCESS_TOKEN | ErrCode::ACCESS_TOKEN_EXPIRED)
    }

    /// The code as a plain integer.
    pub const fn get(self) -> i32 {
        self.0
    }
}

impl From<i32> for ErrCode {
    fn from(code: i32) -> Self {
        ErrCode(code)
    }
}

impl fmt::Debug for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{}({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for ErrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.phrase())
    }
}

/// Where the real service points for an error code: the last part of every errmsg.
pub const MORE_INFO_URL: &str = "https://open.work.weixin.qq.com/devtool/query?e=";

/// The parts of a real errmsg:
/// `invalid access_token, hint: [1732500000_12_abcdef], from ip: 1.2.3.4, more info at https://…?e=40014`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrMsg {
    /// The leading phrase (for 40058 it may name the field first).
    pub phrase: String,
    /// The request id the service put in `hint: [..]`.
    pub hint: Option<String>,
    /// The caller address the service saw.
    pub from_ip: Option<String>,
    /// The `more info at` URL.
    pub more_info: Option<String>,
}

impl ErrMsg {
    /// Splits an errmsg into its parts; a message without the usual tail is all phrase.
    pub fn parse(errmsg: &str) -> ErrMsg {
        let mut msg = ErrMsg::default();
        let (head, more_info) = match errmsg.split_once(", more info at ") {
            Some((head, url)) => (head, Some(url.trim().to_owned())),
            None => match errmsg.split_once("more info at ") {
                Some((head, url)) => (head.trim_end_matches([',', ' ']), Some(url.trim().to_owned())),
                None => (errmsg, None),
            },
        };
        msg.more_info = more_info;
        let (head, from_ip) = match head.split_once(", from ip: ") {
            Some((head, ip)) => (head, Some(ip.trim().to_owned())),
            None => (head, None),
        };
        msg.from_ip = from_ip.filter(|ip| !ip.is_empty());
        let (phrase, hint) = match head.split_once(", hint: [") {
            Some((phrase, rest)) => (phrase, Some(rest.trim_end_matches(']').to_owned())),
            None => (head, None),
        };
        msg.phrase = phrase.to_owned();
        msg.hint = hint;
        msg
    }

    /// Builds the errmsg the real service would send for `code`, with `detail` (or the code's
    /// phrase) first.
    pub fn format(code: ErrCode, detail: Option<&str>, hint: &str, from_ip: &str) -> String {
        let phrase = detail.unwrap_or_else(|| code.phrase());
        format!("{phrase}, hint: [{hint}], from ip: {from_ip}, more info at {MORE_INFO_URL}{}", code.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_is_unique() {
        for (i, a) in ERRCODE_TABLE.iter().enumerate() {
            for b in &ERRCODE_TABLE[i + 1..] {
                assert_ne!(a.code, b.code, "{} and {} share a code", a.name, b.name);
                assert_ne!(a.name, b.name);
            }
        }
    }

    #[test]
    fn unknown_codes_decode_and_keep_their_value() {
        let code: ErrCode = serde_json::from_str("123456").expect("decodes");
        assert_eq!(code, ErrCode(123456));
        assert_eq!(code.name(), None);
        assert_eq!(serde_json::to_string(&code).expect("encodes"), "123456");
    }

    #[test]
    fn code_classes() {
        let transient = [ErrCode::SYSTEM_BUSY, ErrCode(45009), ErrCode(45033)];
        let token = [ErrCode(40001), ErrCode(40014), ErrCode(42001)];
        for code in ERRCODE_TABLE.iter().map(|row| row.code).chain([ErrCode(123_456)]) {
            assert_eq!(code.is_transient(), transient.contains(&code), "{code:?}");
            assert_eq!(code.is_token_error(), token.contains(&code), "{code:?}");
        }
    }

    #[test]
    fn known_codes_have_their_phrase() {
        assert_eq!(ErrCode::INVALID_ACCESS_TOKEN.phrase(), "invalid access_token");
        assert_eq!(ErrCode(40014).name(), Some("INVALID_ACCESS_TOKEN"));
        assert_eq!(format!("{:?}", ErrCode(41045)), "41045(CONTACT_WAY_QUOTA_EXCEEDED)");
    }

    #[test]
    fn errmsg_parses_the_real_shape() {
        let msg = ErrMsg::parse(
            "invalid access_token, hint: [1732500000_12_abcdef], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=40014",
        );
        assert_eq!(msg.phrase, "invalid access_token");
        assert_eq!(msg.hint.as_deref(), Some("1732500000_12_abcdef"));
        assert_eq!(msg.from_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(msg.more_info.as_deref(), Some("https://open.work.weixin.qq.com/devtool/query?e=40014"));
    }

    #[test]
    fn errmsg_without_tail_is_all_phrase() {
        let msg = ErrMsg::parse("access_token expired");
        assert_eq!(msg.phrase, "access_token expired");
        assert_eq!(msg.hint, None);
    }

    #[test]
    fn errmsg_format_round_trips_through_parse() {
        let text = ErrMsg::format(ErrCode::INVALID_PARAMETER, None, "1_2_x", "127.0.0.1");
        let msg = ErrMsg::parse(&text);
        assert_eq!(msg.phrase, "invalid Request Parameter");
        assert_eq!(msg.hint.as_deref(), Some("1_2_x"));
        assert!(text.ends_with("?e=40058"));
    }
}
