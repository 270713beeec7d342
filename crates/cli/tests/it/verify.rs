//! `wecom verify` against upstreams that deviate on purpose (verify.md §3): a mock with fault
//! rules answering other errcodes, a scripted server that drops, renames or retypes fields, a
//! throttled mock; the committed reference recording against a fresh mock (zero drift); a run
//! killed after its first create, then `--sweep`; and no secret or token in anything written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wecom_mock::api::{FaultRule, RequestQuery};
use wecom_mock::fixtures::CorpFixture;

use crate::harness::{Harness, Run};

/// The roles of the default corp, as flags.
const ROLES: [&str; 10] = [
    "--member",
    "zhangsan",
    "--chat",
    "wrmockchat0001",
    "--inactive-member",
    "zhouba",
    "--unverified-member",
    "zhaoliu",
    "--no-contact-member",
    "sunqi",
];

/// Which probes a case expects (to drift, or to still be checked).
type ProbeFilter = fn(&str) -> bool;

/// A scripted server's change of an answer: (path, JSON answer).
type Script = fn(&str, &mut Value);

/// Whether a killed run left its config in the mock.
type Left = fn(&Harness) -> bool;

/// The reference recording committed in the repository.
fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/verify")
}

fn record(harness: &Harness, dir: &str) -> Run {
    let mut args = vec!["verify", "--record", dir, "--rate", "0"];
    args.extend(ROLES);
    harness.run(&args)
}

fn compare_at(harness: &Harness, dir: &str, base_url: &str) -> Run {
    harness.run(&["verify", "--compare", dir, "--rate", "0", "--base-url", base_url])
}

