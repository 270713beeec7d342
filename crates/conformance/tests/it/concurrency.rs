//! Many clients at once against the mock.

use wecom_conformance::concurrency::{list_walks_are_consistent, no_lost_or_torn_updates, unique_ids_and_exact_quota};

use crate::support::InProcess;

#[test]
fn parallel_adds_never_share_an_id_nor_exceed_the_quota() {
    let world = InProcess::start();
    let target = world.target();
    // Under, exactly at and over the quota.
    for (clients, per_client, quota) in [(8, 5, 100), (8, 5, 40), (16, 4, 25)] {
        if let Err(problem) = world.rt.block_on(unique_ids_and_exact_quota(&target, clients, per_client, quota)) {
            panic!("{clients} clients × {per_client} adds, quota {quota}: {problem}");
        }
    }
}

#[test]
fn parallel_updates_are_neither_lost_nor_torn() {
    let world = InProcess::start();
    if let Err(problem) = world.rt.block_on(no_lost_or_torn_updates(&world.target(), 6, 6, 15)) {
        panic!("{problem}");
    }
}

#[test]
fn list_walks_see_every_stable_config_once_while_others_change() {
    let world = InProcess::start();
    if let Err(problem) = world.rt.block_on(list_walks_are_consistent(&world.target(), 30, 4, 4)) {
        panic!("{problem}");
    }
}
