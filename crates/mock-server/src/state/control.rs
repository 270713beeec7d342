//! The control surface, in one place: every `/__admin` operation as a method of [`Control`],
//! called by the HTTP admin routes and by Rust tests alike (`MockServer::control()`). Each
//! returns a typed [`AdminError`] when it cannot be done, and then changes nothing.
//!
//! A `Control` has a [`Scope`]: the operator's opens everything; a tenant's (its admin token)
//! opens its own corp only, and an operation on another corp, or on every corp, is 403 with
//! nothing changed; an anonymous caller on a server with an admin token may only create a
//! tenant, and only with `--tenant-signup open`.

use std::sync::Arc;

use rand::Rng;
use wecom_types::limits::next_beijing_midnight;

use super::SaveError;
use super::checkpoints::info;
use super::clock::wall_now;
use super::corp::Corp;
use super::scope::{Act, Scope, forbidden};
use super::tokens::token_chars;
use super::{MockState, TenantSignup, token_sha256};
use crate::api::*;
use crate::core::domain::simulate;
use crate::core::dump::dump;
use crate::core::fixtures::{CorpFixture, Fixtures};
use crate::core::hex;
use crate::core::model::{Clock, Event, Tenant};
use crate::core::notices;
use crate::net::callbacks;

/// The control surface of one server. Cheap to make: it borrows the server's state.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use wecom_mock::MockServer;
///
/// let mock = MockServer::start().await;
/// let control = mock.control();
/// let clock = control.set_clock(1_700_000_000).expect("every corp's clock");
/// assert!(clock.frozen);
/// let quotas = control.quotas(mock.corpid()).expect("the default corp");
/// assert_eq!(quotas.contact_ways.used, 0);
/// # }
/// ```
#[derive(Clone)]
pub struct Control<'a> {
    state: &'a MockState,
    scope: Scope,
}

impl<'a> Control<'a> {
    pub(super) fn new(state: &'a MockState, scope: Scope) -> Self {
        Control { state, scope }
    }

    /// The corp this control surface is limited to (a tenant's), or `None` for the operator's.
    pub fn tenant(&self) -> Option<&str> {
        match &self.scope {
            Scope::Tenant(corpid) => Some(corpid),
            Scope::Operator | Scope::Anonymous => None,
        }
    }

    /// The corp `corpid`, if this scope may reach it: 403 for a tenant reaching another corp
    /// (whether or not it exists), 404 for an unknown one. Reaching a corp counts as a call to
    /// it (`--tenant-ttl`).
    fn reach(&self, corpid: &str) -> Result<Arc<Corp>, AdminError> {
        self.scope.may(Act::Corp(corpid))?;
        let corp = self.state.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        corp.touch(self.state.uptime_secs());
        Ok(corp)
    }

    /// The corp an optional `corpid` aims at: a tenant's own corp when left out (or given as
    /// its own), 403 for another; the operator's as given (`None`: every corp).
    fn aim(&self, corpid: Option<&str>) -> Result<Option<String>, AdminError> {
        match (corpid.filter(|id| !id.is_empty()), self.tenant()) {
            (Some(corpid), _) => self.scope.may(Act::Corp(corpid)).map(|()| Some(corpid.to_owned())),
            (None, Some(own)) => Ok(Some(own.to_owned())),
            (None, None) => self.scope.may(Act::EveryCorp).map(|()| None),
        }
    }

    /// The corp a scan or join names: its `corpid`, or a tenant's own corp when left out.
    fn named(&self, corpid: &str) -> Result<Arc<Corp>, AdminError> {
        match self.aim(Some(corpid))? {
            Some(corpid) => self.reach(&corpid),
            None => Err(AdminError::bad_request("`corpid` is required")),
        }
    }

    // --- corps -------------------------------------------------------------------------------

