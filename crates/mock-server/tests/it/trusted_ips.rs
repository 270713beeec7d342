//! Trusted IPs (contact-way-api.md §2): a call with the token of an app that lists
//! `trusted_ips`, from another address, answers 60020 naming the address, right after the token
//! check, and changes nothing; gettoken is not refused; `X-Forwarded-For` counts only from the
//! proxies of `--trust-forwarded-for`.

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::MockServer;
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID, DEFAULT_SECRET, Fixtures};
use wecom_types::Api;

use super::crash::Binary;
use super::durability::{Http, TempDir};

fn corp_trusting(entries: &[&str]) -> CorpFixture {
    let mut corp = CorpFixture::default_corp();
    corp.apps[0].trusted_ips = Some(entries.iter().map(|e| (*e).to_owned()).collect());
    corp
}

async fn mock_trusting(entries: &[&str], proxies: Option<&str>) -> MockServer {
    let mut builder = MockServer::builder().fixtures(Fixtures { corps: vec![corp_trusting(entries)] });
    if let Some(proxies) = proxies {
        let proxies = wecom_mock::fixtures::parse_trusted(proxies).expect("an address or CIDR block");
        builder = builder.trust_forwarded_for(proxies);
    }
    builder.start().await
}

/// A list call with `token`, with an `X-Forwarded-For` header when given.
async fn list(http: &Http, token: &str, forwarded: Option<&str>) -> Value {
    let url = format!("{}{}?access_token={token}", http.base, Api::ListContactWay.path());
    let mut request = http.client.post(url).body("{}");
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    request.send().await.expect("reachable").json().await.expect("json")
}

fn assert_refused(answer: &Value, address: &str, what: &str) {
    assert_eq!(answer["errcode"], 60020, "{what}: {answer}");
    let errmsg = answer["errmsg"].as_str().unwrap_or_default();
    assert!(errmsg.starts_with("not allow to access from your ip"), "{what}: {errmsg}");
    assert!(errmsg.contains(&format!("from ip: {address},")), "{what}: names {address}: {errmsg}");
}

#[tokio::test]
async fn a_call_from_outside_the_apps_trusted_ips_answers_60020_naming_the_address_and_changes_nothing() {
    let cases: [(&[&str], i64); 8] = [
        (&["127.0.0.1"], 0),
        (&["127.0.0.0/8"], 0),
        (&["203.0.113.7", "127.0.0.1/32"], 0),
        (&["::ffff:127.0.0.1"], 0),
        (&["203.0.113.7"], 60020),
        (&["10.0.0.0/8", "::1", "2001:db8::/32"], 60020),
        (&["128.0.0.0/1"], 60020),
        (&[], 60020),
    ];
    for (entries, expected) in cases {
        let mock = mock_trusting(entries, None).await;
        let http = Http::new(mock.uri());
        // gettoken itself is never refused.
        let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        let before = mock.control().dump_bytes(DEFAULT_CORPID).expect("dump");
        let body = json!({"type":1,"scene":2,"user":["zhangsan"]});
        let answer = http.call(Api::AddContactWay, &token, &body).await.expect("add");
        assert_eq!(answer["errcode"], expected, "{entries:?}: {answer}");
        if expected != 0 {
            assert_refused(&answer, "127.0.0.1", &format!("{entries:?}"));
            let after = mock.control().dump_bytes(DEFAULT_CORPID).expect("dump");
            assert_eq!(after, before, "{entries:?}: a refused call changes nothing");
        }
    }
}

#[tokio::test]
async fn trusted_ips_are_checked_right_after_the_token_before_the_permission() {
    let mut corp = corp_trusting(&["203.0.113.7"]);
    corp.apps[0].customer_contact = false;
    let mock = MockServer::builder().fixtures(Fixtures { corps: vec![corp] }).start().await;
    let http = Http::new(mock.uri());
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    assert_refused(&list(&http, &token, None).await, "127.0.0.1", "before 48002");
    let answer = list(&http, "not-a-token", None).await;
    assert_eq!(answer["errcode"], 40014, "the token first: {answer}");
}

#[tokio::test]
async fn apps_without_trusted_ips_are_not_checked() {
    let mut corp = corp_trusting(&["203.0.113.7"]);
    corp.apps[1].customer_contact = true;
    let mock = MockServer::builder().fixtures(Fixtures { corps: vec![corp] }).start().await;
    let http = Http::new(mock.uri());
    let other = http.token(DEFAULT_CORPID, wecom_mock::fixtures::NO_CONTACT_SECRET).await;
    assert_eq!(list(&http, &other, None).await["errcode"], 0);
}

