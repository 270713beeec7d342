//! Every pure-input row of `errcodes.md`, each with a valid and an invalid neighbour
//! (30 vs 31 characters, 5 vs 6 chats, 14 days vs 14 days + 1 s), asserting the exact errcode
//! and field. A row is one line: `(what, body, expected)`.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wecom_types::limits::MAX_TEMP_EXPIRES_SECS;
use wecom_types::wire::decode_body;
use wecom_types::{Validate, api::*};

/// `None`: valid. `Some((errcode, field))`: rejected with exactly that.
type Expected = Option<(i32, &'static str)>;
const VALID: Expected = None;

#[track_caller]
fn check_table<T: Validate + DeserializeOwned>(rows: &[(&str, Value, Expected)]) {
    for (what, body, expected) in rows {
        let req: T = decode_body(body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let got = req.validate().err().map(|v| (v.code.0, v.field));
        assert_eq!(got, *expected, "{what}: {body}");
    }
}

fn chars(n: usize) -> String {
    "字".repeat(n)
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}")).collect()
}

fn chats(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("wrchat000{i}")).collect()
}

const DAYS14: i64 = MAX_TEMP_EXPIRES_SECS;

#[test]
fn add_contact_way_rules() {
    check_table::<AddContactWay>(&[
        ("minimal type 1", json!({"type":1,"scene":2,"user":["a"]}), VALID),
        ("type missing", json!({"scene":2,"user":["a"]}), Some((41037, "type"))),
        ("type null is missing", json!({"type":null,"scene":2,"user":["a"]}), Some((41037, "type"))),
        ("scene missing", json!({"type":1,"user":["a"]}), Some((41038, "scene"))),
        ("type 3", json!({"type":3,"scene":2,"user":["a"]}), Some((41039, "type"))),
        ("type 0 is present and invalid", json!({"type":0,"scene":2,"user":["a"]}), Some((41039, "type"))),
        ("scene 3", json!({"type":1,"scene":3,"user":["a"]}), Some((41040, "scene"))),
        ("type 1 style 3", json!({"type":1,"scene":1,"style":3,"user":["a"]}), VALID),
        ("type 1 style 4", json!({"type":1,"scene":1,"style":4,"user":["a"]}), Some((41042, "style"))),
        ("type 2 style 2", json!({"type":2,"scene":1,"style":2,"user":["a"]}), VALID),
        ("type 2 style 3", json!({"type":2,"scene":1,"style":3,"user":["a"]}), Some((41042, "style"))),
        ("style 0 is not given", json!({"type":1,"scene":1,"style":0,"user":["a"]}), VALID),
        ("style with scene 2 is ignored", json!({"type":1,"scene":2,"style":9,"user":["a"]}), VALID),
        ("remark 30 chars", json!({"type":1,"scene":2,"user":["a"],"remark":chars(30)}), VALID),
        ("remark 31 chars", json!({"type":1,"scene":2,"user":["a"],"remark":chars(31)}), Some((40058, "remark"))),
        ("state 30 chars", json!({"type":1,"scene":2,"user":["a"],"state":chars(30)}), VALID),
        ("state 31 chars", json!({"type":1,"scene":2,"user":["a"],"state":chars(31)}), Some((40058, "state"))),
        ("type 1 no user", json!({"type":1,"scene":2}), Some((40058, "user"))),
        ("type 1 empty user", json!({"type":1,"scene":2,"user":[]}), Some((40058, "user"))),
        ("type 1 two users", json!({"type":1,"scene":2,"user":["a","b"]}), Some((40058, "user"))),
        ("party with type 1 is ignored", json!({"type":1,"scene":2,"user":["a"],"party":[1]}), VALID),
        ("type 2 only party", json!({"type":2,"scene":2,"party":[1]}), VALID),
        ("type 2 neither", json!({"type":2,"scene":2}), Some((40058, "user"))),
        ("type 2 both empty", json!({"type":2,"scene":2,"user":[],"party":[]}), Some((40058, "user"))),
        ("type 2 100 users", json!({"type":2,"scene":2,"user":users(100)}), VALID),
        ("type 2 101 users", json!({"type":2,"scene":2,"user":users(101)}), Some((41041, "user"))),
        ("is_temp with type 2", json!({"type":2,"scene":2,"user":["a"],"is_temp":true}), Some((40058, "is_temp"))),
        (
            "temp 14 days",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"expires_in":DAYS14,"chat_expires_in":DAYS14}),
            VALID,
        ),
        (
            "expires 14 days + 1 s",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"expires_in":DAYS14 + 1}),
            Some((40058, "expires_in")),
        ),
        (
            "chat 14 days + 1 s",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"chat_expires_in":DAYS14 + 1}),
            Some((40058, "chat_expires_in")),
        ),
        (
            "negative expires",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"expires_in":-1}),
            Some((40058, "expires_in")),
        ),
        ("expires 0 is the default", json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"expires_in":0}), VALID),
        (
            "temp fields without is_temp are ignored",
            json!({"type":1,"scene":2,"user":["a"],"expires_in":-5,"conclusions":{"text":{"content":""}}}),
            VALID,
        ),
        ("conclusions {} is none", json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{}}), VALID),
        (
            "conclusions all parts empty",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"text":{"content":""},"image":{"media_id":""}}}),
            Some((40058, "conclusions")),
        ),
        (
            "conclusions text + empty parts",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"text":{"content":"bye"},"image":{"media_id":""},"link":{},"miniprogram":{}}}),
            VALID,
        ),
        (
            "text 4000 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"text":{"content":"x".repeat(4000)}}}),
            VALID,
        ),
        (
            "text 4001 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"text":{"content":"x".repeat(4001)}}}),
            Some((40058, "conclusions.text.content")),
        ),
        (
            "text limit is bytes not chars",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"text":{"content":"字".repeat(1334)}}}),
            Some((40058, "conclusions.text.content")),
        ),
        (
            "link title 128 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"link":{"title":"t".repeat(128),"url":"u"}}}),
            VALID,
        ),
        (
            "link title 129 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"link":{"title":"t".repeat(129),"url":"u"}}}),
            Some((40058, "conclusions.link.title")),
        ),
        (
            "link desc 513 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"link":{"title":"t","desc":"d".repeat(513),"url":"u"}}}),
            Some((40058, "conclusions.link.desc")),
        ),
        (
            "link without url",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"link":{"title":"t"}}}),
            Some((40058, "conclusions.link.url")),
        ),
        (
            "miniprogram title 64 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"miniprogram":{"title":"m".repeat(64),"pic_media_id":"p","appid":"wx1","page":"/i"}}}),
            VALID,
        ),
        (
            "miniprogram title 65 bytes",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"miniprogram":{"title":"m".repeat(65),"pic_media_id":"p","appid":"wx1","page":"/i"}}}),
            Some((40058, "conclusions.miniprogram.title")),
        ),
        (
            "miniprogram without page",
            json!({"type":1,"scene":2,"user":["a"],"is_temp":true,"conclusions":{"miniprogram":{"title":"m","pic_media_id":"p","appid":"wx1"}}}),
            Some((40058, "conclusions.miniprogram.page")),
        ),
        ("first check wins: type before remark", json!({"type":9,"scene":2,"remark":chars(31)}), Some((41039, "type"))),
    ]);
}

