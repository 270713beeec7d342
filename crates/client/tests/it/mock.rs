//! The client against the real mock server: every API end to end, and the behaviours the mock
//! reproduces faithfully (overwrite updates, token revocation and expiry, quotas, cursors, and
//! the transient answers of its faults and rate limits).

use futures_util::TryStreamExt;
use wecom_client::{Client, Error};
use wecom_mock::MockServer;
use wecom_mock::api::{ClockRequest, JoinRequest, ScanRequest};
use wecom_mock::fixtures::{CorpFixture, QuotaFixture};
use wecom_types::api::*;
use wecom_types::{ErrCode, Patch};

fn client_for(mock: &MockServer) -> Client {
    Client::builder(mock.corpid(), mock.secret()).base_url(mock.uri()).build().expect("client")
}

async fn started() -> (MockServer, Client) {
    let mock = MockServer::start().await;
    let client = client_for(&mock);
    (mock, client)
}

#[tokio::test]
async fn contact_me_round_trip_against_the_mock() {
    let (mock, client) = started().await;
    let created = client
        .add_contact_way(&AddContactWay::multi(["zhangsan", "lisi"], [2], Scene::QR_CODE).with_state("spring"))
        .await
        .expect("add");
    assert!(created.qr_code.as_deref().is_some_and(|url| url.starts_with(&mock.uri())));
    let way = client.get_contact_way(&created.config_id).await.expect("get");
    assert_eq!(way.state.as_deref(), Some("spring"));
    assert_eq!(way.user, Some(vec!["zhangsan".to_owned(), "lisi".to_owned()]));
    let ids: Vec<String> = client.contact_way_ids(ListContactWay::default()).try_collect().await.expect("list");
    assert_eq!(ids, std::slice::from_ref(&created.config_id));
    client.del_contact_way(&created.config_id).await.expect("delete");
    let gone = client.get_contact_way(&created.config_id).await.expect_err("deleted");
    assert_eq!(gone.code(), Some(ErrCode::INVALID_CONFIG_ID));
}

#[tokio::test]
async fn a_plain_update_of_the_remark_keeps_the_members() {
    let (_mock, client) = started().await;
    let created =
        client.add_contact_way(&AddContactWay::multi(["zhangsan", "lisi"], [], Scene::QR_CODE)).await.expect("add");
    let mut update = UpdateContactWay::new(created.config_id.clone());
    update.remark = Patch::Set("renamed".into());
    client.update_contact_way(&update).await.expect("update");
    let way = client.get_contact_way(&created.config_id).await.expect("get");
    assert_eq!(way.remark.as_deref(), Some("renamed"));
    assert_eq!(way.user.map(|u| u.len()), Some(2), "the mock clears lists that are sent empty: none was sent");
}

#[tokio::test]
async fn the_merged_update_changes_one_field_and_keeps_everything_else() {
    let (_mock, client) = started().await;
    let created = client
        .add_contact_way(&AddContactWay::multi(["zhangsan", "lisi"], [2], Scene::QR_CODE).with_state("keep-me"))
        .await
        .expect("add");
    let updated = client
        .update_contact_way_merged(&created.config_id, |way| way.user = Some(vec!["wangwu".into()]))
        .await
        .expect("merged update");
    assert_eq!(updated.user, Some(vec!["wangwu".to_owned()]));
    let way = client.get_contact_way(&created.config_id).await.expect("get");
    assert_eq!((way.state.as_deref(), way.party), (Some("keep-me"), Some(vec![2])));
}

#[tokio::test]
async fn a_revoked_token_is_refreshed_once_and_the_call_succeeds() {
    let (mock, client) = started().await;
    client.list_contact_way(&ListContactWay::default()).await.expect("warms the token");
    let before = client.access_token().await.expect("token");
    mock.control().revoke_tokens(mock.corpid()).expect("revoke");
    client.list_contact_way(&ListContactWay::default()).await.expect("refreshed after 40014");
    assert_ne!(client.access_token().await.expect("token"), before);
}

#[tokio::test]
async fn a_token_the_mock_considers_expired_is_refreshed() {
    let (mock, client) = started().await;
    client.list_contact_way(&ListContactWay::default()).await.expect("warms the token");
    // The mock's clock moves past the token's life; the client's own clock does not.
    mock.control().clock(&ClockRequest { advance: Some(7300), ..Default::default() }).expect("clock");
    client.list_contact_way(&ListContactWay::default()).await.expect("refreshed after 42001");
}

