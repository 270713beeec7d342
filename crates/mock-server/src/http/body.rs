//! Reading a request body within its limit, and what a body over it gets.

use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, HeaderValue};
use hyper::{Request, Response};

use super::response::Body;

/// The largest request body accepted (answered 413 with a WeCom envelope beyond).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The largest admin body accepted (a corp's fixture in `PUT /__admin/corps/{corpid}` or
/// `POST /__admin/tenants`: some 20 000 members), answered 413 in the admin error shape beyond.
pub const MAX_ADMIN_BODY_BYTES: usize = 4 << 20;

/// A body over its limit is still read (and thrown away) up to this many bytes before the 413
/// goes out, so that clients which send the whole body before reading the answer (Python's
/// http.client, Java's HttpURLConnection) see the answer and not a broken pipe; beyond it the
/// connection is closed after the answer.
pub const DRAIN_BYTES: u64 = 16 << 20;

/// Why a body was not read: over its limit, or not arrived in time.
#[derive(Debug)]
pub(super) enum Unread {
    /// Over its limit; `close` when it was not read to its end (the connection must then close
    /// after the 413), or did not arrive whole.
    TooLarge { close: bool },
    /// Not all of it arrived within `--body-timeout` (the connection closes after the 408).
    TimedOut(Duration),
}

/// When the body of a request whose head arrived at `started` must be in, with the timeout
/// (`--body-timeout`; `None` when it is off).
pub(super) fn body_deadline(
    timeout: Option<Duration>,
    started: std::time::Instant,
) -> Option<(tokio::time::Instant, Duration)> {
    timeout.map(|timeout| (tokio::time::Instant::from_std(started) + timeout, timeout))
}

/// Reads the body, up to `limit` bytes; a larger one is drained up to [`DRAIN_BYTES`]. All of
/// it must have come by `deadline` (`--body-timeout` after the head).
///
/// Not an `async fn`: the request's head is read and dropped before the future is made, so
/// the future holds the body alone, and every request's future (which holds it) is smaller
/// and cheaper to move into hyper's dispatcher.
pub(super) fn read_body(
    req: Request<Incoming>,
    limit: usize,
    deadline: Option<(tokio::time::Instant, Duration)>,
) -> impl Future<Output = Result<Bytes, Unread>> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    read_incoming(req.into_body(), declared, limit, deadline)
}

async fn read_incoming(
    mut body: Incoming,
    declared: Option<u64>,
    limit: usize,
    deadline: Option<(tokio::time::Instant, Duration)>,
) -> Result<Bytes, Unread> {
    if declared.is_some_and(|len| len > DRAIN_BYTES) {
        return Err(Unread::TooLarge { close: true });
    }
    // A small body arrives in one frame: keep that frame's bytes instead of collecting (the
    // generic collector was a tenth of a get's own instructions in a profile).
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut seen: u64 = 0;
    loop {
        let frame = match deadline {
            Some((at, timeout)) => {
                // Nearly every body is in by the time its head is read: a frame that is ready is
                // taken without making a timer; only a body still on its way waits under the
                // deadline (boxed, so the timer does not grow every request's future).
                let mut next = body.frame();
                match std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut next).poll(cx))).await {
                    Poll::Ready(frame) => frame,
                    Poll::Pending => {
                        Box::pin(tokio::time::timeout_at(at, next)).await.map_err(|_| Unread::TimedOut(timeout))?
                    }
                }
            }
            None => body.frame().await,
        };
        let Some(frame) = frame else { break };
        let Ok(data) = frame.map_err(|_| Unread::TooLarge { close: true })?.into_data() else { continue };
        seen += data.len() as u64;
        // All the declared bytes are in: hyper has read the body to its end already, so do not
        // wait for it to say so (one more poll and wake-up per request).
        let complete = declared == Some(seen) && seen <= limit as u64;
        if seen > limit as u64 {
            // Over the limit: keep reading, and drop what comes, up to the drain bound.
            if seen > DRAIN_BYTES {
                return Err(Unread::TooLarge { close: true });
            }
            first = None;
            joined = None;
            continue;
        }
        match (&mut joined, first.take()) {
            (Some(all), _) => all.extend_from_slice(&data),
            (None, Some(earlier)) => {
                let mut all = Vec::with_capacity(earlier.len() + data.len());
                all.extend_from_slice(&earlier);
                all.extend_from_slice(&data);
                joined = Some(all);
            }
            (None, None) => first = Some(data),
        }
        if complete {
            break;
        }
    }
    if seen > limit as u64 {
        return Err(Unread::TooLarge { close: false });
    }
    Ok(joined.map(Bytes::from).or(first).unwrap_or_default())
}

/// Closes the connection after `response` when the body was not read to its end.
pub(super) fn closing(mut response: Response<Body>, unread: &Unread) -> Response<Body> {
    if matches!(unread, Unread::TooLarge { close: true } | Unread::TimedOut(_)) {
        response.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// `60s`, `1500ms`: a timeout as the flags take it.
pub(super) fn seconds(timeout: Duration) -> String {
    if timeout.subsec_millis() == 0 { format!("{}s", timeout.as_secs()) } else { format!("{}ms", timeout.as_millis()) }
}
