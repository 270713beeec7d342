//! `wecom join-way …`: J1–J4, and the merged update against J3's whole-config overwrite.

use wecom_types::api::JoinWay;

use crate::harness::Harness;

fn add(h: &Harness) -> String {
    let run = h
        .run_words("join-way add --scene 2 --chat wrmockchat0001 --chat wrmockchat0002 --state campaign_01 --remark sales --auto-create-room --room-base-name 销售群 --room-base-id 10")
        .expect_code(0);
    let created = run.json();
    assert!(
        created["qr_code"].as_str().is_some_and(|url| !url.is_empty()),
        "scene 2 comes with its QR code: {created}"
    );
    created["config_id"].as_str().expect("an id").to_owned()
}

fn get(h: &Harness, id: &str) -> JoinWay {
    h.block_on(h.client().get_join_way(id)).expect("the config exists")
}

#[test]
fn add_get_and_delete() {
    let h = Harness::start();
    let id = add(&h);
    let got: JoinWay =
        serde_json::from_value(h.run(&["join-way", "get", &id]).expect_code(0).json()).expect("a config");
    assert_eq!(got, get(&h, &id));
    assert_eq!(got.chat_id_list, Some(vec!["wrmockchat0001".to_owned(), "wrmockchat0002".to_owned()]));
    assert_eq!(
        (got.auto_create_room, got.room_base_name.as_deref(), got.room_base_id),
        (Some(1), Some("销售群"), Some(10))
    );
    let entry = h.run(&["ledger", "list"]).expect_code(0).json();
    assert_eq!((entry["api"].as_str(), entry["config_id"].as_str()), (Some("add_join_way"), Some(id.as_str())));

    h.run(&["join-way", "delete", &id]).expect_code(0);
    let run = h.run(&["join-way", "get", &id]).expect_code(1);
    assert!(run.stderr().contains("errcode 41044"), "{}", run.stderr());
}

#[test]
fn the_merged_update_keeps_what_j3_would_reset() {
    let h = Harness::start();
    let id = add(&h);
    h.run(&["join-way", "update", &id, "--remark", "renamed", "--add-chat", "wrmockchat0003"]).expect_code(0);
    let way = get(&h, &id);
    assert_eq!(way.remark.as_deref(), Some("renamed"));
    assert_eq!(way.state.as_deref(), Some("campaign_01"), "merged keeps the state");
    assert_eq!(way.room_base_name.as_deref(), Some("销售群"));
    assert_eq!(way.chat_id_list.map(|chats| chats.len()), Some(3));

    let run = h
        .run(&["join-way", "update", &id, "--replace", "--scene", "2", "--chat", "wrmockchat0001", "--remark", "raw"])
        .expect_code(0);
    assert!(run.stderr().contains("state") && run.stderr().contains("defaults"), "{}", run.stderr());
    let way = get(&h, &id);
    assert_eq!(way.remark.as_deref(), Some("raw"));
    assert_eq!(way.state.unwrap_or_default(), "", "J3 resets what --replace does not send");
    assert_eq!(way.room_base_name.unwrap_or_default(), "");
}

#[test]
fn a_replace_without_the_required_fields_is_refused_before_sending() {
    let h = Harness::start();
    let id = add(&h);
    let run = h.run(&["join-way", "update", &id, "--replace", "--remark", "x"]).expect_code(2);
    assert!(run.stderr().contains("request not sent"), "{}", run.stderr());
    let too_many =
        ["wrmockchat0001", "wrmockchat0002", "wrmockchat0003", "wrmockchat0004", "wrmockchat0005", "wrmockchat0006"];
    let mut args = vec!["join-way", "add", "--scene", "1"];
    for chat in too_many {
        args.extend(["--chat", chat]);
    }
    h.run(&args).expect_code(2);
}
