//! Integration tests of `wecom-mock` over real HTTP, one binary.

mod admin;
mod bad_input;
mod binary;
mod callbacks;
mod contact_way;
mod crash;
mod dashboard;
mod durability;
mod errcodes;
mod join_way;
mod list;
mod quotas;
mod readback;
mod receiver;
mod security;
mod soak;
mod support;
mod temp;
mod tokens;
mod wire;
