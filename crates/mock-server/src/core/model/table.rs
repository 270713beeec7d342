//! [`ContactWays`]: a corp's Contact Me configs, stored densely.
//!
//! Measured with `wecom-bench scale` (docs/PERFORMANCE.md): a `HashMap<u128, ContactWayRecord>`
//! spent 144 bytes per slot (the record inline, padded to the `u128` key's 16-byte alignment),
//! and after a doubling half the slots are empty, so at the 500 000 quota the table alone was
//! 1 Mi slots × 145 bytes. Here the records sit side by side in one `Vec` (whose unused tail is
//! never touched, so never resident) and the hash table holds only a position: 24 bytes a slot.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::records::{ConfigId, ContactWayRecord};

/// A config id as two words: 8-byte alignment keeps a slot at 24 bytes (a `u128` would pad it
/// to 32).
type Key = [u64; 2];

fn key(id: ConfigId) -> Key {
    [(id >> 64) as u64, id as u64]
}

/// Contact Me configs by id, with the subset of `HashMap`'s interface the mock uses.
///
/// Invariant: every record is stored under its own `id`, and `positions` maps each id to the
/// record's index in `records`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContactWays {
    /// foldhash: the ids are drawn at random, so a fast hash spreads them as well as SipHash.
    positions: foldhash::HashMap<Key, u32>,
    records: Vec<ContactWayRecord>,
}

impl ContactWays {
    pub(crate) fn get(&self, id: &ConfigId) -> Option<&ContactWayRecord> {
        let position = *self.positions.get(&key(*id))?;
        self.records.get(position as usize)
    }

    pub(crate) fn contains_key(&self, id: &ConfigId) -> bool {
        self.positions.contains_key(&key(*id))
    }

    /// Adds or replaces the record stored under `id` (which must be `record.id`); returns the
    /// one it replaced.
    pub(crate) fn insert(&mut self, id: ConfigId, record: ContactWayRecord) -> Option<ContactWayRecord> {
        debug_assert_eq!(id, record.id, "a config is stored under its own id");
        if let Some(&position) = self.positions.get(&key(id))
            && let Some(slot) = self.records.get_mut(position as usize)
        {
            return Some(std::mem::replace(slot, record));
        }
        // A corp holds at most the quota plus 100 000 temp configs a day: far below 2^32.
        let position = u32::try_from(self.records.len()).expect("fewer than 2^32 configs in a corp");
        self.positions.insert(key(id), position);
        self.records.push(record);
        None
    }

    /// Removes a record; the last one moves into its place.
    pub(crate) fn remove(&mut self, id: &ConfigId) -> Option<ContactWayRecord> {
        let position = self.positions.remove(&key(*id))? as usize;
        if position >= self.records.len() {
            return None;
        }
        let record = self.records.swap_remove(position);
        if let Some(moved) = self.records.get(position) {
            self.positions.insert(key(moved.id), position as u32);
        }
        Some(record)
    }

    /// Every record, in no particular order.
    pub(crate) fn values(&self) -> std::slice::Iter<'_, ContactWayRecord> {
        self.records.iter()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }
}

impl FromIterator<(ConfigId, ContactWayRecord)> for ContactWays {
    fn from_iter<I: IntoIterator<Item = (ConfigId, ContactWayRecord)>>(iter: I) -> Self {
        let mut table = ContactWays::default();
        for (id, record) in iter {
            table.insert(id, record);
        }
        table
    }
}

/// As the list of records (each carries its id).
impl Serialize for ContactWays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(&self.records)
    }
}

impl<'de> Deserialize<'de> for ContactWays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let records = Vec::<ContactWayRecord>::deserialize(deserializer)?;
        Ok(records.into_iter().map(|record| (record.id, record)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: ConfigId) -> ContactWayRecord {
        ContactWayRecord {
            id,
            agentid: 1,
            create_time: 0,
            contact_type: wecom_types::api::ContactType::SINGLE,
            scene: wecom_types::api::Scene::QR_CODE,
            style: None,
            remark: Box::default(),
            skip_verify: true,
            state: format!("s{id}").into(),
            users: Box::default(),
            parties: Box::default(),
            is_exclusive: false,
            mark_source: true,
            temp: None,
            next_member: 0,
            view: Default::default(),
        }
    }

    #[test]
    fn behaves_like_a_map_through_inserts_replacements_and_removals() {
        let mut table = ContactWays::default();
        let mut model = std::collections::BTreeMap::new();
        // Ids with equal low or high words, and removals of the first, last and a middle one.
        let ids: Vec<ConfigId> = vec![1, 2, 3, 1 << 64, (1 << 64) | 1, u128::MAX, 42];
        for &id in &ids {
            assert_eq!(table.insert(id, record(id)), model.insert(id, record(id)));
        }
        let mut changed = record(3);
        changed.remark = "changed".into();
        assert_eq!(table.insert(3, changed.clone()), model.insert(3, changed));
        for id in [1, 42, 1 << 64, 7] {
            assert_eq!(table.remove(&id), model.remove(&id), "remove {id}");
            assert_eq!(table.len(), model.len());
            for (id, expected) in &model {
                assert_eq!(table.get(id), Some(expected), "get {id}");
                assert!(table.contains_key(id));
            }
            assert!(!table.contains_key(&id));
        }
        let mut values: Vec<_> = table.values().cloned().collect();
        values.sort_by_key(|r| r.id);
        assert_eq!(values, model.values().cloned().collect::<Vec<_>>());
        let round_trip: ContactWays =
            serde_json::from_slice(&serde_json::to_vec(&table).expect("encodes")).expect("decodes");
        assert_eq!(round_trip.len(), table.len());
        assert!(model.keys().all(|id| round_trip.get(id) == model.get(id)));
    }
}
