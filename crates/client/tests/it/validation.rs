//! Every pure-input rule of `wecom-types` rejects the request before it is sent: each case of
//! `spec/cases.jsonl` at the `client` layer goes through the client's one call path and is
//! refused with the case's errcode and field, and the stub sees nothing (not even a gettoken).

#[path = "../../../../spec/cases.rs"]
mod cases;

use std::future::Future;
use std::pin::Pin;

use cases::{Case, Layer, Vars, cases_for};
use serde_json::Value;
use wecom_client::{Client, Error};
use wecom_types::{Endpoint, EndpointVisitor};

use crate::stub::Stub;

/// Sends a body as the visited API's request through [`Client::call`].
struct Sends<'a> {
    client: &'a Client,
    body: Value,
}

type Sent<'a> = Pin<Box<dyn Future<Output = Result<Result<(), Error>, serde_json::Error>> + 'a>>;

impl<'a> EndpointVisitor for Sends<'a> {
    type Output = Sent<'a>;

    fn visit<E: Endpoint>(self) -> Sent<'a> {
        Box::pin(async move {
            let request: E = serde_json::from_value(self.body)?;
            Ok(self.client.call(&request).await.map(drop))
        })
    }
}

/// `None` when the case was refused as it says; otherwise what happened instead.
async fn failure(client: &Client, case: &Case) -> Option<String> {
    let Some(api) = case.table_api() else { return Some("not an API of the table".to_owned()) };
    let body = match serde_json::from_str(&case.body_text(&Vars::offline())) {
        Ok(body) => body,
        Err(e) => return Some(format!("the body is not JSON: {e}")),
    };
    let expected = (case.expect, case.field.as_deref().unwrap_or_default());
    match api.visit(Sends { client, body }).await {
        Err(e) => Some(format!("does not decode as a request: {e}")),
        Ok(Err(Error::Validation(violation))) if (violation.code.0, violation.field) == expected => None,
        Ok(other) => Some(format!("expected a validation error {expected:?}, got {other:?}")),
    }
}

#[tokio::test]
async fn every_client_case_of_the_spec_table_is_refused_before_sending() {
    let stub = Stub::start().await;
    let client = stub.client();
    let cases = cases_for(Layer::Client).unwrap_or_else(|e| panic!("{e}"));
    assert!(cases.len() >= 58, "only {} cases at the client layer", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        if let Some(why) = failure(&client, case).await {
            failures.push(format!("{}: {why}", case.id));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(stub.total(), 0, "nothing may reach the server");
}

#[tokio::test]
async fn the_typed_helpers_validate_through_the_same_path() {
    use wecom_types::api::{AddContactWay, AddJoinWay, Scene};
    let stub = Stub::start().await;
    let c = stub.client();
    let chats = |n: usize| (1..=n).map(|i| format!("wrmockchat{i:04}")).collect::<Vec<_>>();
    let users = (0..101).map(|i| format!("u{i:04}")).collect::<Vec<_>>();
    let refusals = [
        (
            c.add_contact_way(&AddContactWay::single("a", Scene::QR_CODE).with_state("字".repeat(31))).await.map(drop),
            (40058, "state"),
        ),
        (c.add_contact_way(&AddContactWay::multi(users, [], Scene::QR_CODE)).await.map(drop), (41041, "user")),
        (
            c.create_join_way(&AddJoinWay::new(Scene::QR_CODE, chats(1)).with_state("字".repeat(31))).await.map(drop),
            (40058, "state"),
        ),
        (
            c.update_join_way(&AddJoinWay::new(Scene::QR_CODE, chats(6)).into_update("cfg")).await,
            (41091, "chat_id_list"),
        ),
        (c.close_temp_chat("", "wmABCDEFGH").await, (41009, "userid")),
        (c.get_external_contact("").await.map(drop), (41035, "external_userid")),
    ];
    for (i, (result, expected)) in refusals.into_iter().enumerate() {
        match result {
            Err(Error::Validation(v)) => assert_eq!((v.code.0, v.field), expected, "helper #{i}"),
            other => panic!("helper #{i}: expected a validation error {expected:?}, got {other:?}"),
        }
    }
    assert_eq!(stub.total(), 0, "nothing may reach the server");
}

#[tokio::test]
async fn a_validation_error_reports_the_servers_errcode() {
    let stub = Stub::start().await;
    let err = stub.client().get_contact_way("").await.expect_err("invalid");
    assert_eq!(err.code().map(|code| code.get()), Some(41043));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("config_id"), "{err}");
    assert_eq!(stub.total(), 0, "nothing may reach the server");
}
