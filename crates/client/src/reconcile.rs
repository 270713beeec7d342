//! Resolving pending ledger entries (feature `ledger`): which live config, if any, did a create
//! whose answer was lost make?

use std::collections::HashSet;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use wecom_types::api::{AddContactWay, ContactType, ContactWay, ListContactWay, Scene};
use wecom_types::limits::MAX_LIST_LIMIT;
use wecom_types::{Api, ErrCode};

use crate::client::Client;
use crate::error::Error;
use crate::ledger::{Entry, Ledger, LedgerError, ResolvedBy, unix_now};
use crate::ledger_hook::blocking;

/// Why an intent cannot be looked for: the API has no way to list what it may have made.
pub const JOIN_WAY_CANNOT_BE_LISTED: &str = "Join Group configs cannot be listed by the API: if this create happened, \
     its config_id is lost and its quota unit cannot be freed; the intent (body, time) is all that is known. \
     Close it with `dismiss` once you have decided, or `adopt` an id you found another way";
/// Why a temp intent cannot be looked for.
pub const TEMP_CANNOT_BE_LISTED: &str = "temp-chat Contact Me configs are never listed by the API: a lost id \
     cannot be found again (they do not count against the 500 000 quota, only the daily one)";

/// How [`Client::reconcile_ledger`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileOptions {
    /// Configs created this long before or after the intent's time are candidates: enough for
    /// the request's timeout and the skew between this machine's clock and the server's.
    pub slack: Duration,
    /// Gets in flight at once while reading the candidates.
    pub concurrency: usize,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        ReconcileOptions { slack: Duration::from_secs(300), concurrency: 8 }
    }
}

/// What a reconcile decided for one pending entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Exactly one live config, not known to the ledger, equals the intent: its id is recorded.
    Adopted {
        /// The adopted config.
        config_id: String,
    },
    /// No live config equals the intent, and the window is over: the create did not happen (or
    /// its config was deleted since).
    NotFound,
    /// No live config equals the intent yet, but configs may still appear in its window: try
    /// again later.
    TooRecent {
        /// The unix time after which a reconcile can decide.
        retry_after: i64,
    },
    /// Several live configs equal the intent: the ledger cannot tell which one it made. Pick
    /// one with `adopt`, or give creates a unique `state`.
    Ambiguous {
        /// The matching configs.
        candidates: Vec<String>,
    },
    /// The API offers no way to look for it.
    CannotList {
        /// Why.
        reason: &'static str,
    },
}

impl Outcome {
    /// `true` when the entry is no longer pending.
    pub fn is_settled(&self) -> bool {
        matches!(self, Outcome::Adopted { .. } | Outcome::NotFound)
    }
}

