//! One client connection's limits: the header and idle timeouts, watched where the bytes come
//! in ([`TimedStream`]), and the refusal of a connection beyond `--max-connections`
//! ([`refuse`]). The body timeout is the request's own (`http::handle`), because it is
//! answered (408) rather than cut.
//!
//! Why not hyper's own `header_read_timeout`: hyper starts it whenever it waits for a request
//! head, which on a keep-alive connection is the moment the previous answer went out, so an
//! idle keep-alive connection would be closed after the header timeout (30 s) instead of the
//! idle timeout (75 s), and its close could not be told from a slow head's. The stream below
//! tells the three phases apart from what it reads and from the service's
//! [`RequestWatch`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use crate::api::{AdminError, AdminErrorKind};
use crate::traffic::connections::{Connections, Timeout};

/// Where a connection is between requests, as its reader sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request head, some of which may have come (the header timeout runs; a
    /// new connection starts here).
    Head,
    /// An answer went out and nothing of the next request has come (the idle timeout runs).
    Idle,
    /// A request is being served, its body read (no timeout here: the body timeout is the
    /// request's).
    Busy,
}

/// What the service tells the connection's reader: a request is being served, and how many
/// have been answered. Shared by the service and the stream of one connection.
#[derive(Debug, Default)]
pub(crate) struct RequestWatch {
    busy: AtomicBool,
    answered: AtomicU64,
}

/// Marks a request as served until dropped (answered, or abandoned with its connection).
#[derive(Debug)]
pub(crate) struct Serving(Arc<RequestWatch>);

impl RequestWatch {
    /// A request's head has arrived and it is being served.
    pub(crate) fn serving(self: &Arc<Self>) -> Serving {
        self.busy.store(true, Ordering::Release);
        Serving(Arc::clone(self))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.answered.fetch_add(1, Ordering::Release);
        self.0.busy.store(false, Ordering::Release);
    }
}

/// The two timeouts a connection's reader enforces; `None` turns one off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadTimeouts {
    pub header: Option<Duration>,
    pub idle: Option<Duration>,
}

/// A client's stream that closes itself (a read error, which ends hyper's connection) when a
/// request head takes longer than the header timeout or a keep-alive connection stays idle
/// longer than the idle timeout, and counts which it was.
///
/// The timer is lazy: one alarm per connection, moved only when it rings before the phase's
/// deadline, or when a head is still incomplete with the alarm set later than its deadline, and
/// polled only when moved or rung. A request on a busy keep-alive connection costs one clock
/// read and a few atomic loads, not a timer reset.
pub(crate) struct TimedStream {
    inner: TcpStream,
    timeouts: ReadTimeouts,
    watch: Arc<RequestWatch>,
    counters: Arc<Connections>,
    phase: Phase,
    /// When the phase began; `None` until first needed.
    since: Option<Instant>,
    /// The alarm has been polled by this connection's task since it was last moved, so it
    /// will wake it: checking it again is a load, not a poll.
    listening: bool,
    /// `answered` of the watch when the stream last looked.
    seen_answered: u64,
    /// Rings at or before the phase's deadline; `None` when both timeouts are off.
    alarm: Option<Pin<Box<Sleep>>>,
}

impl TimedStream {
    /// A freshly accepted connection: its first head's time starts now.
    pub(crate) fn new(
        inner: TcpStream,
        timeouts: ReadTimeouts,
        watch: Arc<RequestWatch>,
        counters: Arc<Connections>,
    ) -> Self {
        let since = Instant::now();
        let alarm = timeouts.header.or(timeouts.idle).map(|first| Box::pin(tokio::time::sleep_until(since + first)));
        TimedStream {
            inner,
            timeouts,
            watch,
            counters,
            phase: Phase::Head,
            since: Some(since),
            listening: false,
            seen_answered: 0,
            alarm,
        }
    }

    /// The timeout of the current phase, if it has one.
    fn limit(&self) -> Option<(Timeout, Duration)> {
        match self.phase {
            Phase::Head => self.timeouts.header.map(|limit| (Timeout::Header, limit)),
            Phase::Idle => self.timeouts.idle.map(|limit| (Timeout::Idle, limit)),
            Phase::Busy => None,
        }
    }

    /// Catches up with the service: a request started (no deadline while it is served), or
    /// one was answered (the idle time starts).
    fn follow_requests(&mut self) {
        if self.watch.busy.load(Ordering::Acquire) {
            self.phase = Phase::Busy;
            return;
        }
        let answered = self.watch.answered.load(Ordering::Acquire);
        if answered != self.seen_answered {
            self.seen_answered = answered;
            self.phase = Phase::Idle;
            self.since = None;
        }
    }

