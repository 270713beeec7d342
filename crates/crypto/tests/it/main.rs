//! The published test vectors of the WeCom / WeChat callback encryption, round trips,
//! tampering, and the callback XML.

mod tamper;
mod vectors;
mod xml;
