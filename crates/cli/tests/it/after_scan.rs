//! `wecom members` and `wecom customers --userid U`: JSON lines an operator picks members from.

use serde_json::json;
use wecom_mock::api::ScanRequest;
use wecom_types::api::{AddContactWay, Scene};

use crate::harness::Harness;

#[test]
fn members_lists_the_follow_users_one_per_line() {
    let h = Harness::start();
    let run = h.run(&["members"]).expect_code(0);
    let expected: Vec<_> =
        ["zhangsan", "lisi", "wangwu", "zhaoliu", "zhouba"].iter().map(|u| json!({"userid": u})).collect();
    assert_eq!(run.lines(), expected);
}

#[test]
fn customers_lists_a_member_s_customers_oldest_first() {
    let h = Harness::start();
    let created =
        h.block_on(h.client().add_contact_way(&AddContactWay::single("lisi", Scene::QR_CODE))).expect("add").config_id;
    for customer in ["wmclicustomer002", "wmclicustomer001"] {
        let scan = ScanRequest {
            corpid: h.mock.corpid().to_owned(),
            config_id: created.clone(),
            external_userid: Some(customer.to_owned()),
            ..Default::default()
        };
        h.mock.control().scan(&scan).expect("scan");
    }
    let run = h.run(&["customers", "--userid", "lisi"]).expect_code(0);
    assert_eq!(
        run.lines(),
        [json!({"external_userid": "wmclicustomer002"}), json!({"external_userid": "wmclicustomer001"})]
    );
}

#[test]
fn a_member_without_customers_has_no_lines_and_an_unknown_member_fails() {
    let h = Harness::start();
    let run = h.run(&["customers", "--userid", "zhangsan"]).expect_code(0);
    assert!(run.stdout().is_empty(), "{}", run.stdout());
    let run = h.run(&["customers", "--userid", "nobody"]).expect_code(1);
    assert!(run.stderr().contains("60111"), "{}", run.stderr());
}

#[test]
fn the_summaries_count_members_and_customers_in_words() {
    let h = Harness::start();
    let created =
        h.block_on(h.client().add_contact_way(&AddContactWay::single("lisi", Scene::QR_CODE))).expect("add").config_id;
    let scan = ScanRequest { corpid: h.mock.corpid().to_owned(), config_id: created, ..Default::default() };
    h.mock.control().scan(&scan).expect("scan");
    let cases: [(&[&str], &str); 3] = [
        (&["members"], "5 members"),
        (&["customers", "--userid", "zhangsan"], "0 customers of zhangsan"),
        (&["customers", "--userid", "lisi"], "1 customer of lisi"),
    ];
    for (args, summary) in cases {
        let run = h.run(args).expect_code(0);
        assert_eq!(run.stderr().trim_end(), summary, "{args:?}");
    }
}
