//! Connections are bounded (`mock-server.md`, "Connections are bounded"): unfinished heads,
//! idle keep-alive connections and trickling bodies are closed by their timeouts, and a
//! connection beyond `--max-connections` is answered 503 and closed while the open ones keep
//! working. Raw sockets throughout, and short timeouts set through the builder; every refusal
//! leaves the state dump unchanged.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_mock::{MockServer, MockServerBuilder};
use wecom_types::Api;

/// Longer than any timeout set here: a connection still open this long was not closed.
const NEVER: Duration = Duration::from_secs(2);

/// A mock whose timeouts are `header` / `idle` / `body` (a long one stands for "not this").
async fn mock_with(header: Duration, idle: Duration, body: Duration) -> MockServer {
    MockServer::builder().header_timeout(header).idle_timeout(idle).body_timeout(body).start().await
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: mock\r\n\r\n";

/// Reads until the peer closes (or resets) the connection, at most `within`; the bytes read,
/// or `None` when it is still open then.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut all = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| all)
}

/// Sends one request and reads one whole answer (its head and `content-length` bytes).
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> String {
    stream.write_all(request).await.expect("the request is sent");
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&all).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
                .and_then(|len| len.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
        let n = tokio::time::timeout(NEVER, stream.read(&mut buf)).await.expect("an answer in time").expect("read");
        assert!(n > 0, "the connection closed mid-answer: {text}");
        all.extend_from_slice(&buf[..n]);
    }
}

/// The value of one series in the mock's metrics.
fn metric(mock: &MockServer, series: &str) -> u64 {
    let text = mock.metrics();
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {text}"))
}

fn closed_by(mock: &MockServer, reason: &str) -> u64 {
    metric(mock, &format!("wecom_mock_connections_closed_total{{reason=\"{reason}\"}}"))
}

