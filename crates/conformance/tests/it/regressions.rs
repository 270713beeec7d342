//! Sequences the generator once shrank to, pasted as they printed. Each pins a reading of the
//! spec that the model and the mock first disagreed on (see the README's conformance section).

use serde_json::json;
use wecom_conformance::check_against;
use wecom_conformance::op::{Seq, cw};
use wecom_conformance::setup::Setup;
use wecom_mock::MockServer;

async fn check(setup: Setup, s: Seq) {
    let mock = MockServer::start().await;
    if let Err(mismatch) = check_against(&mock.uri(), setup, &s).await {
        panic!("{mismatch}");
    }
}

#[tokio::test]
async fn a_present_zero_expires_in_resets_the_default_on_update() {
    let mut s = Seq::default();
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"expires_in":60}));
    s.update_contact_way(0, cw(0), json!({"expires_in":0}));
    check(Setup::default(), s).await;
}

#[tokio::test]
async fn a_temp_code_cannot_add_a_customer_who_already_follows_the_member() {
    let mut s = Seq::default();
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["lisi"],"is_temp":true}));
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["lisi"]}));
    s.scan(cw(1), "wmcustomer0004", None, None);
    s.scan(cw(0), "wmcustomer0004", None, None);
    check(Setup::default(), s).await;
}

#[tokio::test]
async fn round_robin_moves_only_when_a_scan_adds_someone() {
    let mut s = Seq::default();
    s.add_contact_way(0, json!({"type":2,"scene":2,"party":[1]}));
    s.scan(cw(0), "wmcustomer0004", None, None);
    s.add_contact_way(0, json!({"type":2,"scene":2,"user":["lisi","zhangsan"]}));
    s.scan(cw(1), "wmcustomer0004", None, None);
    s.scan(cw(1), "wmcustomer0001", None, None);
    check(Setup::default(), s).await;
}

#[tokio::test]
async fn a_running_temp_chat_keeps_its_conclusions_when_its_config_is_deleted() {
    let mut s = Seq::default();
    s.add_contact_way(
        0,
        json!({"type":1,"scene":2,"user":["wangwu"],"is_temp":true,"conclusions":{"text":{"content":"bye"}}}),
    );
    s.scan(cw(0), "wocustomer0003", None, None);
    s.del_contact_way(0, cw(0));
    s.close_temp_chat(0, "wangwu", "wocustomer0003");
    check(Setup::default(), s).await;
}

#[tokio::test]
async fn a_list_page_that_ends_on_the_last_config_has_an_empty_cursor() {
    let mut s = Seq::default();
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"]}));
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["lisi"]}));
    s.list_contact_way(0, json!({"limit":1}), None);
    s.list_contact_way(0, json!({"limit":1}), Some(wecom_conformance::op::cursor(0)));
    s.list_contact_way(0, json!({"limit":2}), None);
    check(Setup::default(), s).await;
}

#[tokio::test]
async fn a_days_temp_count_stands_when_the_clock_moves_back_to_that_day() {
    let midnight = wecom_types::limits::next_beijing_midnight(wecom_conformance::setup::T0);
    let mut s = Seq::default();
    s.set_clock(midnight - 30);
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true}));
    s.advance_clock(60);
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true}));
    s.set_clock(midnight - 30);
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true}));
    check(Setup::default(), s).await;
}

#[tokio::test]
async fn a_replaced_token_answers_expired_after_the_clock_moves_back() {
    let mut s = Seq::default();
    s.get_token(0);
    s.advance_clock(7200);
    s.list_contact_way(0, json!({}), None);
    s.set_clock(wecom_conformance::setup::T0 + 100);
    s.call_with_token(0);
    check(Setup::default(), s).await;
}
