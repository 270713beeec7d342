//! Which operations a run sends, and how often.

use std::fmt;

use rand::Rng;
use serde::Serialize;

use crate::BenchError;

/// One kind of operation a worker performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `get_contact_way` of a config from the pool.
    Get,
    /// `add_contact_way` (uses one unit of the shared quota until deleted).
    Add,
    /// `update_contact_way` of a pool config (its remark).
    Update,
    /// `del_contact_way` of a config this worker added (an add when it has none).
    Delete,
    /// One `list_contact_way` page (limit 100) from the start.
    List,
    /// A full list walk: every page with limit 1000 until `next_cursor` is empty. Each page is
    /// one request in the figures; walks are counted and timed apart.
    Walk,
}

impl Op {
    /// Every op, in report order.
    pub const ALL: [Op; 6] = [Op::Get, Op::Add, Op::Update, Op::Delete, Op::List, Op::Walk];

    /// Its name in mixes and reports.
    pub fn name(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::Add => "add",
            Op::Update => "update",
            Op::Delete => "delete",
            Op::List => "list",
            Op::Walk => "walk",
        }
    }

    fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether it needs pool configs to work on.
    pub fn needs_pool(self) -> bool {
        matches!(self, Op::Get | Op::Update)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Weighted operations: each request picks one with probability weight / total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mix {
    /// The name it was given (a preset or the spec as written).
    pub name: String,
    /// `(op, weight)`, weights > 0.
    pub weights: Vec<(Op, u32)>,
}

/// The presets, with what each is for.
pub const PRESETS: &[(&str, &str, &str)] = &[
    ("read-heavy", "get=90,list=5,add=3,delete=2", "a service that mostly reads its configs"),
    ("write-heavy", "add=40,update=40,delete=20", "creating and editing campaigns"),
    ("list-walk", "walk=1", "full list walks (limit 1000)"),
    ("get-only", "get=1", "get_contact_way only"),
    ("add-only", "add=1", "add_contact_way only (uses the quota)"),
    ("update-only", "update=1", "update_contact_way only"),
    ("list-only", "list=1", "one list page (limit 100) only"),
];

impl Mix {
    /// A preset by name (`read-heavy`, `write-heavy`, `list-walk`, `get-only`, `add-only`,
    /// `update-only`, `list-only`) or a spec like `get=8,add=1,update=1`.
    ///
    /// ```
    /// use wecom_bench::load::{Mix, Op};
    /// assert_eq!(Mix::preset("get-only")?.weights, [(Op::Get, 1)]);
    /// assert_eq!(Mix::preset("get=3,add=1")?.weights, [(Op::Get, 3), (Op::Add, 1)]);
    /// assert!(Mix::preset("fetch=1").is_err());
    /// # Ok::<(), wecom_bench::BenchError>(())
    /// ```
    pub fn preset(name: &str) -> Result<Mix, BenchError> {
        let spec = PRESETS.iter().find(|(preset, _, _)| *preset == name).map_or(name, |(_, spec, _)| *spec);
        let mut weights = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (op, weight) = part.split_once('=').unwrap_or((part, "1"));
            let op = Op::from_name(op.trim()).ok_or_else(|| {
                let names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
                let presets: Vec<&str> = PRESETS.iter().map(|(name, _, _)| *name).collect();
                BenchError::Usage(format!(
                    "unknown op `{op}` in mix `{name}`: ops are {}; presets are {}",
                    names.join(", "),
                    presets.join(", ")
                ))
            })?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| BenchError::Usage(format!("weight of `{op}` is not a number: {weight}")))?;
            if weight > 0 {
                weights.push((op, weight));
            }
        }
        if weights.is_empty() {
            return Err(BenchError::Usage(format!("mix `{name}` has no op with a weight above 0")));
        }
        Ok(Mix { name: name.to_owned(), weights })
    }

    /// Picks an op.
    pub fn pick(&self, rng: &mut impl Rng) -> Op {
        let total: u32 = self.weights.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return Op::Get;
        }
        let mut ticket = rng.random_range(0..total);
        for (op, weight) in &self.weights {
            if ticket < *weight {
                return *op;
            }
            ticket -= weight;
        }
        // Only reached by a hand-built mix with no weights.
        self.weights.first().map_or(Op::Get, |(op, _)| *op)
    }

    /// Whether any op needs pool configs.
    pub fn needs_pool(&self) -> bool {
        self.weights.iter().any(|(op, _)| op.needs_pool())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn every_preset_parses() {
        for (name, _, _) in PRESETS {
            assert!(Mix::preset(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn picks_follow_the_weights() {
        let mix = Mix::preset("get=3,add=1").expect("valid");
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let gets = (0..10_000).filter(|_| mix.pick(&mut rng) == Op::Get).count();
        assert!((7_000..8_000).contains(&gets), "{gets}");
    }

    #[test]
    fn bad_specs_are_refused() {
        for bad in ["", "get=0", "get=x", "nope"] {
            assert!(Mix::preset(bad).is_err(), "{bad}");
        }
    }
}