    /// `GET /__admin/ui`: what the dashboard shows of every corp in corpid order (a tenant: its
    /// own), with the newest `rows` rows of each table.
    pub(crate) fn dashboard(&self, rows: usize) -> Result<Vec<CorpView>, AdminError> {
        let ids = match self.aim(None)? {
            Some(own) => vec![own],
            None => self.state.corpids(),
        };
        let mut corps: Vec<CorpView> = ids
            .iter()
            .filter_map(|id| self.state.corp(id))
            .map(|corp| corp.read(|st, now| CorpView::of(st, now, rows)))
            .collect();
        // The fixtures' corps (the default corp) first, then tenants, each in corpid order: a
        // new tenant's empty corp must not push the corp a reader came for off the screen.
        corps.sort_by_key(|corp| corp.tenant);
        Ok(corps)
    }

    /// `GET /__admin/corps`: every corp with its apps' credentials, in corpid order (a tenant:
    /// its own corp).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = wecom_mock::MockServer::start().await;
    /// let control = mock.control();
    /// let corps = control.corps().expect("the operator sees every corp");
    /// assert_eq!(corps[0].corpid, mock.corpid());
    /// let dump = control.dump(mock.corpid()).expect("the default corp");
    /// assert!(dump.contact_ways.is_empty());
    /// control.reset(None).expect("back to the fixtures");
    /// # }
    /// ```
    pub fn corps(&self) -> Result<Vec<CorpSummary>, AdminError> {
        let corps = match self.aim(None)? {
            Some(own) => vec![self.reach(&own)?],
            None => self.state.corps(),
        };
        Ok(corps
            .iter()
            .map(|corp| {
                corp.read(|state, _| CorpSummary {
                    corpid: state.corpid.clone(),
                    name: state.directory.name.clone(),
                    apps: state
                        .directory
                        .apps
                        .iter()
                        .map(|a| AppSummary { agentid: a.agentid, secret: a.secret.clone() })
                        .collect(),
                })
            })
            .collect())
    }

    /// `GET /__admin/corps/{corpid}`: the corp's state dump.
    pub fn dump(&self, corpid: &str) -> Result<CorpDump, AdminError> {
        let corp = self.reach(corpid)?;
        let public_url = self.state.settings.public_url.as_str();
        Ok(corp.read(|state, now| dump(state, now, public_url)))
    }

    /// The state dump as the exact bytes `GET /__admin/corps/{corpid}` answers.
    pub fn dump_bytes(&self, corpid: &str) -> Result<Vec<u8>, AdminError> {
        serde_json::to_vec(&self.dump(corpid)?).map_err(|e| AdminError::internal(e.to_string()))
    }

    /// `PUT /__admin/corps/{corpid}`: creates or replaces the fixture's corp (its state emptied;
    /// a tenant's corp keeps its admin token). A tenant may replace its own corp only.
    pub fn put_corp(&self, fixture: &CorpFixture) -> Result<(), AdminError> {
        if let Some(own) = self.aim(Some(&fixture.corpid))?
            && self.tenant().is_some()
        {
            self.reach(&own)?;
        }
        Ok(self.state.put_corp(fixture)?)
    }

    /// `DELETE /__admin/corps/{corpid}`: the corp, its tokens and its checkpoints are gone (a
    /// tenant's corp ends the tenant and its admin token).
    pub fn delete_corp(&self, corpid: &str) -> Result<(), AdminError> {
        self.reach(corpid)?;
        if !self.state.remove_corp(corpid)? {
            return Err(AdminError::unknown_corp(corpid));
        }
        Ok(())
    }

    /// `POST /__admin/reset`: every corp (or one) back to its fixture (the default corp, or a
    /// tenant's directory; a tenant keeps its credentials). A tenant resets its own corp.
    pub fn reset(&self, corpid: Option<&str>) -> Result<(), AdminError> {
        let corpid = self.aim(corpid)?;
        if let Some(id) = &corpid {
            self.reach(id)?;
        }
        // A full reset drops the corps that are not in the fixtures (tenants): their checkpoints
        // go with them (`MockState::install`). A corp that is still there keeps its own.
        self.state.load_fixtures(corpid.as_deref())?;
        Ok(())
    }

