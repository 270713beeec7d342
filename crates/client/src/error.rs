//! The one error type of the crate.

use std::sync::Arc;

use wecom_types::{Api, ErrCode, Violation};

/// Whether a request that failed in transport may have reached the server.
///
/// This decides whether a call that creates something may be sent again: see
/// [`crate::retry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// The connection was never established (DNS, refused, TLS handshake): the server cannot
    /// have acted on the request.
    NotSent,
    /// The request may have been written before the failure (a timeout, a connection reset, a
    /// cut-off answer): the server may have acted on it.
    MaybeSent,
}

/// Why a request or its answer was lost, as far as the error tells: what the user checks next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportCause {
    /// Nothing listens at the address (connection refused).
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No connection or no answer within the client's timeout.
    Timeout,
    /// The TLS handshake failed (certificate, protocol, or plain HTTP spoken to an HTTPS port).
    Tls,
    /// The connection was closed or reset before the whole answer came.
    Closed,
    /// Anything else; the error's detail says what.
    Other,
}

impl TransportCause {
    /// What to do about it, when there is an obvious next step: a refused loopback address is
    /// almost always a mock that is not running.
    pub fn hint(self, url: &str) -> &'static str {
        if self == TransportCause::Refused && is_loopback_url(url) {
            " (is the mock running? start it with `wecom-mock`, or `cargo run -p wecom-mock` in the repository)"
        } else {
            ""
        }
    }
}

impl std::fmt::Display for TransportCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportCause::Refused => "connection refused",
            TransportCause::Dns => "host name not found (DNS)",
            TransportCause::Timeout => "timed out",
            TransportCause::Tls => "TLS handshake failed",
            TransportCause::Closed => "connection closed before the answer",
            TransportCause::Other => "could not complete the request",
        })
    }
}

