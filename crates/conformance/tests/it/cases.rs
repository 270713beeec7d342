//! The spec-case table: every row of `errcodes.md`, one request each, run against the mock.

use wecom_conformance::cases::{ERRCODE_CASES, Env, Verdict, errcodes_md_rows, parse_cases, run_cases};

use crate::support::InProcess;

#[test]
fn every_spec_case_gets_the_errcode_of_errcodes_md() {
    let world = InProcess::start();
    let cases = parse_cases(ERRCODE_CASES).expect("the case table parses");
    let env = world.rt.block_on(Env::probe(world.target(), world.mock.corpid(), world.mock.secret()));
    let results = world.rt.block_on(run_cases(&env, &cases));
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Fail(why) => Some(format!("{} ({}): {why}", r.name, r.row)),
            _ => None,
        })
        .collect();
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
    for r in &results {
        if let Verdict::Skip(why) = &r.verdict {
            eprintln!("skipped {}: {why}", r.name);
        }
    }
}

#[test]
fn the_case_table_covers_every_row_of_errcodes_md() {
    // The spec lives beside the checkout (`../shared/spec`); CI lays a copy there too.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/spec/errcodes.md");
    let Ok(markdown) = std::fs::read_to_string(path) else {
        eprintln!("{path} is not there; coverage not checked");
        return;
    };
    let cases = parse_cases(ERRCODE_CASES).expect("the case table parses");
    let missing: Vec<String> =
        errcodes_md_rows(&markdown).into_iter().filter(|row| !cases.iter().any(|c| &c.row == row)).collect();
    assert!(missing.is_empty(), "rows of errcodes.md without a case:\n{}", missing.join("\n"));
}
