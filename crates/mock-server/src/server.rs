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
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::control::*;
use crate::dump::CorpDump;
use crate::fixtures::{CorpFixture, DEFAULT_AGENTID, DEFAULT_CORPID, DEFAULT_SECRET, Fixtures};
use crate::ops::MessageEntry;
use crate::state::{MockState, Settings};

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The service's error for a call a `drop` fault applies to.
#[derive(Debug)]
struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedByFault {}

/// Serves `state` on `listener` until `shutdown` resolves, then drains in-flight requests.
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
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                let service = service_fn(move |req| {
                    let state = Arc::clone(&state);
                    async move {
                        let response = crate::http::handle(state, req, remote.ip()).await;
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
    fixtures: Option<Fixtures>,
    seed: Option<u64>,
    admin_token: Option<String>,
    data_dir: Option<crate::DataDir>,
    journal_size: Option<usize>,
    bugs: Vec<crate::control::Bug>,
}

impl MockServerBuilder {
    /// Start with these corps instead of the default corp.
    pub fn fixtures(mut self, fixtures: Fixtures) -> Self {
        self.fixtures = Some(fixtures);
        self
    }

    /// Seed config ids and other draws (tokens stay random).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Require this bearer token on `/__admin`.
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }

    /// Keep the state in a data dir (recovered from it when it has some), as `--data-dir` does.
    /// The typed helpers (`scan`, `put_corp`, …) do not wait for the journal; answers over HTTP
    /// do, and [`MockServer::shutdown`] flushes it.
    pub fn data_dir(mut self, data_dir: crate::DataDir) -> Self {
        self.data_dir = Some(data_dir);
        self
    }

    /// Keep this many calls in the request journal (`GET /__admin/requests`); 0 turns it off.
    /// Default [`DEFAULT_JOURNAL_SIZE`](crate::DEFAULT_JOURNAL_SIZE).
    pub fn journal_size(mut self, calls: usize) -> Self {
        self.journal_size = Some(calls);
        self
    }

    /// Breaks one rule on purpose, so that a test suite can show it notices. Test-only: there is
    /// no flag or admin path for it.
    #[doc(hidden)]
    pub fn inject_bug(mut self, bug: crate::control::Bug) -> Self {
        self.bugs.push(bug);
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn try_start(self) -> Result<MockServer, String> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("cannot bind: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let settings = Settings {
            public_url: format!("http://{addr}"),
            admin_token: self.admin_token,
            seed: self.seed,
            fixtures: self.fixtures.unwrap_or_default(),
            journal_size: self.journal_size,
        };
        let mut state = MockState::open(settings, self.data_dir.as_ref()).map_err(|e| e.to_string())?;
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

    /// Options: fixtures, seed, admin token.
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

    /// The server's state, for the helpers defined next to the features they drive.
    pub(crate) fn state(&self) -> &MockState {
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

    /// Simulates a customer scanning a Contact Me code (see `POST /__admin/scan`).
    pub fn scan(&self, req: &ScanRequest) -> Result<ScanResponse, AdminError> {
        self.state.scan(req)
    }

    /// Simulates a customer joining through a Join Group code (see `POST /__admin/join`).
    pub fn join(&self, req: &JoinRequest) -> Result<JoinResponse, AdminError> {
        self.state.join(req)
    }

    /// Changes the virtual clock (see `POST /__admin/clock`).
    pub fn clock(&self, req: &ClockRequest) -> Result<ClockResponse, AdminError> {
        self.state.clock(req)
    }

    /// Freezes every corp's clock at `unix`.
    pub fn set_clock(&self, unix: i64) -> ClockResponse {
        self.clock(&ClockRequest { set: Some(unix), ..Default::default() })
            .unwrap_or(ClockResponse { now: unix, frozen: true })
    }

    /// Moves every corp's clock by `secs` and freezes it.
    pub fn advance_clock(&self, secs: i64) -> Result<ClockResponse, AdminError> {
        self.clock(&ClockRequest { advance: Some(secs), ..Default::default() })
    }

    /// A corp's state dump.
    pub fn dump(&self, corpid: &str) -> Result<CorpDump, AdminError> {
        self.state.dump(corpid)
    }

    /// A corp's state dump as the exact bytes `GET /__admin/corps/{corpid}` answers.
    pub fn dump_bytes(&self, corpid: &str) -> Result<Vec<u8>, AdminError> {
        let dump = self.dump(corpid)?;
        serde_json::to_vec(&dump).map_err(|e| AdminError::new(500, "internal", e.to_string()))
    }

    /// Creates or replaces a corp (its state emptied).
    pub fn put_corp(&self, fixture: &CorpFixture) -> Result<(), AdminError> {
        self.state.replace_corp(&fixture.corpid, fixture)
    }

    /// Forgets all state and reloads the fixtures (or one corp).
    pub fn reset(&self, corpid: Option<&str>) -> Result<(), AdminError> {
        self.state.reset(corpid)
    }

    /// Quota use of a corp.
    pub fn quotas(&self, corpid: &str) -> Result<QuotasResponse, AdminError> {
        self.state.quotas(corpid)
    }

    /// Invalidates every token of a corp.
    pub fn revoke_tokens(&self, corpid: &str) -> Result<(), AdminError> {
        self.state.revoke_tokens(corpid)
    }

    /// Messages sent (closing messages, callbacks), oldest first.
    pub fn messages(&self, corpid: Option<&str>) -> Result<Vec<MessageEntry>, AdminError> {
        self.state.messages(corpid)
    }

    /// Performs an app's callback URL verification, as WeCom does when the URL is saved (see
    /// `POST /__admin/corps/{corpid}/apps/{agentid}/verify_callback`).
    pub async fn verify_callback(
        &self,
        corpid: &str,
        agentid: u32,
    ) -> Result<crate::VerifyCallbackResponse, AdminError> {
        self.state.verify_callback(corpid, agentid).await
    }

    /// A fresh isolated corp with the default directory.
    pub fn create_tenant(&self) -> Result<TenantResponse, AdminError> {
        self.state.create_tenant()
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