    /// `POST /__admin/tenants`: a fresh corp of its own for a team, with the default directory
    /// and new secrets (or the fixture given), and an admin token that opens that corp only.
    /// The operator may always; anyone else only with `--tenant-signup open`.
    pub fn create_tenant(&self, req: &TenantRequest) -> Result<TenantResponse, AdminError> {
        let signup_open = self.state.settings.tenant_signup == TenantSignup::Open;
        self.scope.may(Act::SignUp { open: signup_open })?;
        let mut rng = rand::rng();
        let corpid = loop {
            let mut id = String::from("ww");
            hex::push_u64(&mut id, rng.random());
            if self.state.corp(&id).is_none() {
                break id;
            }
        };
        let mut fixture = match &req.fixture {
            Some(given) => {
                let mut given = given.clone();
                let Some(fields) = given.as_object_mut() else {
                    return Err(AdminError::bad_request("`fixture` is one corp of the fixtures format, an object"));
                };
                fields.insert("corpid".to_owned(), serde_json::Value::String(corpid.clone()));
                let bytes = serde_json::to_vec(&given).map_err(|e| AdminError::internal(e.to_string()))?;
                Fixtures::parse_corp(&bytes).map_err(|e| AdminError::bad_request(format!("invalid fixture: {e}")))?
            }
            None => {
                let mut fixture = CorpFixture::default_directory(&corpid);
                for app in &mut fixture.apps {
                    app.secret = token_chars(32);
                }
                fixture.name = format!("Tenant {corpid}");
                fixture
            }
        };
        if let Some(name) = req.name.as_deref().filter(|n| !n.is_empty()) {
            fixture.name = name.to_owned();
        }
        let app = fixture
            .apps
            .iter()
            .find(|app| app.customer_contact)
            .or(fixture.apps.first())
            .cloned()
            .ok_or_else(|| AdminError::bad_request("the tenant's corp needs an app"))?;
        let admin_token = token_chars(48);
        let tenant = Tenant { name: fixture.name.clone(), token_sha256: token_sha256(&admin_token) };
        self.state.put_tenant(&fixture, Some(tenant))?;
        tracing::info!(corpid = %corpid, name = %fixture.name, "tenant created");
        Ok(TenantResponse { corpid, secret: app.secret, agentid: app.agentid, admin_token })
    }

    /// `GET /__admin/corps/{corpid}/quotas`.
    pub fn quotas(&self, corpid: &str) -> Result<QuotasResponse, AdminError> {
        let corp = self.reach(corpid)?;
        Ok(corp.read(|state, now| QuotasResponse {
            contact_ways: QuotaUse { used: state.shared_used, limit: state.directory.quotas.contact_ways },
            temp_today: TempQuotaUse {
                used: state.temp_used_on(now),
                limit: state.directory.quotas.temp_daily,
                resets_at: next_beijing_midnight(now),
            },
        }))
    }

    /// `POST /__admin/corps/{corpid}/tokens/revoke`: every token of the corp issued so far
    /// answers 40014, for good: across resets, PUTs, restores and, with a data dir, restarts.
    pub fn revoke_tokens(&self, corpid: &str) -> Result<(), AdminError> {
        self.reach(corpid)?;
        if !self.state.revoke_tokens(corpid)? {
            return Err(AdminError::unknown_corp(corpid));
        }
        Ok(())
    }

    // --- the clock -------------------------------------------------------------------------

    /// `POST /__admin/clock`: every corp's clock (a tenant: its own), or `corpid`'s.
    pub fn clock(&self, req: &ClockRequest) -> Result<ClockResponse, AdminError> {
        let changes =
            usize::from(req.set.is_some()) + usize::from(req.advance.is_some()) + usize::from(req.real == Some(true));
        if changes != 1 {
            return Err(AdminError::bad_request("give exactly one of `set`, `advance` or `real: true`"));
        }
        let corpid = self.aim(req.corpid.as_deref())?;
        let clock = self.change_clock(corpid.as_deref(), |clock| match (req.set, req.advance) {
            (Some(at), _) => Clock { frozen_at: Some(at) },
            (None, Some(secs)) => Clock { frozen_at: Some(clock.now_at(wall_now()).saturating_add(secs)) },
            (None, None) => Clock { frozen_at: None },
        })?;
        Ok(ClockResponse { now: clock.now_at(wall_now()), frozen: clock.frozen_at.is_some() })
    }

