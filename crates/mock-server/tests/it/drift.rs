//! The drift proxy (`wecom-mock --upstream URL`) against upstreams that deviate on purpose: a
//! second mock steered through the proxy (fault rules answering other errcodes), and a small
//! scripted server whose answers drop, rename or retype fields, or throttle. Each planted
//! deviation is reported with its path and field, and nothing else.

use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_mock::{DEFAULT_UPSTREAM_TIMEOUT, DRIFT_HEADER, MockServer, Upstream};
use wecom_types::Api;

/// What a scripted upstream answers for a path: status and body.
type Script = Arc<dyn Fn(&str) -> (u16, String) + Send + Sync>;

/// A request as the scripted upstream received it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Received {
    method: String,
    path_and_query: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// A small HTTP server answering from a script, keeping what it received.
struct Scripted {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scripted {
    async fn start(script: impl Fn(&str) -> (u16, String) + Send + Sync + 'static) -> Scripted {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let script: Script = Arc::new(script);
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (script, kept) = (Arc::clone(&script), Arc::clone(&kept));
                let service = service_fn(move |req: Request<Incoming>| {
                    let (script, kept) = (Arc::clone(&script), Arc::clone(&kept));
                    async move {
                        let method = req.method().to_string();
                        let path_and_query = req.uri().path_and_query().map(|pq| pq.to_string()).unwrap_or_default();
                        let content_type =
                            req.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
                        let path = req.uri().path().to_owned();
                        let body = req.into_body().collect().await.map(|c| c.to_bytes().to_vec()).unwrap_or_default();
                        kept.lock().expect("the log").push(Received { method, path_and_query, content_type, body });
                        let (status, text) = script(&path);
                        let mut response = Response::new(Full::new(Bytes::from(text)));
                        *response.status_mut() = hyper::StatusCode::from_u16(status).expect("a status");
                        response.headers_mut().insert("content-type", "text/plain; charset=utf-8".parse().expect("ok"));
                        response.headers_mut().insert("x-upstream", "scripted".parse().expect("ok"));
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Scripted { addr, received, task }
    }

    fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("the log").clone()
    }
}

/// A proxy in front of `upstream`.
async fn proxy_to(upstream: &str, timeout: Duration) -> MockServer {
    let upstream = Upstream::new(upstream, timeout).expect("a usable upstream");
    MockServer::builder().upstream(upstream).start().await
}

/// The proxy's answer: status, the drift header, the body's bytes.
async fn send(http: &reqwest::Client, method: Method, url: String, body: &str) -> (u16, Option<String>, Bytes) {
    let response = http.request(method, url).body(body.to_owned()).send().await.expect("the proxy answers");
    let status = response.status().as_u16();
    let header = response.headers().get(DRIFT_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, header, response.bytes().await.expect("a body"))
}

async fn drift(http: &reqwest::Client, proxy: &MockServer) -> Value {
    let url = format!("{}/__admin/drift", proxy.uri());
    let response = http.get(url).send().await.expect("the proxy answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("the report is JSON")
}

/// `(kind, path, field)` of every finding.
fn findings(report: &Value) -> Vec<(String, String, Option<String>)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().map(str::to_owned);
            (text("kind").unwrap_or_default(), text("path").unwrap_or_default(), text("field"))
        })
        .collect()
}

fn finding(kind: &str, api: Api, field: Option<&str>) -> (String, String, Option<String>) {
    (kind.to_owned(), api.path().to_owned(), field.map(str::to_owned))
}

/// A mock upstream, a proxy in front of it, and a token got through the proxy.
struct Proxied {
    upstream: MockServer,
    proxy: MockServer,
    http: reqwest::Client,
    token: String,
}

impl Proxied {
    async fn start() -> Proxied {
        let upstream = MockServer::builder().seed(7).start().await;
        let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
        let http = reqwest::Client::new();
        let url = format!("{}/cgi-bin/gettoken?corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET}", proxy.uri());
        let (_, _, answer) = send(&http, Method::GET, url, "").await;
        let answer: Value = serde_json::from_slice(&answer).expect("JSON");
        let token = answer["access_token"].as_str().expect("a token through the proxy").to_owned();
        Proxied { upstream, proxy, http, token }
    }

