//! Serving: the accept loop with graceful shutdown, and [`MockServer`], the handle tests embed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

use crate::connection::{self, ReadTimeouts, RequestWatch, TimedStream};
use crate::core::domain::Bug;
use crate::core::fixtures::{DEFAULT_AGENTID, DEFAULT_CORPID, DEFAULT_SECRET, Fixtures};
use crate::durability::{DataDir, OpenError};
use crate::state::{Control, MockState, Settings, TenantSignup};

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The service's error for a call a `drop` fault applies to.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct DroppedByFault;

/// Why an embedded server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// No port could be bound on 127.0.0.1.
    #[error("cannot bind 127.0.0.1:0: {0}")]
    Bind(#[source] std::io::Error),
    /// The state could not be opened (fixtures, data dir).
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// Serves `state` on `listener` until `shutdown` resolves, then drains in-flight requests.
/// Each connection is bounded by the settings' header and idle timeouts (the body timeout is
/// the request's, in `http::handle`); beyond `max_connections` open at once, a new one is
/// answered 503 `too_many_connections` and closed.
pub async fn serve(listener: TcpListener, state: Arc<MockState>, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let ticker = {
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                state.tick();
            }
        })
    };
    let settings = &state.settings;
    let timeouts = ReadTimeouts { header: settings.header_timeout, idle: settings.idle_timeout };
    let max_connections = settings.max_connections;
    let refusal: Arc<[u8]> = Arc::from(connection::refusal(max_connections));
    let lingering = Arc::new(Semaphore::new(connection::MAX_LINGERING_REFUSALS));
    let counters = Arc::clone(&state.traffic.connections);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(conn) => conn,
                    Err(err) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some(open) = counters.admit(max_connections) else {
                    connection::refuse(stream, Arc::clone(&refusal), &lingering);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let watch = Arc::new(RequestWatch::default());
                let stream = TimedStream::new(stream, timeouts, Arc::clone(&watch), Arc::clone(&counters));
                let state = Arc::clone(&state);
                let service = service_fn(move |req| {
                    let state = Arc::clone(&state);
                    let serving = watch.serving();
                    async move {
                        let response = crate::http::handle(state, req, remote.ip()).await;
                        drop(serving);
                        // A `drop` fault: an error makes hyper close the connection unanswered.
                        if crate::http::is_dropped(&response) {
                            return Err(DroppedByFault);
                        }
                        Ok(response)
                    }
                });
                let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _open = open;
                    if let Err(err) = conn.await {
                        tracing::debug!(%err, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    ticker.abort();
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("drained"),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!("drain timed out"),
    }
    // Everything answered is in the journal already; this fsyncs what `everysec` / `never`
    // left in the page cache and stops the writer.
    let closing = Arc::clone(&state);
    let _ = tokio::task::spawn_blocking(move || closing.close_journal()).await;
}

/// A mock server running inside a test, on a random port. Dropping it shuts it down.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mock = wecom_mock::MockServer::start().await;
/// let url = format!("{}/cgi-bin/gettoken?corpid={}&corpsecret={}", mock.uri(), mock.corpid(), mock.secret());
/// assert!(url.starts_with("http://127.0.0.1:"));
/// # }
/// ```
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<MockState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Options for [`MockServer::builder`].
#[derive(Debug, Clone, Default)]
pub struct MockServerBuilder {
    /// The same settings the binary fills from its flags; `public_url` becomes the bound
    /// address at start.
    settings: Settings,
    data_dir: Option<DataDir>,
    bugs: Vec<Bug>,
}

impl MockServerBuilder {
    /// Start with these corps instead of the default corp.
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.settings.fixtures = fixtures;
        self
    }

    /// Seed config ids and other draws (tokens stay random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.settings.seed = Some(seed);
        self
    }

    /// Require this bearer token on `/__admin`.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.settings.admin_token = Some(token.into());
        self
    }

    /// Keep the state in a data dir (recovered from it when it has some), as `--data-dir` does.
    /// [`Control`]'s operations do not wait for the journal; answers over HTTP do, and
    /// [`MockServer::shutdown`] flushes it.
    pub fn data_dir(mut self, data_dir: DataDir) -> Self {
        self.data_dir = Some(data_dir);
        self
    }

    /// Keep this many calls in the request log (`GET /__admin/requests`, `--request-log-size`);
    /// 0 turns it off. Default [`DEFAULT_JOURNAL_SIZE`](crate::api::DEFAULT_JOURNAL_SIZE).
    pub fn request_log_size(mut self, calls: usize) -> Self {
        self.settings.request_log_size = Some(calls);
        self
    }

    /// The former name of [`request_log_size`](Self::request_log_size).
    #[deprecated(note = "the request log is not the write-ahead journal: use `request_log_size`")]
    pub fn journal_size(self, calls: usize) -> Self {
        self.request_log_size(calls)
    }

    /// Who may create tenants without the operator token (`--tenant-signup`).
    pub fn tenant_signup(mut self, signup: TenantSignup) -> Self {
        self.settings.tenant_signup = signup;
        self
    }

    /// At most this many corps (`--max-corps`, default [`DEFAULT_MAX_CORPS`](crate::DEFAULT_MAX_CORPS)).
    pub fn max_corps(mut self, corps: usize) -> Self {
        self.settings.max_corps = corps;
        self
    }

    /// At most this many configs over all corps (`--max-total-configs`, default
    /// [`DEFAULT_MAX_TOTAL_CONFIGS`](crate::DEFAULT_MAX_TOTAL_CONFIGS)).
    pub fn max_total_configs(mut self, configs: u64) -> Self {
        self.settings.max_total_configs = configs;
        self
    }

    /// Delete tenants that have had no call for this long (`--tenant-ttl`; wall time, checked
    /// every second).
    pub fn tenant_ttl(mut self, ttl: Duration) -> Self {
        self.settings.tenant_ttl = Some(ttl);
        self
    }

    /// Close a connection whose request head has not arrived this long after it was opened,
    /// or after the head's first byte (`--header-timeout`, default
    /// [`DEFAULT_HEADER_TIMEOUT`](crate::DEFAULT_HEADER_TIMEOUT)); zero turns it off.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.settings.header_timeout = crate::timeout_or_off(timeout);
        self
    }

    /// Close a keep-alive connection that has sent no request for this long (`--idle-timeout`,
    /// default [`DEFAULT_IDLE_TIMEOUT`](crate::DEFAULT_IDLE_TIMEOUT)); zero turns it off.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.idle_timeout = crate::timeout_or_off(timeout);
        self
    }

    /// Answer 408 and close the connection when a request body has not arrived this long after
    /// its head (`--body-timeout`, default
    /// [`DEFAULT_BODY_TIMEOUT`](crate::DEFAULT_BODY_TIMEOUT)); zero turns it off.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.settings.body_timeout = crate::timeout_or_off(timeout);
        self
    }

    /// At most this many client connections open at once; one beyond is answered 503
    /// `too_many_connections` and closed (`--max-connections`, default
    /// [`default_max_connections`](crate::default_max_connections): 80 % of the open-file
    /// limit).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.settings.max_connections = connections;
        self
    }

    /// Breaks one rule on purpose, so that a test suite can show it notices. Test-only: there is
    /// no flag or admin path for it.
    #[doc(hidden)]
    pub fn inject_bug(mut self, bug: Bug) -> Self {
        self.bugs.push(bug);
        self
    }

    /// Calls from a TCP peer inside `proxies` are judged, for the apps' trusted IPs, by their
    /// last `X-Forwarded-For` entry (`--trust-forwarded-for`).
    pub fn trust_forwarded_for(mut self, proxies: ipnet::IpNet) -> Self {
        self.settings.trust_forwarded_for = Some(proxies);
        self
    }

    /// A drift proxy in front of `upstream` (`--upstream`): it holds no corp, forwards every
    /// path but `/healthz`, `/metrics`, `/__admin/openapi.json` and `/__admin/drift`, and
    /// reports what its upstream answers differently from the mock (`GET /__admin/drift`).
    /// Fixtures are not loaded; a data dir is refused ([`OpenError::ProxyWithDataDir`]).
    pub fn upstream(mut self, upstream: crate::net::upstream::Upstream) -> Self {
        self.settings.upstream = Some(upstream);
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn try_start(self) -> Result<MockServer, StartError> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let settings = Settings { public_url: format!("http://{addr}"), ..self.settings };
        let mut state = MockState::open(settings, self.data_dir.as_ref())?;
        state.bugs = self.bugs;
        let state = Arc::new(state);
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&state), async {
            let _ = rx.await;
        }));
        Ok(MockServer { addr, state, shutdown: Some(tx), task: Some(task) })
    }

    /// Like [`try_start`](Self::try_start), panicking when the server cannot start (a test helper).
    pub async fn start(self) -> MockServer {
        match self.try_start().await {
            Ok(server) => server,
            Err(err) => panic!("the mock server could not start: {err}"),
        }
    }
}

