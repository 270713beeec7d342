//! The conformance suite against an in-process `wecom-mock`.

mod bugs;
mod cases;
mod machine;
mod support;