/// Waits (briefly) until the mock counts `open` connections.
async fn until_open(mock: &MockServer, open: u64) {
    let start = Instant::now();
    while metric(mock, "wecom_mock_connections_open") != open {
        assert!(start.elapsed() < NEVER, "open connections never reached {open}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_unfinished_head_is_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(300);
    let cases: [(&str, &[u8]); 3] = [
        ("nothing sent", b""),
        ("half a request line", b"POST /cgi-bin/externalcontact/add_con"),
        ("a head without its blank line", b"GET /healthz HTTP/1.1\r\nHost: mock\r\n"),
    ];
    let mock = mock_with(timeout, NEVER * 10, NEVER * 10).await;
    let before = mock.control().dump_bytes(DEFAULT_CORPID).expect("dump");
    for (i, (case, sent)) in cases.into_iter().enumerate() {
        let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
        stream.write_all(sent).await.expect("send");
        let opened = Instant::now();
        let answer = read_until_closed(&mut stream, NEVER).await;
        assert_eq!(answer.as_deref(), Some(&b""[..]), "{case}: closed without an answer");
        assert!(opened.elapsed() >= timeout - Duration::from_millis(50), "{case}: not before the timeout");
        assert_eq!(closed_by(&mock, "header_timeout"), i as u64 + 1, "{case}");
    }
    assert_eq!(closed_by(&mock, "idle_timeout"), 0);
    assert_eq!(mock.control().dump_bytes(DEFAULT_CORPID).expect("dump"), before);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(400);
    let mock = mock_with(NEVER * 10, idle, NEVER * 10).await;
    let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
    assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"));
    let answered = Instant::now();
    assert_eq!(read_until_closed(&mut stream, NEVER).await.as_deref(), Some(&b""[..]));
    assert!(answered.elapsed() >= idle - Duration::from_millis(50), "not before the idle timeout");
    assert_eq!(closed_by(&mock, "idle_timeout"), 1);
    assert_eq!(closed_by(&mock, "header_timeout"), 0);
}

#[tokio::test]
async fn a_keep_alive_connection_waits_for_the_idle_timeout_not_the_header_timeout() {
    // The header timeout is the shorter one: an idle connection must outlive it.
    let mock = mock_with(Duration::from_millis(200), Duration::from_millis(1500), NEVER * 10).await;
    let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
    assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"), "still open after 3 header timeouts");
    assert_eq!(closed_by(&mock, "header_timeout") + closed_by(&mock, "idle_timeout"), 0);
}

#[tokio::test]
async fn a_head_begun_on_a_keep_alive_connection_gets_the_header_timeout() {
    let header = Duration::from_millis(300);
    let mock = mock_with(header, NEVER * 10, NEVER * 10).await;
    let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
    assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"));
    stream.write_all(b"GET /healthz HTTP/1.1\r\n").await.expect("half a head");
    assert_eq!(read_until_closed(&mut stream, NEVER).await.as_deref(), Some(&b""[..]));
    assert_eq!(closed_by(&mock, "header_timeout"), 1);
    assert_eq!(closed_by(&mock, "idle_timeout"), 0);
}

#[tokio::test]
async fn zero_turns_every_timeout_off() {
    let mock = mock_with(Duration::ZERO, Duration::ZERO, Duration::ZERO).await;
    let mut silent = TcpStream::connect(mock.address()).await.expect("connect");
    let mut idle = TcpStream::connect(mock.address()).await.expect("connect");
    assert!(exchange(&mut idle, HEALTHZ).await.starts_with("HTTP/1.1 200"));
    let mut half = TcpStream::connect(mock.address()).await.expect("connect");
    half.write_all(b"GET /healthz HTTP/1.1\r\n").await.expect("half a head");
    for stream in [&mut silent, &mut idle, &mut half] {
        assert_eq!(read_until_closed(stream, Duration::from_millis(700)).await, None, "still open");
    }
    assert!(exchange(&mut idle, HEALTHZ).await.starts_with("HTTP/1.1 200"));
}

/// Sends `head` and the first byte of its body, then one more byte every 100 ms, until the
/// mock answers and closes; the answer.
async fn trickle(mock: &MockServer, head: &str) -> String {
    let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(b"{").await.expect("first byte");
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < NEVER, "no answer to a trickling body: {}", String::from_utf8_lossy(&all));
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return String::from_utf8_lossy(&all).into_owned(),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
            // A write after the mock closed may fail: the answer is what was read by then.
            Err(_) => {
                if stream.write_all(b" ").await.is_err() {
                    return String::from_utf8_lossy(&all).into_owned();
                }
            }
        }
    }
}

/// What an answer's JSON body must carry.
type Check = fn(&Value);

fn json_body(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|err| panic!("a JSON body ({err}): {answer}"))
}

#[tokio::test]
async fn a_trickling_body_is_answered_408_and_closed_without_changing_anything() {
    let mock = mock_with(NEVER * 10, NEVER * 10, Duration::from_millis(500)).await;
    let token = {
        let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
        let request = format!(
            "GET {}?corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET} HTTP/1.1\r\nHost: mock\r\n\r\n",
            Api::GetToken.path()
        );
        let answer = exchange(&mut stream, request.as_bytes()).await;
        json_body(&answer)["access_token"].as_str().expect("a token").to_owned()
    };
    let before = mock.control().dump_bytes(DEFAULT_CORPID).expect("dump");
    let add = format!("{}?access_token={token}", Api::AddContactWay.path());
    // (case, path, what the answer must carry)
    let cases: [(&str, &str, Check); 3] = [
        ("a WeCom path", &add, |body| {
            assert_eq!(body["errcode"], 40058, "{body}");
            assert!(body["errmsg"].as_str().unwrap_or_default().contains("--body-timeout (500ms)"), "{body}");
        }),
        ("an unknown path", "/cgi-bin/nope", |body| assert_eq!(body["errcode"], 40058, "{body}")),
        ("the control surface", "/__admin/scan", |body| {
            assert_eq!(body["error"], "body_timeout", "{body}");
            assert!(body["message"].as_str().unwrap_or_default().contains("--body-timeout (500ms)"), "{body}");
        }),
    ];
    for (i, (case, path, check)) in cases.into_iter().enumerate() {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        );
        let answer = trickle(&mock, &head).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{case}: {answer}");
        assert!(answer.to_ascii_lowercase().contains("connection: close"), "{case}: {answer}");
        check(&json_body(&answer));
        assert_eq!(closed_by(&mock, "body_timeout"), i as u64 + 1, "{case}");
    }
    assert_eq!(mock.control().dump_bytes(DEFAULT_CORPID).expect("dump"), before);
}