impl MockServer {
    /// A server with the default corp, on a random port.
    ///
    /// # Panics
    /// When no port can be bound; use [`MockServer::builder`] and `try_start` to handle that.
    pub async fn start() -> MockServer {
        MockServer::builder().start().await
    }

    /// Options: fixtures, seed, admin token, data dir, request journal size, limits and
    /// connection timeouts.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// `http://127.0.0.1:PORT`: the base URL for clients.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// `GET /metrics` as it would answer now: the Prometheus text format.
    pub fn metrics(&self) -> String {
        crate::http::metrics::render(&self.state)
    }

    /// The control surface, in Rust: every `/__admin` operation with a typed result
    /// (`mock.control().scan(…)`, `.set_clock(…)`, `.dump(…)`, `.add_fault(…)`, …).
    pub fn control(&self) -> Control<'_> {
        self.state.control()
    }

    /// The control surface as the holder of `admin_token` sees it (a tenant's token opens its
    /// own corp only); 401 for a token the server does not know.
    pub fn control_with_token(&self, admin_token: &str) -> Result<Control<'_>, crate::api::AdminError> {
        self.state.control_with_token(admin_token)
    }

    /// The server's whole state (for in-process benchmarks: [`MockState::handle`]).
    pub fn state(&self) -> &MockState {
        &self.state
    }

    /// The default corp's id.
    pub fn corpid(&self) -> &'static str {
        DEFAULT_CORPID
    }

    /// The default corp's customer-contact app secret.
    pub fn secret(&self) -> &'static str {
        DEFAULT_SECRET
    }

    /// The default corp's customer-contact app id.
    pub fn agentid(&self) -> u32 {
        DEFAULT_AGENTID
    }

    /// Stops accepting, drains in-flight requests and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
