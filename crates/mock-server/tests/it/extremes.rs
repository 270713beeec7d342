//! Values at the ends of their types get an answer, never a dropped connection (the debug build
//! checks overflow). Found by Schemathesis against the OpenAPI document, or by reading the code
//! it pointed at.

use serde_json::json;
use wecom_types::Api;

use super::support::Wecom;

#[tokio::test]
async fn a_list_window_ending_at_the_start_of_time_is_an_answer() {
    let wecom = Wecom::start().await;
    for end_time in [i64::MIN, i64::MIN + 1, -9_223_372_036_854_775_807] {
        let page = wecom.ok(Api::ListContactWay, json!({"end_time": end_time, "limit": 10})).await;
        assert_eq!(page["contact_way"], json!([]), "{end_time}");
    }
}

#[tokio::test]
async fn tokens_are_issued_and_reused_at_the_ends_of_the_virtual_clock() {
    let wecom = Wecom::start().await;
    let (corpid, secret) = (wecom.mock.corpid().to_owned(), wecom.mock.secret().to_owned());
    for at in [i64::MAX, i64::MIN, i64::MAX - 1] {
        wecom.mock.control().set_clock(at).expect("clock");
        let first = wecom.gettoken(&[("corpid", &corpid), ("corpsecret", &secret)]).await;
        assert_eq!(first["errcode"], 0, "{at}: {first}");
        let again = wecom.gettoken(&[("corpid", &corpid), ("corpsecret", &secret)]).await;
        assert_eq!(again["errcode"], 0, "{at}: {again}");
        assert!(again["expires_in"].as_i64().is_some_and(|s| s >= 0), "{at}: {again}");
    }
}

#[tokio::test]
async fn temp_configs_and_quotas_work_at_the_end_of_the_virtual_clock() {
    let wecom = Wecom::start().await;
    // A day before the end of `i64` (at its very end every token has expired).
    wecom.mock.control().set_clock(i64::MAX - wecom_types::limits::DAY_SECS).expect("clock");
    let token = wecom.token_for(wecom.mock.corpid(), wecom.mock.secret()).await;
    let body = json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true});
    let answer = wecom.call_with(Api::AddContactWay, Some(&token), &body).await;
    assert_eq!(answer["errcode"], 0, "{answer}");
    let quotas = wecom.mock.control().quotas(wecom.mock.corpid()).expect("quotas");
    assert_eq!(quotas.temp_today.used, 1);
    assert!(quotas.temp_today.resets_at > i64::MAX - wecom_types::limits::DAY_SECS, "{quotas:?}");
}