/// One pending entry and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciled {
    /// The entry's sequence number.
    pub seq: u64,
    /// `add_contact_way` or `add_join_way`.
    pub api: String,
    /// The intent's time.
    pub intent_at: i64,
    /// The decision.
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Client {
    /// The ledger this client records its creates in, if it has one.
    pub fn ledger(&self) -> Option<&Ledger> {
        self.inner.ledger.as_ref()
    }

    /// Resolves this client's pending ledger entries (same corp and base URL), oldest first.
    ///
    /// For a Contact Me intent, lists the configs created within
    /// [`slack`](ReconcileOptions::slack) of the intent's time, reads each one the ledger does
    /// not already know, and adopts the only one whose content equals the intent (see
    /// [`intent_matches`]). Join Group and temp intents cannot be looked for
    /// ([`Outcome::CannotList`]). An entry adopted here is no candidate for the next one.
    ///
    /// ```no_run
    /// # async fn example(client: wecom_client::Client) -> Result<(), wecom_client::Error> {
    /// for done in client.reconcile_ledger(Default::default()).await? {
    ///     println!("entry {}: {:?}", done.seq, done.outcome);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn reconcile_ledger(&self, options: ReconcileOptions) -> Result<Vec<Reconciled>, Error> {
        let Some(ledger) = self.ledger().cloned() else {
            return Err(Error::Config { setting: "ledger", reason: "this client has no ledger".into() });
        };
        let entries = blocking(&ledger, Ledger::entries).await?;
        let mut known: HashSet<String> = entries.iter().filter_map(|entry| entry.config_id.clone()).collect();
        let mine = |entry: &&Entry| {
            entry.is_pending() && entry.corpid == self.inner.corpid && entry.base_url == self.inner.base_url
        };
        let mut report = Vec::new();
        for entry in entries.iter().filter(mine) {
            let outcome = self.reconcile_one(entry, &known, options).await?;
            let settled = match &outcome {
                Outcome::Adopted { config_id } => {
                    known.insert(config_id.clone());
                    let (seq, id) = (entry.seq, config_id.clone());
                    Some(blocking(&ledger, move |ledger| ledger.complete(seq, &id, None, ResolvedBy::Reconcile)).await)
                }
                Outcome::NotFound => {
                    let seq = entry.seq;
                    Some(blocking(&ledger, move |ledger| ledger.mark_not_found(seq)).await)
                }
                _ => None,
            };
            if let Some(written) = settled {
                written?;
            }
            report.push(Reconciled { seq: entry.seq, api: entry.api.clone(), intent_at: entry.intent_at, outcome });
        }
        Ok(report)
    }

    async fn reconcile_one(
        &self,
        entry: &Entry,
        known: &HashSet<String>,
        options: ReconcileOptions,
    ) -> Result<Outcome, Error> {
        if entry.api() != Some(Api::AddContactWay) {
            return Ok(Outcome::CannotList { reason: JOIN_WAY_CANNOT_BE_LISTED });
        }
        let intent: AddContactWay = match serde_json::from_value(entry.body.clone()) {
            Ok(intent) => intent,
            Err(source) => {
                let err = LedgerError::Entry { seq: entry.seq, source };
                return Err(Error::Ledger(std::sync::Arc::new(err)));
            }
        };
        if intent.is_temp() {
            return Ok(Outcome::CannotList { reason: TEMP_CANNOT_BE_LISTED });
        }
        let slack = i64::try_from(options.slack.as_secs()).unwrap_or(i64::MAX / 4);
        let window = ListContactWay {
            start_time: Some(entry.intent_at.saturating_sub(slack)),
            end_time: Some(entry.intent_at.saturating_add(slack)),
            limit: Some(i64::from(MAX_LIST_LIMIT)),
            ..ListContactWay::default()
        };
        let ids: Vec<String> = self.contact_way_ids(window).try_collect().await?;
        let fresh = ids.into_iter().filter(|id| !known.contains(id));
        let client = self.clone();
        let candidates: Vec<Option<ContactWay>> = futures_util::stream::iter(fresh)
            .map(|id| {
                let client = client.clone();
                async move {
                    match client.get_contact_way(&id).await {
                        Ok(way) => Ok(Some(way)),
                        // Deleted between the list and the get: not a candidate.
                        Err(err) if err.code() == Some(ErrCode::INVALID_CONFIG_ID) => Ok(None),
                        Err(err) => Err(err),
                    }
                }
            })
            .buffered(options.concurrency.max(1))
            .try_collect()
            .await?;
        let mut matching: Vec<String> = candidates
            .into_iter()
            .flatten()
            .filter(|way| intent_matches(&intent, way))
            .map(|way| way.config_id)
            .collect();
        Ok(match matching.len() {
            1 => Outcome::Adopted { config_id: matching.remove(0) },
            0 if unix_now() > entry.intent_at.saturating_add(slack) => Outcome::NotFound,
            0 => Outcome::TooRecent { retry_after: entry.intent_at.saturating_add(slack) + 1 },
            _ => Outcome::Ambiguous { candidates: matching },
        })
    }
}

/// `true` when `stored` (as `get_contact_way` returns it) is what the add `intent` creates.
///
/// Both sides are read the way the service stores them: empty values mean "not given",
/// `skip_verify` and `mark_source` default to true, `style` counts only for scene 1 and `party`
/// only for type 2, a member listed twice counts once, and the temp-only fields are left out
/// (temp configs are never listed).
///
/// ```
/// use wecom_client::reconcile::intent_matches;
/// use wecom_types::api::{AddContactWay, ContactWay, ContactType, Scene};
///
/// let intent = AddContactWay::single("zhangsan", Scene::QR_CODE).with_state("spring");
/// let stored = ContactWay {
///     config_id: "c1".into(),
///     contact_type: Some(ContactType::SINGLE),
///     scene: Some(Scene::QR_CODE),
///     state: Some("spring".into()),
///     remark: Some(String::new()),
///     skip_verify: Some(true),
///     user: Some(vec!["zhangsan".into()]),
///     qr_code: Some("https://qr".into()),
///     ..ContactWay::default()
/// };
/// assert!(intent_matches(&intent, &stored));
/// assert!(!intent_matches(&intent.clone().with_state("autumn"), &stored));
/// ```
pub fn intent_matches(intent: &AddContactWay, stored: &ContactWay) -> bool {
    Fingerprint::of_intent(intent) == Fingerprint::of_stored(stored)
}

/// The parts of a config that an add decides, in the service's stored form.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    contact_type: Option<ContactType>,
    scene: Option<Scene>,
    style: Option<i32>,
    remark: Option<String>,
    state: Option<String>,
    skip_verify: bool,
    user: Vec<String>,
    party: Vec<u32>,
    is_exclusive: bool,
    mark_source: bool,
}

