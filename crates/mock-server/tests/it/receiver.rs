//! A callback receiver on a local port: records every request and answers as the test says,
//! like a user's callback handler would.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wecom_callback_crypto::CallbackCrypto;
use wecom_mock::fixtures::{CallbackFixture, CorpFixture, DEFAULT_AGENTID, DEFAULT_CORPID};

/// The callback Token of the tests' app.
pub(crate) const TOKEN: &str = "callback-token";
/// Its EncodingAESKey.
pub(crate) const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) method: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Received {
    pub(crate) fn param(&self, key: &str) -> &str {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// Checks the signature and decrypts the posted envelope with the project's crypto, as a
    /// user's handler does: the event's XML.
    pub(crate) fn open(&self) -> String {
        let crypto = crypto();
        match crypto.decrypt_message(
            self.param("msg_signature"),
            self.param("timestamp"),
            self.param("nonce"),
            &self.body,
        ) {
            Ok(xml) => xml,
            Err(err) => panic!("the callback does not verify and decrypt: {err}\n{self:?}"),
        }
    }
}

/// The default corp's crypto settings, as a handler holds them.
pub(crate) fn crypto() -> CallbackCrypto {
    CallbackCrypto::new(TOKEN, AES_KEY, DEFAULT_CORPID).unwrap_or_else(|e| panic!("test settings: {e}"))
}

/// How the receiver answers its `n`-th request (0-based): status and body.
pub(crate) type Answer = dyn Fn(usize, &Received) -> (u16, String) + Send + Sync;

/// A listening receiver.
pub(crate) struct Receiver {
    pub(crate) url: String,
    requests: mpsc::UnboundedReceiver<Received>,
    count: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers every request with 200 "success"; a URL verification with the decrypted echostr.
pub(crate) fn like_a_handler(_: usize, request: &Received) -> (u16, String) {
    if request.method == "GET" {
        let echo = crypto().verify_url(
            request.param("msg_signature"),
            request.param("timestamp"),
            request.param("nonce"),
            request.param("echostr"),
        );
        return match echo {
            Ok(plain) => (200, plain),
            Err(err) => (403, err.to_string()),
        };
    }
    (200, "success".to_owned())
}

impl Receiver {
    pub(crate) async fn start(answer: impl Fn(usize, &Received) -> (u16, String) + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a receiver");
        let url = format!("http://{}/wecom/callback", listener.local_addr().expect("an address"));
        let (tx, requests) = mpsc::unbounded_channel();
        let count = Arc::new(AtomicUsize::new(0));
        let answer: Arc<Answer> = Arc::new(answer);
        let counter = Arc::clone(&count);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (tx, answer, counter) = (tx.clone(), Arc::clone(&answer), Arc::clone(&counter));
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (tx, answer, counter) = (tx.clone(), Arc::clone(&answer), Arc::clone(&counter));
                    async move {
                        let method = req.method().to_string();
                        let query = form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
                            .map(|(k, v)| (k.into_owned(), v.into_owned()))
                            .collect();
                        let body = req.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                        let received = Received { method, query, body: String::from_utf8_lossy(&body).into_owned() };
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        let (status, text) = answer(n, &received);
                        let _ = tx.send(received);
                        let mut response = Response::new(Full::new(Bytes::from(text)));
                        *response.status_mut() = hyper::StatusCode::from_u16(status).expect("a status");
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Receiver { url, requests, count, task }
    }

    /// The next request; fails the test when none comes in a long while (a hang guard, not a
    /// timing assertion).
    pub(crate) async fn next(&mut self) -> Received {
        match tokio::time::timeout(Duration::from_secs(20), self.requests.recv()).await {
            Ok(Some(received)) => received,
            _ => panic!("no callback reached the receiver"),
        }
    }

    /// Requests received so far.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// The default corp whose customer-contact app posts callbacks to `url`.
pub(crate) fn corp_with_callback(url: &str) -> CorpFixture {
    let mut corp = CorpFixture::default_corp();
    for app in &mut corp.apps {
        if app.agentid == DEFAULT_AGENTID {
            app.callback = Some(CallbackFixture {
                url: url.to_owned(),
                token: TOKEN.to_owned(),
                encoding_aes_key: AES_KEY.to_owned(),
            });
        }
    }
    corp
}
