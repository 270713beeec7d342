//! The pure-input rules of `errcodes.md`: every case of `spec/cases.jsonl` at the `types` layer
//! (each rule with its valid neighbour: 30 vs 31 characters, 5 vs 6 chats, 14 days vs 14 days
//! and a second) is decoded as its API's request and validated, giving exactly the case's
//! errcode and field, or no violation for `expect: 0`. A new case is a line of that file.

#[path = "../../../../spec/cases.rs"]
pub(crate) mod cases;

use cases::{Case, Layer, Vars, cases_for};
use wecom_types::wire::decode_body;
use wecom_types::{DecodeError, Endpoint, EndpointVisitor};

/// `None`: valid. `Some((errcode, field))`: the violation.
type Verdict = Option<(i32, String)>;

/// Decodes a body as the visited API's request and validates it.
struct Validates<'a>(&'a [u8]);

impl EndpointVisitor for Validates<'_> {
    type Output = Result<Verdict, DecodeError>;

    fn visit<E: Endpoint>(self) -> Self::Output {
        let request: E = decode_body(self.0)?;
        Ok(request.validate().err().map(|v| (v.code.0, v.field.to_owned())))
    }
}

fn verdict(case: &Case) -> Result<Verdict, String> {
    let api = case.table_api().ok_or("not an API of the table")?;
    let body = case.body_text(&Vars::offline());
    api.visit(Validates(body.as_bytes())).map_err(|e| format!("does not decode: {e}"))
}

#[test]
fn every_types_case_of_the_spec_table_gets_its_errcode_and_field() {
    let cases = cases_for(Layer::Types).unwrap_or_else(|e| panic!("{e}"));
    assert!(cases.len() >= 120, "only {} cases at the types layer", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let expected = (case.expect != 0).then(|| (case.expect, case.field.clone().unwrap_or_default()));
            match verdict(case) {
                Ok(got) if got == expected => None,
                Ok(got) => Some(format!("{}: expected {expected:?}, got {got:?}", case.id)),
                Err(why) => Some(format!("{}: {why}", case.id)),
            }
        })
        .collect();
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn join_way_remark_truncates_to_30_characters() {
    use wecom_types::validate::truncate_join_way_remark;
    assert_eq!(truncate_join_way_remark(&"字".repeat(31)), "字".repeat(30));
    assert_eq!(truncate_join_way_remark("short"), "short");
}

#[test]
fn a_borrowed_config_id_is_checked_as_the_request_that_carries_it() {
    use wecom_types::Validate;
    use wecom_types::api::GetContactWay;
    use wecom_types::validate::validate_config_id;
    let absent = GetContactWay::default();
    for config_id in [None, Some(""), Some(" "), Some("42b34949e138eb6e027c123cba77fad7")] {
        let request = config_id.map_or_else(|| absent.clone(), GetContactWay::new);
        assert_eq!(validate_config_id(config_id), request.validate(), "{config_id:?}");
    }
}
