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
