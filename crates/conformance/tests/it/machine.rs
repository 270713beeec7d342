//! The state-machine property: generated sequences agree with the model, answer by answer and
//! in the final state.

use wecom_conformance::machine::{cases_from_env, run_machine};

use crate::support::InProcess;

#[test]
fn generated_sequences_agree_with_the_model() {
    let world = InProcess::start();
    let cases = cases_from_env(300);
    if let Err(failure) = run_machine(&world.rt, &world.target(), cases, 40) {
        panic!("{failure}");
    }
    if std::env::var_os("CONFORMANCE_TALLY").is_some()
        && let Ok(tally) = wecom_conformance::session::TALLY.lock()
    {
        for (k, n) in tally.iter() {
            eprintln!("{n:6} {k}");
        }
    }
    eprintln!(
        "{cases} sequences, {} ops",
        wecom_conformance::machine::OPS_RUN.load(std::sync::atomic::Ordering::Relaxed)
    );
}