#[tokio::test]
async fn a_body_that_arrives_in_time_is_served() {
    let mock = mock_with(NEVER * 10, NEVER * 10, Duration::from_millis(800)).await;
    let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
    let body = br#"{"corpid":"wwmock0000000001","config_id":"0123456789abcdef0123456789abcdef"}"#;
    let head = format!("POST /__admin/scan HTTP/1.1\r\nHost: mock\r\nContent-Length: {}\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await.expect("head");
    for chunk in body.chunks(body.len() / 3 + 1) {
        tokio::time::sleep(Duration::from_millis(150)).await;
        stream.write_all(chunk).await.expect("a piece of the body");
    }
    // Served (an unknown config), not timed out.
    let answer = exchange(&mut stream, b"").await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert_eq!(closed_by(&mock, "body_timeout"), 0);
}

#[tokio::test]
async fn beyond_the_cap_a_connection_gets_503_and_the_open_ones_keep_working() {
    let mock = MockServerBuilder::default().max_connections(3).start().await;
    let before = mock.control().dump_bytes(DEFAULT_CORPID).expect("dump");
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
        assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"));
        open.push(stream);
    }
    until_open(&mock, 3).await;
    let mut refused = TcpStream::connect(mock.address()).await.expect("the kernel still accepts");
    refused.write_all(HEALTHZ).await.expect("send");
    let answer = String::from_utf8(read_until_closed(&mut refused, NEVER).await.expect("closed")).expect("text");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let body = json_body(&answer);
    assert_eq!(body["error"], "too_many_connections", "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("--max-connections"), "{body}");
    assert_eq!(metric(&mock, "wecom_mock_connections_refused_total"), 1);
    for stream in &mut open {
        assert!(exchange(stream, HEALTHZ).await.starts_with("HTTP/1.1 200"), "an open connection keeps answering");
    }
    assert_eq!(mock.control().dump_bytes(DEFAULT_CORPID).expect("dump"), before);
}

#[tokio::test]
async fn once_the_flood_is_gone_fresh_connections_are_served_again() {
    let mock = MockServerBuilder::default().max_connections(5).start().await;
    let mut flood = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
        assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"));
        flood.push(stream);
    }
    until_open(&mock, 5).await;
    let mut refused = TcpStream::connect(mock.address()).await.expect("connect");
    assert!(exchange(&mut refused, HEALTHZ).await.starts_with("HTTP/1.1 503"));
    drop(flood);
    until_open(&mock, 0).await;
    let mut fresh = TcpStream::connect(mock.address()).await.expect("connect");
    assert!(exchange(&mut fresh, HEALTHZ).await.starts_with("HTTP/1.1 200"));
    assert_eq!(metric(&mock, "wecom_mock_connections_refused_total"), 1);
}

#[tokio::test]
async fn the_metrics_show_open_connections_and_the_cap() {
    let mock = MockServerBuilder::default().max_connections(50).start().await;
    let mut streams = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(mock.address()).await.expect("connect");
        assert!(exchange(&mut stream, HEALTHZ).await.starts_with("HTTP/1.1 200"));
        streams.push(stream);
    }
    until_open(&mock, 4).await;
    assert_eq!(metric(&mock, "wecom_mock_limit{limit=\"connections\"}"), 50);
    for reason in ["header_timeout", "idle_timeout", "body_timeout"] {
        assert_eq!(closed_by(&mock, reason), 0, "{reason}");
    }
    assert_eq!(metric(&mock, "wecom_mock_connections_refused_total"), 0);
}
