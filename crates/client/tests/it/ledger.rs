//! The `ledger` feature against the mock: a create is on disk before it is sent, its outcome
//! is recorded from the answer, and a reconcile finds the config of an answer that was lost.

use std::time::Duration;

use wecom_client::ledger::{Ledger, LedgerError, ResolvedBy, Status};
use wecom_client::reconcile::{Outcome, ReconcileOptions};
use wecom_client::{Client, Delivery, Error, RetryPolicy};
use wecom_mock::MockServer;
use wecom_mock::api::FaultRule;
use wecom_types::api::{AddContactWay, AddJoinWay, Scene};

fn client(mock: &MockServer, ledger: &Ledger) -> Client {
    Client::builder(mock.corpid(), mock.secret())
        .base_url(mock.uri())
        .timeout(Duration::from_millis(500))
        .retry_policy(RetryPolicy::none())
        .shared_ledger(ledger.clone())
        .build()
        .expect("client")
}

fn scratch() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("a folder");
    let ledger = Ledger::open(dir.path().join("ledger.redb")).expect("opens");
    (dir, ledger)
}

#[tokio::test]
async fn a_create_is_recorded_with_its_body_and_completed_with_its_id() {
    let mock = MockServer::start().await;
    let (_dir, ledger) = scratch();
    let req = AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("ledgered");
    let created = client(&mock, &ledger).add_contact_way(&req).await.expect("created");
    let entries = ledger.entries().expect("reads");
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.body, serde_json::to_value(&req).expect("encodes"));
    assert_eq!((entry.status, entry.resolved_by), (Status::Created, Some(ResolvedBy::Answer)));
    assert_eq!(entry.config_id.as_deref(), Some(created.config_id.as_str()));
    assert_eq!(entry.qr_code, created.qr_code);
    assert_eq!((entry.corpid.as_str(), entry.base_url.as_str()), (mock.corpid(), mock.uri().as_str()));
}

#[tokio::test]
async fn a_refused_create_is_failed_and_a_refused_request_is_not_recorded() {
    let mock = MockServer::start().await;
    let (_dir, ledger) = scratch();
    let client = client(&mock, &ledger);
    client.add_contact_way(&AddContactWay::single("nobody", Scene::QR_CODE)).await.expect_err("60111");
    let two_users =
        AddContactWay { user: Some(vec!["a".into(), "b".into()]), ..AddContactWay::single("a", Scene::QR_CODE) };
    let err = client.add_contact_way(&two_users).await.expect_err("validation");
    assert!(matches!(err, Error::Validation(_)), "{err}");
    client.get_contact_way("0123456789abcdef0123456789abcdef").await.expect_err("not a create");
    let entries = ledger.entries().expect("reads");
    assert_eq!(entries.len(), 1, "only the create that was sent: {entries:?}");
    assert_eq!((entries[0].status, entries[0].errcode), (Status::Failed, Some(60111)));
}

#[tokio::test]
async fn a_lost_answer_stays_pending_until_a_reconcile_adopts_the_config() {
    let mock = MockServer::start().await;
    let (_dir, ledger) = scratch();
    let client = client(&mock, &ledger);
    mock.control().add_fault(&FaultRule::delay("add_contact_way", 2_000).times(1)).expect("fault");
    let err = client
        .add_contact_way(&AddContactWay::multi(["zhangsan", "lisi"], [2], Scene::QR_CODE).with_state("late"))
        .await
        .expect_err("timed out");
    assert_eq!(err.delivery(), Some(Delivery::MaybeSent));
    assert!(err.may_have_created());
    assert!(ledger.entries().expect("reads")[0].is_pending());

    let report = client.reconcile_ledger(ReconcileOptions::default()).await.expect("reconciles");
    let created = mock.control().dump(mock.corpid()).expect("dump").contact_ways[0].contact_way.config_id.clone();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].outcome, Outcome::Adopted { config_id: created.clone() });
    let entry = ledger.entry(report[0].seq).expect("reads").expect("exists");
    assert_eq!((entry.status, entry.config_id), (Status::Created, Some(created)));
}

#[tokio::test]
async fn a_join_group_intent_is_reported_as_unlistable() {
    let mock = MockServer::start().await;
    let (_dir, ledger) = scratch();
    let client = client(&mock, &ledger);
    mock.control().add_fault(&FaultRule::drop_connection("add_join_way").times(1)).expect("fault");
    client.add_join_way(&AddJoinWay::new(Scene::MINI_PROGRAM, ["wrmockchat0001"])).await.expect_err("dropped");
    let report = client.reconcile_ledger(ReconcileOptions::default()).await.expect("reconciles");
    assert!(matches!(report[0].outcome, Outcome::CannotList { .. }), "{report:?}");
    assert!(ledger.entries().expect("reads")[0].is_pending());
}

#[tokio::test]
async fn a_ledger_that_cannot_be_opened_fails_the_build() {
    let (dir, _held) = scratch();
    let err = Client::builder("ww1", "s").ledger(dir.path().join("ledger.redb")).build().expect_err("in use");
    assert!(matches!(&err, Error::Ledger(inner) if matches!(**inner, LedgerError::InUse { .. })), "{err}");
}
