//! The read-backs where a customer's `state` comes back (`externalcontact/get`,
//! `externalcontact/groupchat/get`), with the documented field names.

use serde_json::{Value, json};
use wecom_mock::api::{JoinRequest, ScanRequest};
use wecom_mock::fixtures::DEFAULT_CORPID;
use wecom_types::Api;

use crate::support::{T0, Wecom};

fn scan(config_id: &str, external_userid: &str) -> ScanRequest {
    ScanRequest {
        corpid: DEFAULT_CORPID.into(),
        config_id: config_id.into(),
        external_userid: Some(external_userid.into()),
        ..Default::default()
    }
}

fn member<'a>(group: &'a Value, userid: &str) -> &'a Value {
    group["member_list"]
        .as_array()
        .and_then(|list| list.iter().find(|m| m["userid"] == userid))
        .unwrap_or_else(|| panic!("{userid} is not in {group}"))
}

#[tokio::test]
async fn a_customer_following_two_members_has_one_follow_user_per_member_with_its_own_state() {
    let wecom = Wecom::start().await;
    let spring = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"state":"spring"})).await;
    let mini = wecom.add(json!({"type":1,"scene":1,"user":["lisi"]})).await;
    wecom.mock.control().scan(&scan(&spring, "wmtwomembers01")).expect("scan");
    wecom.mock.control().advance_clock(60).expect("clock");
    wecom.mock.control().scan(&scan(&mini, "wmtwomembers01")).expect("scan");

    let detail = wecom.ok(Api::GetExternalContact, json!({"external_userid": "wmtwomembers01"})).await;
    let contact = &detail["external_contact"];
    assert_eq!((contact["external_userid"].as_str(), contact["type"].as_i64()), (Some("wmtwomembers01"), Some(1)));
    assert!(contact["name"].as_str().is_some_and(|n| !n.is_empty()));
    let follow = detail["follow_user"].as_array().expect("follow_user");
    assert_eq!(follow.len(), 2);
    let by = |userid: &str| follow.iter().find(|f| f["userid"] == userid).unwrap_or_else(|| panic!("{userid}"));
    let by_qr = by("zhangsan");
    assert_eq!((by_qr["add_way"].as_i64(), by_qr["state"].as_str()), (Some(1), Some("spring")));
    assert_eq!((by_qr["createtime"].as_i64(), by_qr["oper_userid"].as_str()), (Some(T0), Some("zhangsan")));
    let by_mini = by("lisi");
    assert_eq!(by_mini["add_way"].as_i64(), Some(wecom_types::fidelity::ADD_WAY_OTHER as i64));
    assert_eq!(by_mini["createtime"].as_i64(), Some(T0 + 60));
    assert!(by_mini.get("state").is_none(), "a config without a state gives none: {by_mini}");
    for key in ["remark", "description"] {
        assert!(by_qr[key].is_string(), "{key} is always there");
    }
}

#[tokio::test]
async fn the_group_detail_lists_the_owner_and_code_joiners_with_their_scenes_and_states() {
    let wecom = Wecom::start().await;
    let with_state = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0002"],"state":"vip"})).await;
    let without = wecom.add_join(json!({"scene":2,"chat_id_list":["wrmockchat0002"]})).await;
    let join = |config: &str, ext: &str| JoinRequest {
        corpid: DEFAULT_CORPID.into(),
        config_id: config.into(),
        external_userid: Some(ext.into()),
    };
    let before =
        wecom.ok(Api::GetGroupChat, json!({"chat_id":"wrmockchat0002"})).await["group_chat"]["member_version"].clone();
    wecom.mock.control().join(&join(&with_state, "wmjoinerwithstate")).expect("join");
    wecom.mock.control().join(&join(&without, "wmjoinerwithout")).expect("join");

    let plain = wecom.ok(Api::GetGroupChat, json!({"chat_id":"wrmockchat0002"})).await;
    let group = &plain["group_chat"];
    assert_eq!((group["chat_id"].as_str(), group["owner"].as_str()), (Some("wrmockchat0002"), Some("zhangsan")));
    assert_ne!(group["member_version"], before, "the member version follows the membership");
    let owner = member(group, "zhangsan");
    assert_eq!((owner["type"].as_i64(), owner["join_scene"].as_i64()), (Some(1), Some(1)));
    assert!(owner.get("state").is_none());
    let joiner = member(group, "wmjoinerwithstate");
    assert_eq!((joiner["type"].as_i64(), joiner["join_scene"].as_i64()), (Some(2), Some(3)));
    assert_eq!((joiner["join_time"].as_i64(), joiner["state"].as_str()), (Some(T0), Some("vip")));
    assert!(member(group, "wmjoinerwithout").get("state").is_none());
    assert!(joiner.get("name").is_none(), "names only with need_name 1");

    let named = wecom.ok(Api::GetGroupChat, json!({"chat_id":"wrmockchat0002","need_name":1})).await;
    assert_eq!(member(&named["group_chat"], "zhangsan")["name"], "张三");
    assert!(member(&named["group_chat"], "wmjoinerwithstate")["name"].is_string());
}
