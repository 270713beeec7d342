//! Checkpoints of one corp's state (`POST /__admin/corps/{corpid}/checkpoint` / `…/restore`):
//! save the state under a name, later make the corp exactly that again.
//!
//! A checkpoint is a copy of the whole [`CorpState`] (directory, clock, configs, customers,
//! groups, quota counts, messages), per corp: a corp can only restore its own checkpoints, and
//! they go when the corp goes (DELETE, or a full reset that drops it; a PUT keeps them). With a
//! data dir each save is journaled and every checkpoint is in the snapshots, so a restart gives
//! them back exactly; in memory a restart forgets them. A restore replaces the corp through
//! `MockState::install`, like a PUT: it is journaled, the corp's tokens stay valid (they are
//! checked against its apps' secrets), and its rate-limit windows and hygiene report start over.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::api::{CheckpointInfo, MAX_CHECKPOINTS_PER_CORP};
use crate::core::model::CorpState;

/// What a checkpoint holds, as `GET …/checkpoints` lists it.
pub(super) fn info(corpid: &str, name: &str, state: &CorpState) -> CheckpointInfo {
    CheckpointInfo {
        corpid: corpid.to_owned(),
        name: name.to_owned(),
        contact_ways: state.contact_ways.values().len(),
        join_ways: state.join_ways.len(),
        customers: state.customers.len(),
    }
}

/// Every corp's checkpoints.
#[derive(Default)]
pub(super) struct Checkpoints {
    saved: Mutex<HashMap<String, BTreeMap<String, Arc<CorpState>>>>,
}

impl Checkpoints {
    /// How many are held, all corps together.
    pub(super) fn count(&self) -> usize {
        self.saved.lock().values().map(BTreeMap::len).sum()
    }

    /// `true` when the corp may save a checkpoint `name`: it replaces one of that name, or
    /// the corp holds fewer than [`MAX_CHECKPOINTS_PER_CORP`].
    pub(super) fn has_room(&self, corpid: &str, name: &str) -> bool {
        let all = self.saved.lock();
        all.get(corpid).is_none_or(|of_corp| of_corp.contains_key(name) || of_corp.len() < MAX_CHECKPOINTS_PER_CORP)
    }

    /// Saves `state` as the corp's checkpoint `name` (replacing one of that name).
    pub(super) fn save(&self, corpid: &str, name: &str, state: Arc<CorpState>) {
        self.saved.lock().entry(corpid.to_owned()).or_default().insert(name.to_owned(), state);
    }

    /// Every checkpoint as (corpid, name, state), for a snapshot.
    pub(super) fn all(&self) -> Vec<(String, String, Arc<CorpState>)> {
        let all = self.saved.lock();
        all.iter()
            .flat_map(|(corpid, of_corp)| {
                of_corp.iter().map(|(name, state)| (corpid.clone(), name.clone(), Arc::clone(state)))
            })
            .collect()
    }

    /// Puts back the checkpoints recovered from a data dir.
    pub(super) fn restore(&self, recovered: BTreeMap<String, BTreeMap<String, CorpState>>) {
        let mut all = self.saved.lock();
        for (corpid, of_corp) in recovered {
            let of_corp = of_corp.into_iter().map(|(name, state)| (name, Arc::new(state))).collect();
            all.insert(corpid, of_corp);
        }
    }

    /// The corp's checkpoint `name`.
    pub(super) fn get(&self, corpid: &str, name: &str) -> Option<Arc<CorpState>> {
        self.saved.lock().get(corpid).and_then(|of_corp| of_corp.get(name).cloned())
    }

    /// The corp's checkpoints, sorted by name.
    pub(super) fn list(&self, corpid: &str) -> Vec<CheckpointInfo> {
        let all = self.saved.lock();
        all.get(corpid)
            .map(|of_corp| of_corp.iter().map(|(name, state)| info(corpid, name, state)).collect())
            .unwrap_or_default()
    }

    /// Forgets the checkpoints of corps that no longer exist.
    pub(super) fn retain_corps(&self, exists: impl Fn(&str) -> bool) {
        self.saved.lock().retain(|corpid, _| exists(corpid));
    }
}