    /// Which timeout has passed, if one has; otherwise the alarm is set no later than the
    /// phase's deadline and will wake this task.
    fn overdue(&mut self, cx: &mut Context<'_>) -> Option<Timeout> {
        let limit = self.limit();
        // A head's time is read here, at its first incomplete read, not at its first byte: a
        // head that comes whole (nearly all) costs no clock read.
        let due = limit.map(|(_, limit)| *self.since.get_or_insert_with(Instant::now) + limit);
        let alarm = self.alarm.as_mut()?;
        if let Some(due) = due
            && due < alarm.deadline()
        {
            alarm.as_mut().reset(due);
            self.listening = false;
        }
        if self.listening && !alarm.is_elapsed() {
            // Already polled by this connection's task: it will be woken.
            return None;
        }
        loop {
            if alarm.as_mut().poll(cx).is_pending() {
                self.listening = true;
                return None;
            }
            let now = Instant::now();
            match (limit, due) {
                (Some((timeout, _)), Some(due)) if now >= due => return Some(timeout),
                (Some(_), Some(due)) => alarm.as_mut().reset(due),
                // Busy: look again after the shortest timeout.
                _ => {
                    let shortest = self.timeouts.header.into_iter().chain(self.timeouts.idle).min()?;
                    alarm.as_mut().reset(now + shortest);
                }
            }
        }
    }
}

impl AsyncRead for TimedStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.follow_requests();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if this.phase == Phase::Idle && buf.filled().len() > before {
                    // The next request has begun: its head gets the header timeout from here.
                    this.phase = Phase::Head;
                    this.since = None;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match this.overdue(cx) {
                Some(timeout) => {
                    this.counters.closed_by(timeout);
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, timeout.name())))
                }
                None => Poll::Pending,
            },
            ready_err => ready_err,
        }
    }
}

/// After an answer is written hyper does not read again until the socket is readable (its own
/// header timer is what would make it), so the idle time is started, and the alarm's waker
/// registered, where the answer goes out; when the alarm rings, hyper's next read sees it.
impl TimedStream {
    fn after_write(&mut self, cx: &mut Context<'_>) {
        self.follow_requests();
        if self.overdue(cx).is_some() {
            // Passed already: the read this wakes up closes the connection.
            cx.waker().wake_by_ref();
        }
    }
}

impl AsyncWrite for TimedStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.after_write(cx);
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(cx);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// How long a refused connection is kept to read what its client sends, so that the client
/// reads the 503 instead of a reset (closing a socket with unread bytes resets it).
const REFUSAL_LINGER: Duration = Duration::from_millis(500);
/// The most refused connections lingering at once; beyond, one is answered and closed at once.
/// Bounded so that a flood past the cap cannot hold many more descriptors than the cap's share
/// leaves free.
pub(crate) const MAX_LINGERING_REFUSALS: usize = 256;
/// The most bytes read from a refused connection before it is closed.
const REFUSAL_DRAIN_BYTES: usize = 64 * 1024;

/// The whole answer to a connection beyond the cap: 503 `too_many_connections`, then close.
pub(crate) fn refusal(max_connections: usize) -> Vec<u8> {
    let error = AdminError::new(
        AdminErrorKind::TooManyConnections,
        format!(
            "the mock has its --max-connections limit of {max_connections} connections open: close some, or try again later"
        ),
    );
    let body = serde_json::to_vec(&error).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

/// Answers a connection beyond the cap with `answer` and closes it; reads what the client sent
/// for a moment first when a lingering place is free.
pub(crate) fn refuse(stream: TcpStream, answer: Arc<[u8]>, lingering: &Arc<Semaphore>) {
    let Ok(permit) = Arc::clone(lingering).try_acquire_owned() else {
        // Too many refusals in flight: answer what fits in the socket's buffer, and close.
        let _ = stream.try_write(&answer);
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let mut stream = stream;
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            drain(&mut stream).await
        })
        .await;
    });
}

/// Reads and drops what the client sends, up to [`REFUSAL_DRAIN_BYTES`] or its end.
async fn drain(stream: &mut TcpStream) -> io::Result<()> {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    while total < REFUSAL_DRAIN_BYTES {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_503_with_the_admin_error_shape() {
        let answer = String::from_utf8(refusal(7)).expect("text");
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        let error: AdminError = serde_json::from_str(body).expect("the admin error shape");
        assert_eq!(error.kind, AdminErrorKind::TooManyConnections);
        assert!(error.message.contains("--max-connections limit of 7"), "{}", error.message);
    }
}
