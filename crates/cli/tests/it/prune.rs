//! `wecom prune`: a dry run changes nothing; `--yes` backs up, then deletes exactly what
//! matches; an interrupted prune finishes when run again; a backup line re-creates its config.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::Value;
use wecom_mock::api::FaultRule;
use wecom_types::api::{AddContactWay, ContactWay, Scene};

use crate::harness::{Harness, read_lines};

/// 120 configs: 60 `old_` of zhangsan (the ones to prune with both filters), 30 `old_` of lisi,
/// 30 `keep_` of zhangsan.
fn seed(h: &Harness) {
    h.seed(120, |i| match i % 4 {
        0 | 1 => AddContactWay::single("zhangsan", Scene::QR_CODE).with_state(format!("old_{i}")),
        2 => AddContactWay::single("lisi", Scene::QR_CODE).with_state(format!("old_{i}")),
        _ => AddContactWay::single("zhangsan", Scene::QR_CODE).with_state(format!("keep_{i}")),
    });
}

fn pruned_by_filters(way: &ContactWay) -> bool {
    way.state.as_deref().unwrap_or_default().starts_with("old_") && way.user.iter().flatten().any(|u| u == "zhangsan")
}

fn ids(ways: &[ContactWay]) -> BTreeSet<String> {
    ways.iter().map(|way| way.config_id.clone()).collect()
}

fn as_ways(lines: Vec<Value>) -> Vec<ContactWay> {
    lines.into_iter().map(|line| serde_json::from_value(line).expect("a config")).collect()
}

#[test]
fn a_dry_run_prints_what_would_go_and_changes_nothing() {
    let h = Harness::start();
    seed(&h);
    let before = h.mock.control().dump_bytes(h.mock.corpid()).expect("a dump");
    let run = h.run(&["prune", "--state-prefix", "old_", "--user", "zhangsan"]).expect_code(0);
    assert_eq!(h.mock.control().dump_bytes(h.mock.corpid()).expect("a dump"), before, "the dump is unchanged");
    let expected: Vec<ContactWay> = h.dumped_ways().into_iter().filter(pruned_by_filters).collect();
    assert_eq!(ids(&as_ways(run.lines())), ids(&expected));
    assert_eq!(expected.len(), 60);
    assert!(run.stderr().contains("would delete 60 of 120"), "{}", run.stderr());
    assert!(
        std::fs::read_dir(h.dir.path())
            .expect("lists")
            .all(|entry| { !entry.expect("an entry").file_name().to_string_lossy().starts_with("wecom-prune-") }),
        "a dry run writes no backup"
    );
}

#[test]
fn yes_deletes_exactly_the_matching_configs_after_backing_each_up() {
    let h = Harness::start();
    seed(&h);
    let all = h.dumped_ways();
    let (doomed, kept): (Vec<ContactWay>, Vec<ContactWay>) = all.into_iter().partition(pruned_by_filters);

    let run = h.run(&["prune", "--state-prefix", "old_", "--user", "zhangsan", "--yes"]).expect_code(0);
    assert_eq!(ids(&h.dumped_ways()), ids(&kept), "exactly the matching configs are gone");
    assert_eq!(ids(&as_ways(run.lines())), ids(&doomed));

    let backups: Vec<_> = std::fs::read_dir(h.dir.path())
        .expect("lists")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("wecom-prune-")))
        .collect();
    assert_eq!(backups.len(), 1, "the default backup file: {backups:?}");
    let mut backed_up = as_ways(read_lines(&backups[0]));
    backed_up.sort_by(|a, b| a.config_id.cmp(&b.config_id));
    assert_eq!(backed_up, doomed, "the backup holds each deleted config in full");
    assert!(run.stderr().contains("deleted 60 of 120 listed"), "{}", run.stderr());
}

#[test]
fn a_backup_line_re_creates_its_config_with_a_new_id() {
    let h = Harness::start();
    let id = h
        .run_words("contact-way add --type 2 --scene 1 --style 2 --user zhangsan --user lisi --party 2 --state restore_me --remark r --skip-verify false")
        .expect_code(0)
        .json()["config_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let original = h.get(&id);
    let backup = h.path("backup.jsonl");
    h.run(&["prune", "--state-prefix", "restore_", "--yes", "--backup", &backup.display().to_string()]).expect_code(0);
    assert!(h.dumped_ways().is_empty());

    let line = std::fs::read_to_string(&backup).expect("a backup");
    let run = h.run_with_stdin(&["contact-way", "add", "--json", "-"], line.trim_end()).expect_code(0);
    assert!(run.stderr().is_empty(), "a backup line is a clean body: {}", run.stderr());
    let new_id = run.json()["config_id"].as_str().expect("an id").to_owned();
    assert_ne!(new_id, id);
    let restored = h.get(&new_id);
    assert_eq!(ContactWay { config_id: id, qr_code: None, ..restored }, ContactWay { qr_code: None, ..original });
}

#[test]
fn a_prune_killed_half_way_finishes_when_run_again() {
    let h = Harness::start();
    seed(&h);
    let doomed: Vec<ContactWay> = h.dumped_ways().into_iter().filter(pruned_by_filters).collect();
    let matching_left = |h: &Harness| h.dumped_ways().into_iter().filter(pruned_by_filters).count();
    // Slow deletes, one at a time, so that the kill lands in the middle.
    h.mock.control().add_fault(&FaultRule::delay("del_contact_way", 100)).expect("a fault");
    let backup = h.path("backup.jsonl").display().to_string();
    let args =
        ["prune", "--state-prefix", "old_", "--user", "zhangsan", "--yes", "--backup", &backup, "--concurrency", "1"];
    let mut child = h
        .std_command()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    h.wait_until("some deletes", || matching_left(&h) <= doomed.len() - 5);
    child.kill().expect("killed");
    child.wait().expect("reaped");
    let left = matching_left(&h);
    assert!(left > 0 && left < doomed.len(), "killed half-way: {left} left");

    h.mock.control().clear_faults(None).expect("faults cleared");
    std::thread::sleep(Duration::from_millis(150)); // the last delayed delete lands
    let run = h.run(&args).expect_code(0);
    assert_eq!(matching_left(&h), 0, "the second run finishes the job: {}", run.stderr());
    assert_eq!(h.dumped_ways().len(), 120 - doomed.len(), "and deletes nothing else");

    let lines = as_ways(read_lines(std::path::Path::new(&backup)));
    let mut counts: HashMap<String, usize> = HashMap::new();
    for way in &lines {
        *counts.entry(way.config_id.clone()).or_default() += 1;
    }
    assert!(counts.values().all(|count| *count == 1), "no config is backed up twice");
    let by_id: HashMap<&String, &ContactWay> = lines.iter().map(|way| (&way.config_id, way)).collect();
    for way in &doomed {
        assert_eq!(by_id.get(&way.config_id), Some(&way), "the backup holds {}", way.config_id);
    }
}

#[test]
fn created_before_limits_the_walk_and_all_is_required_without_filters() {
    let h = Harness::start();
    seed(&h);
    let run = h.run(&["prune", "--created-before", "1625846400"]).expect_code(0);
    assert!(run.stdout().is_empty(), "nothing is that old");
    let run = h.run(&["prune", "--all"]).expect_code(0);
    assert_eq!(run.lines().len(), 120);
    let refused = h.run(&["prune", "--yes"]).expect_code(2);
    assert!(refused.stderr().contains("--all"), "{}", refused.stderr());
}
