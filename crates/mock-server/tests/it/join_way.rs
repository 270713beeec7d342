//! Join Group: whole-config overwrite, groups filling up, auto-created rooms, and the group
//! read-back with the config's state.

use serde_json::json;
use wecom_mock::api::JoinRequest;
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID, GroupChatFixture};
use wecom_types::Api;

use super::support::{Wecom, chars};

fn join(config_id: &str) -> JoinRequest {
    JoinRequest { corpid: DEFAULT_CORPID.into(), config_id: config_id.into(), external_userid: None }
}

/// The default corp with two small groups (owner + 2 customers each).
async fn small_groups() -> Wecom {
    Wecom::with_default_corp(|corp: &mut CorpFixture| {
        for (n, chat_id) in ["wrsmall0001", "wrsmall0002"].into_iter().enumerate() {
            corp.group_chats.push(GroupChatFixture {
                chat_id: chat_id.into(),
                name: format!("小群{n}"),
                owner: "zhangsan".into(),
                member_limit: 3,
                customer_group: true,
            });
        }
    })
    .await
}

#[tokio::test]
async fn add_returns_only_the_config_id_and_get_returns_the_rest() {
    let wecom = Wecom::start().await;
    let answer = wecom.ok(Api::AddJoinWay, json!({"scene":2,"chat_id_list":["wrmockchat0001"],"state":"s1"})).await;
    let keys: Vec<&String> = answer.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["config_id", "errcode", "errmsg"]);
    let id = answer["config_id"].as_str().expect("id");
    let way = &wecom.ok(Api::GetJoinWay, json!({"config_id": id})).await["join_way"];
    assert_eq!(way["state"], "s1");
    assert_eq!(way["auto_create_room"], 1, "auto_create_room defaults to 1");
    assert!(way["qr_code"].as_str().is_some_and(|url| url.ends_with(id)));
}

#[tokio::test]
async fn a_long_remark_is_truncated_to_30_characters() {
    let wecom = Wecom::start().await;
    let id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"],"remark":chars(35)})).await;
    let way = &wecom.ok(Api::GetJoinWay, json!({"config_id": id})).await["join_way"];
    assert_eq!(way["remark"], chars(30));
}

#[tokio::test]
async fn update_overwrites_the_whole_config() {
    let wecom = Wecom::start().await;
    let id = wecom
        .add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"],"state":"s1","remark":"r",
            "auto_create_room":0,"room_base_name":"销售群","room_base_id":10}))
        .await;
    wecom.ok(Api::UpdateJoinWay, json!({"config_id": id, "scene":1, "chat_id_list":["wrmockchat0002"]})).await;
    let way = &wecom.ok(Api::GetJoinWay, json!({"config_id": id})).await["join_way"];
    assert_eq!(way["state"], "", "fields not sent take their defaults");
    assert_eq!(way["remark"], "");
    assert_eq!(way["auto_create_room"], 1);
    assert_eq!(way["room_base_name"], "");
    assert_eq!(way["chat_id_list"], json!(["wrmockchat0002"]));
    assert!(way.get("qr_code").is_none(), "scene 1 has no QR code");
}

#[tokio::test]
async fn joins_fill_groups_in_order() {
    let wecom = small_groups().await;
    let id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrsmall0001","wrsmall0002"],"auto_create_room":0})).await;
    let chats: Vec<String> = (0..4).map(|_| wecom.mock.control().join(&join(&id)).expect("join").chat_id).collect();
    assert_eq!(chats, ["wrsmall0001", "wrsmall0001", "wrsmall0002", "wrsmall0002"]);
    let err = wecom.mock.control().join(&join(&id)).expect_err("all full");
    assert_eq!((err.status(), err.code()), (409, "all_groups_full"));
}

#[tokio::test]
async fn full_groups_auto_create_rooms_named_by_base_name_and_serial() {
    let wecom = small_groups().await;
    let id = wecom
        .add_join(
            json!({"scene":2,"chat_id_list":["wrsmall0001"],"room_base_name":"销售群","room_base_id":10,"state":"grp"}),
        )
        .await;
    let mut created = Vec::new();
    for _ in 0..8 {
        let joined = wecom.mock.control().join(&join(&id)).expect("join");
        if joined.created_chat {
            created.push(joined.chat_id);
        }
    }
    let dump = wecom.mock.control().dump(DEFAULT_CORPID).expect("dump");
    let names: Vec<String> = created
        .iter()
        .map(|id| dump.group_chats.iter().find(|g| &g.chat_id == id).expect("created group").name.clone())
        .collect();
    assert_eq!(names, ["销售群10", "销售群11", "销售群12"]);
    let way = &wecom.ok(Api::GetJoinWay, json!({"config_id": id})).await["join_way"];
    let list: Vec<String> = serde_json::from_value(way["chat_id_list"].clone()).expect("list");
    assert_eq!(list[0], "wrsmall0001");
    assert_eq!(&list[1..], created.as_slice(), "new groups are added to the config");
}

#[tokio::test]
async fn the_chat_list_stays_at_five_when_rooms_are_created() {
    let wecom = small_groups().await;
    let id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrsmall0001"],"room_base_name":"g"})).await;
    for _ in 0..14 {
        wecom.mock.control().join(&join(&id)).expect("join");
    }
    let way = &wecom.ok(Api::GetJoinWay, json!({"config_id": id})).await["join_way"];
    let list = way["chat_id_list"].as_array().expect("list");
    assert_eq!(list.len(), 5);
    assert!(!list.contains(&json!("wrsmall0001")), "the first full group left the list");
}

#[tokio::test]
async fn the_group_detail_shows_the_joiner_with_join_scene_3_and_the_state() {
    let wecom = Wecom::start().await;
    let id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0004"],"state":"campaign-7"})).await;
    let joined = wecom.mock.control().join(&join(&id)).expect("join");
    let detail = wecom.ok(Api::GetGroupChat, json!({"chat_id": joined.chat_id, "need_name": 1})).await;
    let group = &detail["group_chat"];
    assert_eq!(group["owner"], "lisi");
    let customer = group["member_list"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["userid"] == joined.external_userid.as_str())
        .expect("the joiner is a member");
    assert_eq!((customer["type"].as_i64(), customer["join_scene"].as_i64()), (Some(2), Some(3)));
    assert_eq!(customer["state"], "campaign-7");
}

#[tokio::test]
async fn another_apps_join_way_cannot_be_read_changed_or_deleted() {
    let wecom = Wecom::start().await;
    let id = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
    let other = wecom.token_for(DEFAULT_CORPID, wecom_mock::fixtures::SALES_ONLY_SECRET).await;
    for (api, body) in [
        (Api::GetJoinWay, json!({"config_id": id})),
        (Api::UpdateJoinWay, json!({"config_id": id, "scene": 2, "chat_id_list": ["wrmockchat0001"]})),
        (Api::DelJoinWay, json!({"config_id": id})),
    ] {
        assert_eq!(wecom.call_with(api, Some(&other), &body).await["errcode"], 41044, "{api:?}");
    }
    wecom.ok(Api::DelJoinWay, json!({"config_id": id})).await;
}
