//! `wecom contact-way …`: every C API, the exit statuses, and the merged update against
//! `--replace`.

use serde_json::{Value, json};
use wecom_mock::api::RequestQuery;
use wecom_mock::api::ScanRequest;
use wecom_types::api::{AddContactWay, ContactWay, Scene};

use crate::harness::{Harness, write};

fn add_multi(h: &Harness) -> String {
    let run = h
        .run_words("contact-way add --type 2 --scene 2 --user zhangsan --user lisi --party 2 --state channel_01 --remark spring")
        .expect_code(0);
    run.json()["config_id"].as_str().expect("an id").to_owned()
}

fn calls_to(h: &Harness, path: &str) -> usize {
    h.mock
        .control()
        .requests(&RequestQuery { path: Some(path.into()), ..RequestQuery::default() })
        .expect("the journal")
        .len()
}

#[test]
fn add_prints_the_id_and_qr_code_and_get_reads_it_back() {
    let h = Harness::start();
    let run = h
        .run_words("contact-way add --type 1 --scene 2 --user zhangsan --state spring_01 --skip-verify false")
        .expect_code(0);
    let created = run.json();
    let id = created["config_id"].as_str().expect("an id");
    assert!(created["qr_code"].as_str().is_some_and(|url| url.ends_with(id)), "{created}");

    let got = h.run(&["contact-way", "get", id]).expect_code(0).json();
    let way: ContactWay = serde_json::from_value(got).expect("a config");
    assert_eq!(way, h.get(id));
    assert_eq!(
        (way.state.as_deref(), way.skip_verify, way.user.as_deref()),
        (Some("spring_01"), Some(false), Some(&["zhangsan".to_owned()][..]))
    );
}