    /// Freezes every corp's clock (a tenant: its own) at `unix`.
    pub fn set_clock(&self, unix: i64) -> Result<ClockResponse, AdminError> {
        self.clock(&ClockRequest { set: Some(unix), ..ClockRequest::default() })
    }

    /// Moves every corp's clock by `secs` and freezes it.
    pub fn advance_clock(&self, secs: i64) -> Result<ClockResponse, AdminError> {
        self.clock(&ClockRequest { advance: Some(secs), ..ClockRequest::default() })
    }

    /// Returns every corp's clock to wall time.
    pub fn real_clock(&self) -> Result<ClockResponse, AdminError> {
        self.clock(&ClockRequest { real: Some(true), ..ClockRequest::default() })
    }

    /// Changes every corp's clock (or one corp's); a clock moved past a temp chat's end ends it.
    fn change_clock(&self, corpid: Option<&str>, change: impl Fn(Clock) -> Clock) -> Result<Clock, AdminError> {
        let targets: Vec<Arc<Corp>> = match corpid {
            Some(id) => vec![self.reach(id)?],
            None => self.state.corps(),
        };
        let mut last = Clock::default();
        for corp in targets {
            last = corp.write(|state, _, _| {
                let next = change(state.clock);
                Ok::<_, AdminError>((next, vec![Event::ClockSet { frozen_at: next.frozen_at }]))
            })?;
            corp.expire_due();
        }
        Ok(last)
    }

    // --- customers ---------------------------------------------------------------------------

    /// `POST /__admin/scan`: a customer scans a Contact Me code. The app's callback, if any, is
    /// posted once the change is made.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use wecom_mock::api::{AdminErrorKind, ScanRequest};
    ///
    /// let mock = wecom_mock::MockServer::start().await;
    /// let control = mock.control();
    /// let scan = ScanRequest { corpid: mock.corpid().into(), config_id: "no-such-config".into(), ..ScanRequest::default() };
    /// let err = control.scan(&scan).expect_err("nothing to scan");
    /// assert_eq!(err.kind, AdminErrorKind::ConfigNotFound);
    /// assert!(control.messages(None).expect("every corp's").is_empty());
    /// # }
    /// ```
    pub fn scan(&self, req: &ScanRequest) -> Result<ScanResponse, AdminError> {
        let corp = self.named(&req.corpid)?;
        let mut announced = Vec::new();
        let reply = corp.write(|state, now, rng| {
            let (reply, events) = simulate::scan(state, now, rng, req)?;
            announced = notices::notices(state, now, &events);
            Ok::<_, AdminError>((reply, events))
        })?;
        corp.announce(announced);
        Ok(reply)
    }

    /// `POST /__admin/join`: a customer joins through a Join Group code. The app's callback, if
    /// any, is posted once the change is made.
    pub fn join(&self, req: &JoinRequest) -> Result<JoinResponse, AdminError> {
        let corp = self.named(&req.corpid)?;
        let mut announced = Vec::new();
        let reply = corp.write(|state, now, rng| {
            let (reply, events) = simulate::join(state, now, rng, req)?;
            announced = notices::notices(state, now, &events);
            Ok::<_, AdminError>((reply, events))
        })?;
        corp.announce(announced);
        Ok(reply)
    }

    /// `GET /__admin/messages`: closing messages and callbacks sent, oldest first (a tenant:
    /// its own corp's).
    pub fn messages(&self, corpid: Option<&str>) -> Result<Vec<MessageEntry>, AdminError> {
        let corps = match self.aim(corpid)? {
            Some(id) => vec![self.reach(&id)?],
            None => self.state.corps(),
        };
        let mut out = Vec::new();
        for corp in corps {
            corp.read(|state, _| {
                out.extend(
                    state
                        .messages
                        .iter()
                        .map(|m| MessageEntry { corpid: state.corpid.clone(), message: Message::from(m) }),
                );
            });
        }
        // Stable: within one instant, per-corp order is kept.
        out.sort_by_key(|m| m.message.at());
        Ok(out)
    }

