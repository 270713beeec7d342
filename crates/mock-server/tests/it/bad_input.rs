//! Bad input never hurts: arbitrary bytes, deep and huge JSON, wrong types, invalid UTF-8, huge
//! arrays and strings and odd query strings, sent to every WeCom path and every admin path.
//! Every answer is a WeCom envelope (or an admin JSON error, or a clean HTTP error), the server
//! keeps serving, and a rejected request changes nothing.
//!
//! `WECOM_BAD_INPUT_CASES` raises the number of cases (default 256).

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use wecom_mock::MockServer;
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

const ADMIN_PATHS: &[&str] = &[
    "/__admin",
    "/__admin/reset",
    "/__admin/corps",
    "/__admin/corps/wwmock0000000001",
    "/__admin/corps/wwnotthere",
    "/__admin/corps/wwmock0000000001/quotas",
    "/__admin/corps/wwmock0000000001/tokens/revoke",
    "/__admin/corps/wwmock0000000001/hygiene",
    "/__admin/clock",
    "/__admin/scan",
    "/__admin/join",
    "/__admin/messages",
    "/__admin/tenants",
    "/__admin/faults",
    "/__admin/requests",
];

const FIELDS: &[&str] = &[
    "type",
    "scene",
    "style",
    "remark",
    "skip_verify",
    "state",
    "user",
    "party",
    "is_temp",
    "expires_in",
    "chat_expires_in",
    "unionid",
    "is_exclusive",
    "conclusions",
    "config_id",
    "start_time",
    "end_time",
    "cursor",
    "limit",
    "chat_id_list",
    "auto_create_room",
    "room_base_name",
    "room_base_id",
    "mark_source",
    "userid",
    "external_userid",
    "chat_id",
    "corpid",
    "corpsecret",
    "set",
    "advance",
    "real",
    "name",
    "apps",
    "members",
];

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(FIELDS).prop_map(str::to_owned),
        1 => vec(any::<char>(), 0..12).prop_map(String::from_iter),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        vec(any::<char>(), 0..40).prop_map(|c| Value::from(String::from_iter(c))),
        Just(json!("zhangsan")),
        Just(json!("wrmockchat0001")),
        Just(json!(["zhangsan", "lisi"])),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(field(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Request bodies, from plausible to hostile.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => btree_map(field(), json_value(), 0..8)
            .prop_map(|m| serde_json::to_vec(&Value::Object(m.into_iter().collect())).unwrap_or_default()),
        2 => vec(any::<u8>(), 0..600),
        1 => (1usize..200_000, any::<bool>()).prop_map(|(depth, arrays)| {
            let (open, close) = if arrays { ("[", "]") } else { ("{\"a\":", "}") };
            let mut out = open.repeat(depth);
            out.push('1');
            out.push_str(&close.repeat(depth));
            out.into_bytes()
        }),
        1 => (0usize..900_000).prop_map(|n| format!(r#"{{"type":1,"scene":2,"state":"{}"}}"#, "x".repeat(n)).into_bytes()),
        1 => (0usize..60_000).prop_map(|n| {
            let users = vec!["\"zhangsan\""; n].join(",");
            format!(r#"{{"type":2,"scene":2,"user":[{users}],"party":[{}]}}"#, vec!["1"; n].join(",")).into_bytes()
        }),
        1 => vec(any::<u8>(), 0..40).prop_map(|junk| {
            let mut out = br#"{"type":1,"scene":2,"user":["zhangsan"],"state":""#.to_vec();
            out.extend(junk.iter().map(|b| b | 0x80));
            out.extend_from_slice(br#""}"#);
            out
        }),
        1 => Just(vec![b' '; wecom_mock::MAX_BODY_BYTES + 1]),
    ]
}

/// Query strings: the token, twice, missing, percent junk, very long.
fn query() -> impl Strategy<Value = String> {
    let odd = vec(
        proptest::sample::select(&['a', 'z', '0', '%', '&', '=', '+', '.', '-', '_', '~', '!', '*', 'F', 'G'][..]),
        0..200,
    )
    .prop_map(String::from_iter);
    prop_oneof![
        4 => Just("access_token=TOKEN".to_owned()),
        1 => Just("access_token=TOKEN&access_token=other".to_owned()),
        1 => Just(String::new()),
        1 => odd.clone(),
        1 => odd.prop_map(|junk| format!("access_token=TOKEN&{junk}")),
        1 => Just(format!("corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET}&x=%ZZ")),
        1 => (0usize..20_000).prop_map(|n| format!("access_token=TOKEN&cursor={}", "9".repeat(n))),
        1 => Just("config_id=&external_userid=%00%ff&access_token=TOKEN".to_owned()),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    method: reqwest::Method,
    path: String,
    query: String,
    body: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    let mut paths: Vec<String> = Api::ALL.iter().map(|api| api.path().to_owned()).collect();
    paths.extend(ADMIN_PATHS.iter().map(|p| (*p).to_owned()));
    paths.extend(["/healthz", "/metrics", "/cgi-bin/nothing", "/"].map(str::to_owned));
    let methods = [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE];
    (proptest::sample::select(methods.to_vec()), proptest::sample::select(paths), query(), body())
        .prop_map(|(method, path, query, body)| Case { method, path, query, body })
}

/// Everything a client can see of the state: every corp's dump.
async fn state(http: &reqwest::Client, mock: &MockServer) -> Vec<(String, Vec<u8>)> {
    let corps: Value =
        http.get(format!("{}/__admin/corps", mock.uri())).send().await.expect("reachable").json().await.expect("json");
    let mut out = Vec::new();
    for corp in corps["corps"].as_array().into_iter().flatten() {
        let corpid = corp["corpid"].as_str().unwrap_or_default().to_owned();
        let dump = mock.control().dump_bytes(&corpid).unwrap_or_default();
        out.push((corpid, dump));
    }
    out
}

async fn token(http: &reqwest::Client, mock: &MockServer) -> String {
    let url = format!("{}{}?corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET}", mock.uri(), Api::GetToken.path());
    let answer: Value = http.get(url).send().await.expect("reachable").json().await.expect("json");
    answer["access_token"].as_str().unwrap_or_default().to_owned()
}

/// Sends one case and checks the answer; returns whether the request was rejected.
async fn check(mock: &MockServer, token: &str, case: &Case) -> Result<bool, TestCaseError> {
    let query = case.query.replace("TOKEN", token);
    let url = format!("{}{}?{query}", mock.uri(), case.path);
    // A connection of its own for every case: the server may answer an early error (413, an
    // unknown path) without reading the body and then close the connection, which a shared pool
    // would hand to the next request.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("a client");
    let unread = case.body.len() as u64 > wecom_mock::DRAIN_BYTES;
    let response = match client.request(case.method.clone(), &url).body(case.body.clone()).send().await {
        Ok(response) => response,
        // Beyond the drain bound the server answers 413 at once and closes without reading the
        // rest, so the client may only see its write fail. Anything else unanswered is a bug.
        Err(_) if unread => return Ok(true),
        Err(e) => return Err(TestCaseError::fail(format!("no answer (did it panic?): {e:?}"))),
    };
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| TestCaseError::fail(format!("body cut: {e}")))?;
    let body: Option<Value> = serde_json::from_slice(&bytes).ok();
    let is_admin = case.path.starts_with("/__admin");
    if case.path == "/healthz" {
        prop_assert_eq!(status, 200);
        return Ok(false);
    }
    if case.path == "/metrics" && status == 200 {
        return Ok(false);
    }
    if !is_admin {
        let body = body.ok_or_else(|| TestCaseError::fail(format!("not JSON: {bytes:?}")))?;
        prop_assert!([200, 404, 413].contains(&status), "status {}", status);
        prop_assert!(body["errcode"].is_i64(), "no errcode: {}", body);
        prop_assert!(body["errmsg"].is_string(), "no errmsg: {}", body);
        return Ok(body["errcode"] != 0);
    }
    prop_assert!(status < 500, "admin answered {}: {:?}", status, body);
    if status >= 400 {
        let body = body.ok_or_else(|| TestCaseError::fail(format!("admin error not JSON: {bytes:?}")))?;
        prop_assert!(body["error"].is_string() && body["message"].is_string(), "admin error shape: {}", body);
        return Ok(true);
    }
    Ok(false)
}

#[test]
fn bad_input_never_breaks_the_mock_and_a_rejected_request_changes_nothing() {
    let cases = std::env::var("WECOM_BAD_INPUT_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mock = runtime.block_on(MockServer::builder().seed(5).start());
    let http = reqwest::Client::new();
    let token = std::cell::RefCell::new(runtime.block_on(token(&http, &mock)));
    let rejected = std::cell::Cell::new(0u32);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        runtime.block_on(async {
            let before = state(&http, &mock).await;
            let current = token.borrow().clone();
            let was_rejected = check(&mock, &current, &case).await?;
            let health = http.get(format!("{}/healthz", mock.uri())).send().await;
            prop_assert!(health.is_ok_and(|r| r.status() == 200), "the server stopped serving");
            let after = state(&http, &mock).await;
            if was_rejected {
                rejected.set(rejected.get() + 1);
                prop_assert!(before == after, "a rejected {} {} changed the state", case.method, case.path);
            } else if before != after || case.path.starts_with("/__admin") {
                // An accepted change (a reset, a put, a revoke…): start the next case clean.
                let _ = mock.control().reset(None);
                *token.borrow_mut() = self::token(&http, &mock).await;
            }
            Ok(())
        })
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    eprintln!("bad input: {cases} cases, {} rejected, none changed anything", rejected.get());
}
