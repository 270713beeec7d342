//! The calls after the scan (§8) as sequences the model and the mock must agree on: codes
//! issued by scans, used once, expiring on the clock, relationships ending, customer lists.

use serde_json::json;
use wecom_conformance::check_against;
use wecom_conformance::op::{CodeRef, Seq, code, cw};
use wecom_conformance::setup::Setup;
use wecom_mock::MockServer;

async fn check(s: Seq) {
    let mock = MockServer::start().await;
    if let Err(mismatch) = check_against(&mock.uri(), Setup::default(), &s).await {
        panic!("{mismatch}");
    }
}

#[tokio::test]
async fn a_code_is_used_once_within_its_twenty_seconds() {
    let mut s = Seq::default();
    s.get_follow_user_list(0).get_follow_user_list(2);
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["lisi"]}));
    s.scan(cw(0), "wmcustomer0001", None, None).scan(cw(0), "wmcustomer0002", None, None);
    s.advance_clock(20);
    s.send_welcome_msg(2, code(0), json!({"text":{"content":"hi"}}));
    s.send_welcome_msg(0, code(0), json!({"text":{"content":"hi"}}));
    s.list_external_contact(0, "lisi").list_external_contact(2, "zhangsan").list_external_contact(0, "sunqi");
    s.advance_clock(1);
    s.send_welcome_msg(0, code(1), json!({"text":{"content":"late"}}));
    s.send_welcome_msg(0, CodeRef::Lit("fedcba9876543210fedcba9876543210".into()), json!({"text":{"content":"?"}}));
    check(s).await;
}

#[tokio::test]
async fn a_rescan_answers_the_original_code_and_an_ended_chat_is_84061() {
    let mut s = Seq::default();
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true}));
    s.add_contact_way(0, json!({"type":1,"scene":2,"user":["zhangsan"]}));
    s.scan(cw(0), "wmcustomer0003", None, None);
    s.scan(cw(1), "wmcustomer0004", None, None).scan(cw(1), "wmcustomer0004", None, None);
    s.close_temp_chat(0, "zhangsan", "wmcustomer0003");
    s.send_welcome_msg(0, code(0), json!({"text":{"content":"hi"}}));
    s.send_welcome_msg(0, code(2), json!({"attachments":[{"msgtype":"file","file":{"media_id":"M"}}]}));
    s.send_welcome_msg(0, code(1), json!({"text":{"content":"again"}}));
    s.list_external_contact(0, "zhangsan");
    check(s).await;
}
