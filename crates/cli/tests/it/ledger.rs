//! The ledger: a create whose answer is lost exits 3 and is found again by `reconcile`, even
//! when the CLI is killed while the answer is pending; `orphans` finds configs nobody tracks;
//! what cannot be recovered for Join Group is said, and `dismiss` / `adopt` settle it.

use std::time::Duration;

use serde_json::Value;
use wecom_mock::api::FaultRule;
use wecom_types::api::{AddContactWay, Scene};

use crate::harness::Harness;

fn entries(h: &Harness, status: &str) -> Vec<Value> {
    h.run(&["ledger", "list", "--status", status]).expect_code(0).lines()
}

/// The ids in the dump that `known` does not hold.
fn new_ids(h: &Harness, known: &[String]) -> Vec<String> {
    h.dumped_ways().into_iter().map(|way| way.config_id).filter(|id| !known.contains(id)).collect()
}

#[test]
fn a_create_answered_after_the_timeout_exits_3_and_reconcile_records_its_id() {
    let h = Harness::start();
    let decoys = h.seed(3, |i| AddContactWay::single("zhangsan", Scene::QR_CODE).with_state(format!("decoy_{i}")));
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), ..FaultRule::delay("add_contact_way", 3_000) })
        .expect("a fault");

    let run =
        h.run_words("--timeout 1s contact-way add --type 1 --scene 2 --user lisi --state lost_answer").expect_code(3);
    assert!(run.stdout().is_empty());
    assert!(run.stderr().contains("wecom ledger reconcile"), "{}", run.stderr());
    let created = new_ids(&h, &decoys);
    assert_eq!(created.len(), 1, "the delayed create happened");
    let pending = entries(&h, "pending");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["body"]["state"], "lost_answer");

    let run = h.run(&["ledger", "reconcile"]).expect_code(0);
    let outcome = run.json();
    assert_eq!(
        (outcome["outcome"].as_str(), outcome["config_id"].as_str()),
        (Some("adopted"), Some(created[0].as_str()))
    );
    let entry = h.run(&["ledger", "list"]).expect_code(0).json();
    assert_eq!((entry["status"].as_str(), entry["resolved_by"].as_str()), (Some("created"), Some("reconcile")));
    assert_eq!(entry["config_id"].as_str(), Some(created[0].as_str()));
}

#[test]
fn the_ledger_survives_the_cli_being_killed_while_the_answer_is_pending() {
    let h = Harness::start();
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), ..FaultRule::delay("add_contact_way", 30_000) })
        .expect("a fault");
    let mut child = h
        .std_command()
        .args([
            "--timeout",
            "60s",
            "contact-way",
            "add",
            "--type",
            "2",
            "--scene",
            "2",
            "--user",
            "wangwu",
            "--party",
            "2",
            "--state",
            "killed",
        ])
        .spawn()
        .expect("starts");
    // The mock serves a delayed call at once: once the config exists, the intent was on disk.
    h.wait_until("the create", || !h.dumped_ways().is_empty());
    child.kill().expect("killed");
    child.wait().expect("reaped");
    let created = new_ids(&h, &[]);

    let pending = entries(&h, "pending");
    assert_eq!(pending.len(), 1, "the intent survived the kill");
    let outcome = h.run(&["ledger", "reconcile"]).expect_code(0).json();
    assert_eq!(outcome["config_id"].as_str(), Some(created[0].as_str()), "{outcome}");
    assert!(entries(&h, "pending").is_empty());
}

#[test]
fn reconcile_reports_several_matches_instead_of_guessing() {
    let h = Harness::start();
    let make = |_| AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("twin");
    h.seed(2, make);
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), drop: true, ..FaultRule::drop_connection("add_contact_way") })
        .expect("a fault");
    // A dropped connection: the create was not served, but the CLI cannot know.
    h.run_words("--max-retries 0 contact-way add --type 1 --scene 2 --user zhangsan --state twin").expect_code(3);
    let run = h.run(&["ledger", "reconcile"]).expect_code(3);
    let outcome = run.json();
    assert_eq!(outcome["outcome"], "ambiguous");
    assert_eq!(outcome["candidates"].as_array().map(Vec::len), Some(2));
    assert_eq!(entries(&h, "pending").len(), 1, "still pending");
}