#[test]
fn config_id_is_required_on_get_update_and_delete() {
    let rows = [
        ("present", json!({"config_id":"abc"}), VALID),
        ("missing", json!({}), Some((41043, "config_id"))),
        ("empty", json!({"config_id":""}), Some((41043, "config_id"))),
        ("null", json!({"config_id":null}), Some((41043, "config_id"))),
    ];
    check_table::<GetContactWay>(&rows);
    check_table::<DelContactWay>(&rows);
    check_table::<UpdateContactWay>(&rows);
    check_table::<GetJoinWay>(&rows);
    check_table::<DelJoinWay>(&rows);
}

#[test]
fn update_contact_way_rules() {
    check_table::<UpdateContactWay>(&[
        ("remark 30", json!({"config_id":"c","remark":chars(30)}), VALID),
        ("remark 31", json!({"config_id":"c","remark":chars(31)}), Some((40058, "remark"))),
        ("state 31", json!({"config_id":"c","state":chars(31)}), Some((40058, "state"))),
        ("100 users", json!({"config_id":"c","user":users(100)}), VALID),
        ("101 users", json!({"config_id":"c","user":users(101)}), Some((41041, "user"))),
        ("clearing is allowed here", json!({"config_id":"c","user":[],"party":null,"remark":""}), VALID),
    ]);
}

#[test]
fn list_contact_way_rules() {
    check_table::<ListContactWay>(&[
        ("empty body", json!({}), VALID),
        ("start == end", json!({"start_time":1700000000,"end_time":1700000000}), VALID),
        ("start > end", json!({"start_time":1700000001,"end_time":1700000000}), Some((40058, "start_time"))),
        ("zeros mean defaults", json!({"start_time":0,"end_time":0,"limit":0}), VALID),
        ("limit 1000", json!({"limit":1000}), VALID),
        ("limit 1001", json!({"limit":1001}), Some((40058, "limit"))),
        ("negative limit", json!({"limit":-1}), Some((40058, "limit"))),
    ]);
}

