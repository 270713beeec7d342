//! The bare baseline: the physical limit of this stack on this machine.
//!
//! A hyper server with exactly the mock's connection set-up (`wecom_mock::serve`: HTTP/1.1 with
//! keep-alive, `TCP_NODELAY`, one task per connection under a graceful-shutdown watcher, the body
//! read in full) that answers every request with one fixed body: a `get_contact_way` answer of
//! the size the mock gives ([`crate::sample::get_contact_way_answer`]). Whatever the mock does
//! beyond this — routing, tokens, decoding, the domain, locks, encoding — is the difference
//! between the two under the same load.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

/// The mock's content type, so both answers carry the same headers.
const JSON: &str = "application/json; charset=UTF-8";

async fn answer(req: Request<Incoming>, body: Bytes) -> Response<Full<Bytes>> {
    // Read the request like the mock does (same limit), so both pay for it.
    let status = match Limited::new(req.into_body(), wecom_mock::MAX_BODY_BYTES).collect().await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::PAYLOAD_TOO_LARGE,
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// Serves `body` to every request on `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, body: Bytes, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of descriptors and the like: back off as the mock does.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let body = body.clone();
                let service = service_fn(move |req| {
                    let body = body.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(req, body).await) }
                });
                let conn = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(Duration::from_secs(10)) => {},
    }
}

/// A baseline running inside this process on a random loopback port (benches and tests);
/// dropping it stops it.
pub struct Baseline {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Baseline {
    /// Binds `127.0.0.1:0` and serves [`crate::sample::get_contact_way_answer`] for a mock at
    /// that address, on the current tokio runtime.
    pub async fn start() -> std::io::Result<Baseline> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let body = Bytes::from(crate::sample::get_contact_way_answer(&format!("http://{addr}")));
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(serve(listener, body, async {
            let _ = rx.await;
        }));
        Ok(Baseline { addr, stop: Some(tx) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
