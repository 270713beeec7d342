//! The mock's handling end to end: one in-process `MockServer`, and each input becomes a raw
//! HTTP request (a path of every API or admin route, a method, a query string, a body). Every
//! answer must be HTTP with a WeCom envelope on WeCom paths and a JSON error on admin ones; a
//! panic anywhere in the server aborts the run (libFuzzer's panic hook).

#![no_main]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use wecom_mock::MockServer;
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

const ADMIN: &[&str] = &[
    "/__admin/reset",
    "/__admin/corps",
    "/__admin/corps/wwmock0000000001",
    "/__admin/corps/wwmock0000000001/quotas",
    "/__admin/clock",
    "/__admin/scan",
    "/__admin/join",
    "/__admin/messages",
    "/__admin/tenants",
    "/healthz",
    "/nothing",
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE"];

struct Target {
    _runtime: tokio::runtime::Runtime,
    _mock: MockServer,
    addr: std::net::SocketAddr,
    token: String,
    conn: Mutex<Option<TcpStream>>,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        let mock = runtime.block_on(MockServer::builder().seed(1).start());
        let addr = mock.address();
        let mut t = Target { _runtime: runtime, _mock: mock, addr, token: String::new(), conn: Mutex::new(None) };
        let path = format!("{}?corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET}", Api::GetToken.path());
        let (_, body) = send(&t, "GET", &path, b"").expect("gettoken answers");
        let answer: serde_json::Value = serde_json::from_slice(&body).expect("json");
        t.token = answer["access_token"].as_str().expect("a token").to_owned();
        t
    })
}

/// One request on the kept-alive connection (reopened when the server closed it).
fn send(t: &Target, method: &str, path_and_query: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut guard = t.conn.lock().ok()?;
    for _ in 0..2 {
        if guard.is_none() {
            let stream = TcpStream::connect(t.addr).ok()?;
            // Without it Nagle and delayed ACKs cost ~40 ms a request.
            stream.set_nodelay(true).ok()?;
            *guard = Some(stream);
        }
        let stream = guard.as_mut()?;
        let mut request =
            format!("{method} {path_and_query} HTTP/1.1\r\nHost: fuzz\r\nContent-Length: {}\r\n\r\n", body.len())
                .into_bytes();
        request.extend_from_slice(body);
        if stream.write_all(&request).is_err() {
            *guard = None;
            continue;
        }
        match read_response(stream) {
            Some(answer) => return Some(answer),
            None => *guard = None,
        }
    }
    None
}

fn read_response(stream: &mut TcpStream) -> Option<(u16, Vec<u8>)> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((status, body))
}

/// Percent-encodes what may not stand in a request line.
fn encode_query(bytes: &[u8]) -> String {
    let mut out = String::new();
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~&=%+*!".contains(b) {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let t = target();
    let Some((&selector, rest)) = data.split_first() else { return };
    let Some((&method, rest)) = rest.split_first() else { return };
    let apis = Api::ALL.len();
    let path = match usize::from(selector) % (apis + ADMIN.len()) {
        i if i < apis => Api::ALL[i].path(),
        i => ADMIN[i - apis],
    };
    let method = METHODS[usize::from(method) % METHODS.len()];
    let split = rest.iter().position(|b| *b == 0).unwrap_or(0);
    let (query, body) = rest.split_at(split);
    let query = format!("access_token={}&{}", t.token, encode_query(query));
    let Some((status, answer)) = send(t, method, &format!("{path}?{query}"), body.get(1..).unwrap_or_default()) else {
        panic!("no answer to {method} {path}");
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&answer).ok();
    if path.starts_with("/cgi-bin/") {
        let json = json.unwrap_or_else(|| panic!("{status}: not JSON: {answer:?}"));
        assert!(json["errcode"].is_i64() && json["errmsg"].is_string(), "not an envelope: {json}");
    } else if path.starts_with("/__admin") && status >= 400 {
        let json = json.unwrap_or_else(|| panic!("{status}: admin error not JSON: {answer:?}"));
        assert!(json["error"].is_string(), "not an admin error: {json}");
        assert!(status < 500 || status == 503, "{status}: {json}");
    }
});
