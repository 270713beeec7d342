//! The suite must notice a broken rule: the mock is started with a bug switched on
//! (`MockServerBuilder::inject_bug`, test-only) and the suite has to fail.

use wecom_conformance::cases::{Env, Verdict, conformance_cases, run_cases};
use wecom_conformance::machine::run_machine_with;
use wecom_mock::Bug;
use wecom_mock::MockServer;

use crate::support::InProcess;

/// Runs the spec cases and a fixed set of generated sequences; returns what failed.
fn suite_failures(bug: Bug) -> (Vec<String>, Option<String>) {
    let world = InProcess::with(MockServer::builder().inject_bug(bug));
    let cases = conformance_cases().expect("the case table parses");
    let env = world.rt.block_on(Env::probe(world.target(), world.mock.corpid(), world.mock.secret()));
    let failed_cases = world
        .rt
        .block_on(run_cases(&env, &cases))
        .into_iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail(_)))
        .map(|r| r.row)
        .collect();
    let sequences = run_machine_with(&world.rt, &world.target(), 300, 40, true).err();
    (failed_cases, sequences)
}

#[test]
fn the_suite_catches_a_quota_check_that_lets_one_config_too_many_in() {
    let (cases, sequences) = suite_failures(Bug::QuotaOffByOne);
    assert!(cases.iter().any(|row| row.contains("500 000")), "no spec case failed: {cases:?}");
    let failure = sequences.expect("the generated sequences did not notice the broken quota");
    assert!(failure.contains("41045") || failure.contains("quota"), "{failure}");
    eprintln!("caught, shrunk to:\n{failure}");
}

#[test]
fn the_suite_catches_an_update_that_keeps_lists_it_should_clear() {
    let (_, sequences) = suite_failures(Bug::UpdateKeepsClearedLists);
    let failure = sequences.expect("the generated sequences did not notice the kept lists");
    assert!(failure.contains("update_contact_way"), "{failure}");
    eprintln!("caught, shrunk to:\n{failure}");
}
