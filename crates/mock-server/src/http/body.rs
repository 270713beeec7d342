//! Reading a request body within its limit, and what a body over it gets.

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

/// The body was over its limit: `close` when it was not read to its end (the connection must
/// then close after the 413), or did not arrive whole.
#[derive(Debug)]
pub(super) struct TooLarge {
    pub(super) close: bool,
}

/// Reads the body, up to `limit` bytes; a larger one is drained up to [`DRAIN_BYTES`].
pub(super) async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, TooLarge> {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > DRAIN_BYTES) {
        return Err(TooLarge { close: true });
    }
    // A small body arrives in one frame: keep that frame's bytes instead of collecting (the
    // generic collector was a tenth of a get's own instructions in a profile).
    let mut body = req.into_body();
    let mut first: Option<Bytes> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| TooLarge { close: true })?.into_data() else { continue };
        seen += data.len() as u64;
        // All the declared bytes are in: hyper has read the body to its end already, so do not
        // wait for it to say so (one more poll and wake-up per request).
        let complete = declared == Some(seen) && seen <= limit as u64;
        if seen > limit as u64 {
            // Over the limit: keep reading, and drop what comes, up to the drain bound.
            if seen > DRAIN_BYTES {
                return Err(TooLarge { close: true });
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
        return Err(TooLarge { close: false });
    }
    Ok(joined.map(Bytes::from).or(first).unwrap_or_default())
}

/// Closes the connection after `response` when the body was not read to its end.
pub(super) fn closing(mut response: Response<Body>, too_large: &TooLarge) -> Response<Body> {
    if too_large.close {
        response.headers_mut().insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
