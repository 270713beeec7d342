//! `wecom` driven as a binary against an embedded `wecom-mock` on a random port: each test
//! starts its own mock and scratch folder, runs the binary, and checks stdout, stderr, the exit
//! status and the mock's state dump.

mod after_scan;
mod contact_way;
mod docs;
mod harness;
mod help;
mod inventory;
mod join_way;
mod ledger;
mod mcp;
mod prune;
mod verify;
