//! The tracing output: one span per call with path, errcode, attempt and latency, and never the
//! secret or a token, even when errors are logged.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use wecom_types::Api;

use crate::stub::{Reply, SECRET, Stub};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The test binary's global subscriber, installed by the first test that asks.
///
/// Global rather than per-test (`set_default`): with a single scoped subscriber, tracing caches
/// a callsite's interest from whichever thread registers it first, so a parallel test without a
/// subscriber can switch this test's events off. From here on, every test's client logs land in
/// this buffer, so the secret check below covers them too.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_env_filter(EnvFilter::new("wecom_client=trace,it=trace"))
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        captured
    })
}

/// Whether a closed `wecom.call` span of `api` (the innermost span of a `close` line) carries
/// every one of `fields`. Other tests log into the same buffer, so the check looks for one span
/// that has them all.
#[track_caller]
fn assert_closed_span(logs: &str, api: &str, fields: &[&str]) {
    let head = format!("api=\"{api}\"");
    let found = logs
        .lines()
        .filter(|line| line.contains(": close time."))
        .filter_map(|line| line.rsplit("wecom.call{").next())
        .any(|span| span.starts_with(&head) && fields.iter().all(|field| span.contains(field)));
    assert!(found, "no {api} span with {fields:?} in:\n{logs}");
}

#[tokio::test]
async fn calls_are_traced_without_the_secret_or_the_token() {
    let captured = captured();
    let stub = Stub::start().await;
    stub.script(Api::CloseTempChat, [Reply::err(42001), Reply::err(45009)]);
    stub.script(Api::GetJoinWay, [Reply::Hangup]);
    stub.on(Api::GetJoinWay, |_| Reply::err(41044));
    let client = stub.client();
    client.close_temp_chat("zhangsan", "wmABCDEFGH").await.expect("closed after a refresh and a retry");
    let err = client.get_join_way("jcfg").await.expect_err("unknown config");
    tracing::error!(error = %err, debug = ?err, "as an application would log it");
    tracing::info!(client = ?client, "and the client itself");

    let logs = captured.text();
    let path = "path=\"/cgi-bin/externalcontact/close_temp_chat\"";
    assert_closed_span(&logs, "close_temp_chat", &[path, "attempt=3", "errcode=0", "latency_ms="]);
    assert_closed_span(&logs, "get_join_way", &["attempt=2", "errcode=41044", "latency_ms="]);
    for secret in [SECRET, "token-1", "token-2", "token-3"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs: {logs}");
    }
}
