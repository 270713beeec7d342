//! `GET /metrics`: valid Prometheus text that moves as calls are made, without the admin token.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;
use wecom_mock::MockServer;
use wecom_mock::fixtures::DEFAULT_CORPID;
use wecom_types::Api;

use super::durability::TempDir;
use super::support::Wecom;

/// One sample: its name, its labels and its value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Parses `{a="x",b="y\"z"}`; returns the labels and the rest of the line.
fn parse_labels(text: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = text.strip_prefix('{').ok_or("no `{`")?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (name, after) = rest.split_once("=\"").ok_or(format!("no `=\"` in {rest:?}"))?;
        if !is_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => return Err(format!("bad escape {other:?}")),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => return Err("unterminated label value".into()),
            }
        };
        labels.insert(name.to_owned(), value);
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Parses the whole exposition, checking every line: `# HELP`, `# TYPE` or a sample of a
/// declared metric with a number for its value.
fn parse(text: &str) -> Result<(Vec<Sample>, HashMap<String, String>), String> {
    let mut types = HashMap::new();
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if let Some(comment) = line.strip_prefix("# ") {
            let mut parts = comment.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("HELP"), Some(name), Some(_)) if is_name(name) => {}
                (Some("TYPE"), Some(name), Some(kind)) if is_name(name) => {
                    if !["counter", "gauge", "histogram"].contains(&kind) {
                        return Err(at(format!("unknown type {kind}")));
                    }
                    types.insert(name.to_owned(), kind.to_owned());
                }
                _ => return Err(at("a comment that is neither HELP nor TYPE".into())),
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name) {
            return Err(at("bad metric name".into()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(at)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let value = rest.strip_prefix(' ').ok_or_else(|| at("no space before the value".into()))?;
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().map_err(|_| at(format!("value {v:?} is not a number")))?,
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix).filter(|base| types.get(*base).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(name);
        if !types.contains_key(family) {
            return Err(at(format!("sample of undeclared metric {family}")));
        }
        samples.push(Sample { name: name.to_owned(), labels, value });
    }
    Ok((samples, types))
}

async fn scrape(base: &str) -> Vec<Sample> {
    let response = reqwest::get(format!("{base}/metrics")).await.expect("reachable");
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.expect("text");
    match parse(&text) {
        Ok((samples, _)) => samples,
        Err(e) => panic!("invalid exposition: {e}\n{text}"),
    }
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .sum()
}

#[test]
fn the_test_parser_rejects_what_prometheus_would() {
    for bad in [
        "x 1",                             // undeclared
        "# TYPE x counter\nx{a=\"1} 2",    // unterminated label
        "# TYPE x counter\nx one",         // not a number
        "# TYPE x wat\nx 1",               // unknown type
        "# TYPE x counter\nx{1a=\"v\"} 1", // bad label name
        "# something else\n",              // stray comment
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    let (samples, _) = parse("# TYPE x counter\nx{a=\"q\\\"\\\\\",b=\"\"} 3").expect("valid");
    assert_eq!(samples[0].labels["a"], "q\"\\");
}

#[tokio::test]
async fn metrics_are_valid_prometheus_text_and_counters_move_as_calls_are_made() {
    let wecom = Wecom::start().await;
    let base = wecom.mock.uri();
    let get = Api::GetContactWay.path();
    let before = scrape(&base).await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    for _ in 0..3 {
        wecom.get(&id).await;
    }
    let missing = wecom.call(Api::GetContactWay, json!({"config_id": "0".repeat(32)})).await;
    assert_eq!(missing["errcode"], 41044);
    let _ = wecom.http.post(format!("{base}/cgi-bin/nope")).send().await.expect("reachable");
    let after = scrape(&base).await;

    let ok = [("path", get), ("errcode", "0")];
    assert_eq!(value(&after, "wecom_mock_requests_total", &ok) - value(&before, "wecom_mock_requests_total", &ok), 3.0);
    assert_eq!(value(&after, "wecom_mock_requests_total", &[("path", get), ("errcode", "41044")]), 1.0);
    assert_eq!(value(&after, "wecom_mock_requests_total", &[("path", "other"), ("errcode", "404")]), 1.0);
    // The histogram counts every answered get, its buckets are cumulative and end at +Inf.
    let count = value(&after, "wecom_mock_request_duration_seconds_count", &[("path", get)]);
    assert_eq!(count, 4.0);
    let buckets: Vec<f64> = after
        .iter()
        .filter(|s| s.name == "wecom_mock_request_duration_seconds_bucket" && s.labels["path"] == get)
        .map(|s| s.value)
        .collect();
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert_eq!(buckets.last().copied(), Some(count));
    assert!(after.iter().any(|s| s.labels.get("le").map(String::as_str) == Some("+Inf")));
    // Per-corp gauges.
    let corp = [("corpid", DEFAULT_CORPID)];
    assert_eq!(value(&after, "wecom_mock_contact_ways", &corp), 1.0);
    assert_eq!(value(&after, "wecom_mock_join_ways", &corp), 1.0);
    assert_eq!(value(&after, "wecom_mock_quota_used", &[("corpid", DEFAULT_CORPID), ("quota", "contact_ways")]), 2.0);
    assert_eq!(
        value(&after, "wecom_mock_quota_limit", &[("corpid", DEFAULT_CORPID), ("quota", "contact_ways")]),
        f64::from(wecom_types::limits::CONTACT_WAY_QUOTA)
    );
    assert_eq!(value(&after, "wecom_mock_corps", &[]), 1.0);
    assert!(value(&after, "wecom_mock_request_journal_entries", &[]) >= 7.0);
    // No data dir, no journal size.
    assert!(!after.iter().any(|s| s.name == "wecom_mock_journal_bytes"));
}

#[tokio::test]
async fn metrics_never_need_the_admin_token() {
    let mock = MockServer::builder().admin_token("s3cret").start().await;
    let samples = scrape(&mock.uri()).await;
    assert_eq!(value(&samples, "wecom_mock_corps", &[]), 1.0);
    let response = reqwest::get(format!("{}/__admin/corps", mock.uri())).await.expect("reachable");
    assert_eq!(response.status(), 401, "the control surface still does");
}

#[tokio::test]
async fn with_a_data_dir_the_journal_size_is_reported_and_grows() {
    let dir = TempDir::new("metrics");
    let mock = MockServer::builder().data_dir(wecom_mock::DataDir::new(dir.path())).start().await;
    let before = value(&scrape(&mock.uri()).await, "wecom_mock_journal_bytes", &[]);
    let http = super::durability::Http::new(mock.uri());
    let token = http.token(mock.corpid(), mock.secret()).await;
    let answer =
        http.call(Api::AddContactWay, &token, &json!({"type":1,"scene":2,"user":["zhangsan"]})).await.expect("add");
    assert_eq!(answer["errcode"], 0);
    let after = value(&scrape(&mock.uri()).await, "wecom_mock_journal_bytes", &[]);
    assert!(after > before, "{before} → {after}");
}

#[tokio::test]
async fn with_a_data_dir_the_journal_counts_its_records_writes_and_fsyncs() {
    let dir = TempDir::new("metrics-counters");
    let mock = MockServer::builder().data_dir(wecom_mock::DataDir::new(dir.path())).start().await;
    let counter = |samples: &[Sample], name: &str| value(samples, name, &[]);
    let http = super::durability::Http::new(mock.uri());
    let token = http.token(mock.corpid(), mock.secret()).await;
    let add = || async {
        let answer =
            http.call(Api::AddContactWay, &token, &json!({"type":1,"scene":2,"user":["zhangsan"]})).await.expect("add");
        assert_eq!(answer["errcode"], 0);
    };
    // An answered add means the journal has everything before it too (the fixtures' record of
    // the first start): only then are the counters steady.
    add().await;
    let before = scrape(&mock.uri()).await;
    for _ in 0..3 {
        add().await;
    }
    let after = scrape(&mock.uri()).await;
    let grew = |name: &str| counter(&after, name) - counter(&before, name);
    assert_eq!(grew("wecom_mock_journal_records_total"), 3.0, "one record per add");
    // --fsync always: every answered add was fsynced, one at a time here (one client).
    assert_eq!(grew("wecom_mock_journal_fsyncs_total"), 3.0);
    assert_eq!(grew("wecom_mock_journal_writes_total"), 3.0);
    assert!(grew("wecom_mock_journal_written_bytes_total") > 100.0);
}
