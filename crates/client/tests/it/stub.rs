//! A scriptable WeCom stand-in on 127.0.0.1:0: it records every request and answers from a
//! per-path queue of one-shot replies, then from a per-path handler, then with a plain ok.
//! `gettoken` hands out `token-1`, `token-2`, … unless scripted otherwise.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use wecom_client::{Client, RetryPolicy};
use wecom_types::{Api, ErrCode};

pub(crate) const CORPID: &str = "wwstub0000000001";
pub(crate) const SECRET: &str = "stub-secret-value";

/// The retry policy of the tests: the real shape, with waits too short to notice.
pub(crate) const FAST: RetryPolicy =
    RetryPolicy { max_retries: 3, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: HashMap<String, String>,
    /// The JSON body, `None` when empty.
    pub(crate) body: Option<Value>,
    pub(crate) user_agent: Option<String>,
}

impl Seen {
    pub(crate) fn token(&self) -> Option<&str> {
        self.query.get("access_token").map(String::as_str)
    }

    /// The body's field names, sorted.
    pub(crate) fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> =
            self.body.as_ref().and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default();
        keys.sort();
        keys
    }
}

/// What the stub answers.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// HTTP status and body.
    Raw(u16, String),
    /// Read the request, then close the connection without answering.
    Hangup,
}

impl Reply {
    /// errcode 0 with this payload.
    pub(crate) fn ok(payload: Value) -> Reply {
        let mut body = json!({"errcode": 0, "errmsg": "ok"});
        if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), payload) {
            body.extend(fields);
        }
        Reply::Raw(200, body.to_string())
    }

    /// A WeCom error answer (HTTP 200).
    pub(crate) fn err(code: i32) -> Reply {
        let code = ErrCode(code);
        let errmsg =
            format!("{}, hint: [stub], from ip: 127.0.0.1, more info at https://x?e={}", code.phrase(), code.0);
        Reply::Raw(200, json!({"errcode": code.0, "errmsg": errmsg}).to_string())
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    scripts: Mutex<HashMap<String, VecDeque<Reply>>>,
    handlers: Mutex<HashMap<String, Handler>>,
    delays: Mutex<HashMap<String, Duration>>,
    in_flight: Mutex<HashMap<String, (usize, usize)>>,
    tokens: AtomicUsize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) struct Stub {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    pub(crate) async fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let hangup = Arc::new(Notify::new());
                    let on_hangup = Arc::clone(&hangup);
                    let service = service_fn(move |req| {
                        let (state, hangup) = (Arc::clone(&state), Arc::clone(&on_hangup));
                        async move { Ok::<_, Infallible>(answer(state, hangup, req).await) }
                    });
                    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    // Dropping the connection mid-request is how a hangup closes the socket.
                    tokio::select! {
                        _ = conn => {}
                        _ = hangup.notified() => {}
                    }
                });
            }
        });
        Stub { addr, state, task }
    }

    pub(crate) fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client for this stub with the fast retry policy.
    pub(crate) fn client(&self) -> Client {
        Client::builder(CORPID, SECRET).base_url(self.uri()).retry_policy(FAST).build().expect("client")
    }

    /// Queues one-shot replies for `api`, answered before its handler.
    pub(crate) fn script(&self, api: Api, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.state.scripts).entry(api.path().to_owned()).or_default().extend(replies);
    }

    /// Answers every unscripted request to `api` with `handler`.
    pub(crate) fn on(&self, api: Api, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) {
        lock(&self.state.handlers).insert(api.path().to_owned(), Arc::new(handler));
    }

    /// Holds every answer of `api` for `delay` (to widen races, never to time anything).
    pub(crate) fn delay(&self, api: Api, delay: Duration) {
        lock(&self.state.delays).insert(api.path().to_owned(), delay);
    }

    pub(crate) fn requests(&self, api: Api) -> Vec<Seen> {
        lock(&self.state.seen).iter().filter(|seen| seen.path == api.path()).cloned().collect()
    }

    pub(crate) fn count(&self, api: Api) -> usize {
        self.requests(api).len()
    }

    /// Every request, whatever its path.
    pub(crate) fn total(&self) -> usize {
        lock(&self.state.seen).len()
    }

    /// The path of every request, in order.
    pub(crate) fn paths(&self) -> Vec<String> {
        lock(&self.state.seen).iter().map(|seen| seen.path.clone()).collect()
    }

    /// The most requests of `api` that were being answered at once.
    pub(crate) fn max_in_flight(&self, api: Api) -> usize {
        lock(&self.state.in_flight).get(api.path()).map_or(0, |(_, max)| *max)
    }

    /// The body of the only request to `api`.
    pub(crate) fn only_body(&self, api: Api) -> Value {
        let seen = self.requests(api);
        assert_eq!(seen.len(), 1, "expected one request to {api:?}");
        seen[0].body.clone().expect("a JSON body")
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(query: Option<&str>) -> HashMap<String, String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

async fn answer(state: Arc<State>, hangup: Arc<Notify>, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let bytes = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parse_query(parts.uri.query()),
        body: serde_json::from_slice(&bytes).ok(),
        user_agent: parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    lock(&state.seen).push(seen.clone());
    {
        let mut in_flight = lock(&state.in_flight);
        let (now, max) = in_flight.entry(seen.path.clone()).or_default();
        *now += 1;
        *max = (*max).max(*now);
    }
    let delay = lock(&state.delays).get(&seen.path).copied();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let scripted = lock(&state.scripts).get_mut(&seen.path).and_then(VecDeque::pop_front);
    let handler = lock(&state.handlers).get(&seen.path).cloned();
    let reply = match (scripted, handler) {
        (Some(reply), _) => reply,
        (None, Some(handler)) => handler(&seen),
        (None, None) if seen.path == Api::GetToken.path() => {
            let n = state.tokens.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::ok(json!({"access_token": format!("token-{n}"), "expires_in": 7200}))
        }
        (None, None) => Reply::ok(json!({})),
    };
    if let Some((now, _)) = lock(&state.in_flight).get_mut(&seen.path) {
        *now -= 1;
    }
    match reply {
        Reply::Raw(status, body) => hyper::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .expect("response"),
        Reply::Hangup => {
            hangup.notify_one();
            std::future::pending().await
        }
    }
}
