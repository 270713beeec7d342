//! The conformance suite against an in-process `wecom-mock`.

mod cases;
mod machine;
mod support;
