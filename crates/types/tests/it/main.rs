//! Integration tests of `wecom-types`, one binary: the documented examples, the pure-input
//! rules of `errcodes.md`, round trips of generated requests, and the JSON Schemas.

mod docs;
mod fixtures;
mod roundtrip;
mod rules;
mod schema;
