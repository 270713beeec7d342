//! Checkpoints of one corp's state (`POST /__admin/corps/{corpid}/checkpoint` / `…/restore`):
//! save the state under a name, later make the corp exactly that again.
//!
//! A checkpoint is a copy of the whole [`CorpState`] (directory, clock, configs, customers,
//! groups, quota counts, messages), kept in memory per corp: a corp can only restore its own
//! checkpoints, and they go when the corp goes (DELETE, or a full reset that drops it). A
//! restart forgets them. A restore replaces the corp through `MockState::install`, like a PUT:
//! it is journaled (with a data dir it survives a restart), the corp's tokens become invalid
//! (40014: clients fetch a new one), and its rate-limit windows and hygiene report start over.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::control::AdminError;
use crate::model::CorpState;
use crate::state::MockState;

/// The most checkpoints one corp can hold (saving under an existing name replaces it).
pub const MAX_CHECKPOINTS_PER_CORP: usize = 64;
/// The longest checkpoint name, in bytes.
const MAX_NAME_BYTES: usize = 128;

/// `POST /__admin/corps/{corpid}/checkpoint` and `…/restore`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRequest {
    /// The checkpoint's name.
    pub name: String,
}

/// A saved checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// The corp it belongs to.
    pub corpid: String,
    /// Its name.
    pub name: String,
    /// Contact Me configs it holds.
    pub contact_ways: usize,
    /// Join Group configs it holds.
    pub join_ways: usize,
    /// Customer relationships it holds.
    pub customers: usize,
}

fn info(corpid: &str, name: &str, state: &CorpState) -> CheckpointInfo {
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
pub(crate) struct Checkpoints {
    saved: Mutex<HashMap<String, BTreeMap<String, Arc<CorpState>>>>,
}

impl Checkpoints {
    /// How many are held, all corps together.
    pub(crate) fn count(&self) -> usize {
        self.saved.lock().values().map(BTreeMap::len).sum()
    }

    /// Forgets the checkpoints of corps that no longer exist.
    pub(crate) fn retain_corps(&self, exists: impl Fn(&str) -> bool) {
        self.saved.lock().retain(|corpid, _| exists(corpid));
    }
}

fn checked_name(name: &str) -> Result<&str, AdminError> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(AdminError::bad_request(format!("`name` is 1 to {MAX_NAME_BYTES} bytes")));
    }
    Ok(name)
}

impl MockState {
    /// `POST /__admin/corps/{corpid}/checkpoint`: saves the corp's state under `name`.
    pub fn checkpoint(&self, corpid: &str, name: &str) -> Result<CheckpointInfo, AdminError> {
        let name = checked_name(name)?;
        let corp = self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        // Copied under the read lock, like the compactor does; stored after it is released.
        let copy = Arc::new(corp.read(|state, _| state.clone()));
        let saved = info(corpid, name, &copy);
        let mut all = self.traffic.checkpoints.saved.lock();
        let of_corp = all.entry(corpid.to_owned()).or_default();
        if !of_corp.contains_key(name) && of_corp.len() >= MAX_CHECKPOINTS_PER_CORP {
            return Err(AdminError::new(
                409,
                "too_many_checkpoints",
                format!("corp `{corpid}` already holds {MAX_CHECKPOINTS_PER_CORP} checkpoints"),
            ));
        }
        of_corp.insert(name.to_owned(), copy);
        Ok(saved)
    }

    /// `POST /__admin/corps/{corpid}/restore`: the corp's state becomes exactly the one saved
    /// under `name`.
    pub fn restore(&self, corpid: &str, name: &str) -> Result<CheckpointInfo, AdminError> {
        self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        let saved = self.traffic.checkpoints.saved.lock().get(corpid).and_then(|of_corp| of_corp.get(name).cloned());
        let saved = saved.ok_or_else(|| {
            AdminError::new(404, "checkpoint_not_found", format!("corp `{corpid}` has no checkpoint `{name}`"))
        })?;
        let restored = info(corpid, name, &saved);
        self.install_state(CorpState::clone(&saved))?;
        Ok(restored)
    }

    /// `GET /__admin/corps/{corpid}/checkpoints`, sorted by name.
    pub fn checkpoints(&self, corpid: &str) -> Result<Vec<CheckpointInfo>, AdminError> {
        self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        let all = self.traffic.checkpoints.saved.lock();
        Ok(all
            .get(corpid)
            .map(|of_corp| of_corp.iter().map(|(name, state)| info(corpid, name, state)).collect())
            .unwrap_or_default())
    }
}