#[tokio::test]
async fn a_malformed_trusted_ips_entry_refuses_the_fixture_naming_it() {
    let mock = MockServer::start().await;
    let http = Http::new(mock.uri());
    for entry in ["10.0.0.300", "10.0.0.0/33", "example.com", "", "2001:db8::/129"] {
        let corp = serde_json::to_value(corp_trusting(&[entry])).expect("JSON");
        let (status, answer) = http.admin(Method::PUT, "/__admin/corps/wwmock0000000001", Some(corp)).await;
        assert_eq!(status, 400, "{entry:?}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("`{entry}`")) && message.contains("trusted_ips"), "{entry:?}: {message}");
    }
    let fixtures = Fixtures { corps: vec![corp_trusting(&["10.0.0.300"])] };
    let refused = MockServer::builder().fixtures(fixtures).try_start().await;
    assert!(refused.is_err(), "the server does not start with a malformed entry");
}

#[tokio::test]
async fn the_forwarded_address_counts_only_from_the_configured_proxy_block() {
    let trusted = ["203.0.113.7", "2001:db8::/32"];
    // (proxy block, X-Forwarded-For, the address judged): the peer is 127.0.0.1.
    let cases = [
        (Some("127.0.0.0/8"), Some("198.51.100.1, 203.0.113.7"), None),
        (Some("127.0.0.1"), Some("2001:db8::5"), None),
        (Some("127.0.0.0/8"), Some("203.0.113.7, 198.51.100.1"), Some("198.51.100.1")),
        (Some("127.0.0.0/8"), Some("2001:db9::1"), Some("2001:db9::1")),
        (Some("127.0.0.0/8"), Some("not an address"), Some("127.0.0.1")),
        (Some("127.0.0.0/8"), None, Some("127.0.0.1")),
        (Some("10.0.0.0/8"), Some("203.0.113.7"), Some("127.0.0.1")),
        (None, Some("203.0.113.7"), Some("127.0.0.1")),
    ];
    for (proxies, forwarded, refused) in cases {
        let mock = mock_trusting(&trusted, proxies).await;
        let http = Http::new(mock.uri());
        let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        let answer = list(&http, &token, forwarded).await;
        let what = format!("proxies {proxies:?}, X-Forwarded-For {forwarded:?}");
        match refused {
            None => assert_eq!(answer["errcode"], 0, "{what}: {answer}"),
            Some(address) => assert_refused(&answer, address, &what),
        }
    }
}

#[tokio::test]
async fn the_hygiene_report_and_metrics_count_60020_answers() {
    let mock = mock_trusting(&["203.0.113.7"], None).await;
    let http = Http::new(mock.uri());
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    for _ in 0..2 {
        assert_eq!(list(&http, &token, None).await["errcode"], 60020);
    }
    let report = mock.control().hygiene(DEFAULT_CORPID).expect("hygiene");
    let finding = report.findings.iter().find(|f| f.code == wecom_mock::api::FindingCode::UntrustedIp);
    let finding = finding.unwrap_or_else(|| panic!("no untrusted_ip finding: {report:?}"));
    assert_eq!((finding.count, finding.request_ids.len()), (2, 2));
    let path = Api::ListContactWay.path();
    let line = format!("wecom_mock_requests_total{{path=\"{path}\",errcode=\"60020\"}} 2");
    assert!(mock.metrics().lines().any(|l| l == line), "{line} in /metrics");
}

#[tokio::test]
async fn an_ipv6_peer_is_judged_by_its_ipv6_address() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this machine: the IPv6 peer is not tried");
        return;
    }
    let dir = TempDir::new("trusted-ipv6");
    std::fs::create_dir_all(dir.path()).expect("dir");
    for (entries, expected) in [(&["::1"][..], 0), (&["::/0"][..], 0), (&["127.0.0.1", "2001:db8::/32"][..], 60020)] {
        let path = dir.path().join("corps.json");
        let fixtures = json!({"corps": [serde_json::to_value(corp_trusting(entries)).expect("JSON")]});
        std::fs::write(&path, fixtures.to_string()).expect("fixtures");
        let fixtures = path.to_str().expect("utf-8").to_owned();
        let binary = Binary::start_on("[::1]:0", &["--fixtures", &fixtures], "warn", std::process::Stdio::inherit());
        let token = binary.http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        let answer = list(&binary.http, &token, None).await;
        assert_eq!(answer["errcode"], expected, "{entries:?}: {answer}");
        if expected != 0 {
            assert_refused(&answer, "::1", &format!("{entries:?}"));
        }
    }
}