#[test]
fn add_takes_a_whole_body_from_a_file_or_stdin_and_flags_override_it() {
    let h = Harness::start();
    // An SDK-style body: every field spelled out, and read-only fields of a read-back.
    let body = json!({"config_id": "old", "qr_code": "http://old", "type": 2, "scene": 2, "style": 0, "remark": "",
        "skip_verify": true, "state": "from_file", "user": ["zhangsan", "wangwu"], "party": null, "is_temp": false});
    let file = write(&h.path("body.json"), &body.to_string());
    let id = h.run(&["contact-way", "add", "--json", &file, "--state", "from_flag"]).expect_code(0).json()["config_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let way = h.get(&id);
    assert_eq!(way.state.as_deref(), Some("from_flag"));
    assert_eq!(way.user, Some(vec!["zhangsan".to_owned(), "wangwu".to_owned()]));

    let from_stdin = h
        .run_with_stdin(
            &["contact-way", "add", "--json", "-"],
            r#"{"type":1,"scene":1,"user":["lisi"],"style":2,"stat":"typo"}"#,
        )
        .expect_code(0);
    assert!(from_stdin.stderr().contains("unknown field stat"), "{}", from_stdin.stderr());
    let id = from_stdin.json()["config_id"].as_str().expect("an id").to_owned();
    assert_eq!(h.get(&id).style, Some(2));
}

#[test]
fn a_request_wecom_types_refuses_is_never_sent_and_exits_2() {
    let h = Harness::start();
    let cases: [&[&str]; 3] = [
        &["contact-way", "add", "--type", "1", "--scene", "2", "--user", "zhangsan", "--user", "lisi"],
        &[
            "contact-way",
            "add",
            "--type",
            "1",
            "--scene",
            "2",
            "--user",
            "zhangsan",
            "--state",
            "0123456789012345678901234567890",
        ],
        &["contact-way", "add", "--scene", "2", "--user", "zhangsan"],
    ];
    for args in cases {
        let run = h.run(args).expect_code(2);
        assert!(run.stderr().contains("request not sent"), "{args:?}: {}", run.stderr());
    }
    assert_eq!(calls_to(&h, "add_contact_way"), 0);
    let bad = write(&h.path("bad.json"), "{not json");
    h.run(&["contact-way", "add", "--json", &bad]).expect_code(2);
    h.run(&["contact-way", "add", "--json", "missing.json"]).expect_code(2);
    h.run(&["contact-way", "add", "--json", &write(&h.path("list.json"), "[1]")]).expect_code(2);
}

#[test]
fn an_api_error_exits_1_with_the_errcode_and_errmsg_on_stderr() {
    let h = Harness::start();
    let run = h.run(&["contact-way", "get", "0123456789abcdef0123456789abcdef"]).expect_code(1);
    assert!(run.stdout().is_empty());
    assert!(run.stderr().contains("errcode 41044"), "{}", run.stderr());
    assert!(run.stderr().contains("hint: ["), "the full errmsg: {}", run.stderr());

    let run = h.run(&["contact-way", "add", "--type", "1", "--scene", "2", "--user", "zhaoliu"]).expect_code(1);
    assert!(run.stderr().contains("errcode 40098"), "{}", run.stderr());
}

#[test]
fn an_unreachable_service_exits_4() {
    let h = Harness::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("bound").port();
    let url = format!("http://127.0.0.1:{port}");
    let run = h.run(&["--base-url", &url, "--max-retries", "0", "contact-way", "get", "c"]).expect_code(4);
    assert!(run.stderr().contains("error"), "{}", run.stderr());
    // A create that never left is certain: exit 4, not 3, and the ledger says failed.
    h.run(&[
        "--base-url",
        &url,
        "--max-retries",
        "0",
        "contact-way",
        "add",
        "--type",
        "1",
        "--scene",
        "2",
        "--user",
        "zhangsan",
    ])
    .expect_code(4);
    let entry = h.run(&["ledger", "list"]).expect_code(0).json();
    assert_eq!(entry["status"], "failed", "{entry}");
}

#[test]
fn list_walks_every_config_once_as_json_or_plain() {
    let h = Harness::start();
    let ids = h.seed(1234, |i| AddContactWay::single("zhangsan", Scene::QR_CODE).with_state(format!("s{i}")));
    let listed: Vec<String> = h
        .run(&["contact-way", "list"])
        .expect_code(0)
        .lines()
        .iter()
        .map(|line| line["config_id"].as_str().expect("an id").to_owned())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(sorted, expected);
    assert_eq!(listed.len(), ids.len());

    let plain = h.run(&["contact-way", "list", "--plain"]).expect_code(0).stdout();
    let plain: Vec<&str> = plain.lines().collect();
    assert_eq!(plain, listed.iter().map(String::as_str).collect::<Vec<_>>());

    let before_any = h.run(&["contact-way", "list", "--end-time", "1625846400"]).expect_code(0);
    assert!(before_any.stdout().is_empty());
}

#[test]
fn the_merged_update_keeps_members_where_replace_sends_exactly_what_was_given() {
    let h = Harness::start();
    let id = add_multi(&h);
    // An SDK-style body that spells the unset `user` as null: the trap of the seed's C4.
    let sdk_body = write(&h.path("sdk.json"), r#"{"remark":"autumn","user":null}"#);

    let merged = h.run(&["contact-way", "update", &id, "--json", &sdk_body]).expect_code(0);
    let way = h.get(&id);
    assert_eq!(way.remark.as_deref(), Some("autumn"));
    assert_eq!(way.user, Some(vec!["zhangsan".to_owned(), "lisi".to_owned()]), "merged keeps members");
    assert_eq!(serde_json::from_value::<ContactWay>(merged.json()).expect("a config"), way);
    assert!(merged.stderr().is_empty(), "{}", merged.stderr());

    let replaced = h.run(&["contact-way", "update", &id, "--replace", "--json", &sdk_body]).expect_code(0);
    assert!(replaced.stderr().contains("user list will be cleared"), "{}", replaced.stderr());
    let way = h.get(&id);
    assert_eq!(way.user.unwrap_or_default(), Vec::<String>::new(), "replace sends user: [] and clears it");
    assert_eq!(way.party, Some(vec![2]));
    assert_eq!(
        serde_json::from_value::<ContactWay>(replaced.json()).expect("a config").user.unwrap_or_default(),
        Vec::<String>::new()
    );
}

#[test]
fn list_edits_belong_to_the_merged_update() {
    let h = Harness::start();
    let id = add_multi(&h);
    h.run(&["contact-way", "update", &id, "--add-user", "wangwu", "--remove-user", "zhangsan"]).expect_code(0);
    assert_eq!(h.get(&id).user, Some(vec!["lisi".to_owned(), "wangwu".to_owned()]));

    h.run(&["contact-way", "update", &id, "--replace", "--user", "zhangsan"]).expect_code(0);
    let way = h.get(&id);
    assert_eq!(way.user, Some(vec!["zhangsan".to_owned()]), "--user replaces the list");
    assert_eq!(way.state.as_deref(), Some("channel_01"), "a field not sent is kept by C4");

    let refused = h.run(&["contact-way", "update", &id, "--replace", "--add-user", "lisi"]).expect_code(2);
    assert!(refused.stderr().contains("drop --replace"), "{}", refused.stderr());
    h.run(&["contact-way", "update", &id, "--state", ""]).expect_code(0);
    assert_eq!(h.get(&id).state.unwrap_or_default(), "", "an empty flag clears");
}

#[test]
fn an_update_that_breaks_a_rule_is_refused_before_sending() {
    let h = Harness::start();
    let single =
        h.run(&["contact-way", "add", "--type", "1", "--scene", "2", "--user", "zhangsan"]).expect_code(0).json();
    let id = single["config_id"].as_str().expect("an id");
    let before = calls_to(&h, "update_contact_way");
    let run = h.run(&["contact-way", "update", id, "--add-user", "lisi"]).expect_code(2);
    assert!(run.stderr().contains("exactly one member"), "{}", run.stderr());
    assert_eq!(calls_to(&h, "update_contact_way"), before);
}

#[test]
fn delete_prints_each_id_and_the_ledger_notes_it() {
    let h = Harness::start();
    let first = add_multi(&h);
    let second = add_multi(&h);
    let run = h.run(&["contact-way", "delete", &first, &second]).expect_code(0);
    assert_eq!(
        run.lines(),
        [json!({"config_id": first, "deleted": true}), json!({"config_id": second, "deleted": true})]
    );
    assert!(h.dumped_ways().is_empty());
    h.run(&["contact-way", "delete", &first]).expect_code(1);
    let statuses: Vec<Value> =
        h.run(&["ledger", "list"]).expect_code(0).lines().into_iter().map(|entry| entry["status"].clone()).collect();
    assert_eq!(statuses, ["deleted", "deleted"]);
}

#[test]
fn a_temp_chat_is_created_with_its_conclusions_and_closed() {
    let h = Harness::start();
    let conclusions = write(&h.path("bye.json"), r#"{"text":{"content":"会话结束"}}"#);
    let created = h
        .run(&[
            "contact-way",
            "add",
            "--type",
            "1",
            "--scene",
            "2",
            "--user",
            "zhangsan",
            "--temp",
            "--expires-in",
            "1d",
            "--chat-expires-in",
            "86400",
            "--conclusions",
            &conclusions,
        ])
        .expect_code(0)
        .json();
    let id = created["config_id"].as_str().expect("an id").to_owned();
    let way = h.get(&id);
    assert_eq!((way.is_temp, way.expires_in, way.chat_expires_in), (Some(true), Some(86_400), Some(86_400)));
    assert_eq!(way.conclusions.and_then(|c| c.text).and_then(|t| t.content).as_deref(), Some("会话结束"));

    let scan = ScanRequest {
        corpid: h.mock.corpid().into(),
        config_id: id,
        external_userid: None,
        unionid: None,
        userid: None,
    };
    let customer = h.mock.control().scan(&scan).expect("scanned").external_userid;
    let run = h
        .run(&["contact-way", "close-temp-chat", "--userid", "zhangsan", "--external-userid", &customer])
        .expect_code(0);
    assert_eq!(run.json()["closed"], true);
    let again =
        h.run(&["contact-way", "close-temp-chat", "--user", "zhangsan", "--external-userid", &customer]).expect_code(1);
    assert!(again.stderr().contains("errcode 84061"), "{}", again.stderr());
}
