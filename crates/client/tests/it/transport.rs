//! A transport error tells a newcomer what to do: it names the URL called and the cause
//! (refused, DNS, timeout, TLS, closed), and for a refused loopback address it suggests
//! starting the mock.

use std::time::Duration;

use wecom_client::{Client, Error, RetryPolicy, TransportCause};

/// A local address where nothing listens.
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}")
}

/// A server that takes connections and never answers; kept alive by the returned listener.
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    (listener, url)
}

/// A server that answers every connection with `bytes`, then closes it.
async fn answering_server(bytes: &'static [u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(bytes).await;
            let _ = stream.shutdown().await;
        }
    });
    format!("{addr}")
}

async fn first_call_error(base_url: &str) -> Error {
    let client = Client::builder("wwmock0000000001", "mock-secret")
        .base_url(base_url)
        .timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    client.get_contact_way("0123456789abcdef0123456789abcdef").await.expect_err("no answer")
}

fn cause_of(err: &Error) -> TransportCause {
    match err {
        Error::Transport { cause, .. } => *cause,
        other => panic!("not a transport error: {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_loopback_address_names_the_url_and_suggests_starting_the_mock() {
    let base = refused_url();
    let err = first_call_error(&base).await;
    assert_eq!(cause_of(&err), TransportCause::Refused);
    let message = err.to_string();
    assert!(message.contains(&format!("{base}/cgi-bin/gettoken")), "{message}");
    assert!(message.contains("connection refused"), "{message}");
    assert!(message.contains("is the mock running?"), "{message}");
}

#[tokio::test]
async fn the_message_never_carries_the_secret_or_the_token() {
    let err = first_call_error(&refused_url()).await;
    let message = err.to_string();
    assert!(!message.contains("mock-secret"), "{message}");
    assert!(!message.contains("corpsecret"), "{message}");
}

#[tokio::test]
async fn an_unknown_host_is_a_dns_error() {
    let err = first_call_error("http://no-such-host.invalid:8080").await;
    assert_eq!(cause_of(&err), TransportCause::Dns, "{err}");
    assert!(err.to_string().contains("http://no-such-host.invalid:8080/cgi-bin/gettoken"), "{err}");
    assert!(!err.to_string().contains("mock running"), "{err}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let (_listener, url) = silent_server();
    let err = first_call_error(&url).await;
    assert_eq!(cause_of(&err), TransportCause::Timeout, "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_closed() {
    let addr = answering_server(b"").await;
    let err = first_call_error(&format!("http://{addr}")).await;
    assert_eq!(cause_of(&err), TransportCause::Closed, "{err}");
}

// Without the `rustls` feature the client has no TLS stack to fail in.
#[cfg(feature = "rustls")]
#[tokio::test]
async fn https_to_a_plain_http_port_is_a_tls_error() {
    let addr = answering_server(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
    let err = first_call_error(&format!("https://{addr}")).await;
    assert_eq!(cause_of(&err), TransportCause::Tls, "{err}");
}

#[test]
fn only_a_refused_loopback_address_gets_the_hint() {
    let cases = [
        (TransportCause::Refused, "http://127.0.0.1:8080/cgi-bin/gettoken", true),
        (TransportCause::Refused, "http://localhost:8080", true),
        (TransportCause::Refused, "http://[::1]:8080/x", true),
        (TransportCause::Refused, "http://127.1.2.3", true),
        (TransportCause::Refused, "http://10.0.0.7:8080", false),
        (TransportCause::Refused, "https://qyapi.weixin.qq.com/cgi-bin/gettoken", false),
        (TransportCause::Timeout, "http://127.0.0.1:8080", false),
        (TransportCause::Dns, "http://localhost:8080", false),
    ];
    for (cause, url, hinted) in cases {
        assert_eq!(!cause.hint(url).is_empty(), hinted, "{cause:?} at {url}");
    }
}