#[tokio::test]
async fn the_list_stream_walks_many_pages_once_each() {
    let (_mock, client) = started().await;
    let mut created = Vec::new();
    for _ in 0..60 {
        created.push(
            client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await.expect("add").config_id,
        );
    }
    let filter = ListContactWay { limit: Some(7), ..Default::default() };
    let mut ids: Vec<String> = client.contact_way_ids(filter.clone()).try_collect().await.expect("walk");
    assert_eq!(ids.len(), 60);
    ids.sort();
    created.sort();
    assert_eq!(ids, created);
    let detailed: Vec<ContactWay> = client.contact_ways_detailed(filter, 4).try_collect().await.expect("detailed");
    assert!(detailed.iter().all(|way| way.user.as_deref() == Some(&["zhangsan".to_owned()][..])));
}

#[tokio::test]
async fn a_request_that_breaks_a_rule_is_refused_before_the_mock_sees_it() {
    let (mock, client) = started().await;
    let err = client
        .add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("x".repeat(31)))
        .await
        .expect_err("state too long");
    assert!(matches!(&err, Error::Validation(v) if v.field == "state"));
    assert_eq!(err.code(), Some(ErrCode::INVALID_PARAMETER));
    assert!(mock.control().dump(mock.corpid()).expect("dump").contact_ways.is_empty());
}

