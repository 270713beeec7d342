//! The tracing output: one span per call with path, errcode, attempt and latency, and never the
//! secret or a token, even when errors are logged.

use std::io::Write;
use std::sync::{Arc, Mutex};

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

// A current-thread runtime keeps every task on the thread that holds the default subscriber.
#[tokio::test(flavor = "current_thread")]
async fn calls_are_traced_without_the_secret_or_the_token() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let stub = Stub::start().await;
    stub.script(Api::DelContactWay, [Reply::err(42001), Reply::err(45009)]);
    stub.script(Api::GetJoinWay, [Reply::Hangup]);
    stub.on(Api::GetJoinWay, |_| Reply::err(41044));
    let client = stub.client();
    client.del_contact_way("cfg").await.expect("deleted after a refresh and a retry");
    let err = client.get_join_way("jcfg").await.expect_err("unknown config");
    tracing::error!(error = %err, debug = ?err, "as an application would log it");
    tracing::info!(client = ?client, "and the client itself");

    let logs = captured.text();
    assert!(logs.contains("wecom.call"), "{logs}");
    assert!(logs.contains("path=\"/cgi-bin/externalcontact/del_contact_way\""), "{logs}");
    assert!(logs.contains("attempt=3"), "del_contact_way took three sends: {logs}");
    assert!(logs.contains("errcode=0"), "{logs}");
    assert!(logs.contains("errcode=41044"), "{logs}");
    assert!(logs.contains("latency_ms="), "{logs}");
    for secret in [SECRET, "token-1", "token-2", "token-3"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs: {logs}");
    }
}
