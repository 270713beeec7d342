//! `create_join_way`: the id, and for scene 2 the QR code from a follow-up get.

use serde_json::json;
use wecom_client::Error;
use wecom_types::Api;
use wecom_types::api::{AddJoinWay, Scene};

use crate::stub::{Reply, Stub};

#[tokio::test]
async fn create_join_way_fetches_the_qr_code_for_scene_2_only() {
    for (scene, gets, qr_code) in [(Scene::MINI_PROGRAM, 0, None), (Scene::QR_CODE, 1, Some("https://qr/j1"))] {
        let stub = Stub::start().await;
        stub.on(Api::AddJoinWay, |_| Reply::ok(json!({"config_id": "j1"})));
        stub.on(Api::GetJoinWay, |_| Reply::ok(json!({"join_way": {"config_id": "j1", "qr_code": "https://qr/j1"}})));
        let created = stub.client().create_join_way(&AddJoinWay::new(scene, ["wrchat0001"])).await.expect("created");
        assert_eq!(created.config_id, "j1");
        assert_eq!(created.qr_code.as_deref(), qr_code, "{scene:?}");
        assert_eq!(stub.count(Api::GetJoinWay), gets, "{scene:?}");
        if gets == 1 {
            assert_eq!(stub.only_body(Api::GetJoinWay), json!({"config_id": "j1"}));
        }
    }
}

#[tokio::test]
async fn a_failed_follow_up_get_still_returns_the_config_id() {
    let stub = Stub::start().await;
    stub.on(Api::AddJoinWay, |_| Reply::ok(json!({"config_id": "j1"})));
    stub.on(Api::GetJoinWay, |_| Reply::err(48002));
    let err = stub.client().create_join_way(&AddJoinWay::new(Scene::QR_CODE, ["wrchat0001"])).await.expect_err("get");
    assert!(matches!(&err, Error::Incomplete { config_id, .. } if config_id == "j1"), "{err:?}");
    assert_eq!(err.code().map(|c| c.get()), Some(48002));
    assert_eq!(stub.count(Api::AddJoinWay), 1);
}
