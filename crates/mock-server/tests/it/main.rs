//! Integration tests of `wecom-mock` over real HTTP, one binary.

mod admin;
mod bad_input;
mod binary;
mod callbacks;
mod checkpoints;
mod contact_way;
mod crash;
mod dashboard;
mod durability;
mod errcodes;
mod faults;
mod hygiene;
mod join_way;
mod list;
mod metrics;
mod quotas;
mod rate_limits;
mod readback;
mod receiver;
mod requests;
mod security;
mod soak;
mod support;
mod temp;
mod tokens;
mod wire;
