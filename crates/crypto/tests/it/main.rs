//! The published test vectors of the WeCom / WeChat callback encryption, round trips and
//! tampering.

mod tamper;
mod vectors;
