//! Integration tests of `wecom-types`, one binary: the documented examples, the pure-input
//! rules of `errcodes.md`, and round trips of generated requests.

mod docs;
mod fixtures;
mod roundtrip;
mod rules;
