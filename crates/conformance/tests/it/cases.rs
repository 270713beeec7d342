//! The spec-case table (`spec/cases.jsonl`): its conformance cases run against the mock, and
//! every row of `errcodes.md` has a case.

use wecom_conformance::cases::{
    CASES_JSONL, Env, Verdict, conformance_cases, errcodes_md_rows, parse_cases, run_cases,
};

use crate::support::InProcess;

#[test]
fn every_spec_case_gets_the_errcode_of_errcodes_md() {
    let world = InProcess::start();
    let cases = conformance_cases().expect("the case table parses");
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

/// The repository's own errcode table (`docs/ERRCODES.md`): its rows are the situations the
/// cases name. Read from the checkout, so a missing or moved file fails the test.
const ERRCODES_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ERRCODES.md");

#[test]
fn the_case_table_covers_every_row_of_errcodes_md() {
    let markdown = std::fs::read_to_string(ERRCODES_MD)
        .unwrap_or_else(|e| panic!("{ERRCODES_MD}: {e}: the errcode table is part of the repository"));
    // Every case of the one table counts, whichever layers check it.
    let cases = parse_cases(CASES_JSONL).expect("the case table parses");
    let rows = errcodes_md_rows(&markdown);
    assert!(rows.len() > 50, "{ERRCODES_MD}: only {} rows read", rows.len());
    let missing: Vec<String> = rows.into_iter().filter(|row| !cases.iter().any(|c| &c.row == row)).collect();
    assert!(missing.is_empty(), "rows of docs/ERRCODES.md without a case:\n{}", missing.join("\n"));
}