/// The probes of a run's lines with this status.
fn with_status(run: &Run, status: &str) -> BTreeSet<String> {
    run.lines()
        .into_iter()
        .filter(|line| line["status"] == status)
        .map(|line| line["probe"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn fault(rule: Value) -> FaultRule {
    serde_json::from_value(rule).unwrap_or_else(|err| panic!("a fault rule: {err}"))
}

#[test]
fn the_reference_recording_compares_with_zero_drift_against_a_fresh_mock() {
    let harness = Harness::start();
    let text = std::fs::read_to_string(reference().join("corp.json")).expect("spec/verify/corp.json");
    let corp: CorpFixture = serde_json::from_str(&text).expect("corp.json is a corp of the fixtures");
    harness.mock.control().put_corp(&corp).expect("the corp loads");
    let dir = reference().display().to_string();
    let run = harness
        .std_command()
        .env("WECOM_SECRET", "wecom-verify-placeholder-secret")
        .args(["verify", "--compare", &dir, "--rate", "0"])
        .output()
        .expect("wecom runs");
    let run = Run(run).expect_code(0);
    let lines = run.lines();
    assert!(lines.len() > 80, "every recorded probe runs:\n{}", run.stdout());
    let not_matching: Vec<&Value> = lines.iter().filter(|line| line["status"] != "match").collect();
    assert!(not_matching.is_empty(), "zero drift expected: {not_matching:?}");
}

#[test]
fn a_record_then_compare_of_an_unchanged_mock_has_zero_drift() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    let recorded = record(&harness, &dir).expect_code(0);
    assert!(with_status(&recorded, "drift").is_empty());
    let compared = compare_at(&harness, &dir, &harness.mock.uri()).expect_code(0);
    assert_eq!(with_status(&compared, "match").len(), compared.lines().len(), "{}", compared.stdout());
    assert!(
        harness.dump().contact_ways.is_empty() && harness.dump().join_ways.is_empty(),
        "everything made is deleted"
    );
}

#[test]
fn fault_rules_answering_other_errcodes_drift_on_their_probes_and_nothing_else() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    record(&harness, &dir).expect_code(0);
    let probes: Vec<String> = harness
        .run(&["verify", "--plan"])
        .lines()
        .into_iter()
        .map(|line| line["probe"].as_str().unwrap_or_default().to_owned())
        .collect();
    let cases: [(&str, i32, ProbeFilter); 2] = [
        ("close_temp_chat", 48002, |probe| probe.starts_with("close_temp_chat/")),
        ("get_join_way", 40058, |probe| probe.starts_with("get_join_way/") || probe == "lifecycle/join_way"),
    ];
    for (path, errcode, planted) in cases {
        harness.mock.control().clear_faults(None).expect("cleared");
        harness.mock.control().add_fault(&fault(json!({"path": path, "errcode": errcode}))).expect("a rule");
        let run = compare_at(&harness, &dir, &harness.mock.uri()).expect_code(1);
        let expected: BTreeSet<String> = probes.iter().filter(|p| planted(p)).cloned().collect();
        assert!(!expected.is_empty());
        assert_eq!(with_status(&run, "drift"), expected, "{path} answering {errcode}");
        for line in run.lines().into_iter().filter(|line| line["status"] == "drift") {
            let diffs = line["diffs"].as_array().cloned().unwrap_or_default();
            let now: Vec<&Value> = diffs
                .iter()
                .filter(|d| d["path"].as_str().is_some_and(|p| p.ends_with("errcode")))
                .map(|d| &d["now"])
                .collect();
            assert_eq!(now, vec![&json!(errcode)], "{line}");
        }
    }
}

/// A scripted upstream: forwards every request to `target` and hands the answer to `script`
/// (path, JSON answer) before sending it back. Runs on its own runtime; returns its URL.
fn scripted(runtime: &tokio::runtime::Runtime, target: String, script: Script) -> String {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("bound"));
    runtime.spawn(async move {
        let http = reqwest::Client::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let (http, target) = (http.clone(), target.clone());
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head, body_start) = loop {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        break (String::from_utf8_lossy(&buffer[..end]).into_owned(), end + 4);
                    }
                };
                let length: usize = head
                    .lines()
                    .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                while buffer.len() < body_start + length {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                }
                let body = buffer[body_start..body_start + length].to_vec();
                let mut words = head.split_whitespace();
                let (method, target_path) = (words.next().unwrap_or("GET"), words.next().unwrap_or("/"));
                let url = format!("{target}{target_path}");
                let request = if method == "POST" { http.post(url).body(body) } else { http.get(url) };
                let Ok(response) = request.send().await else { return };
                let status = response.status().as_u16();
                let bytes = response.bytes().await.unwrap_or_default();
                let mut answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let path = target_path.split('?').next().unwrap_or_default();
                script(path, &mut answer);
                let text = answer.to_string();
                let reply = format!(
                    "HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

fn drop_remark(path: &str, answer: &mut Value) {
    if path.ends_with("/get_contact_way")
        && let Some(way) = answer.get_mut("contact_way").and_then(Value::as_object_mut)
    {
        way.remove("remark");
    }
}

fn rename_qr_code(path: &str, answer: &mut Value) {
    if path.ends_with("/get_contact_way")
        && let Some(way) = answer.get_mut("contact_way").and_then(Value::as_object_mut)
        && let Some(qr) = way.remove("qr_code")
    {
        way.insert("qrcode".into(), qr);
    }
}

fn retype_scene(path: &str, answer: &mut Value) {
    if path.ends_with("/get_contact_way")
        && let Some(scene) = answer.pointer_mut("/contact_way/scene")
    {
        *scene = json!(scene.to_string());
    }
}

#[test]
fn a_scripted_server_that_drops_renames_or_retypes_a_field_drifts_on_that_probe_only() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    record(&harness, &dir).expect_code(0);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
    let cases: [(Script, &[&str]); 3] = [
        (drop_remark, &["contact_way.remark"]),
        (rename_qr_code, &["contact_way.qr_code", "contact_way.qrcode"]),
        (retype_scene, &["contact_way.scene"]),
    ];
    for (script, paths) in cases {
        let url = scripted(&runtime, harness.mock.uri(), script);
        let run = compare_at(&harness, &dir, &url).expect_code(1);
        assert_eq!(with_status(&run, "drift"), BTreeSet::from(["lifecycle/contact_way".to_owned()]), "{paths:?}");
        let line = run.lines().into_iter().find(|line| line["status"] == "drift").unwrap_or_default();
        let seen: BTreeSet<String> = line["diffs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["path"].as_str().and_then(|p| p.split(": ").nth(1)).map(str::to_owned))
            .collect();
        let wanted: BTreeSet<String> = paths.iter().map(|p| (*p).to_owned()).collect();
        assert_eq!(seen, wanted, "{line}");
    }
    runtime.shutdown_background();
}

/// A service that accepts what it should refuse: a type it does not know creates a config.
fn accept_unknown_types(path: &str, answer: &mut Value) {
    if path.ends_with("/add_contact_way") && answer["errcode"] == 41039 {
        *answer = json!({"errcode": 0, "errmsg": "ok", "config_id": "plantedconfig0001"});
    }
}

#[test]
fn a_refusal_that_creates_is_drift_is_deleted_at_once_and_spends_the_budget() {
    let harness = Harness::start();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
    let url = scripted(&runtime, harness.mock.uri(), accept_unknown_types);
    let dir = harness.path("rec").display().to_string();
    let mut args = vec!["verify", "--record", &dir, "--rate", "0", "--base-url", &url];
    args.extend(ROLES);
    let run = harness.run(&args).expect_code(1);
    let planted = BTreeSet::from([
        "add_contact_way/type-3".to_owned(),
        "add_contact_way/type-0-is-present-and-invalid".to_owned(),
    ]);
    assert_eq!(with_status(&run, "drift"), planted);
    let skipped: BTreeSet<String> = with_status(&run, "skipped");
    assert!(
        skipped.contains("lifecycle/contact_way") && skipped.contains("lifecycle/join_way"),
        "the budget of 2 is spent"
    );
    assert!(run.stderr().contains("2 of 2 creates used"), "{}", run.stderr());
    let deleted = harness.run(&["ledger", "list", "--status", "deleted"]).expect_code(0);
    assert_eq!(deleted.lines().len(), 2, "each unexpected create is deleted at once:\n{}", deleted.stdout());
    runtime.shutdown_background();
}

#[test]
fn a_throttled_upstream_could_not_be_checked_and_never_drifts() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    record(&harness, &dir).expect_code(0);
    // (fault path, exit status, the probes that still match)
    let cases: [(&str, i32, ProbeFilter); 2] =
        [("/cgi-bin/externalcontact/*", 0, |probe| probe.starts_with("gettoken/")), ("*", 4, |_| false)];
    for (path, code, still_checked) in cases {
        harness.mock.control().clear_faults(None).expect("cleared");
        harness.mock.control().add_fault(&fault(json!({"path": path, "errcode": 45009}))).expect("a rule");
        let run = compare_at(&harness, &dir, &harness.mock.uri()).expect_code(code);
        assert!(with_status(&run, "drift").is_empty(), "{path}: {}", run.stdout());
        for line in run.lines() {
            let probe = line["probe"].as_str().unwrap_or_default();
            let want = if still_checked(probe) { "match" } else { "could_not_check" };
            assert_eq!(line["status"], want, "{path}: {line}");
        }
    }
    harness.mock.control().clear_faults(None).expect("cleared");
    assert!(harness.dump().contact_ways.is_empty() && harness.dump().join_ways.is_empty());
}

#[test]
fn a_run_killed_after_its_first_create_leaves_a_ledger_that_sweep_empties() {
    // (what is left, the lifecycle call that follows its create: once it is answered, the
    // create's answer is in the ledger)
    let cases: [(&str, &str, Left); 2] = [
        ("a Contact Me config", "get_contact_way", |h| !h.dump().contact_ways.is_empty()),
        ("a Join Group config, which only the ledger can find", "get_join_way", |h| !h.dump().join_ways.is_empty()),
    ];
    for (what, next_call, made) in cases {
        let harness = Harness::start();
        let dir = harness.path("rec").display().to_string();
        let mut child = harness
            .std_command()
            .args(["verify", "--record", &dir, "--rate", "20", "--member", "zhangsan", "--chat", "wrmockchat0001"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("wecom starts");
        let query: RequestQuery = serde_json::from_value(json!({"path": next_call, "errcode": 0})).expect("a query");
        let started = std::time::Instant::now();
        while harness.mock.control().requests(&query).expect("the request log").is_empty() {
            assert!(started.elapsed() < Duration::from_secs(60), "{what} never made");
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().expect("killed");
        let _ = child.wait();
        assert!(made(&harness), "{what} is left behind by the killed run");
        let swept = harness.run(&["verify", "--sweep", "--rate", "0"]).expect_code(0);
        assert!(!swept.lines().is_empty(), "{what}: the sweep names what it deleted");
        let dump = harness.dump();
        assert!(dump.contact_ways.is_empty() && dump.join_ways.is_empty(), "{what}: the sweep deletes everything");
        let pending = harness.run(&["ledger", "list", "--status", "pending"]).expect_code(0);
        assert!(pending.lines().is_empty(), "{what}: nothing left pending:\n{}", pending.stdout());
    }
}

#[test]
fn ctrl_c_after_the_first_create_deletes_what_the_run_made_before_it_exits() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    let child = harness
        .std_command()
        .args(["verify", "--record", &dir, "--rate", "20", "--member", "zhangsan", "--chat", "wrmockchat0001"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wecom starts");
    let query: RequestQuery =
        serde_json::from_value(json!({"path": "get_contact_way", "errcode": 0})).expect("a query");
    let started = std::time::Instant::now();
    while harness.mock.control().requests(&query).expect("the request log").is_empty() {
        assert!(started.elapsed() < Duration::from_secs(60), "the lifecycle never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let interrupt = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(interrupt.is_ok_and(|status| status.success()), "SIGINT sent");
    let output = child.wait_with_output().expect("wecom ends");
    assert_eq!(output.status.code(), Some(4), "{}", String::from_utf8_lossy(&output.stderr));
    let dump = harness.dump();
    assert!(dump.contact_ways.is_empty() && dump.join_ways.is_empty(), "everything made is deleted");
    let created = harness.run(&["ledger", "list", "--status", "created"]).expect_code(0);
    assert!(created.lines().is_empty(), "the ledger knows it was deleted:\n{}", created.stdout());
}

#[test]
fn sweep_leaves_a_recent_config_of_another_run_unless_all() {
    let harness = Harness::start();
    let other_run = "wcv20261206120000abcd_cw";
    let made = harness.seed(1, |_| {
        wecom_types::api::AddContactWay::single("zhangsan", wecom_types::api::Scene::QR_CODE).with_state(other_run)
    });
    harness.run(&["verify", "--sweep", "--rate", "0"]).expect_code(0);
    assert_eq!(harness.dump().contact_ways.len(), 1, "a teammate's run in progress is safe");
    let swept = harness.run(&["verify", "--sweep", "--all", "--rate", "0"]).expect_code(0);
    assert_eq!(swept.lines()[0]["config_id"], json!(made[0]));
    assert!(harness.dump().contact_ways.is_empty());
}

#[test]
fn no_secret_or_token_appears_in_any_snapshot_report_or_log_line() {
    let harness = Harness::start();
    let dir = harness.path("rec");
    let report = harness.path("report.md");
    let dir_text = dir.display().to_string();
    let report_text = report.display().to_string();
    let mut args = vec!["verify", "--record", &dir_text, "--rate", "0", "--report", &report_text];
    args.extend(ROLES);
    let recorded = harness.run(&args).expect_code(0);
    let compare_report = harness.path("compare.md").display().to_string();
    let compared =
        harness.run(&["verify", "--compare", &dir_text, "--rate", "0", "--report", &compare_report]).expect_code(0);
    let token = harness.block_on(harness.client().access_token()).expect("the same token, still valid");
    let mut texts = vec![recorded.stdout(), recorded.stderr(), compared.stdout(), compared.stderr()];
    for entry in std::fs::read_dir(&dir).expect("the recording") {
        texts.push(std::fs::read_to_string(entry.expect("an entry").path()).expect("a file"));
    }
    texts.push(std::fs::read_to_string(&report).expect("the report"));
    texts.push(std::fs::read_to_string(harness.path("compare.md")).expect("the report"));
    assert!(texts.len() > 90);
    for text in texts {
        assert!(!text.contains(harness.mock.secret()), "the secret is written:\n{text}");
        assert!(!text.contains(&token), "the token is written:\n{text}");
    }
}

#[test]
fn a_probe_whose_role_is_not_given_is_skipped_with_its_flag() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    let run = harness
        .run(&["verify", "--record", &dir, "--rate", "0", "--member", "zhangsan", "--max-creates", "0"])
        .expect_code(0);
    let lines = run.lines();
    let note = |probe: &str| {
        lines.iter().find(|line| line["probe"] == probe).map(|line| line["note"].clone()).unwrap_or_default()
    };
    assert_eq!(note("add_contact_way/member-not-activated"), json!("needs --inactive-member"));
    assert_eq!(
        note("lifecycle/contact_way"),
        json!("spends a create and none is left in the budget (--max-creates 0)")
    );
    assert!(with_status(&run, "skipped").contains("add_contact_way/type-3"), "could-create probes wait for the budget");
    assert!(with_status(&run, "match").contains("get_contact_way/unknown-config-id"));
    assert_eq!(harness.dump().quota.contact_ways_used, 0, "nothing was created");
}

#[test]
fn plan_lists_every_tier_and_sends_nothing() {
    let harness = Harness::start();
    let run = harness.run(&["verify", "--plan", "--base-url", "http://127.0.0.1:9"]).expect_code(0);
    let tiers: BTreeSet<i64> = run.lines().iter().filter_map(|line| line["tier"].as_i64()).collect();
    assert_eq!(tiers, BTreeSet::from([0, 1, 2]));
    assert!(run.stderr().contains("at most 2 creates"), "{}", run.stderr());
}

#[test]
fn each_way_a_run_cannot_start_has_its_exit_status() {
    let harness = Harness::start();
    let dir = harness.path("rec").display().to_string();
    record(&harness, &dir).expect_code(0);
    // (arguments, exit status, what stderr says)
    let cases: [(&[&str], i32, &str); 5] = [
        (&["verify"], 2, "--plan"),
        (&["verify", "--record", &dir], 2, "already holds a recording"),
        (&["verify", "--plan", "--all"], 2, "--sweep"),
        (&["verify", "--compare", &dir, "--base-url", "http://127.0.0.1:9"], 4, "no probe could run"),
        (&["verify", "--sweep", "--base-url", "http://127.0.0.1:9"], 4, "cannot sweep"),
    ];
    for (args, code, says) in cases {
        let run = harness.run(args).expect_code(code);
        assert!(run.stderr().contains(says), "{args:?}: {}", run.stderr());
        assert!(run.stdout().is_empty(), "{args:?} prints no probe line");
    }
}