    /// `POST /__admin/corps/{corpid}/apps/{agentid}/verify_callback`: the URL check WeCom makes
    /// when a callback URL is saved, recorded in the messages like a delivery.
    pub async fn verify_callback(&self, corpid: &str, agentid: u32) -> Result<VerifyCallbackResponse, AdminError> {
        let corp = self.reach(corpid)?;
        let (callback, now) = corp.read(|state, now| {
            let app = state.directory.app(agentid).ok_or_else(|| {
                AdminError::new(AdminErrorKind::AppNotFound, format!("corp `{corpid}` has no app {agentid}"))
            })?;
            let callback = app.callback.clone().ok_or_else(|| {
                AdminError::new(AdminErrorKind::NoCallback, format!("app {agentid} has no callback URL"))
            })?;
            Ok::<_, AdminError>((callback, now))
        })?;
        let (verified, message) = callbacks::verify(corpid, agentid, callback, now).await?;
        corp.record(message);
        Ok(verified)
    }

    // --- checkpoints -------------------------------------------------------------------------

    /// `POST /__admin/corps/{corpid}/checkpoint`: saves the corp's state under `name`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = wecom_mock::MockServer::start().await;
    /// let control = mock.control();
    /// let saved = control.checkpoint(mock.corpid(), "fresh").expect("saved");
    /// assert_eq!(saved.contact_ways, 0);
    /// control.restore(mock.corpid(), "fresh").expect("restored");
    /// assert_eq!(control.checkpoints(mock.corpid()).expect("listed").len(), 1);
    /// # }
    /// ```
    pub fn checkpoint(&self, corpid: &str, name: &str) -> Result<CheckpointInfo, AdminError> {
        if name.is_empty() || name.len() > MAX_CHECKPOINT_NAME_BYTES {
            return Err(AdminError::bad_request(format!("`name` is 1 to {MAX_CHECKPOINT_NAME_BYTES} bytes")));
        }
        let corp = self.reach(corpid)?;
        // Copied under the read lock, like the compactor does; stored after it is released.
        let copy = Arc::new(corp.read(|state, _| state.clone()));
        let saved = info(corpid, name, &copy);
        self.state.save_checkpoint(corpid, name, copy).map_err(|err| match err {
            SaveError::Full => AdminError::new(
                AdminErrorKind::TooManyCheckpoints,
                format!("corp `{corpid}` already holds {MAX_CHECKPOINTS_PER_CORP} checkpoints"),
            ),
            SaveError::Gone => AdminError::unknown_corp(corpid),
            SaveError::Journal(unavailable) => unavailable.into(),
        })?;
        Ok(saved)
    }

    /// `POST /__admin/corps/{corpid}/restore`: the corp's state becomes exactly the one saved
    /// under `name`.
    pub fn restore(&self, corpid: &str, name: &str) -> Result<CheckpointInfo, AdminError> {
        self.reach(corpid)?;
        let saved = self.state.checkpoints.get(corpid, name).ok_or_else(|| {
            AdminError::new(AdminErrorKind::CheckpointNotFound, format!("corp `{corpid}` has no checkpoint `{name}`"))
        })?;
        let restored = info(corpid, name, &saved);
        let mut state = crate::core::model::CorpState::clone(&saved);
        // Credentials are not state: the corp's tenant, as it is now, stays.
        state.tenant = self.state.corp(corpid).and_then(|corp| corp.state.read().tenant.clone());
        self.state.install_state(state)?;
        Ok(restored)
    }

    /// `GET /__admin/corps/{corpid}/checkpoints`, sorted by name.
    pub fn checkpoints(&self, corpid: &str) -> Result<Vec<CheckpointInfo>, AdminError> {
        self.reach(corpid)?;
        Ok(self.state.checkpoints.list(corpid))
    }

    // --- traffic -------------------------------------------------------------------------------

