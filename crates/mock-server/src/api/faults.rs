//! Fault rules: `/__admin/faults`. What they do is `traffic::faults`.

use serde::{Deserialize, Serialize};

/// The longest delay a rule may ask for. Shutdown waits for delayed answers, so an hour-long
/// delay would hold a container's stop for the whole drain timeout.
pub const MAX_FAULT_DELAY_MS: u64 = 60_000;

/// The most rules a server holds (spent ones included, until deleted): every call of a matching
/// path walks them.
pub const MAX_FAULT_RULES: usize = 1_000;

/// `POST /__admin/faults`: one fault rule.
///
/// `path` is an API path (`/cgi-bin/externalcontact/add_contact_way`), an API's short name
/// (its last segment, `add_contact_way`; `get` names both read-backs), or a glob where `*`
/// stands for any run of characters (`/cgi-bin/externalcontact/*`, `*_join_way`, `*` for every
/// API, `gettoken` included). A pattern that matches no API is refused, so a typo cannot
/// silently inject nothing.
///
/// Exactly one of `errcode`, `delay_ms` and `drop` says what happens:
/// - `errcode`: the call is answered at once with that errcode in the real envelope (HTTP 200,
///   `errmsg` in the real shape) and nothing changes;
/// - `delay_ms`: the call is served as usual (it takes effect) and its answer is sent that many
///   milliseconds late; with rate limits on it counts as in flight all that time;
/// - `drop`: the connection is closed without an answer and nothing changes.
///
/// `times` applies the rule to the next N matching calls; `probability` to each matching call
/// with that chance, drawn from a generator seeded by `seed` (default: derived from the server's
/// `--seed`, or random, and returned by the POST so the run can be replayed); both together: by
/// chance, at most N times; neither: every matching call until the rule is deleted. `corpid`
/// limits the rule to calls of one corp (the corp of gettoken's `corpid`, or of the call's
/// token: one the mock knows, even expired), so teams sharing a server do not meet each
/// other's faults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = FaultRule::errcode("add_contact_way", -1).times(1))]
#[schemars(extend("oneOf" = [
    {"required": ["errcode"], "properties": {"errcode": {"type": "integer"}}},
    {"required": ["delay_ms"], "properties": {"delay_ms": {"type": "integer"}}},
    {"required": ["drop"], "properties": {"drop": {"const": true}}},
]))]
pub struct FaultRule {
    /// The paths it applies to (see above).
    pub path: String,
    /// Answer with this errcode (e.g. -1, 45009, 45033).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i32>,
    /// Send the answer this many milliseconds late.
    #[schemars(range(max = MAX_FAULT_DELAY_MS))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
    /// Apply to the next N matching calls only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Apply to each matching call with this chance (0 to 1).
    #[schemars(range(min = 0.0, max = 1.0))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed of the probability draws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Only calls of this corp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpid: Option<String>,
}

impl FaultRule {
    /// Answer calls on `path` with `errcode`.
    pub fn errcode(path: impl Into<String>, errcode: i32) -> Self {
        FaultRule { path: path.into(), errcode: Some(errcode), ..FaultRule::default() }
    }

    /// Send the answers of calls on `path` `delay_ms` late.
    pub fn delay(path: impl Into<String>, delay_ms: u64) -> Self {
        FaultRule { path: path.into(), delay_ms: Some(delay_ms), ..FaultRule::default() }
    }

    /// Close the connection of calls on `path` without an answer.
    pub fn drop_connection(path: impl Into<String>) -> Self {
        FaultRule { path: path.into(), drop: true, ..FaultRule::default() }
    }

    /// Only the next `times` matching calls.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Each matching call with `probability`, drawn from a generator seeded with `seed`.
    pub fn probability(mut self, probability: f64, seed: u64) -> Self {
        self.probability = Some(probability);
        self.seed = Some(seed);
        self
    }

    /// Only calls of `corpid`.
    pub fn for_corp(mut self, corpid: impl Into<String>) -> Self {
        self.corpid = Some(corpid.into());
        self
    }
}

/// The answer of `POST /__admin/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultAdded {
    /// The rule's id (`DELETE /__admin/faults/{id}` removes it).
    pub id: String,
    /// The seed of its draws: the one given, or the one chosen.
    pub seed: u64,
}

/// One rule in `GET /__admin/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FaultStatus {
    /// Its id.
    pub id: String,
    /// The rule as added, with the seed it uses.
    pub rule: FaultRule,
    /// Calls that matched its path (and corp).
    pub matched: u64,
    /// Calls it was applied to.
    pub applied: u64,
    /// Applications left, for a rule with `times`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
    /// `false` once `times` has run out.
    pub active: bool,
}
