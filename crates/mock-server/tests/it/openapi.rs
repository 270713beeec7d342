//! The OpenAPI document: `docs/openapi.json` is the generated one, it is served without the
//! admin token, it covers every WeCom path and every admin route, and its examples work.

use serde_json::{Value, json};
use wecom_mock::MockServer;
use wecom_types::endpoint::{API_TABLE, Method};

use super::support::Wecom;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

fn document() -> Value {
    serde_json::from_slice(wecom_mock::openapi_document()).expect("the document is JSON")
}

#[test]
fn docs_openapi_json_is_the_generated_document() {
    let generated = wecom_mock::openapi_document();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, generated).expect("docs/openapi.json is writable");
    }
    let committed = std::fs::read(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; regenerate it with\n  \
         cargo run -p wecom-mock -- openapi > docs/openapi.json\n\
         (or UPDATE_OPENAPI=1 cargo test -p wecom-mock --test it openapi)"
    );
}

#[test]
fn every_wecom_path_is_documented_with_its_method_and_tag() {
    let document = document();
    for row in API_TABLE {
        let method = match row.method {
            Method::Get => "get",
            Method::Post => "post",
        };
        let operation = &document["paths"][row.path][method];
        assert!(operation.is_object(), "{} {method} is missing", row.path);
        assert_ne!(operation["tags"][0], "control surface", "{}", row.path);
        let expected_security = if row.needs_token { json!([{"access_token": []}]) } else { json!([]) };
        assert_eq!(operation["security"], expected_security, "{}", row.path);
        assert!(operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"].is_array());
    }
}

/// `/__admin/…` paths with their parameters filled in for the default corp.
fn concrete(path: &str) -> String {
    path.replace("{corpid}", "wwmock0000000001").replace("{agentid}", "1000001").replace("{id}", "f999")
}

#[tokio::test]
async fn every_documented_admin_route_exists_under_its_method() {
    let wecom = Wecom::start().await;
    let document = document();
    let mut seen = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        // The admin table's routes (the dashboard is HTML and routed before it).
        if !path.starts_with("/__admin/") || path == "/__admin/ui" {
            continue;
        }
        for (method, _) in item.as_object().expect("an item") {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let (status, body) = wecom.admin(method.clone(), &concrete(path), None).await;
            // An unknown route is 404 `not_found` and a wrong method 405: neither may happen.
            assert_ne!(status, 405, "{method} {path}: {body}");
            assert!(!(status == 404 && body["error"] == "not_found"), "{method} {path}: {body}");
            seen += 1;
        }
    }
    assert!(seen >= 22, "{seen} admin operations");
}

#[tokio::test]
async fn the_document_is_served_without_the_admin_token() {
    let mock = MockServer::builder().admin_token("operator").start().await;
    let http = reqwest::Client::new();
    let served = http.get(format!("{}/__admin/openapi.json", mock.uri())).send().await.expect("reaches the mock");
    assert_eq!(served.status(), 200);
    assert!(served.headers()["content-type"].to_str().is_ok_and(|t| t.starts_with("application/json")));
    assert_eq!(served.bytes().await.expect("a body").as_ref(), wecom_mock::openapi_document());
    let guarded = http.get(format!("{}/__admin/corps", mock.uri())).send().await.expect("reaches the mock");
    assert_eq!(guarded.status(), 401, "the rest of /__admin still needs the token");
}

#[tokio::test]
async fn the_examples_of_the_wecom_paths_succeed_against_the_default_corp() {
    let wecom = Wecom::start().await;
    let document = document();
    let mut tried = 0;
    for row in API_TABLE {
        let operation = &document["paths"][row.path];
        let example = match row.method {
            Method::Post => operation["post"]["requestBody"]["content"]["application/json"]["example"].clone(),
            Method::Get => {
                let parameters = operation["get"]["parameters"].as_array().cloned().unwrap_or_default();
                let pairs: serde_json::Map<String, Value> = parameters
                    .iter()
                    .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p.get("example")?.clone())))
                    .collect();
                if pairs.is_empty() { Value::Null } else { Value::Object(pairs) }
            }
        };
        if example.is_null() {
            continue;
        }
        let answer = wecom.call(row.api, example.clone()).await;
        assert_eq!(answer["errcode"], 0, "{} {example}: {answer}", row.path);
        tried += 1;
    }
    assert!(tried >= 5, "{tried} examples");
}
