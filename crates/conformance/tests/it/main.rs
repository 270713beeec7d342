//! The conformance suite against an in-process `wecom-mock` (and one run of the binary against
//! a `wecom-mock` process).

mod binary;
mod bugs;
mod cases;
mod concurrency;
mod machine;
mod model_vs_cases;
mod regressions;
mod support;
mod welcome;
