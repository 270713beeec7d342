//! Serving a WeCom call without a socket: the same path as [`super::handle`] from the routing
//! on, for benchmarks that measure the mock's own work apart from hyper and TCP.

use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use hyper::StatusCode;
use wecom_types::Api;

use super::health::health;
use super::response::{Body, api_error};
use super::wecom;
use crate::core::domain::ApiError;
use crate::state::MockState;

impl MockState {
    /// Serves one WeCom API call in-process: `path` as in the URL (`/cgi-bin/…`), `query`
    /// without the `?` (it carries `access_token`), `body` the JSON request. Routing, token
    /// and permission checks, decoding, the domain, the journal wait and the envelope are those
    /// of a call over HTTP; only hyper, TCP and the size limit are left out. Returns the HTTP
    /// status and the body exactly as it would go on the wire. `/healthz` answers
    /// as over HTTP (`{"status":"ok","version":"…"}`, 503 once the journal failed); the control
    /// surface (`/__admin`) and other paths answer 404.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use wecom_mock::{MockState, Settings};
    ///
    /// let state = MockState::new(Settings::default()).expect("the default corp loads");
    /// let (status, body) =
    ///     state.handle("/cgi-bin/gettoken", "corpid=wwmock0000000001&corpsecret=mock-secret", b"").await;
    /// assert_eq!(status, 200);
    /// assert!(body.starts_with(br#"{"errcode":0,"#));
    /// # }
    /// ```
    pub async fn handle(&self, path: &str, query: &str, body: &[u8]) -> (u16, Bytes) {
        const CALLER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
        if path == "/healthz" {
            let (status, body) = health(self);
            return (status.as_u16(), Bytes::from_static(body.as_bytes()));
        }
        let Some(api) = Api::from_path(path) else {
            let err = ApiError::with_detail(wecom_types::fidelity::UNKNOWN_PATH, format!("api not found: {path}"));
            return answer(api_error(self, StatusCode::NOT_FOUND, &err, CALLER)).await;
        };
        // Rate limits apply; faults, metrics and the request journal are the HTTP path's.
        let mut notes = wecom::CallNotes::default();
        let (response, lsn) =
            crate::durability::track(|| wecom::call::handle(self, api, query, body, CALLER, &mut notes));
        match self.durable(lsn).await {
            Ok(()) => answer(response).await,
            Err(unavailable) => answer(api_error(self, StatusCode::OK, &unavailable.into(), CALLER)).await,
        }
    }
}

async fn answer(response: hyper::Response<Body>) -> (u16, Bytes) {
    use http_body_util::BodyExt;
    let status = response.status().as_u16();
    // A `Full` body is already in memory: collecting it cannot fail or wait.
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    (status, body)
}