impl Fingerprint {
    #[allow(clippy::too_many_arguments)]
    fn new(
        contact_type: Option<ContactType>,
        scene: Option<Scene>,
        style: Option<i32>,
        remark: Option<&str>,
        state: Option<&str>,
        skip_verify: Option<bool>,
        user: Option<&[String]>,
        party: Option<&[u32]>,
        is_exclusive: Option<bool>,
        mark_source: Option<bool>,
    ) -> Fingerprint {
        let text = |value: Option<&str>| value.filter(|text| !text.is_empty()).map(str::to_owned);
        Fingerprint {
            contact_type,
            scene,
            style: style.filter(|style| *style != 0 && scene == Some(Scene::MINI_PROGRAM)),
            remark: text(remark),
            state: text(state),
            skip_verify: skip_verify.unwrap_or(true),
            user: first_of_each(user.unwrap_or_default()),
            party: match contact_type {
                Some(ContactType::MULTI) => first_of_each(party.unwrap_or_default()),
                _ => Vec::new(),
            },
            is_exclusive: is_exclusive.unwrap_or(false),
            mark_source: mark_source.unwrap_or(true),
        }
    }

    fn of_intent(add: &AddContactWay) -> Fingerprint {
        Fingerprint::new(
            add.contact_type,
            add.scene,
            add.style,
            add.remark.as_deref(),
            add.state.as_deref(),
            add.skip_verify,
            add.user.as_deref(),
            add.party.as_deref(),
            add.is_exclusive,
            add.mark_source,
        )
    }

    fn of_stored(way: &ContactWay) -> Fingerprint {
        Fingerprint::new(
            way.contact_type,
            way.scene,
            way.style,
            way.remark.as_deref(),
            way.state.as_deref(),
            way.skip_verify,
            way.user.as_deref(),
            way.party.as_deref(),
            way.is_exclusive,
            way.mark_source,
        )
    }
}

/// The list without repeats, each at its first position.
fn first_of_each<T: Clone + PartialEq>(items: &[T]) -> Vec<T> {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !kept.contains(item) {
            kept.push(item.clone());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_multi() -> ContactWay {
        ContactWay {
            config_id: "c1".into(),
            contact_type: Some(ContactType::MULTI),
            scene: Some(Scene::MINI_PROGRAM),
            style: Some(2),
            remark: Some(String::new()),
            state: Some("s".into()),
            skip_verify: Some(true),
            user: Some(vec!["a".into(), "b".into()]),
            party: Some(vec![2]),
            is_exclusive: Some(false),
            mark_source: Some(true),
            ..ContactWay::default()
        }
    }

    fn intent_multi() -> AddContactWay {
        AddContactWay::multi(["a", "b"], [2], Scene::MINI_PROGRAM).with_style(2).with_state("s")
    }

    #[test]
    fn defaults_and_empty_values_match_their_stored_form() {
        assert!(intent_matches(&intent_multi(), &stored_multi()));
        let spelled_out = AddContactWay {
            skip_verify: Some(true),
            remark: Some(String::new()),
            mark_source: Some(true),
            user: Some(vec!["a".into(), "b".into(), "a".into()]),
            ..intent_multi()
        };
        assert!(intent_matches(&spelled_out, &stored_multi()));
    }

    #[test]
    fn every_field_an_add_decides_tells_configs_apart() {
        type Change = fn(&mut AddContactWay);
        let changes: [(&str, Change); 8] = [
            ("state", |add| add.state = Some("t".into())),
            ("remark", |add| add.remark = Some("r".into())),
            ("skip_verify", |add| add.skip_verify = Some(false)),
            ("style", |add| add.style = Some(1)),
            ("user order", |add| add.user = Some(vec!["b".into(), "a".into()])),
            ("party", |add| add.party = Some(vec![1])),
            ("is_exclusive", |add| add.is_exclusive = Some(true)),
            ("scene", |add| add.scene = Some(Scene::QR_CODE)),
        ];
        for (name, change) in changes {
            let mut intent = intent_multi();
            change(&mut intent);
            assert!(!intent_matches(&intent, &stored_multi()), "{name}");
        }
    }

    #[test]
    fn fields_the_service_ignores_do_not_count() {
        let mut stored = stored_multi();
        stored.scene = Some(Scene::QR_CODE);
        stored.style = None;
        let mut intent = intent_multi();
        intent.scene = Some(Scene::QR_CODE);
        intent.style = Some(1); // ignored for scene 2
        assert!(intent_matches(&intent, &stored));

        let single = AddContactWay { party: Some(vec![3]), ..AddContactWay::single("a", Scene::QR_CODE) };
        let stored_single = ContactWay {
            contact_type: Some(ContactType::SINGLE),
            scene: Some(Scene::QR_CODE),
            user: Some(vec!["a".into()]),
            ..ContactWay::default()
        };
        assert!(intent_matches(&single, &stored_single), "party is ignored for type 1");
    }
}
