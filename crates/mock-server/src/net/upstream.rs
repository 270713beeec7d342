//! The drift proxy's one outbound call per exchange (`wecom-mock --upstream URL`): the request
//! as it came (method, path, query, body and end-to-end headers) to the upstream, and its
//! answer back as it was sent. HTTPS goes through the stack `wecom-client` uses (reqwest with
//! rustls, ring and the webpki roots). Redirects are passed on, never followed: the client
//! decides, as it would facing the upstream itself.

use std::time::Duration;

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderName};
use hyper::{Method, StatusCode};

/// How long the upstream has to answer by default (`--upstream-timeout`).
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an idle connection to the upstream is kept for the next exchange.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest body passed either way (a request is refused with 413 beyond; an answer beyond
/// is a 502): the proxy's only limit of its own.
pub const MAX_PROXIED_BODY_BYTES: usize = 16 << 20;

/// Headers that describe one connection, not the message: never passed on (RFC 9110 §7.6.1),
/// with `host` and `content-length`, which the next hop writes for itself.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    header::HOST,
];

/// Why `--upstream` cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// Not an `http://` or `https://` URL with a host.
    #[error("--upstream `{0}` is not an http:// or https:// URL with a host (e.g. https://qyapi.weixin.qq.com)")]
    BadUrl(String),
    /// The HTTP client could not be set up (its TLS configuration).
    #[error("cannot set up the upstream's HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// The upstream a drift proxy forwards to, with its connection pool.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The base URL without a trailing `/`; a path of its own is kept in front of each path.
    base: String,
    client: reqwest::Client,
    timeout: Duration,
}

/// The upstream's answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why the upstream gave no answer: its words, without the URL (whose query carries the
/// `access_token` or `corpsecret`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Unreachable(String);

impl Upstream {
    /// An upstream at `url` (`http://` or `https://`), which must answer within `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Upstream, UpstreamError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| UpstreamError::BadUrl(url.to_owned()))?;
        let usable = matches!(parsed.scheme(), "http" | "https")
            && parsed.host_str().is_some_and(|host| !host.is_empty())
            && parsed.query().is_none()
            && parsed.fragment().is_none();
        if !usable {
            return Err(UpstreamError::BadUrl(url.to_owned()));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            // Below the idle timeouts servers commonly use (the mock's 75 s, nginx's 75 s, many
            // load balancers' 60 s), so a pooled connection is dropped here before the
            // upstream closes it under a request.
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build()
            .map_err(UpstreamError::Client)?;
        Ok(Upstream { base: parsed.as_str().trim_end_matches('/').to_owned(), client, timeout })
    }

    /// The base URL, as given (without a trailing `/`).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// How long the upstream has to answer.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends the request on and reads the answer (its body within
    /// [`MAX_PROXIED_BODY_BYTES`]).
    pub(crate) async fn forward(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Answer, Unreachable> {
        let mut request = self.client.request(method.clone(), format!("{}{path_and_query}", self.base));
        for (name, value) in end_to_end(headers) {
            request = request.header(name, value);
        }
        if !body.is_empty() || method_takes_body(method) {
            request = request.body(body);
        }
        let mut response = request.send().await.map_err(|err| self.unreachable(&err))?;
        let status = response.status();
        let mut headers = HeaderMap::with_capacity(response.headers().len());
        for (name, value) in end_to_end(response.headers()) {
            headers.append(name.clone(), value.clone());
        }
        let mut joined: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| self.unreachable(&err))? {
            if joined.len() + chunk.len() > MAX_PROXIED_BODY_BYTES {
                return Err(Unreachable(format!("its answer is over {} MiB", MAX_PROXIED_BODY_BYTES >> 20)));
            }
            if joined.is_empty() && response.content_length() == Some(chunk.len() as u64) {
                // The whole answer in one chunk (the usual small JSON): kept without a copy.
                return Ok(Answer { status, headers, body: chunk });
            }
            joined.extend_from_slice(&chunk);
        }
        Ok(Answer { status, headers, body: Bytes::from(joined) })
    }

    /// The reason of a failed exchange, without the URL, with its causes.
    fn unreachable(&self, err: &reqwest::Error) -> Unreachable {
        if err.is_timeout() {
            return Unreachable(format!("no answer within {} (--upstream-timeout)", humanize(self.timeout)));
        }
        let mut text = String::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(cause) = source {
            let words = match cause.downcast_ref::<reqwest::Error>() {
                // Its own words without the URL, which `Display` would add.
                Some(outer) => {
                    let mut stripped = String::new();
                    use std::fmt::Write as _;
                    let _ = write!(stripped, "{}", DisplayWithoutUrl(outer));
                    stripped
                }
                None => cause.to_string(),
            };
            if !words.is_empty() && !text.ends_with(&words) {
                if !text.is_empty() {
                    text.push_str(": ");
                }
                text.push_str(&words);
            }
            source = cause.source();
        }
        Unreachable(text)
    }
}

/// A reqwest error's own words without its URL.
struct DisplayWithoutUrl<'a>(&'a reqwest::Error);

impl std::fmt::Display for DisplayWithoutUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let err = self.0;
        let what = if err.is_connect() {
            "cannot connect"
        } else if err.is_request() {
            "the request failed"
        } else if err.is_body() || err.is_decode() {
            "the answer broke off"
        } else if err.is_redirect() {
            "a redirect failed"
        } else if err.is_builder() {
            "the request could not be built"
        } else {
            "the exchange failed"
        };
        f.write_str(what)
    }
}

/// `10s`, `1500ms`.
fn humanize(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 { format!("{}s", timeout.as_secs()) } else { format!("{}ms", timeout.as_millis()) }
}

/// Methods whose request has a body even when it is empty.
fn method_takes_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// The headers of a message that are passed on.
fn end_to_end(headers: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &hyper::header::HeaderValue)> {
    headers.iter().filter(|(name, _)| !HOP_BY_HOP.contains(name) && *name != header::CONTENT_LENGTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_upstreams() {
        for good in ["http://127.0.0.1:8080", "https://qyapi.weixin.qq.com/", "http://staging.example/wecom"] {
            assert!(Upstream::new(good, DEFAULT_UPSTREAM_TIMEOUT).is_ok(), "{good}");
        }
        for bad in ["", "qyapi.weixin.qq.com", "ftp://host", "http://", "http://host/?a=1", "file:///tmp"] {
            assert!(matches!(Upstream::new(bad, DEFAULT_UPSTREAM_TIMEOUT), Err(UpstreamError::BadUrl(_))), "{bad}");
        }
        let upstream = Upstream::new("http://staging.example/wecom/", DEFAULT_UPSTREAM_TIMEOUT).expect("an upstream");
        assert_eq!(upstream.url(), "http://staging.example/wecom");
    }

    #[test]
    fn connection_headers_are_not_passed_on() {
        let mut headers = HeaderMap::new();
        for (name, value) in
            [("connection", "close"), ("host", "proxy"), ("content-length", "3"), ("content-type", "application/json")]
        {
            headers.insert(HeaderName::from_static(name), value.parse().expect("a header value"));
        }
        let kept: Vec<&str> = end_to_end(&headers).map(|(name, _)| name.as_str()).collect();
        assert_eq!(kept, ["content-type"]);
    }
}
