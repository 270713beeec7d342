//! Contact Me: what is stored and returned, the overwrite update of spec §C4, member rules,
//! and the customer read-back with the config's state.

use serde_json::{Value, json};
use wecom_mock::api::ScanRequest;
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID, DepartmentFixture, MemberFixture};
use wecom_types::Api;

use super::support::{T0, Wecom};

fn scan(config_id: &str) -> ScanRequest {
    ScanRequest { corpid: DEFAULT_CORPID.into(), config_id: config_id.into(), ..Default::default() }
}

#[tokio::test]
async fn get_returns_what_add_stored() {
    let wecom = Wecom::start().await;
    let id = wecom
        .add(json!({"type":2,"scene":1,"style":2,"remark":"r","skip_verify":false,"state":"s",
            "user":["zhangsan","lisi"],"party":[2],"is_exclusive":true,"mark_source":false}))
        .await;
    let config = wecom.get(&id).await;
    let expected = json!({"config_id": id, "type":2,"scene":1,"style":2,"remark":"r","skip_verify":false,
        "state":"s","user":["zhangsan","lisi"],"party":[2],"is_temp":false,"is_exclusive":true,"mark_source":false});
    assert_eq!(config, expected);
}

#[tokio::test]
async fn defaults_apply_to_fields_sent_empty_as_sdks_do() {
    let wecom = Wecom::start().await;
    // The Go SDKs send every field: zeros, empty strings, null lists, an empty conclusions.
    let id = wecom
        .add(json!({"type":1,"scene":2,"style":0,"remark":"","skip_verify":null,"state":"","user":["zhangsan"],
            "party":null,"is_temp":false,"expires_in":0,"chat_expires_in":0,"unionid":"","conclusions":{}}))
        .await;
    let config = wecom.get(&id).await;
    assert_eq!(config["skip_verify"], true);
    assert!(config.get("style").is_none());
    assert!(config["qr_code"].as_str().is_some_and(|url| url.ends_with(&id)));
}

#[tokio::test]
async fn fields_that_do_not_apply_are_ignored_not_stored() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"style":9,"user":["zhangsan"],"party":[1]})).await;
    let config = wecom.get(&id).await;
    assert!(config.get("style").is_none(), "style needs scene 1");
    assert!(config.get("party").is_none(), "party needs type 2, and ignored fields are not returned");
    assert!(config.get("qr_code").is_some());
    let mini = wecom.add(json!({"type":1,"scene":1,"user":["zhangsan"]})).await;
    assert!(wecom.get(&mini).await.get("qr_code").is_none(), "no QR code for scene 1");
}

#[tokio::test]
async fn a_conclusions_image_sent_as_media_id_reads_back_as_pic_url() {
    let wecom = Wecom::start().await;
    let id = wecom
        .add(json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,
            "conclusions":{"text":{"content":"bye"},"image":{"media_id":"MEDIA_1"}}}))
        .await;
    let image = &wecom.get(&id).await["conclusions"]["image"];
    assert!(image.get("media_id").is_none());
    assert!(image["pic_url"].as_str().is_some_and(|url| url.ends_with("/media/MEDIA_1")));
}

/// Spec §C4, one row per case: `(update fields, field, expected value after)`.
#[tokio::test]
async fn update_overwrites_present_fields_clears_empty_ones_and_keeps_absent_ones() {
    let wecom = Wecom::start().await;
    let base = json!({"type":2,"scene":1,"style":2,"remark":"r0","skip_verify":false,"state":"s0",
        "user":["zhangsan","lisi"],"party":[2]});
    let cases: Vec<(Value, &str, Value)> = vec![
        (json!({"remark":"r1"}), "remark", json!("r1")),
        (json!({"remark":"r1"}), "user", json!(["zhangsan", "lisi"])),
        (json!({"remark":"r1"}), "party", json!([2])),
        (json!({"remark":"r1"}), "state", json!("s0")),
        (json!({"user":["wangwu"]}), "user", json!(["wangwu"])),
        (json!({"user":[]}), "user", json!([])),
        (json!({"user":null}), "user", json!([])),
        (json!({"party":[]}), "party", json!([])),
        (json!({"state":""}), "state", json!("")),
        (json!({"state":null}), "state", json!("")),
        (json!({"remark":null}), "remark", json!("")),
        (json!({"skip_verify":null}), "skip_verify", json!(true)),
        (json!({"skip_verify":true}), "skip_verify", json!(true)),
        (json!({"style":1}), "style", json!(1)),
        (json!({"style":0}), "style", Value::Null),
        (json!({"type":1,"scene":2,"is_temp":true}), "type", json!(2)),
    ];
    for (update, field, expected) in cases {
        let id = wecom.add(base.clone()).await;
        let mut body = update.clone();
        body["config_id"] = json!(id);
        wecom.ok(Api::UpdateContactWay, body).await;
        let config = wecom.get(&id).await;
        let got = config.get(field).cloned().unwrap_or(Value::Null);
        assert_eq!(got, expected, "update {update}: field {field}");
    }
}

