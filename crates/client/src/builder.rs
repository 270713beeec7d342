//! [`ClientBuilder`]: everything a [`Client`] is configured with.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::client::{Client, Inner};
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::token::{DEFAULT_REFRESH_MARGIN, TokenCache};

/// The real service.
pub const DEFAULT_BASE_URL: &str = "https://qyapi.weixin.qq.com";

/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`Client`]; start with [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use wecom_client::{Client, RetryPolicy};
///
/// let client = Client::builder("wwmock0000000001", "mock-secret")
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(5))
///     .retry_policy(RetryPolicy { max_retries: 5, ..RetryPolicy::default() })
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// # Ok::<(), wecom_client::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    corpid: String,
    secret: String,
    base_url: String,
    http: Option<reqwest::Client>,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    token_refresh_margin: Duration,
    #[cfg(feature = "ledger")]
    ledger: Option<LedgerSetting>,
}

/// Where the ledger comes from.
#[cfg(feature = "ledger")]
#[derive(Debug, Clone)]
enum LedgerSetting {
    Path(std::path::PathBuf),
    Open(crate::ledger::Ledger),
}

/// Never prints the secret.
impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("corpid", &self.corpid)
            .field("secret", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("token_refresh_margin", &self.token_refresh_margin)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a builder for the app with this corpid and secret.
    ///
    /// ```
    /// let client = wecom_client::Client::builder("wwmock0000000001", "mock-secret").build()?;
    /// assert_eq!(client.base_url(), "https://qyapi.weixin.qq.com");
    /// # Ok::<(), wecom_client::Error>(())
    /// ```
    pub fn builder(corpid: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(corpid.into(), secret.into())
    }
}

impl ClientBuilder {
    pub(crate) fn new(corpid: String, secret: String) -> Self {
        ClientBuilder {
            corpid,
            secret,
            base_url: DEFAULT_BASE_URL.to_owned(),
            http: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: concat!("wecom-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            token_refresh_margin: DEFAULT_REFRESH_MARGIN,
            #[cfg(feature = "ledger")]
            ledger: None,
        }
    }

    /// Where to send requests: the real service (the default), the mock, or a proxy. A path
    /// prefix is kept (`http://proxy/wecom` sends to `http://proxy/wecom/cgi-bin/...`).
    ///
    /// ```
    /// let client = wecom_client::Client::builder("ww1", "s").base_url("http://127.0.0.1:8080/").build()?;
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), wecom_client::Error>(())
    /// ```
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Reuses an existing `reqwest::Client` (its connection pool, proxy and TLS settings).
    /// Without one, the builder makes its own.
    ///
    /// ```
    /// let http = reqwest::Client::new();
    /// let client = wecom_client::Client::builder("ww1", "s").http_client(http).build()?;
    /// # Ok::<(), wecom_client::Error>(())
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The timeout of one request, from sending to the end of the answer (default 10 s). Retries
    /// get a fresh timeout each.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = wecom_client::Client::builder("ww1", "s").timeout(Duration::from_secs(3));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How transient failures are retried (see [`crate::retry`]).
    ///
    /// ```
    /// let builder = wecom_client::Client::builder("ww1", "s").retry_policy(wecom_client::RetryPolicy::none());
    /// ```
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The `User-Agent` header of every request (default `wecom-client/VERSION`).
    ///
    /// ```
    /// let builder = wecom_client::Client::builder("ww1", "s").user_agent("crm-sync/2.1");
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How long before its expiry the token is refreshed (default 5 minutes).
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = wecom_client::Client::builder("ww1", "s").token_refresh_margin(Duration::from_secs(600));
    /// ```
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_refresh_margin = margin;
        self
    }

    /// Records every create in the ledger file at `path` (feature `ledger`; see
    /// [`crate::ledger`]): the intent is on disk before the request is sent, and completed
    /// with the `config_id` when the answer comes. The file is opened by
    /// [`build`](Self::build), which fails with [`Error::Ledger`] when it cannot be.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("wecom-builder-doc-{}.redb", std::process::id()));
    /// let client = wecom_client::Client::builder("ww1", "s").ledger(&path).build()?;
    /// assert_eq!(client.ledger().map(|ledger| ledger.path()), Some(path.as_path()));
    /// # drop(client); std::fs::remove_file(path).ok();
    /// # Ok::<(), wecom_client::Error>(())
    /// ```
    #[cfg(feature = "ledger")]
    pub fn ledger(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ledger = Some(LedgerSetting::Path(path.into()));
        self
    }

    /// Records every create in a ledger that is already open (shared by several clients).
    ///
    /// ```
    /// use wecom_client::{Client, ledger::Ledger};
    /// let path = std::env::temp_dir().join(format!("wecom-shared-doc-{}.redb", std::process::id()));
    /// let ledger = Ledger::open(&path)?;
    /// let sales = Client::builder("ww1", "sales-secret").shared_ledger(ledger.clone()).build()?;
    /// let support = Client::builder("ww1", "support-secret").shared_ledger(ledger).build()?;
    /// # drop((sales, support)); std::fs::remove_file(path).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "ledger")]
    pub fn shared_ledger(mut self, ledger: crate::ledger::Ledger) -> Self {
        self.ledger = Some(LedgerSetting::Open(ledger));
        self
    }

    /// Checks the settings and builds the client. No request is sent.
    ///
    /// ```
    /// let err = wecom_client::Client::builder("ww1", "s").base_url("ftp://example.com").build().unwrap_err();
    /// assert!(matches!(err, wecom_client::Error::Config { setting: "base_url", .. }));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let base_url = normalise_base_url(&self.base_url)?;
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|err| Error::Config { setting: "user_agent", reason: err.to_string() })?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder().build().map_err(|err| Error::Build(Arc::new(err)))?,
        };
        #[cfg(feature = "ledger")]
        let ledger = match self.ledger {
            None => None,
            Some(LedgerSetting::Open(ledger)) => Some(ledger),
            Some(LedgerSetting::Path(path)) => {
                Some(crate::ledger::Ledger::open(path).map_err(|err| Error::Ledger(Arc::new(err)))?)
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                corpid: self.corpid,
                secret: self.secret,
                timeout: self.timeout,
                retry: self.retry,
                user_agent,
                token: TokenCache::new(self.token_refresh_margin),
                #[cfg(feature = "ledger")]
                ledger,
            }),
        })
    }
}

/// An absolute http(s) URL without query or fragment, with no trailing slash so that API paths
/// (which start with `/`) can be appended.
fn normalise_base_url(raw: &str) -> Result<String, Error> {
    let invalid = |reason: &str| Error::Config { setting: "base_url", reason: format!("{raw:?}: {reason}") };
    let url = reqwest::Url::parse(raw).map_err(|err| invalid(&err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("a base URL takes no query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_or_refused() {
        let cases: &[(&str, Option<&str>)] = &[
            ("https://qyapi.weixin.qq.com", Some("https://qyapi.weixin.qq.com")),
            ("https://qyapi.weixin.qq.com/", Some("https://qyapi.weixin.qq.com")),
            ("http://127.0.0.1:8080", Some("http://127.0.0.1:8080")),
            ("http://proxy.local/wecom/", Some("http://proxy.local/wecom")),
            ("ftp://example.com", None),
            ("not a url", None),
            ("http://h/?a=1", None),
            ("http://h/#x", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalise_base_url(raw).ok().as_deref(), *expected, "{raw}");
        }
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let builder = ClientBuilder::new("ww1".into(), "top-secret".into());
        let printed = format!("{builder:?}");
        assert!(!printed.contains("top-secret"), "{printed}");
        assert!(printed.contains("ww1"));
    }
}
