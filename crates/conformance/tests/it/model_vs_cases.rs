//! The model against the hand-written spec cases: a third, independent reading of
//! `errcodes.md`. Every case the model can evaluate (a WeCom API body, with or without a
//! set-up step) must get the errcode the table says.

use wecom_conformance::cases::{CorpOverrides, Vars, conformance_cases};
use wecom_conformance::model::Model;
use wecom_conformance::op::Op;
use wecom_conformance::setup::Setup;
use wecom_conformance::step::{Answer, Bindings, Fresh, step};
use wecom_types::ErrCode;
use wecom_types::api::{AddContactWay, AddJoinWay, CloseTempChat, DelContactWay, Scene, SendWelcomeMsg};
use wecom_types::limits::WELCOME_CODE_LIFETIME_SECS;

fn setup_of(corp: Option<&CorpOverrides>) -> Setup {
    corp.map_or_else(Setup::default, CorpOverrides::setup)
}

/// Runs a case's `welcome_…` set-up step on the model: `$ID`, `$EXT` and `$CODE`.
fn given_welcome(model: &mut Model, what: &str) -> (String, String, String) {
    let (id, code) = ("0123456789abcdef0123456789abcdef".to_owned(), "c0de0000c0de0000c0de0000c0de0000");
    let user = if what == "code_of_user" { "zhangsan" } else { "lisi" };
    let mut req = AddContactWay::single(user, Scene::QR_CODE);
    if what == "ended" {
        req = AddContactWay::temp(user, 0, 0);
    }
    let ok = |r: Result<(), _>| r.unwrap_or_else(|e| panic!("set-up step welcome_{what} refused: {e:?}"));
    ok(model.add_contact_way(0, &req, &id).map(drop));
    let ext = model.scan(&id, "wmcasecustomer0001", None, None, code).unwrap_or_else(|e| panic!("scan: {e:?}"));
    let ext = ext.external_userid;
    match what {
        "code" | "code_of_user" => {}
        "used" => ok(model.send_welcome_msg(0, &SendWelcomeMsg::new(code).with_text("hi"))),
        "last_second" => model.set_now(model.now + WELCOME_CODE_LIFETIME_SECS),
        "expired" => model.set_now(model.now + WELCOME_CODE_LIFETIME_SECS + 1),
        "ended" => ok(model.close_temp_chat(0, &CloseTempChat::new(user, ext.as_str()))),
        other => panic!("unknown given step welcome_{other}"),
    }
    (id, ext, code.to_owned())
}

/// Runs a case's set-up step on the model: `$ID`, `$EXT` and `$CODE`.
fn given(model: &mut Model, step: &str) -> (String, String, String) {
    match step.strip_prefix("welcome_") {
        Some(what) => given_welcome(model, what),
        None => {
            let (id, ext) = given_config(model, step);
            (id, ext, String::new())
        }
    }
}

/// Runs a case's config set-up step on the model: `$ID` and `$EXT`.
fn given_config(model: &mut Model, step: &str) -> (String, String) {
    let id = "0123456789abcdef0123456789abcdef".to_owned();
    let single = AddContactWay::single("zhangsan", Scene::QR_CODE);
    let temp = AddContactWay { expires_in: Some(60), ..AddContactWay::temp("zhangsan", 0, 0) };
    let ok = |r: Result<_, _>| r.unwrap_or_else(|e| panic!("set-up step {step} refused: {e:?}"));
    match step {
        "contact_way" => ok(model.add_contact_way(0, &single, &id).map(drop)),
        "multi_contact_way" => {
            ok(model.add_contact_way(0, &AddContactWay::multi(["zhangsan"], [], Scene::QR_CODE), &id).map(drop))
        }
        "deleted_contact_way" => {
            ok(model.add_contact_way(0, &single, &id).map(drop));
            ok(model.del_contact_way(0, &DelContactWay::new(id.as_str())));
        }
        "temp_way" => ok(model.add_contact_way(0, &temp, &id).map(drop)),
        "temp_used" | "relationship" => {
            ok(model.add_contact_way(0, if step == "temp_used" { &temp } else { &single }, &id).map(drop));
            let s = model
                .scan(&id, "wmcasecustomer0001", None, None, "c0de0000c0de0000c0de0000c0de0000")
                .unwrap_or_else(|e| panic!("scan: {e:?}"));
            return (id, s.external_userid);
        }
        "temp_expired" => {
            ok(model.add_contact_way(0, &temp, &id).map(drop));
            model.set_now(model.now + 61);
        }
        "join_way" | "full_join_way" => {
            let mut req = AddJoinWay::new(Scene::QR_CODE, ["wrmockchat0001"]);
            if step == "full_join_way" {
                req.auto_create_room = Some(0);
            }
            ok(model.add_join_way(0, &req, &id));
            if step == "full_join_way" {
                model.join(&id, "wmcasejoiner0001", "wrunused0000").unwrap_or_else(|e| panic!("join: {e:?}"));
            }
        }
        other => panic!("unknown given step {other}"),
    }
    (id, String::new())
}

#[test]
fn the_model_gives_every_spec_case_the_errcode_of_the_table() {
    let cases = conformance_cases().expect("the case table parses");
    let mut evaluated = 0;
    let mut wrong = Vec::new();
    for case in &cases {
        // What the model does not model: gettoken, token variants, the mock's own answers,
        // fault injection and rate limits, the control surface as the request under test.
        let modelled = case.api != "gettoken"
            && !case.api.starts_with("__admin")
            && case.token.is_none()
            && case.needs.is_none()
            && case.table_api().is_some();
        if !modelled {
            continue;
        }
        let setup = setup_of(case.corp.as_ref());
        let mut model = Model::new(setup.directory("wwmodelcase"), setup.start);
        let (id, ext, code) = case.given.as_deref().map(|g| given(&mut model, g)).unwrap_or_default();
        let mut vars = Vars::offline();
        vars.set("$ID", id).set("$EXT", ext);
        if !code.is_empty() {
            vars.set("$CODE", code);
        }
        let body = case.body_text(&vars);
        let op = Op::Raw { app: case.app.unwrap_or(0), api: case.api.clone(), body, id: None };
        let answer = step(&mut model, &mut Bindings::default(), &op, &Fresh::fake(0));
        evaluated += 1;
        if answer != Answer::Code(ErrCode(case.expect)) {
            wrong.push(format!("{} ({}): model {answer:?}", case.name(), case.row));
        }
    }
    assert!(evaluated > 60, "only {evaluated} cases evaluated");
    assert!(wrong.is_empty(), "the model disagrees with the table:\n{}", wrong.join("\n"));
}