#[test]
fn reconcile_marks_an_intent_that_created_nothing_once_its_window_is_over() {
    let h = Harness::start();
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), ..FaultRule::drop_connection("add_contact_way") })
        .expect("a fault");
    h.run_words("--max-retries 0 contact-way add --type 1 --scene 2 --user zhangsan --state dropped").expect_code(3);
    assert!(h.dumped_ways().is_empty(), "a dropped call is not served");
    let early = h.run(&["ledger", "reconcile"]).expect_code(3).json();
    assert_eq!(early["outcome"], "too_recent");
    std::thread::sleep(Duration::from_millis(1_100));
    let late = h.run(&["ledger", "reconcile", "--slack", "0s"]).expect_code(0).json();
    assert_eq!(late["outcome"], "not_found");
    assert_eq!(entries(&h, "not_found").len(), 1);
}

#[test]
fn a_lost_join_group_create_cannot_be_reconciled_and_says_so() {
    let h = Harness::start();
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), ..FaultRule::delay("add_join_way", 3_000) })
        .expect("a fault");
    h.run(&["--timeout", "1s", "join-way", "add", "--scene", "1", "--chat", "wrmockchat0001", "--state", "lost_group"])
        .expect_code(3);
    let run = h.run(&["ledger", "reconcile"]).expect_code(3);
    let outcome = run.json();
    assert_eq!(outcome["outcome"], "cannot_list");
    assert!(outcome["reason"].as_str().is_some_and(|reason| reason.contains("cannot be listed")), "{outcome}");
    assert!(run.stderr().contains("Join Group"), "{}", run.stderr());

    let seq = outcome["seq"].as_u64().expect("a seq").to_string();
    let lost = h.dump().join_ways[0].config_id.clone();
    let adopted = h.run(&["ledger", "adopt", &seq, &lost]).expect_code(0).json();
    assert_eq!((adopted["status"].as_str(), adopted["resolved_by"].as_str()), (Some("created"), Some("operator")));
    h.run(&["ledger", "reconcile"]).expect_code(0);
}

#[test]
fn dismiss_closes_an_entry_that_cannot_be_resolved() {
    let h = Harness::start();
    h.mock
        .control()
        .add_fault(&FaultRule { times: Some(1), ..FaultRule::drop_connection("add_join_way") })
        .expect("a fault");
    h.run(&["--max-retries", "0", "join-way", "add", "--scene", "1", "--chat", "wrmockchat0001"]).expect_code(3);
    let seq = entries(&h, "pending")[0]["seq"].as_u64().expect("a seq").to_string();
    let dismissed = h.run(&["ledger", "dismiss", &seq, "--note", "checked by hand"]).expect_code(0).json();
    assert_eq!(
        (dismissed["status"].as_str(), dismissed["error"].as_str()),
        (Some("dismissed"), Some("checked by hand"))
    );
    h.run(&["ledger", "reconcile"]).expect_code(0);
    h.run(&["ledger", "dismiss", "99"]).expect_code(2);
}

#[test]
fn orphans_are_the_live_configs_the_ledger_does_not_know() {
    let h = Harness::start();
    let untracked = h.seed(3, |i| AddContactWay::single("zhangsan", Scene::QR_CODE).with_state(format!("script_{i}")));
    for _ in 0..2 {
        h.run(&["contact-way", "add", "--type", "1", "--scene", "2", "--user", "lisi"]).expect_code(0);
    }
    let run = h.run(&["ledger", "orphans"]).expect_code(0);
    let mut orphans: Vec<String> =
        run.lines().iter().map(|line| line["config_id"].as_str().expect("an id").to_owned()).collect();
    orphans.sort();
    let mut expected = untracked;
    expected.sort();
    assert_eq!(orphans, expected);
    assert!(run.stderr().contains("5 live Contact Me configs, 2 known to the ledger, 3 orphans"), "{}", run.stderr());
    let full = h.run(&["ledger", "orphans", "--full"]).expect_code(0).lines();
    assert!(full.iter().all(|way| way["state"].as_str().is_some_and(|state| state.starts_with("script_"))));
}

#[test]
fn a_refused_create_is_recorded_as_failed_with_its_errcode() {
    let h = Harness::start();
    h.run(&["contact-way", "add", "--type", "1", "--scene", "2", "--user", "sunqi"]).expect_code(1);
    let failed = entries(&h, "failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["errcode"], 84083);
}