#[tokio::test]
async fn the_mocks_directory_errors_come_back_typed() {
    let (_mock, client) = started().await;
    for (user, code) in [
        ("nobody", ErrCode::USERID_NOT_FOUND),
        ("zhouba", ErrCode::USER_NOT_ACTIVATED),
        ("zhaoliu", ErrCode::USER_NOT_REAL_NAME_VERIFIED),
        ("sunqi", ErrCode::NOT_CUSTOMER_CONTACT_USER),
    ] {
        let err = client.add_contact_way(&AddContactWay::single(user, Scene::QR_CODE)).await.expect_err(user);
        assert_eq!(err.code(), Some(code), "{user}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn a_full_quota_is_41045() {
    let mock = MockServer::start().await;
    let mut corp = CorpFixture::default_corp();
    corp.quotas = QuotaFixture { contact_ways: 1, temp_daily: 1 };
    mock.control().put_corp(&corp).expect("small quotas");
    let client = client_for(&mock);
    client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await.expect("first");
    let err = client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await.expect_err("full");
    assert_eq!(err.code(), Some(ErrCode::CONTACT_WAY_QUOTA_EXCEEDED));
}

#[tokio::test]
async fn a_temp_chat_is_closed_after_the_customer_scans() {
    let (mock, client) = started().await;
    let created = client.add_contact_way(&AddContactWay::temp("zhangsan", 3600, 3600)).await.expect("add temp");
    let scan = ScanRequest { corpid: mock.corpid().into(), config_id: created.config_id.clone(), ..Default::default() };
    let added = mock.control().scan(&scan).expect("scan");
    let customer = client.get_external_contact(&added.external_userid).await.expect("customer");
    assert_eq!(customer.follow_user[0].userid, "zhangsan");
    client.close_temp_chat(&added.userid, &added.external_userid).await.expect("close");
    let again = client.close_temp_chat(&added.userid, &added.external_userid).await.expect_err("closed");
    assert_eq!(again.code(), Some(ErrCode::NOT_EXTERNAL_CONTACT));
}

#[tokio::test]
async fn create_join_way_returns_the_qr_code_and_joins_carry_the_state() {
    let (mock, client) = started().await;
    let created = client
        .create_join_way(&AddJoinWay::new(Scene::QR_CODE, ["wrmockchat0001"]).with_state("grp-1"))
        .await
        .expect("create");
    assert!(created.qr_code.is_some());
    let joined = mock
        .control()
        .join(&JoinRequest {
            corpid: mock.corpid().into(),
            config_id: created.config_id.clone(),
            external_userid: None,
        })
        .expect("join");
    let group = client.get_group_chat(&GetGroupChat::new(joined.chat_id)).await.expect("group");
    let member = group.member_list.iter().find(|m| m.userid == joined.external_userid).expect("joined");
    assert_eq!((member.join_scene, member.state.as_deref()), (wecom_types::api::JoinScene::QR_CODE, Some("grp-1")));
    let merged = client
        .update_join_way_merged(&created.config_id, |way| way.remark = Some("renamed".into()))
        .await
        .expect("merged update");
    assert_eq!(merged.state.as_deref(), Some("grp-1"), "J3 overwrites everything: the merge keeps the state");
    client.del_join_way(&created.config_id).await.expect("delete");
}

/// A quick policy for the tests below: real backoff, but milliseconds of it.
const QUICK: wecom_client::RetryPolicy = wecom_client::RetryPolicy {
    max_retries: 3,
    base_delay: std::time::Duration::from_millis(10),
    max_delay: std::time::Duration::from_millis(40),
};

#[tokio::test]
async fn transient_answers_injected_by_the_mock_are_retried_until_the_call_succeeds() {
    for code in [-1, 45009, 45033] {
        let mock = MockServer::start().await;
        mock.control()
            .add_fault(&wecom_mock::api::FaultRule::errcode("list_contact_way", code).times(2))
            .expect("fault");
        let client = Client::builder(mock.corpid(), mock.secret())
            .base_url(mock.uri())
            .retry_policy(QUICK)
            .build()
            .expect("client");
        client.list_contact_way(&ListContactWay::default()).await.unwrap_or_else(|e| panic!("{code}: {e}"));
        let calls = mock
            .control()
            .requests(&wecom_mock::api::RequestQuery { path: Some("list_contact_way".into()), ..Default::default() })
            .expect("requests");
        let codes: Vec<Option<i32>> = calls.iter().map(|c| c.errcode).collect();
        assert_eq!(codes, [Some(code), Some(code), Some(0)], "{code}");
    }
}

#[tokio::test]
async fn a_rate_limited_client_sees_45009_and_recovers_after_backoff_once_the_window_turns() {
    let mut corp = CorpFixture::default_corp();
    corp.rate_limits = wecom_mock::fixtures::RateLimitFixture::Custom(wecom_mock::fixtures::RateLimitSettings {
        per_minute: 1,
        per_hour: 1_000,
        concurrent: 32,
    });
    let mock = MockServer::builder().fixtures(wecom_mock::fixtures::Fixtures { corps: vec![corp] }).start().await;
    mock.control().set_clock(1_750_000_020).expect("clock"); // a minute boundary; frozen, so the window turns only when told
    let patient = wecom_client::RetryPolicy { max_retries: 6, ..wecom_client::RetryPolicy::default() };
    let client = Client::builder(mock.corpid(), mock.secret())
        .base_url(mock.uri())
        .retry_policy(patient)
        .build()
        .expect("client");
    client.list_contact_way(&ListContactWay::default()).await.expect("the minute's one call");
    // With the clock frozen every retry meets the same full window: the caller gets 45009.
    let refused = Client::builder(mock.corpid(), mock.secret())
        .base_url(mock.uri())
        .retry_policy(QUICK)
        .build()
        .expect("client")
        .list_contact_way(&ListContactWay::default())
        .await
        .expect_err("the window is full");
    assert_eq!(refused.code(), Some(ErrCode::API_FREQ_OUT_OF_LIMIT));
    assert!(refused.is_retryable());
    // Now the window turns while the patient client is backing off: as soon as the mock has
    // refused it once, the clock moves to the next minute, and a later retry gets through.
    let refusals = || {
        mock.control()
            .requests(&wecom_mock::api::RequestQuery { errcode: Some(45009), ..Default::default() })
            .expect("requests")
            .len()
    };
    let before = refusals();
    let turn = async {
        // Bounded, so a client that never got refused fails the test instead of hanging it.
        for _ in 0..2_000 {
            if refusals() > before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        mock.control().advance_clock(60).expect("clock");
    };
    let all = ListContactWay::default();
    let (page, ()) = tokio::join!(client.list_contact_way(&all), turn);
    page.expect("recovered after backoff");
    let last = mock
        .control()
        .requests(&wecom_mock::api::RequestQuery {
            path: Some("list_contact_way".into()),
            limit: Some(1),
            ..Default::default()
        })
        .expect("requests");
    assert_eq!(last[0].errcode, Some(0));
}
