//! `wecom inventory`: every config, exactly as the mock holds it, and the summary.

use std::collections::BTreeMap;

use wecom_types::api::{AddContactWay, ContactWay, Scene};
use wecom_types::limits::CONTACT_WAY_QUOTA;

use crate::harness::{Harness, Run, read_lines};

const MEMBERS: [&str; 3] = ["zhangsan", "lisi", "wangwu"];

/// Four kinds of config, each with its own state prefix.
fn varied(i: usize) -> AddContactWay {
    let member = MEMBERS[i % MEMBERS.len()];
    match i % 4 {
        0 => AddContactWay::single(member, Scene::QR_CODE)
            .with_state(format!("spring_{i}"))
            .with_skip_verify(i.is_multiple_of(8)),
        1 => AddContactWay::multi([member, MEMBERS[(i + 1) % 3]], [2], Scene::QR_CODE)
            .with_state(format!("autumn-{i}"))
            .with_remark("multi"),
        2 => AddContactWay::single(member, Scene::MINI_PROGRAM)
            .with_style(1 + (i % 3) as i32)
            .with_state(format!("vip:{i}")),
        _ => AddContactWay::single(member, Scene::QR_CODE),
    }
}

#[test]
fn an_inventory_of_ten_thousand_configs_is_the_state_dump_exactly() {
    let h = Harness::start();
    h.seed(10_000, varied);
    let output = h.path("inventory.jsonl");
    let run = h.run(&["inventory", "--output", &output.display().to_string(), "--concurrency", "16"]).expect_code(0);
    assert!(run.stdout().is_empty(), "with --output nothing goes to stdout");

    let mut listed: Vec<ContactWay> =
        read_lines(&output).into_iter().map(|line| serde_json::from_value(line).expect("a config")).collect();
    listed.sort_by(|a, b| a.config_id.cmp(&b.config_id));
    let dumped = h.dumped_ways();
    assert_eq!(listed.len(), 10_000);
    assert_eq!(listed, dumped, "ids and every field");

    let summary = run.stderr();
    assert!(summary.contains("configs found: 10000"), "{summary}");
    assert!(summary.contains(&format!("quota used: 10000 of {CONTACT_WAY_QUOTA} (2.0 %)")), "{summary}");
    for prefix in ["spring", "autumn", "vip", "(none)"] {
        assert!(summary.contains(&format!("      2500  {prefix}\n")), "{prefix}: {summary}");
    }
    let mut by_member: BTreeMap<String, usize> = BTreeMap::new();
    for way in &dumped {
        for member in way.user.iter().flatten() {
            *by_member.entry(member.clone()).or_default() += 1;
        }
    }
    for (member, count) in by_member {
        assert!(summary.contains(&format!("  {count:>8}  {member}\n")), "{member} {count}: {summary}");
    }
}

#[test]
fn an_inventory_goes_to_stdout_as_jsonl_or_csv() {
    let h = Harness::start();
    h.seed(60, varied);
    let dumped = h.dumped_ways();

    let run = h.run(&["--quiet", "inventory"]).expect_code(0);
    assert!(run.stderr().is_empty(), "--quiet: {}", run.stderr());
    let by_variable =
        Run(h.std_command().env("WECOM_QUIET", "1").arg("inventory").output().expect("runs")).expect_code(0);
    assert!(by_variable.stderr().is_empty(), "WECOM_QUIET=1: {}", by_variable.stderr());
    let mut lines: Vec<ContactWay> =
        run.lines().into_iter().map(|line| serde_json::from_value(line).expect("a config")).collect();
    lines.sort_by(|a, b| a.config_id.cmp(&b.config_id));
    assert_eq!(lines, dumped);

    let csv_text = h.run(&["inventory", "--format", "csv"]).expect_code(0).stdout();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header = reader.headers().expect("a header").clone();
    assert_eq!(&header[0], "config_id");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("a row")).collect();
    assert_eq!(rows.len(), dumped.len());
    let column = |name: &str| header.iter().position(|h| h == name).expect("a column");
    for row in rows {
        let way = dumped.iter().find(|way| way.config_id == row[0]).expect("a dumped config");
        assert_eq!(row[column("state")], way.state.clone().unwrap_or_default());
        assert_eq!(row[column("user")], way.user.clone().unwrap_or_default().join(";"));
    }
}

#[test]
fn a_failed_inventory_leaves_no_file_under_the_name_asked_for() {
    let h = Harness::start();
    h.seed(5, varied);
    h.mock.control().add_fault(&wecom_mock::api::FaultRule::errcode("get_contact_way", 48002)).expect("a fault");
    let output = h.path("never.jsonl");
    let run = h.run(&["inventory", "--output", &output.display().to_string()]).expect_code(1);
    assert!(run.stderr().contains("errcode 48002"), "{}", run.stderr());
    assert!(!output.exists());
}
