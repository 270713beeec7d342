//! Injected faults (`/__admin/faults`): make chosen WeCom calls fail, slow down or lose their
//! connection on purpose, so a client's error handling can be tested.
//!
//! A rule names the paths it applies to, what it does (an errcode, a delay or a dropped
//! connection) and when: the next `times` matching calls, or each matching call with a
//! `probability` drawn from a generator seeded by `seed`. The n-th call that matches a rule
//! always gets the rule's n-th draw, so the same calls made one after the other against a fresh
//! server with the same rules meet exactly the same faults: a failed run can be replayed.
//!
//! Faults are checked at step 2 of the order of checks (`errcodes.md`): after the body size and
//! the path, before the token. With no rule set, the check is one atomic load. What each kind
//! does is in the fidelity table: `FAULT_ERRCODE_ENVELOPE`, `FAULT_DELAY_SERVES_FIRST`,
//! `FAULT_DROP_BEFORE_SERVING`, `FAULT_DRAWS`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wecom_types::{Api, ErrCode};

use crate::api::{AdminError, AdminErrorKind, FaultAdded, FaultRule, FaultStatus, MAX_FAULT_DELAY_MS, MAX_FAULT_RULES};

/// What a fault does to the call it is applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Errcode(ErrCode),
    Delay(u64),
    Drop,
}

/// A fault applied to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    pub id: u64,
    pub action: Action,
}

struct Entry {
    id: u64,
    rule: FaultRule,
    /// Bit `api as usize` is set for every API the path pattern matches.
    apis: u16,
    corpid: Option<Arc<str>>,
    action: Action,
    rng: Option<(f64, StdRng)>,
    remaining: Option<u32>,
    matched: u64,
    applied: u64,
}

impl Entry {
    fn active(&self) -> bool {
        self.remaining != Some(0)
    }
}

#[derive(Default)]
struct Rules {
    next_id: u64,
    entries: Vec<Entry>,
}

/// The rules of one server.
pub(crate) struct Faults {
    /// Rules that can still apply: the hot path reads only this while it is 0.
    active: AtomicUsize,
    rules: Mutex<Rules>,
    server_seed: Option<u64>,
}

/// `true` when `pattern` (an exact path, a last segment, or a glob) names `path`.
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    if pattern.contains('*') {
        glob(pattern.as_bytes(), path.as_bytes())
            || (!pattern.starts_with('/') && glob(pattern.as_bytes(), last.as_bytes()))
    } else {
        pattern == path || pattern == last
    }
}

/// `*` matches any run of bytes, everything else itself.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative with one backtrack point: linear enough for paths.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

/// The APIs a pattern names, as a bit set.
fn compile(pattern: &str) -> u16 {
    Api::ALL.iter().filter(|api| path_matches(pattern, api.path())).fold(0, |mask, api| mask | (1 << *api as usize))
}

