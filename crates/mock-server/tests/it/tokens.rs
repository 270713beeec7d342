//! Token lifecycle on the virtual clock, and corps kept apart.

use serde_json::json;
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

use super::support::Wecom;

#[tokio::test]
async fn gettoken_returns_the_same_token_with_its_remaining_lifetime() {
    let wecom = Wecom::start().await;
    wecom.mock.control().advance_clock(100).expect("clock");
    let answer = wecom.gettoken(&[("corpid", DEFAULT_CORPID), ("corpsecret", DEFAULT_SECRET)]).await;
    assert_eq!(answer["access_token"], wecom.token.as_str());
    assert_eq!(answer["expires_in"], 7100);
}

#[tokio::test]
async fn after_7200_seconds_the_old_token_is_expired_and_a_new_one_is_issued() {
    let wecom = Wecom::start().await;
    wecom.mock.control().advance_clock(7199).expect("clock");
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 0, "valid until the last second");
    wecom.mock.control().advance_clock(1).expect("clock");
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 42001);
    let fresh = wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await;
    assert_ne!(fresh, wecom.token);
    let answer = wecom.call_with(Api::ListContactWay, Some(&fresh), &json!({})).await;
    assert_eq!(answer["errcode"], 0);
}

#[tokio::test]
async fn tokens_are_long_and_unguessable() {
    let wecom = Wecom::start().await;
    let tenant = wecom.mock.control().create_tenant(&Default::default()).expect("tenant");
    let other = wecom.token_for(&tenant.corpid, &tenant.secret).await;
    assert!(wecom.token.len() >= 64, "{}", wecom.token);
    assert!(wecom.token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{}", wecom.token);
    assert_ne!(wecom.token, other);
    // The seed makes config ids reproducible, never tokens.
    let again = Wecom::start().await;
    assert_ne!(again.token, wecom.token);
}

#[tokio::test]
async fn one_corps_token_never_reaches_another_corps_data() {
    let wecom = Wecom::start().await;
    let id = wecom.add(json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    let tenant = wecom.mock.control().create_tenant(&Default::default()).expect("tenant");
    let token = wecom.token_for(&tenant.corpid, &tenant.secret).await;
    let answer = wecom.call_with(Api::GetContactWay, Some(&token), &json!({"config_id": id})).await;
    assert_eq!(answer["errcode"], 41044);
    let answer = wecom.call_with(Api::DelContactWay, Some(&token), &json!({"config_id": id})).await;
    assert_eq!(answer["errcode"], 41044);
    let answer = wecom.call_with(Api::ListContactWay, Some(&token), &json!({})).await;
    assert_eq!(answer["contact_way"], json!([]));
    assert_eq!(wecom.get(&id).await["config_id"], id.as_str(), "still there for its own corp");
}

#[tokio::test]
async fn revoked_tokens_answer_40014_and_a_new_one_works() {
    let wecom = Wecom::start().await;
    wecom.mock.control().revoke_tokens(DEFAULT_CORPID).expect("revoke");
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 40014);
    let fresh = wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await;
    assert_eq!(wecom.call_with(Api::ListContactWay, Some(&fresh), &json!({})).await["errcode"], 0);
}

#[tokio::test]
async fn a_changed_or_cut_token_answers_40014() {
    let wecom = Wecom::start().await;
    let mut changed = wecom.token.clone().into_bytes();
    // The middle of the token is the random part and the MAC: any change there is caught.
    for at in [10, 30, 50] {
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    }
    let changed = String::from_utf8(changed).expect("ascii");
    for token in [changed.as_str(), &wecom.token[..wecom.token.len() - 4], "x"] {
        let answer = wecom.call_with(Api::ListContactWay, Some(token), &json!({})).await;
        assert_eq!(answer["errcode"], 40014, "{token}: {answer}");
    }
}

#[tokio::test]
async fn within_one_run_gettoken_returns_the_same_token_across_a_reset_and_a_put() {
    let wecom = Wecom::start().await;
    wecom.mock.control().reset(None).expect("reset");
    wecom.mock.control().set_clock(super::support::T0 + 10).expect("clock");
    assert_eq!(wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await, wecom.token);
    wecom.mock.control().put_corp(&wecom_mock::fixtures::CorpFixture::default_corp()).expect("replace");
    assert_eq!(wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await, wecom.token);
    assert_eq!(wecom.call(Api::ListContactWay, json!({})).await["errcode"], 0);
}

#[tokio::test]
async fn a_replaced_token_and_every_older_one_answer_the_expired_code() {
    let wecom = Wecom::start().await;
    let first = wecom.token.clone();
    wecom.mock.control().advance_clock(7200).expect("clock");
    let second = wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await;
    wecom.mock.control().advance_clock(7200).expect("clock");
    let third = wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await;
    for (token, expected) in [(&first, 42001), (&second, 42001), (&third, 0)] {
        let answer = wecom.call_with(Api::ListContactWay, Some(token), &json!({})).await;
        assert_eq!(answer["errcode"], expected, "{answer}");
    }
}

#[tokio::test]
async fn a_replaced_token_stays_expired_when_the_clock_moves_back() {
    let wecom = Wecom::start().await;
    let first = wecom.token.clone();
    wecom.mock.control().advance_clock(7200).expect("clock");
    let second = wecom.token_for(DEFAULT_CORPID, DEFAULT_SECRET).await;
    assert_ne!(first, second);
    wecom.mock.control().set_clock(super::support::T0 + 100).expect("clock");
    let answer = wecom.call_with(Api::ListContactWay, Some(&first), &json!({})).await;
    assert_eq!(answer["errcode"], 42001, "a replaced token does not come back to life");
    let answer = wecom.call_with(Api::ListContactWay, Some(&second), &json!({})).await;
    assert_eq!(answer["errcode"], 0);
}
