//! Integration tests of `wecom-mock` over real HTTP, one binary.

mod admin;
mod binary;
mod contact_way;
mod crash;
mod durability;
mod errcodes;
mod join_way;
mod list;
mod quotas;
mod soak;
mod support;
mod temp;
mod tokens;
mod wire;