/// `true` when the URL's host is `localhost` or a loopback address.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The deepest error in a chain: reqwest's own message ("error sending request") says less
/// than the operating system's ("Connection refused (os error 111)").
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Everything that can go wrong in a call.
///
/// The error is cheap to clone (its sources are shared), so a token refresh that failed can be
/// reported to every task that was waiting for it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// WeCom answered with a non-zero `errcode`.
    #[error("{api:?} failed with errcode {code}: {message}")]
    Api {
        /// Which API answered.
        api: Api,
        /// The errcode; codes the shared table does not list are kept as they came.
        code: ErrCode,
        /// The full `errmsg` (parse it with [`wecom_types::ErrMsg::parse`] for the hint).
        message: String,
    },
    /// The request breaks a rule the server would reject it for; it was not sent.
    #[error("request not sent: {0}")]
    Validation(#[from] Violation),
    /// The request or its answer was lost on the way.
    #[error("{api:?}: {cause} at {url}{hint}: {detail}", hint = .cause.hint(.url), detail = innermost(.source.as_ref()))]
    Transport {
        /// Which API was called.
        api: Api,
        /// Whether the server may have seen the request.
        delivery: Delivery,
        /// What went wrong, in the terms a user acts on.
        cause: TransportCause,
        /// The URL called, without its query (which carries the token or the secret).
        url: String,
        /// What reqwest reported, without the URL (which carries the token or the secret).
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// A non-success HTTP status whose body is not a WeCom answer (a proxy or gateway error).
    #[error("{api:?}: HTTP status {status} without a WeCom answer")]
    Http {
        /// Which API was called.
        api: Api,
        /// The HTTP status code.
        status: u16,
        /// The start of the body, for diagnosis.
        body: String,
    },
    /// A success answer whose payload does not have the documented shape.
    #[error("{api:?}: could not decode the answer: {source}")]
    Decode {
        /// Which API answered.
        api: Api,
        /// What serde reported.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// The request could not be encoded (a bug, not a server problem).
    #[error("{api:?}: could not encode the request: {source}")]
    Encode {
        /// Which API was called.
        api: Api,
        /// What serde reported.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// A builder setting cannot be used.
    #[error("invalid {setting}: {reason}")]
    Config {
        /// The builder method's name (`base_url`, `user_agent`).
        setting: &'static str,
        /// Why it cannot be used.
        reason: String,
    },
    /// The HTTP client could not be built (for example no TLS back-end for an `https` URL).
    #[error("could not build the HTTP client: {0}")]
    Build(#[source] Arc<reqwest::Error>),
    /// A merged update changed a field that WeCom does not let an update change.
    #[error("field `{field}` cannot be changed by an update")]
    Unchangeable {
        /// The field that was changed.
        field: &'static str,
    },
    /// `list_contact_way` handed out a cursor it had handed out before; following it would never
    /// end.
    #[error("list_contact_way repeated the cursor {cursor:?}")]
    RepeatedCursor {
        /// The repeated cursor.
        cursor: String,
    },
    /// The ledger could not be opened or written. When recording the intent of a create
    /// fails, the create is not sent.
    #[cfg(feature = "ledger")]
    #[error("ledger: {0}")]
    Ledger(#[source] Arc<crate::ledger::LedgerError>),
    /// A config was created, but the read that completes the answer failed. The config exists:
    /// keep `config_id`.
    #[error("config {config_id} was created, but reading it back failed: {source}")]
    Incomplete {
        /// The id of the created config.
        config_id: String,
        /// Why the read-back failed.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The errcode behind this error: WeCom's for [`Error::Api`], the one the server would have
    /// given for [`Error::Validation`], `None` otherwise.
    ///
    /// ```
    /// use wecom_client::Error;
    /// use wecom_types::{Api, ErrCode};
    ///
    /// let err = Error::Api { api: Api::GetContactWay, code: ErrCode(41044), message: "invalid config_id".into() };
    /// assert_eq!(err.code(), Some(ErrCode::INVALID_CONFIG_ID));
    /// ```
    pub fn code(&self) -> Option<ErrCode> {
        match self {
            Error::Api { code, .. } => Some(*code),
            Error::Validation(violation) => Some(violation.code),
            Error::Incomplete { source, .. } => source.code(),
            _ => None,
        }
    }

    /// `true` when the same call may succeed if tried again later: system busy (-1), rate limits
    /// (45009, 45033), transport errors and gateway errors (HTTP 429, 502, 503, 504).
    ///
    /// The client already retried these under its [`RetryPolicy`](crate::RetryPolicy); this tells
    /// whether a later, higher-level retry makes sense. For an add, check [`Error::delivery`]
    /// first: a [`Delivery::MaybeSent`] add may have created a config.
    ///
    /// ```
    /// use wecom_client::Error;
    /// use wecom_types::{Api, ErrCode};
    ///
    /// let busy = Error::Api { api: Api::ListContactWay, code: ErrCode::SYSTEM_BUSY, message: String::new() };
    /// assert!(busy.is_retryable());
    /// let bad = Error::Api { api: Api::ListContactWay, code: ErrCode::INVALID_PARAMETER, message: String::new() };
    /// assert!(!bad.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { code, .. } => code.is_transient(),
            Error::Transport { .. } => true,
            Error::Http { status, .. } => is_transient_status(*status),
            Error::Incomplete { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// `true` for the token errors (40001, 40014, 42001) that make the client refresh its token.
    ///
    /// ```
    /// use wecom_client::Error;
    /// use wecom_types::{Api, ErrCode};
    ///
    /// let expired = Error::Api { api: Api::GetJoinWay, code: ErrCode::ACCESS_TOKEN_EXPIRED, message: String::new() };
    /// assert!(expired.is_token_error());
    /// ```
    pub fn is_token_error(&self) -> bool {
        self.code().is_some_and(|code| code.is_token_error())
    }

    /// For a transport error, whether the request may have reached the server.
    ///
    /// ```
    /// use wecom_client::Error;
    /// use wecom_types::{Api, ErrCode};
    ///
    /// let err = Error::Api { api: Api::AddContactWay, code: ErrCode::API_FORBIDDEN, message: String::new() };
    /// assert_eq!(err.delivery(), None);
    /// ```
    pub fn delivery(&self) -> Option<Delivery> {
        match self {
            Error::Transport { delivery, .. } => Some(*delivery),
            _ => None,
        }
    }

    /// `true` when this is the error of a create (`add_contact_way`, `add_join_way`) that may
    /// have created a config all the same: the answer was lost after the request may have
    /// arrived ([`Delivery::MaybeSent`]), a gateway answered instead of WeCom, or a success
    /// answer could not be decoded. An errcode, a request that was never sent and a failed
    /// token fetch are certain: nothing was created.
    ///
    /// ```
    /// use wecom_client::Error;
    /// use wecom_types::{Api, ErrCode};
    ///
    /// let refused = Error::Api { api: Api::AddContactWay, code: ErrCode(41045), message: String::new() };
    /// assert!(!refused.may_have_created());
    /// let gateway = Error::Http { api: Api::AddJoinWay, status: 504, body: String::new() };
    /// assert!(gateway.may_have_created());
    /// ```
    pub fn may_have_created(&self) -> bool {
        match self {
            Error::Transport { api, delivery: Delivery::MaybeSent, .. }
            | Error::Http { api, .. }
            | Error::Decode { api, .. } => api.info().creates,
            _ => false,
        }
    }

    /// The broken rule of a [`Error::Validation`].
    ///
    /// ```
    /// use wecom_client::Error;
    /// use wecom_types::{api::GetContactWay, Validate};
    ///
    /// let err = Error::from(GetContactWay::default().validate().unwrap_err());
    /// assert_eq!(err.violation().map(|v| v.field), Some("config_id"));
    /// ```
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            Error::Validation(violation) => Some(violation),
            _ => None,
        }
    }
}

/// `true` for the HTTP statuses of an overloaded or restarting gateway: 429, 502, 503, 504.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_create_whose_answer_is_in_doubt_may_have_created() {
        let api = |api, code| Error::Api { api, code: ErrCode(code), message: String::new() };
        let http = |api| Error::Http { api, status: 502, body: String::new() };
        let cases = [
            (api(Api::AddContactWay, 41045), false),
            (api(Api::AddJoinWay, -1), false),
            (http(Api::AddContactWay), true),
            (http(Api::AddJoinWay), true),
            (http(Api::GetToken), false),
            (http(Api::DelContactWay), false),
            (Error::Unchangeable { field: "type" }, false),
        ];
        for (err, expected) in cases {
            assert_eq!(err.may_have_created(), expected, "{err:?}");
        }
    }
}