/// Mixes a rule's number into the server seed, so two rules do not share draws.
fn derive_seed(server_seed: u64, id: u64) -> u64 {
    let mut z = server_seed ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn rule_id(id: u64) -> String {
    format!("f{id}")
}

impl Faults {
    pub(crate) fn new(server_seed: Option<u64>) -> Self {
        Faults { active: AtomicUsize::new(0), rules: Mutex::new(Rules::default()), server_seed }
    }

    /// Checks and adds a rule.
    pub(crate) fn add(&self, mut rule: FaultRule) -> Result<FaultAdded, AdminError> {
        let apis = compile(&rule.path);
        if apis == 0 {
            return Err(AdminError::bad_request(format!(
                "`path` {:?} matches no API: give a path like /cgi-bin/externalcontact/add_contact_way, a short name \
                 like add_contact_way, or a glob like /cgi-bin/externalcontact/*",
                rule.path
            )));
        }
        let action = match (rule.errcode, rule.delay_ms, rule.drop) {
            (Some(0), None, false) => {
                return Err(AdminError::bad_request("`errcode` 0 is success, not a fault"));
            }
            (Some(code), None, false) => Action::Errcode(ErrCode(code)),
            (None, Some(ms), false) if ms <= MAX_FAULT_DELAY_MS => Action::Delay(ms),
            (None, Some(_), false) => {
                return Err(AdminError::bad_request(format!("`delay_ms` is at most {MAX_FAULT_DELAY_MS}")));
            }
            (None, None, true) => Action::Drop,
            _ => return Err(AdminError::bad_request("give exactly one of `errcode`, `delay_ms` or `drop: true`")),
        };
        if rule.times == Some(0) {
            return Err(AdminError::bad_request("`times` is at least 1 (leave it out for no limit)"));
        }
        if let Some(p) = rule.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(AdminError::bad_request("`probability` is between 0 and 1"));
        }
        let mut rules = self.rules.lock();
        if rules.entries.len() >= MAX_FAULT_RULES {
            return Err(AdminError::new(
                AdminErrorKind::TooManyFaults,
                format!("{MAX_FAULT_RULES} fault rules are set: delete some (DELETE /__admin/faults)"),
            ));
        }
        rules.next_id += 1;
        let id = rules.next_id;
        let seed = rule.seed.unwrap_or_else(|| match self.server_seed {
            Some(server) => derive_seed(server, id),
            None => rand::rng().random(),
        });
        rule.seed = Some(seed);
        let entry = Entry {
            id,
            apis,
            corpid: rule.corpid.as_deref().map(Arc::from),
            action,
            rng: rule.probability.map(|p| (p, StdRng::seed_from_u64(seed))),
            remaining: rule.times,
            matched: 0,
            applied: 0,
            rule,
        };
        rules.entries.push(entry);
        self.active.fetch_add(1, Ordering::Release);
        Ok(FaultAdded { id: rule_id(id), seed })
    }

    /// The fault to apply to a call of `api`, if any. `corp_of_call` names the call's corp; it
    /// is asked only when a rule is limited to a corp.
    ///
    /// Rules are tried in the order they were added; the first whose path (and corp) matches
    /// and that fires applies, and later rules draw nothing for this call.
    pub(crate) fn draw(&self, api: Api, corp_of_call: impl FnOnce() -> Option<Arc<str>>) -> Option<Applied> {
        if self.active.load(Ordering::Acquire) == 0 {
            return None;
        }
        let bit = 1u16 << api as usize;
        let mut corp_of_call = Some(corp_of_call);
        let mut corp: Option<Option<Arc<str>>> = None;
        let mut rules = self.rules.lock();
        for entry in rules.entries.iter_mut() {
            if !entry.active() || entry.apis & bit == 0 {
                continue;
            }
            if let Some(wanted) = &entry.corpid {
                let of_call = corp.get_or_insert_with(|| corp_of_call.take().and_then(|f| f()));
                if of_call.as_deref() != Some(&**wanted) {
                    continue;
                }
            }
            entry.matched += 1;
            let fires = match &mut entry.rng {
                Some((p, rng)) => rng.random::<f64>() < *p,
                None => true,
            };
            if !fires {
                continue;
            }
            entry.applied += 1;
            if let Some(left) = &mut entry.remaining {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    self.active.fetch_sub(1, Ordering::Release);
                }
            }
            return Some(Applied { id: entry.id, action: entry.action });
        }
        None
    }

    /// Every rule, oldest first, with how often it matched and applied.
    pub(crate) fn list(&self) -> Vec<FaultStatus> {
        self.rules
            .lock()
            .entries
            .iter()
            .map(|e| FaultStatus {
                id: rule_id(e.id),
                rule: e.rule.clone(),
                matched: e.matched,
                applied: e.applied,
                remaining: e.remaining,
                active: e.active(),
            })
            .collect()
    }

    /// Removes every rule, or only the rules limited to `corpid` (so a team sharing the server
    /// clears its own).
    pub(crate) fn clear(&self, corpid: Option<&str>) {
        let mut rules = self.rules.lock();
        match corpid {
            None => rules.entries.clear(),
            Some(corpid) => rules.entries.retain(|e| e.corpid.as_deref() != Some(corpid)),
        }
        let active = rules.entries.iter().filter(|e| e.active()).count();
        self.active.store(active, Ordering::Release);
    }

    /// Removes one rule; `false` when there is none with that id.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let Some(number) = id.strip_prefix('f').and_then(|n| n.parse::<u64>().ok()) else { return false };
        let mut rules = self.rules.lock();
        let Some(at) = rules.entries.iter().position(|e| e.id == number) else { return false };
        let entry = rules.entries.remove(at);
        if entry.active() {
            self.active.fetch_sub(1, Ordering::Release);
        }
        true
    }

    /// Rules that can still apply.
    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_pattern(pattern: &str, expected: &[Api]) {
        let matched: Vec<Api> =
            Api::ALL.into_iter().filter(|api| compile(pattern) & (1 << *api as usize) != 0).collect();
        assert_eq!(matched, expected, "{pattern}");
    }

    #[test]
    fn patterns_name_paths_short_names_and_globs() {
        check_pattern("/cgi-bin/externalcontact/add_contact_way", &[Api::AddContactWay]);
        check_pattern("add_contact_way", &[Api::AddContactWay]);
        check_pattern("get", &[Api::GetExternalContact, Api::GetGroupChat]);
        check_pattern("*_join_way", &[Api::AddJoinWay, Api::GetJoinWay, Api::UpdateJoinWay, Api::DelJoinWay]);
        check_pattern(
            "/cgi-bin/externalcontact/groupchat/*",
            &[Api::AddJoinWay, Api::GetJoinWay, Api::UpdateJoinWay, Api::DelJoinWay, Api::GetGroupChat],
        );
        check_pattern("*", &Api::ALL);
        check_pattern("/cgi-bin/gettoken", &[Api::GetToken]);
        check_pattern("/cgi-bin/externalcontact/add_contact_wey", &[]);
        check_pattern("/cgi-bin/*/get_contact_way", &[Api::GetContactWay]);
    }

    #[test]
    fn a_rule_needs_exactly_one_action_and_sane_numbers() {
        let faults = Faults::new(Some(1));
        let bad = [
            FaultRule { path: "add_contact_way".into(), ..FaultRule::default() },
            FaultRule { delay_ms: Some(5), ..FaultRule::errcode("add_contact_way", -1) },
            FaultRule::errcode("add_contact_way", 0),
            FaultRule::errcode("nope", -1),
            FaultRule::errcode("add_contact_way", -1).times(0),
            FaultRule::errcode("add_contact_way", -1).probability(1.5, 1),
            FaultRule::delay("add_contact_way", MAX_FAULT_DELAY_MS + 1),
        ];
        for rule in bad {
            assert_eq!(faults.add(rule.clone()).map_err(|e| e.status()), Err(400), "{rule:?}");
        }
        assert_eq!(faults.active(), 0);
    }

    #[test]
    fn times_runs_out_and_the_rule_stays_listed() {
        let faults = Faults::new(Some(1));
        let added = faults.add(FaultRule::errcode("get_contact_way", -1).times(2)).expect("valid");
        let draws: Vec<bool> = (0..4).map(|_| faults.draw(Api::GetContactWay, || None).is_some()).collect();
        assert_eq!(draws, [true, true, false, false]);
        assert_eq!(faults.draw(Api::AddContactWay, || None), None, "another path");
        let listed = faults.list();
        assert_eq!((listed[0].id.as_str(), listed[0].applied, listed[0].active), (added.id.as_str(), 2, false));
    }

    #[test]
    fn the_same_seed_draws_the_same_schedule() {
        let schedule = |seed: u64| {
            let faults = Faults::new(None);
            faults.add(FaultRule::errcode("*", -1).probability(0.5, seed)).expect("valid");
            (0..64).map(|_| faults.draw(Api::ListContactWay, || None).is_some()).collect::<Vec<_>>()
        };
        assert_eq!(schedule(42), schedule(42));
        assert_ne!(schedule(42), schedule(43));
        assert!(schedule(42).contains(&true) && schedule(42).contains(&false));
    }

    #[test]
    fn a_corp_scoped_rule_applies_only_to_that_corp() {
        let faults = Faults::new(Some(1));
        faults.add(FaultRule::drop_connection("*").for_corp("wwa")).expect("valid");
        assert_eq!(faults.draw(Api::AddContactWay, || Some(Arc::from("wwb"))), None);
        assert_eq!(faults.draw(Api::AddContactWay, || None), None, "a call of no known corp");
        let applied = faults.draw(Api::AddContactWay, || Some(Arc::from("wwa")));
        assert_eq!(applied.map(|a| a.action), Some(Action::Drop));
    }

    #[test]
    fn the_number_of_rules_is_bounded() {
        let faults = Faults::new(Some(1));
        for _ in 0..MAX_FAULT_RULES {
            faults.add(FaultRule::errcode("*", -1).times(1)).expect("valid");
        }
        assert_eq!(faults.add(FaultRule::errcode("*", -1)).map_err(|e| e.status()), Err(409));
        faults.clear(None);
        assert!(faults.add(FaultRule::errcode("*", -1)).is_ok());
    }

    #[test]
    fn rules_are_removed_one_by_one_or_all_at_once() {
        let faults = Faults::new(Some(1));
        let first = faults.add(FaultRule::errcode("*", -1)).expect("valid");
        faults.add(FaultRule::errcode("*", 45009)).expect("valid");
        assert!(faults.remove(&first.id));
        assert!(!faults.remove(&first.id));
        assert_eq!(faults.draw(Api::GetToken, || None).map(|a| a.action), Some(Action::Errcode(ErrCode(45009))));
        faults.add(FaultRule::errcode("*", -1).for_corp("wwa")).expect("valid");
        faults.clear(Some("wwa"));
        assert_eq!(faults.list().len(), 1, "only the corp's rule went");
        faults.clear(None);
        assert_eq!((faults.active(), faults.draw(Api::GetToken, || None)), (0, None));
    }
}
