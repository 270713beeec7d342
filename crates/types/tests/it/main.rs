//! Integration tests of `wecom-types`, one binary: the documented examples, the pure-input
//! rules of `errcodes.md`, round trips of generated requests, the JSON Schemas, and the parity
//! of the hand-kept per-API pieces with the declaration.

mod docs;
mod fixtures;
mod parity;
mod roundtrip;
mod rules;
mod schema;