#[tokio::test]
async fn an_update_that_would_leave_a_config_invalid_changes_nothing() {
    let wecom = Wecom::start().await;
    let single = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"],"remark":"keep"})).await;
    let before = wecom.dump();
    for body in [
        json!({"config_id": single, "user": [], "remark": "changed"}),
        json!({"config_id": single, "user": ["zhangsan","lisi"]}),
        json!({"config_id": single, "user": ["zhaoliu"]}),
    ] {
        let answer = wecom.call(Api::UpdateContactWay, body.clone()).await;
        assert_ne!(answer["errcode"], 0, "{body}");
        assert_eq!(wecom.dump(), before, "{body} changed the state");
    }
}

#[tokio::test]
async fn deleting_makes_the_config_unknown() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    wecom.ok(Api::DelContactWay, json!({"config_id": id})).await;
    assert_eq!(wecom.call(Api::GetContactWay, json!({"config_id": id})).await["errcode"], 41044);
    assert_eq!(wecom.call(Api::DelContactWay, json!({"config_id": id})).await["errcode"], 41044);
}

#[tokio::test]
async fn the_member_limit_counts_department_members() {
    let wecom = Wecom::with_default_corp(|corp: &mut CorpFixture| {
        corp.departments.push(DepartmentFixture { id: 9, name: "Big".into(), parent: 1 });
        corp.departments.push(DepartmentFixture { id: 10, name: "Bigger".into(), parent: 9 });
        for i in 0..99 {
            corp.members.push(MemberFixture {
                userid: format!("m{i:03}"),
                name: String::new(),
                department: vec![if i % 2 == 0 { 9 } else { 10 }],
                activated: true,
                real_name_verified: true,
                customer_contact: true,
                welcome_message_configured: false,
            });
        }
    })
    .await;
    // 99 in department 9 and its sub-department, plus zhangsan: 100.
    wecom.add(json!({"type":2,"scene":2,"user":["zhangsan"],"party":[9]})).await;
    // A member listed and also in the department counts once.
    wecom.add(json!({"type":2,"scene":2,"user":["m000"],"party":[9]})).await;
    let over = wecom.call(Api::AddContactWay, json!({"type":2,"scene":2,"user":["zhangsan","lisi"],"party":[9]})).await;
    assert_eq!(over["errcode"], 41041);
}

#[tokio::test]
async fn scans_go_round_robin_and_exclusive_configs_keep_their_member() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":2,"scene":2,"user":["zhangsan","lisi"]})).await;
    let picks: Vec<String> = (0..4).map(|_| wecom.mock.control().scan(&scan(&id)).expect("scan").userid).collect();
    assert_eq!(picks, ["zhangsan", "lisi", "zhangsan", "lisi"]);

    let exclusive = wecom.add(json!({"type":2,"scene":2,"user":["zhangsan","lisi"],"is_exclusive":true})).await;
    let mut request = scan(&exclusive);
    request.external_userid = Some("wmloyalcustomer".into());
    let first = wecom.mock.control().scan(&request).expect("scan").userid;
    let again = wecom.mock.control().scan(&request).expect("scan").userid;
    assert_eq!(first, again);
}

#[tokio::test]
async fn the_customer_detail_carries_the_state_of_the_config_used() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["lisi"],"state":"spring-campaign"})).await;
    let added = wecom.mock.control().scan(&scan(&id)).expect("scan");
    let detail = wecom.ok(Api::GetExternalContact, json!({"external_userid": added.external_userid})).await;
    assert_eq!(detail["external_contact"]["external_userid"], added.external_userid.as_str());
    let follow = &detail["follow_user"][0];
    assert_eq!((follow["userid"].as_str(), follow["state"].as_str()), (Some("lisi"), Some("spring-campaign")));
    assert_eq!(follow["add_way"], 1);
    assert_eq!(follow["createtime"], T0);
}

#[tokio::test]
async fn a_read_after_each_change_shows_that_change() {
    // Reads are answered from an encoding kept per version of a config: none may be stale.
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":2,"scene":2,"user":["zhangsan"],"state":"v0"})).await;
    assert_eq!(wecom.get(&id).await["state"], "v0");
    assert_eq!(wecom.get(&id).await["state"], "v0", "a second read of the same version");
    for (n, state) in ["v1", "v2", ""].into_iter().enumerate() {
        let users = &["zhangsan", "lisi"][..=n % 2];
        wecom.ok(Api::UpdateContactWay, json!({"config_id": id, "state": state, "user": users})).await;
        let config = wecom.get(&id).await;
        assert_eq!(config["state"], state);
        assert_eq!(config["user"].as_array().map(Vec::len), Some(n % 2 + 1));
    }
    wecom.mock.control().scan(&scan(&id)).expect("scan");
    assert_eq!(wecom.get(&id).await["user"].as_array().map(Vec::len), Some(1), "a scan changes nothing visible");
    wecom.ok(Api::DelContactWay, json!({"config_id": id})).await;
    assert_eq!(wecom.call(Api::GetContactWay, json!({"config_id": id})).await["errcode"], 41044);
}