#[test]
fn close_temp_chat_rules() {
    check_table::<CloseTempChat>(&[
        ("valid wm", json!({"userid":"doc","external_userid":"wmAbc_-1"}), VALID),
        ("valid wo", json!({"userid":"doc","external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACAAAA"}), VALID),
        ("userid missing", json!({"external_userid":"wmAbcd"}), Some((41009, "userid"))),
        ("external_userid missing", json!({"userid":"doc"}), Some((41035, "external_userid"))),
        ("tail of 4", json!({"userid":"doc","external_userid":"wmabcd"}), VALID),
        ("tail of 3", json!({"userid":"doc","external_userid":"wmabc"}), Some((40096, "external_userid"))),
        ("tail of 62", json!({"userid":"doc","external_userid":format!("wm{}", "a".repeat(62))}), VALID),
        (
            "tail of 63",
            json!({"userid":"doc","external_userid":format!("wm{}", "a".repeat(63))}),
            Some((40096, "external_userid")),
        ),
        ("wrong prefix", json!({"userid":"doc","external_userid":"wxabcdef"}), Some((40096, "external_userid"))),
        ("bad character", json!({"userid":"doc","external_userid":"wmabc$ef"}), Some((40096, "external_userid"))),
    ]);
}

#[test]
fn add_join_way_rules() {
    check_table::<AddJoinWay>(&[
        ("minimal", json!({"scene":2,"chat_id_list":chats(1)}), VALID),
        ("scene missing", json!({"chat_id_list":chats(1)}), Some((40058, "scene"))),
        ("scene 3", json!({"scene":3,"chat_id_list":chats(1)}), Some((40058, "scene"))),
        ("chat_id_list missing", json!({"scene":2}), Some((40058, "chat_id_list"))),
        ("chat_id_list empty", json!({"scene":2,"chat_id_list":[]}), Some((40058, "chat_id_list"))),
        ("5 chats", json!({"scene":2,"chat_id_list":chats(5)}), VALID),
        ("6 chats", json!({"scene":2,"chat_id_list":chats(6)}), Some((41091, "chat_id_list"))),
        ("malformed chat id", json!({"scene":2,"chat_id_list":["chat1"]}), Some((86001, "chat_id_list"))),
        (
            "remark over 30 is truncated, not rejected",
            json!({"scene":2,"chat_id_list":chats(1),"remark":chars(31)}),
            VALID,
        ),
        ("state 30", json!({"scene":2,"chat_id_list":chats(1),"state":chars(30)}), VALID),
        ("state 31", json!({"scene":2,"chat_id_list":chats(1),"state":chars(31)}), Some((40058, "state"))),
        ("room_base_name 40", json!({"scene":2,"chat_id_list":chats(1),"room_base_name":chars(40)}), VALID),
        (
            "room_base_name 41",
            json!({"scene":2,"chat_id_list":chats(1),"room_base_name":chars(41)}),
            Some((40058, "room_base_name")),
        ),
        (
            "auto_create_room 2",
            json!({"scene":2,"chat_id_list":chats(1),"auto_create_room":2}),
            Some((40058, "auto_create_room")),
        ),
        (
            "negative room_base_id",
            json!({"scene":2,"chat_id_list":chats(1),"room_base_id":-1}),
            Some((40058, "room_base_id")),
        ),
    ]);
}

#[test]
fn update_join_way_rules() {
    check_table::<UpdateJoinWay>(&[
        ("complete", json!({"config_id":"c","scene":1,"chat_id_list":chats(2)}), VALID),
        ("config_id missing", json!({"scene":1,"chat_id_list":chats(2)}), Some((41043, "config_id"))),
        ("scene is required", json!({"config_id":"c","chat_id_list":chats(2)}), Some((40058, "scene"))),
        ("chat_id_list is required", json!({"config_id":"c","scene":1}), Some((40058, "chat_id_list"))),
        ("6 chats", json!({"config_id":"c","scene":1,"chat_id_list":chats(6)}), Some((41091, "chat_id_list"))),
    ]);
}

#[test]
fn gettoken_rules() {
    check_table::<GetToken>(&[
        ("both", json!({"corpid":"ww1","corpsecret":"s"}), VALID),
        ("corpid missing", json!({"corpsecret":"s"}), Some((41002, "corpid"))),
        ("corpid empty", json!({"corpid":"","corpsecret":"s"}), Some((41002, "corpid"))),
        ("corpsecret missing", json!({"corpid":"ww1"}), Some((41004, "corpsecret"))),
    ]);
}

#[test]
fn read_back_rules() {
    check_table::<GetExternalContact>(&[
        ("valid", json!({"external_userid":"wmAbcdef"}), VALID),
        ("missing", json!({}), Some((41035, "external_userid"))),
        ("malformed", json!({"external_userid":"zz"}), Some((40096, "external_userid"))),
    ]);
    check_table::<GetGroupChat>(&[
        ("valid", json!({"chat_id":"wrAbcdef","need_name":1}), VALID),
        ("missing", json!({}), Some((40058, "chat_id"))),
        ("malformed", json!({"chat_id":"abc"}), Some((86001, "chat_id"))),
    ]);
}

#[test]
fn join_way_remark_truncates_to_30_characters() {
    use wecom_types::validate::truncate_join_way_remark;
    assert_eq!(truncate_join_way_remark(&chars(31)), chars(30));
    assert_eq!(truncate_join_way_remark("short"), "short");
}