    /// `POST /__admin/faults` (a tenant's rules always apply to its own corp only).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use wecom_mock::api::FaultRule;
    ///
    /// let mock = wecom_mock::MockServer::start().await;
    /// let control = mock.control();
    /// control.add_fault(&FaultRule::errcode("add_contact_way", 45009)).expect("added");
    /// assert_eq!(control.faults().expect("listed").len(), 1);
    /// control.clear_faults(None).expect("cleared");
    /// assert!(control.faults().expect("listed").is_empty());
    /// # }
    /// ```
    pub fn add_fault(&self, rule: &FaultRule) -> Result<FaultAdded, AdminError> {
        let mut rule = rule.clone();
        rule.corpid = self.aim(rule.corpid.as_deref())?;
        self.state.traffic.faults.add(rule)
    }

    /// `GET /__admin/faults`: every rule, oldest first (a tenant: its own).
    pub fn faults(&self) -> Result<Vec<FaultStatus>, AdminError> {
        let mine = self.aim(None)?;
        let mut faults = self.state.traffic.faults.list();
        if let Some(own) = mine {
            faults.retain(|fault| fault.rule.corpid.as_deref() == Some(own.as_str()));
        }
        Ok(faults)
    }

    /// `DELETE /__admin/faults`: every rule, or (`corpid`) the rules limited to one corp (a
    /// tenant: its own).
    pub fn clear_faults(&self, corpid: Option<&str>) -> Result<(), AdminError> {
        let corpid = self.aim(corpid)?;
        self.state.traffic.faults.clear(corpid.as_deref());
        Ok(())
    }

    /// `DELETE /__admin/faults/{id}` (a tenant: one of its own rules).
    pub fn remove_fault(&self, id: &str) -> Result<(), AdminError> {
        let not_found = || AdminError::new(AdminErrorKind::FaultNotFound, format!("no fault rule `{id}`"));
        if let Some(own) = self.tenant() {
            let rule =
                self.state.traffic.faults.list().into_iter().find(|fault| fault.id == id).ok_or_else(not_found)?;
            if rule.rule.corpid.as_deref() != Some(own) {
                return Err(forbidden(format!("fault rule `{id}` is not one of corp `{own}`")));
            }
        } else {
            self.aim(None)?;
        }
        if self.state.traffic.faults.remove(id) { Ok(()) } else { Err(not_found()) }
    }

    /// `GET /__admin/requests`: the newest calls matching `query`, oldest first (a tenant: its
    /// own corp's).
    pub fn requests(&self, query: &RequestQuery) -> Result<Vec<RequestEntry>, AdminError> {
        let mut query = query.clone();
        query.corpid = self.aim(query.corpid.as_deref())?;
        Ok(self.state.traffic.requests.query(&query))
    }

    /// The drift proxy's report (`GET /__admin/drift`): its findings, newest last, and how many
    /// exchanges it saw and could not judge. Empty on a server without `--upstream`. The
    /// operator's only (it covers every corp).
    pub fn drift(&self) -> Result<DriftReport, AdminError> {
        self.scope.may(Act::EveryCorp)?;
        Ok(self.state.traffic.drift.report())
    }

    /// Clears the drift proxy's findings and the report's counters (`DELETE /__admin/drift`).
    pub fn clear_drift(&self) -> Result<(), AdminError> {
        self.scope.may(Act::EveryCorp)?;
        self.state.traffic.drift.clear();
        Ok(())
    }

    /// What `/metrics` shows of every corp, read under one short read lock each: its corpid,
    /// then its Contact Me configs, Join Group configs, shared quota used and limit, temp
    /// configs today and their limit.
    pub(crate) fn corp_gauges(&self) -> Vec<(String, [u64; 6])> {
        self.state
            .corps()
            .iter()
            .map(|corp| {
                corp.read(|state, now| {
                    let quotas = state.directory.quotas;
                    (
                        state.corpid.clone(),
                        [
                            state.contact_ways.values().len() as u64,
                            state.join_ways.len() as u64,
                            u64::from(state.shared_used),
                            u64::from(quotas.contact_ways),
                            u64::from(state.temp_used_on(now)),
                            u64::from(quotas.temp_daily),
                        ],
                    )
                })
            })
            .collect()
    }

    /// `GET /__admin/corps/{corpid}/hygiene`.
    pub fn hygiene(&self, corpid: &str) -> Result<HygieneReport, AdminError> {
        let corp = self.reach(corpid)?;
        Ok(corp.traffic.hygiene.report(corpid))
    }
}