    async fn call(&self, api: Api, body: &Value) -> (u16, Option<String>, Value) {
        let url = format!("{}{}?access_token={}", self.proxy.uri(), api.path(), self.token);
        let (status, header, bytes) = send(&self.http, Method::POST, url, &body.to_string()).await;
        (status, header, serde_json::from_slice(&bytes).expect("JSON"))
    }

    /// Steers the upstream mock through the proxy's forwarded `/__admin` paths.
    async fn fault(&self, rule: Value) {
        let url = format!("{}/__admin/faults", self.proxy.uri());
        let (status, _, answer) = send(&self.http, Method::POST, url, &rule.to_string()).await;
        assert_eq!(status, 200, "{rule}: {}", String::from_utf8_lossy(&answer));
    }
}

#[tokio::test]
async fn an_unchanged_mock_upstream_gives_no_finding_and_the_answers_of_the_mock() {
    let proxied = Proxied::start().await;
    let added = proxied.call(Api::AddContactWay, &json!({"type": 1, "scene": 2, "user": ["zhangsan"]})).await;
    assert_eq!((added.0, &added.1, &added.2["errcode"]), (200, &None, &json!(0)), "{added:?}");
    let id = added.2["config_id"].clone();
    let calls = [
        (Api::GetContactWay, json!({"config_id": id})),
        (Api::ListContactWay, json!({"limit": 10})),
        (Api::UpdateContactWay, json!({"config_id": id, "remark": "r"})),
        (Api::AddContactWay, json!({"type": 3, "scene": 2})),
        (Api::AddContactWay, json!({"type": "1"})),
        (Api::AddJoinWay, json!({"scene": 2, "chat_id_list": ["wrmockchat0001"]})),
        (Api::ListContactWay, json!({"cursor": "not-one-of-ours"})),
        (Api::DelContactWay, json!({"config_id": id})),
        (Api::GetContactWay, json!({"config_id": id})),
    ];
    for (api, body) in calls {
        let (status, header, answer) = proxied.call(api, &body).await;
        assert_eq!((status, header), (200, None), "{api:?} {body}: {answer}");
    }
    let report = drift(&proxied.http, &proxied.proxy).await;
    assert_eq!(findings(&report), [], "{report}");
    // gettoken and the ten calls above; the proxy holds no corp of its own.
    assert_eq!((report["exchanges"].as_u64(), report["could_not_check"].as_u64()), (Some(11), Some(0)));
    assert!(proxied.proxy.control().corps().expect("corps").is_empty());
    assert_eq!(proxied.upstream.control().dump(DEFAULT_CORPID).expect("a dump").contact_ways.len(), 0);
}

#[tokio::test]
async fn fault_rules_answering_other_errcodes_are_rule_findings_and_nothing_else() {
    let valid = json!({"type": 1, "scene": 2, "user": ["zhangsan"]});
    let bad_type = json!({"type": 3, "scene": 2});
    // (the fault's errcode, the request, the findings expected)
    let cases: &[(i64, &Value, usize)] = &[
        (41041, &valid, 1),    // the mock would accept: the upstream refused for a visible reason
        (41040, &bad_type, 1), // the mock would refuse with 41039
        (41039, &bad_type, 0), // the same refusal
        (60111, &valid, 0),    // the directory: not judged
        (40014, &bad_type, 0), // the token: not judged
        (45009, &valid, 0),    // throttled: could not check
    ];
    for (errcode, body, expected) in cases {
        let proxied = Proxied::start().await;
        proxied.fault(json!({"path": "add_contact_way", "errcode": errcode, "times": 1})).await;
        let (status, header, answer) = proxied.call(Api::AddContactWay, body).await;
        assert_eq!((status, answer["errcode"].as_i64()), (200, Some(*errcode)), "the upstream's answer");
        assert_eq!(header, (*expected > 0).then(|| expected.to_string()), "fault {errcode} on {body}");
        let report = drift(&proxied.http, &proxied.proxy).await;
        let kinds: Vec<_> = findings(&report);
        assert_eq!(kinds.len(), *expected, "fault {errcode} on {body}: {report}");
        assert!(kinds.iter().all(|f| *f == finding("rule", Api::AddContactWay, f.2.as_deref())), "{report}");
        let detail = report["findings"][0]["detail"].as_str().unwrap_or_default();
        if *expected > 0 {
            assert!(detail.contains(&format!("the upstream answered {errcode}")), "{detail}");
        }
    }
}

/// A finding expected: its kind and field.
type Expected = (&'static str, Option<&'static str>);

#[tokio::test]
async fn dropped_renamed_and_retyped_answer_fields_are_shape_findings_with_their_field() {
    let ok = r#""errcode":0,"errmsg":"ok""#;
    // (the API, what the upstream answers, the findings expected)
    let cases: Vec<(Api, String, Vec<Expected>)> = vec![
        (Api::AddContactWay, format!(r#"{{{ok},"qr_code":"u"}}"#), vec![("shape", Some("config_id"))]),
        (
            Api::AddContactWay,
            format!(r#"{{{ok},"configId":"c","qr_code":"u"}}"#),
            vec![("shape", Some("config_id")), ("info", Some("configId"))],
        ),
        (Api::AddContactWay, format!(r#"{{{ok},"config_id":42}}"#), vec![("shape", Some("config_id"))]),
        (
            Api::GetContactWay,
            format!(r#"{{{ok},"contact_way":{{"config_id":"c","type":"1","user":["a"]}}}}"#),
            vec![("shape", Some("contact_way.type"))],
        ),
        (Api::GetContactWay, format!(r#"{{{ok}}}"#), vec![("shape", Some("contact_way"))]),
        (
            Api::ListContactWay,
            format!(r#"{{{ok},"contact_way":[{{"config_id":1}},{{"config_id":2}}],"next_cursor":""}}"#),
            vec![("shape", Some("contact_way[].config_id"))],
        ),
        (Api::DelContactWay, r#"{"errcode":"0","errmsg":"ok"}"#.to_owned(), vec![("shape", Some("errcode"))]),
        (Api::DelContactWay, "<html>busy</html>".to_owned(), vec![("shape", None)]),
        (Api::DelContactWay, format!(r#"{{{ok}}}"#), vec![]),
    ];
    for (api, answer, expected) in cases {
        let scripted_answer = answer.clone();
        let upstream = Scripted::start(move |_| (200, scripted_answer.clone())).await;
        let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
        let http = reqwest::Client::new();
        let url = format!("{}{}?access_token=t", proxy.uri(), api.path());
        let body = r#"{"config_id":"c","type":1,"scene":2,"user":["zhangsan"]}"#;
        let (status, header, bytes) = send(&http, Method::POST, url, body).await;
        assert_eq!((status, bytes.as_ref()), (200, answer.as_bytes()), "byte for byte");
        let expected: Vec<_> = expected.iter().map(|(kind, field)| finding(kind, api, *field)).collect();
        let report = drift(&http, &proxy).await;
        assert_eq!(findings(&report), expected, "{api:?} answered {answer}: {report}");
        let count = (!expected.is_empty()).then(|| expected.len().to_string());
        assert_eq!(header, count, "{api:?} answered {answer}");
    }
}

#[tokio::test]
async fn an_upstream_accepting_what_the_mock_refuses_is_a_rule_finding_naming_the_field() {
    let upstream = Scripted::start(|_| (200, r#"{"errcode":0,"errmsg":"ok","config_id":"c"}"#.to_owned())).await;
    let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
    let http = reqwest::Client::new();
    let url = format!("{}{}?access_token=t", proxy.uri(), Api::AddContactWay.path());
    let (_, header, _) = send(&http, Method::POST, url, r#"{"type":1,"scene":7}"#).await;
    assert_eq!(header.as_deref(), Some("1"));
    let report = drift(&http, &proxy).await;
    assert_eq!(findings(&report), [finding("rule", Api::AddContactWay, Some("scene"))]);
    let detail = report["findings"][0]["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with("the mock would refuse with 41040") && detail.ends_with("answered 0"), "{detail}");
}

#[tokio::test]
async fn the_request_goes_on_unchanged_and_the_answer_comes_back_byte_for_byte() {
    let answer = "{ \"errcode\" : 0,\n \"errmsg\":\"ok\" ,\"config_id\":\"c\"}";
    let upstream = Scripted::start(move |_| (200, answer.to_owned())).await;
    let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
    let http = reqwest::Client::new();
    let path_and_query = format!("{}?access_token=abc&debug=1&x=%E5%AD%97", Api::AddContactWay.path());
    let body = "{\"type\":1, \"scene\":2,\"user\":[\"zhangsan\"]}";
    let response = http
        .post(format!("{}{path_and_query}", proxy.uri()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the proxy answers");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("x-upstream").and_then(|v| v.to_str().ok()), Some("scripted"));
    assert_eq!(response.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/plain; charset=utf-8"));
    assert_eq!(response.bytes().await.expect("a body").as_ref(), answer.as_bytes());
    let received = upstream.received();
    let expected = Received {
        method: "POST".into(),
        path_and_query,
        content_type: Some("application/json".into()),
        body: body.as_bytes().to_vec(),
    };
    assert_eq!(received, [expected]);
    // Other methods and paths, the control surface's included, go on as they came.
    let (status, _, _) = send(&http, Method::DELETE, format!("{}/__admin/corps/ww1?x=1", proxy.uri()), "").await;
    assert_eq!(status, 200);
    let last = upstream.received().pop().expect("forwarded");
    assert_eq!((last.method.as_str(), last.path_and_query.as_str()), ("DELETE", "/__admin/corps/ww1?x=1"));
    assert_eq!(drift(&http, &proxy).await["exchanges"], 1, "only WeCom paths are exchanges");
}

#[tokio::test]
async fn throttled_and_busy_answers_could_not_be_checked() {
    for errcode in [-1, 45009, 45033, 60020] {
        let answer = format!(r#"{{"errcode":{errcode},"errmsg":"busy","unknown":1}}"#);
        let upstream = Scripted::start(move |_| (200, answer.clone())).await;
        let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
        let http = reqwest::Client::new();
        let url = format!("{}{}?access_token=t", proxy.uri(), Api::AddContactWay.path());
        let (status, header, _) = send(&http, Method::POST, url, r#"{"type":3}"#).await;
        assert_eq!((status, header), (200, None), "{errcode}");
        let report = drift(&http, &proxy).await;
        assert_eq!(findings(&report), [], "{errcode}: {report}");
        assert_eq!((report["exchanges"].as_u64(), report["could_not_check"].as_u64()), (Some(1), Some(1)));
    }
    let upstream = Scripted::start(|_| (503, "<html>gateway</html>".to_owned())).await;
    let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
    let http = reqwest::Client::new();
    let (status, _, _) = send(&http, Method::POST, format!("{}{}", proxy.uri(), Api::DelContactWay.path()), "{}").await;
    assert_eq!(status, 503, "the upstream's status is passed on");
    assert_eq!(drift(&http, &proxy).await["could_not_check"], 1);
}

#[tokio::test]
async fn an_unreachable_or_silent_upstream_is_502_with_errcode_minus_1() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("an address")
    };
    // Accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let silent_addr = silent.local_addr().expect("an address");
    let _silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    // Speaks plain HTTP where the proxy expects TLS.
    let plain = Scripted::start(|_| (200, "{}".to_owned())).await;
    let cases = [
        (format!("http://{closed}"), "upstream unreachable: cannot connect"),
        (format!("http://{silent_addr}"), "upstream unreachable: no answer within 300ms (--upstream-timeout)"),
        (format!("https://{}", plain.addr), "upstream unreachable: cannot connect"),
    ];
    for (upstream, expected) in cases {
        let proxy = proxy_to(&upstream, Duration::from_millis(300)).await;
        let http = reqwest::Client::new();
        let url = format!("{}{}?access_token=tok-SECRET-1", proxy.uri(), Api::GetContactWay.path());
        let (status, header, bytes) = send(&http, Method::POST, url, r#"{"config_id":"c"}"#).await;
        let answer: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!((status, header, answer["errcode"].as_i64()), (502, None, Some(-1)), "{upstream}: {answer}");
        let errmsg = answer["errmsg"].as_str().unwrap_or_default();
        assert!(errmsg.starts_with(expected), "{upstream}: {errmsg}");
        assert!(!errmsg.contains("tok-SECRET-1") && !errmsg.contains("access_token"), "{errmsg}");
        let report = drift(&http, &proxy).await;
        assert_eq!((report["exchanges"].as_u64(), report["could_not_check"].as_u64()), (Some(1), Some(1)));
        assert_eq!(findings(&report), []);
    }
}

#[tokio::test]
async fn the_drift_report_is_the_proxys_own_and_clears() {
    let upstream = Scripted::start(|_| (200, r#"{"errcode":0,"errmsg":"ok","extra":1}"#.to_owned())).await;
    let upstream = Upstream::new(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).expect("an upstream");
    let proxy = MockServer::builder().upstream(upstream).admin_token("op").start().await;
    let http = reqwest::Client::new();
    let del = format!("{}{}", proxy.uri(), Api::DelContactWay.path());
    let (_, header, _) = send(&http, Method::POST, del, r#"{"config_id":"c"}"#).await;
    assert_eq!(header.as_deref(), Some("1"));
    let url = format!("{}/__admin/drift", proxy.uri());
    assert_eq!(http.get(&url).send().await.expect("answers").status(), 401, "the proxy's admin token");
    let report: Value =
        http.get(&url).bearer_auth("op").send().await.expect("answers").json().await.expect("the report is JSON");
    assert_eq!(findings(&report), [finding("info", Api::DelContactWay, Some("extra"))]);
    let finding = &report["findings"][0];
    assert!(finding["at"].as_i64().is_some_and(|at| at > 1_700_000_000_000), "{finding}");
    assert_eq!(finding["request_id"], 1);
    let cleared = http.delete(&url).bearer_auth("op").send().await.expect("answers");
    assert_eq!(cleared.status(), 204);
    let report: Value =
        http.get(&url).bearer_auth("op").send().await.expect("answers").json().await.expect("the report is JSON");
    assert_eq!(report, json!({"findings": [], "exchanges": 0, "could_not_check": 0}));
    let metrics = proxy.metrics();
    for line in [
        "wecom_mock_drift_exchanges_total 1",
        "wecom_mock_drift_could_not_check_total 0",
        "wecom_mock_drift_findings_total{kind=\"info\"} 1",
        "wecom_mock_drift_findings_total{kind=\"shape\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    // A mock without --upstream has nothing to report.
    let mock = MockServer::start().await;
    assert_eq!(mock.control().drift().expect("a report"), wecom_mock::api::DriftReport::default());
}

#[tokio::test]
async fn no_secret_or_token_appears_in_the_report_the_logs_or_the_metrics() {
    const SECRET: &str = "corp-SECRET-7f3a";
    const TOKEN: &str = "token-SECRET-9c1e";
    // Every answer deviates, so every exchange is written about.
    let upstream = Scripted::start(|path| {
        if path.ends_with("/gettoken") {
            (200, format!(r#"{{"errcode":0,"errmsg":"ok","access_token":7,"expires_in":"7200","token":"{TOKEN}"}}"#))
        } else {
            (200, format!(r#"{{"errcode":0,"errmsg":"ok","config_id":{{"v":"{TOKEN}"}},"echo":"{SECRET}"}}"#))
        }
    })
    .await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
        .args(["--listen", "127.0.0.1:0", "--upstream", &upstream.uri()])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let first = String::from_utf8(first).expect("utf-8");
    let base = first.rsplit(' ').next().expect("an address").to_owned();
    let http = reqwest::Client::new();
    let calls = [
        (Method::GET, format!("{base}/cgi-bin/gettoken?corpid=ww1&corpsecret={SECRET}"), String::new()),
        (Method::POST, format!("{base}{}?access_token={TOKEN}", Api::AddContactWay.path()), r#"{"type":9}"#.into()),
        (Method::GET, format!("{base}/__admin/corps?access_token={TOKEN}"), String::new()),
    ];
    for (method, url, body) in calls {
        send(&http, method, url, &body).await;
    }
    let report = http.get(format!("{base}/__admin/drift")).send().await.expect("answers").text().await.expect("text");
    let metrics = http.get(format!("{base}/metrics")).send().await.expect("answers").text().await.expect("text");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    let output = child.wait_with_output().expect("the binary exits");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(report.contains("\"kind\":\"rule\"") && report.contains("\"kind\":\"shape\""), "{report}");
    assert!(logs.contains("drift"), "the findings are logged:\n{logs}");
    for (what, text) in [("the report", &report), ("the metrics", &metrics), ("the logs", &logs.to_string())] {
        for secret in [SECRET, TOKEN] {
            assert!(!text.contains(secret), "{secret} in {what}:\n{text}");
        }
    }
}

#[test]
fn state_flags_are_refused_with_upstream() {
    let dir = std::env::temp_dir();
    let dir = dir.to_string_lossy();
    let refused: &[&[&str]] = &[
        &["--fixtures", "corps.json"],
        &["--data-dir", &dir],
        &["--tenant-signup", "open"],
        &["--tenant-ttl", "1h"],
        &["--seed", "7"],
    ];
    for flags in refused {
        let output = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
            .args(["--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"])
            .args(*flags)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("cannot be used with") && stderr.contains("--upstream"), "{flags:?}: {stderr}");
    }
    let from_env = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
        .args(["--listen", "127.0.0.1:0"])
        .env("WECOM_MOCK_UPSTREAM", "http://127.0.0.1:9")
        .env("WECOM_MOCK_SEED", "7")
        .output()
        .expect("runs");
    assert_eq!(from_env.status.code(), Some(2), "the environment counts too");
    for (flags, expected) in [
        (["--upstream", "qyapi.weixin.qq.com"], "is not an http:// or https:// URL"),
        (["--upstream-timeout", "0s"], "above zero"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
            .args(["--listen", "127.0.0.1:0"])
            .args(flags)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains(expected), "{flags:?}");
    }
}

#[tokio::test]
async fn a_body_over_16_mib_is_refused_with_413_and_never_forwarded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = Scripted::start(|_| (200, r#"{"errcode":0,"errmsg":"ok"}"#.to_owned())).await;
    let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
    let over = wecom_mock::MAX_PROXIED_BODY_BYTES + 1;
    for (path, expected) in [(Api::AddContactWay.path(), "\"errcode\":40058"), ("/__admin/corps/ww1", "body_too_large")]
    {
        let mut stream = tokio::net::TcpStream::connect(proxy.address()).await.expect("connects");
        let head = format!("PUT {path} HTTP/1.1\r\nHost: proxy\r\nContent-Length: {over}\r\n\r\n");
        stream.write_all(head.as_bytes()).await.expect("the head is sent");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains(expected), "{path}: {answer}");
    }
    assert_eq!(upstream.received(), [], "nothing reached the upstream");
}

#[tokio::test]
async fn the_documented_answer_of_every_api_has_the_shape_of_its_wire_type() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../types/tests/fixtures");
    let read = |name: String| {
        let text = std::fs::read_to_string(fixtures.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let http = reqwest::Client::new();
    for info in wecom_types::endpoint::API_TABLE {
        let request = read(format!("{}.request.json", info.name));
        let answer = read(format!("{}.response.json", info.name)).to_string();
        let upstream = Scripted::start(move |_| (200, answer.clone())).await;
        let proxy = proxy_to(&upstream.uri(), DEFAULT_UPSTREAM_TIMEOUT).await;
        let mut url = reqwest::Url::parse(&format!("{}{}", proxy.uri(), info.path)).expect("a URL");
        let method = match info.method {
            wecom_types::Method::Get => {
                for (key, value) in request.as_object().into_iter().flatten() {
                    let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                    url.query_pairs_mut().append_pair(key, &value);
                }
                Method::GET
            }
            wecom_types::Method::Post => Method::POST,
        };
        let body = if method == Method::POST { request.to_string() } else { String::new() };
        let (status, _, _) = send(&http, method, url.to_string(), &body).await;
        let report = drift(&http, &proxy).await;
        assert_eq!(status, 200, "{}: {report}", info.name);
        // The documented requests are examples, not all of them valid by the mock's rules (C1's
        // has a type-1 config with three users): only the answers' shape is in question here.
        let about_the_answer: Vec<_> = findings(&report).into_iter().filter(|f| f.0 != "rule").collect();
        assert_eq!(about_the_answer, [], "{}: {report}", info.name);
        assert_eq!(report["exchanges"], 1);
    }
}
