//! Wire fidelity: envelopes, errmsg shape, body limits, unknown paths and fields.

use serde_json::{Value, json};
use wecom_mock::MAX_BODY_BYTES;
use wecom_types::Api;

use super::support::Wecom;

async fn raw_post(wecom: &Wecom, path: &str, body: Vec<u8>) -> (u16, Value) {
    let url = format!("{}{path}?access_token={}", wecom.mock.uri(), wecom.token);
    let response = wecom.http.post(url).body(body).send().await.expect("reaches the mock");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON, never HTML"))
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_with_a_wecom_envelope() {
    let wecom = Wecom::start().await;
    let (status, body) = raw_post(&wecom, Api::AddContactWay.path(), vec![b' '; MAX_BODY_BYTES + 1]).await;
    assert_eq!(status, 413);
    assert_eq!(body["errcode"], 40058);
}

/// A client that sends its whole body before reading the answer, as Python's `http.client` (and
/// so `requests`, `urllib`, wechatpy) does: it prints each answer's status and body, one JSON per
/// line, all on one connection.
const PYTHON_CLIENT: &str = r#"
import http.client, json, sys
host, port = sys.argv[1], int(sys.argv[2])
conn = http.client.HTTPConnection(host, port, timeout=60)
for method, path, size in json.loads(sys.argv[3]):
    body = b'{"x":"' + b'y' * size + b'"}' if size else None
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    print(json.dumps({"status": answer.status, "body": answer.read().decode()}), flush=True)
"#;

/// Runs [`PYTHON_CLIENT`] with `calls` against `base`; its answers. (Off the test's runtime
/// thread: the mock it calls runs there.)
async fn python_calls(base: &str, calls: &Value) -> Vec<Value> {
    let address = base.trim_start_matches("http://");
    let (host, port) = address.rsplit_once(':').expect("host:port");
    let args = [PYTHON_CLIENT.to_owned(), host.to_owned(), port.to_owned(), calls.to_string()];
    let run = move || std::process::Command::new("python3").arg("-c").args(&args).output();
    let out =
        tokio::task::spawn_blocking(run).await.expect("joined").expect("python3 runs (the test machine has Python 3)");
    assert!(out.status.success(), "the Python client failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

#[tokio::test]
async fn python_http_client_sending_3_mb_reads_the_413_envelope_and_the_connection_goes_on() {
    let wecom = Wecom::start().await;
    let add = format!("{}?access_token={}", Api::AddContactWay.path(), wecom.token);
    let calls = json!([["POST", add, 3_000_000], ["POST", "/__admin/tenants", 5_000_000], ["GET", "/healthz", 0]]);
    let answers = python_calls(&wecom.mock.uri(), &calls).await;
    assert_eq!(answers.len(), 3, "{answers:?}");
    assert_eq!(answers[0]["status"], 413);
    let envelope: Value = serde_json::from_str(answers[0]["body"].as_str().expect("text")).expect("an envelope");
    assert_eq!(envelope["errcode"], 40058, "{envelope}");
    assert_eq!(answers[1]["status"], 413);
    let admin: Value = serde_json::from_str(answers[1]["body"].as_str().expect("text")).expect("the admin shape");
    assert_eq!(admin["error"], "body_too_large", "{admin}");
    assert_eq!(answers[2]["status"], 200, "the same connection keeps serving");
    assert!(wecom.mock.control().dump(wecom.mock.corpid()).expect("dump").contact_ways.is_empty(), "nothing added");
}

#[tokio::test]
async fn a_body_beyond_the_drain_bound_is_answered_and_its_connection_closed() {
    let wecom = Wecom::start().await;
    let url = format!("{}{}?access_token={}", wecom.mock.uri(), Api::AddContactWay.path(), wecom.token);
    let declared = wecom_mock::DRAIN_BYTES + 1;
    // Only the head is sent: the answer must not wait for a body it will never read.
    let (mut stream, head) = {
        let address = wecom.mock.address();
        let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
        let path = url.trim_start_matches(&wecom.mock.uri());
        (stream, format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {declared}\r\n\r\n"))
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(head.as_bytes()).await.expect("head sent");
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered and closed at once")
        .expect("read");
    let text = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(text.starts_with("http/1.1 413"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains("\"errcode\":40058"), "{text}");
}

#[tokio::test]
async fn an_unknown_path_gets_a_json_404() {
    let wecom = Wecom::start().await;
    let (status, body) = raw_post(&wecom, "/cgi-bin/externalcontact/nope", b"{}".to_vec()).await;
    assert_eq!(status, 404);
    assert_eq!(body["errcode"], 404);
    assert!(body["errmsg"].as_str().is_some_and(|m| m.starts_with("api not found")));
}

#[tokio::test]
async fn a_wrong_type_is_40058_naming_the_field_with_field_info() {
    let wecom = Wecom::start().await;
    let body = wecom.call(Api::AddContactWay, json!({"type":1,"scene":2,"user":"zhangsan"})).await;
    assert_eq!(body["errcode"], 40058);
    assert!(body["errmsg"].as_str().is_some_and(|m| m.starts_with("field `user` expect type `array`")), "{body}");
    assert_eq!(body["field_info"], json!([]));
}

#[tokio::test]
async fn malformed_json_is_40058() {
    let wecom = Wecom::start().await;
    for bad in [&b"{"[..], b"", b"[1,2]", b"null", b"\xff\xfe{}"] {
        let (status, body) = raw_post(&wecom, Api::AddContactWay.path(), bad.to_vec()).await;
        assert_eq!((status, body["errcode"].as_i64()), (200, Some(40058)), "{bad:?}");
    }
}

#[tokio::test]
async fn unknown_request_fields_are_ignored() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"future_field":{"x":[1]}})).await;
    assert!(wecom.get(&id).await.get("future_field").is_none());
}

#[tokio::test]
async fn errmsg_has_the_real_shape() {
    let wecom = Wecom::start().await;
    let body = wecom.call_with(Api::ListContactWay, Some("bogus"), &json!({})).await;
    let msg = wecom_types::ErrMsg::parse(body["errmsg"].as_str().expect("errmsg"));
    assert_eq!(msg.phrase, "invalid access_token");
    assert!(msg.hint.is_some_and(|h| h.split('_').count() == 3));
    assert_eq!(msg.from_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(msg.more_info.as_deref(), Some("https://open.work.weixin.qq.com/devtool/query?e=40014"));
}

#[tokio::test]
async fn success_answers_start_with_errcode_0_and_ok() {
    let wecom = Wecom::start().await;
    let url = format!("{}{}?access_token={}", wecom.mock.uri(), Api::ListContactWay.path(), wecom.token);
    let response = wecom.http.post(url).body("{}").send().await.expect("reaches the mock");
    assert!(response.headers()["content-type"].to_str().is_ok_and(|t| t.starts_with("application/json")));
    let text = response.text().await.expect("body");
    assert!(text.starts_with(r#"{"errcode":0,"errmsg":"ok""#), "{text}");
}

/// Reads one HTTP/1.1 response with a Content-Length body; returns its status line.
async fn read_response(stream: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> String {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    let mut status = String::new();
    stream.read_line(&mut status).await.expect("status line");
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await.expect("header");
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().expect("a length");
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.expect("body");
    status.trim().to_owned()
}

#[tokio::test]
async fn a_404_keeps_the_connection_open_for_the_next_request() {
    use tokio::io::AsyncWriteExt;
    let wecom = Wecom::start().await;
    let stream = tokio::net::TcpStream::connect(wecom.mock.address()).await.expect("connect");
    let mut stream = tokio::io::BufReader::new(stream);
    // Large enough that it is not already in hyper's read buffer when the answer is ready.
    let body = format!("{{\"some\":\"{}\"}}", "x".repeat(256 * 1024));
    let first = format!("POST /cgi-bin/nope HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    stream.get_mut().write_all(first.as_bytes()).await.expect("write");
    assert!(read_response(&mut stream).await.contains("404"));
    stream.get_mut().write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    assert!(read_response(&mut stream).await.contains("200"), "the same connection serves the next request");
}

#[tokio::test]
async fn a_chunked_body_in_several_frames_is_read_whole() {
    use tokio::io::AsyncWriteExt;
    let wecom = Wecom::start().await;
    let stream = tokio::net::TcpStream::connect(wecom.mock.address()).await.expect("connect");
    let mut stream = tokio::io::BufReader::new(stream);
    let path = format!("{}?access_token={}", Api::AddContactWay.path(), wecom.token);
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    stream.get_mut().write_all(head.as_bytes()).await.expect("write");
    for part in [r#"{"type":1,"scene":2,"#, r#""user":["zhangsan"],"state":"chunked"}"#] {
        let chunk = format!("{:x}\r\n{part}\r\n", part.len());
        stream.get_mut().write_all(chunk.as_bytes()).await.expect("write");
        stream.get_mut().flush().await.expect("flush");
        tokio::task::yield_now().await;
    }
    stream.get_mut().write_all(b"0\r\n\r\n").await.expect("write");
    assert!(read_response(&mut stream).await.contains("200"));
    let dump = wecom.mock.control().dump(wecom.mock.corpid()).expect("dump");
    assert_eq!(dump.contact_ways.len(), 1, "the two chunks made one request");
    assert_eq!(dump.contact_ways[0].contact_way.state.as_deref(), Some("chunked"));
}
