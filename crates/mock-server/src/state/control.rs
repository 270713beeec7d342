//! The control surface, in one place: every `/__admin` operation as a method of [`Control`],
//! called by the HTTP admin routes and by Rust tests alike (`MockServer::control()`). Each
//! returns a typed [`AdminError`] when it cannot be done, and then changes nothing.
//!
//! A `Control` has a [`Scope`]: the operator's opens everything; a tenant's (its admin token)
//! opens its own corp only, and an operation on another corp, or on every corp, is 403 with
//! nothing changed; an anonymous caller on a server with an admin token may only create a
//! tenant, and only with `--tenant-signup open`.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rand::Rng;
use wecom_types::limits::next_beijing_midnight;

use super::checkpoints::{Full, info};
use super::corp::Corp;
use super::tokens::token_chars;
use super::{MockState, TenantSignup, token_sha256};
use crate::api::*;
use crate::core::domain::simulate;
use crate::core::dump::dump;
use crate::core::fixtures::{CorpFixture, Fixtures};
use crate::core::hex;
use crate::core::model::{Clock, Event, Tenant};
use crate::core::notices;
use crate::durability::files_bytes;
use crate::net::callbacks;
use crate::traffic::metrics::{escape_label, header};

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

/// Whose control surface a [`Control`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The operator (or anyone, on a server without `--admin-token`): everything.
    Operator,
    /// A tenant, by its admin token: its own corp only.
    Tenant(String),
    /// No token on a server with `--admin-token`: nothing but, with `--tenant-signup open`,
    /// creating a tenant.
    Anonymous,
}

fn forbidden(message: impl Into<String>) -> AdminError {
    AdminError::new(AdminErrorKind::Forbidden, message)
}

fn unauthorized() -> AdminError {
    AdminError::new(AdminErrorKind::Unauthorized, "a valid `Authorization: Bearer <admin token>` is required")
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
        match &self.scope {
            Scope::Operator => {}
            Scope::Tenant(own) if own == corpid => {}
            Scope::Tenant(own) => return Err(forbidden(format!("this admin token opens corp `{own}` only"))),
            Scope::Anonymous => return Err(unauthorized()),
        }
        let corp = self.state.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))?;
        corp.touch(self.state.uptime_secs());
        Ok(corp)
    }

    /// The corp an optional `corpid` aims at: a tenant's own corp when left out (or given as
    /// its own), 403 for another; the operator's as given (`None`: every corp).
    fn aim(&self, corpid: Option<&str>) -> Result<Option<String>, AdminError> {
        match (&self.scope, corpid.filter(|id| !id.is_empty())) {
            (Scope::Operator, corpid) => Ok(corpid.map(str::to_owned)),
            (Scope::Tenant(own), None) => Ok(Some(own.clone())),
            (Scope::Tenant(own), Some(corpid)) if corpid == own => Ok(Some(own.clone())),
            (Scope::Tenant(own), Some(_)) => Err(forbidden(format!("this admin token opens corp `{own}` only"))),
            (Scope::Anonymous, _) => Err(unauthorized()),
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

    /// `GET /__admin/corps`: every corp with its apps' credentials, in corpid order (a tenant:
    /// its own corp).
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
        Ok(corp.read(|state, _| dump(state, public_url)))
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
        self.state.checkpoints.retain_corps(|id| self.state.corp(id).is_some());
        Ok(())
    }

    /// `POST /__admin/reset`: every corp (or one) back to its fixture (the default corp, or a
    /// tenant's directory; a tenant keeps its credentials). A tenant resets its own corp.
    pub fn reset(&self, corpid: Option<&str>) -> Result<(), AdminError> {
        let corpid = self.aim(corpid)?;
        if let Some(id) = &corpid {
            self.reach(id)?;
        }
        self.state.load_fixtures(corpid.as_deref())?;
        // A full reset drops the corps that are not in the fixtures (tenants): their checkpoints
        // go with them. A corp that is still there keeps its own.
        self.state.checkpoints.retain_corps(|id| self.state.corp(id).is_some());
        Ok(())
    }

    /// `POST /__admin/tenants`: a fresh corp of its own for a team, with the default directory
    /// and new secrets (or the fixture given), and an admin token that opens that corp only.
    /// The operator may always; anyone else only with `--tenant-signup open`.
    pub fn create_tenant(&self, req: &TenantRequest) -> Result<TenantResponse, AdminError> {
        let signup_open = self.state.settings.tenant_signup == TenantSignup::Open;
        match &self.scope {
            Scope::Operator => {}
            _ if signup_open => {}
            Scope::Tenant(_) => return Err(forbidden("creating tenants needs the operator token")),
            Scope::Anonymous => return Err(unauthorized()),
        }
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

    /// `POST /__admin/corps/{corpid}/tokens/revoke`: every token of the corp answers 40014.
    pub fn revoke_tokens(&self, corpid: &str) -> Result<(), AdminError> {
        let corp = self.reach(corpid)?;
        self.state.tokens.revoke(&corp, corpid);
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
            (None, Some(secs)) => Clock { frozen_at: Some(clock.now().saturating_add(secs)) },
            (None, None) => Clock { frozen_at: None },
        })?;
        Ok(ClockResponse { now: clock.now(), frozen: clock.frozen_at.is_some() })
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
    pub fn checkpoint(&self, corpid: &str, name: &str) -> Result<CheckpointInfo, AdminError> {
        if name.is_empty() || name.len() > MAX_CHECKPOINT_NAME_BYTES {
            return Err(AdminError::bad_request(format!("`name` is 1 to {MAX_CHECKPOINT_NAME_BYTES} bytes")));
        }
        let corp = self.reach(corpid)?;
        // Copied under the read lock, like the compactor does; stored after it is released.
        let copy = Arc::new(corp.read(|state, _| state.clone()));
        let saved = info(corpid, name, &copy);
        self.state.checkpoints.save(corpid, name, copy).map_err(|Full| {
            AdminError::new(
                AdminErrorKind::TooManyCheckpoints,
                format!("corp `{corpid}` already holds {MAX_CHECKPOINTS_PER_CORP} checkpoints"),
            )
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

    /// `GET /__admin/corps/{corpid}/hygiene`.
    pub fn hygiene(&self, corpid: &str) -> Result<HygieneReport, AdminError> {
        let corp = self.reach(corpid)?;
        Ok(corp.traffic.hygiene.report(corpid))
    }

    /// `GET /metrics`: the Prometheus text format.
    pub fn metrics(&self) -> String {
        let traffic = &self.state.traffic;
        let mut out = String::with_capacity(16 * 1024);
        traffic.metrics.render(&mut out);
        let corps = self.state.corps();
        header(&mut out, "wecom_mock_corps", "gauge", "Corps on this server.");
        let _ = writeln!(out, "wecom_mock_corps {}", corps.len());
        // One short read lock per corp; the text is written after it is released.
        let rows: Vec<(String, [u64; 6])> = corps
            .iter()
            .map(|corp| {
                corp.read(|state, now| {
                    let quotas = state.directory.quotas;
                    (
                        escape_label(&state.corpid),
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
            .collect();
        // (name, help, quota label, column of `rows`)
        const GAUGES: [(&str, &str, Option<&str>, usize); 6] = [
            ("wecom_mock_contact_ways", "Contact Me configs per corp (temp ones included).", None, 0),
            ("wecom_mock_join_ways", "Join Group configs per corp.", None, 1),
            (
                "wecom_mock_quota_used",
                "Quota use per corp: the shared quota (non-temp Contact Me plus Join Group) and today's temp configs.",
                Some("contact_ways"),
                2,
            ),
            ("wecom_mock_quota_used", "", Some("temp_today"), 4),
            ("wecom_mock_quota_limit", "Quota limits per corp.", Some("contact_ways"), 3),
            ("wecom_mock_quota_limit", "", Some("temp_today"), 5),
        ];
        for (name, help, quota, column) in GAUGES {
            // A metric's second label set shares the first one's header.
            if !help.is_empty() {
                header(&mut out, name, "gauge", help);
            }
            for (corpid, row) in &rows {
                let value = row[column];
                match quota {
                    Some(quota) => {
                        let _ = writeln!(out, "{name}{{corpid=\"{corpid}\",quota=\"{quota}\"}} {value}");
                    }
                    None => {
                        let _ = writeln!(out, "{name}{{corpid=\"{corpid}\"}} {value}");
                    }
                }
            }
        }
        header(&mut out, "wecom_mock_tenants", "gauge", "Tenants (corps made by POST /__admin/tenants).");
        let _ = writeln!(out, "wecom_mock_tenants {}", self.state.tenant_count());
        header(&mut out, "wecom_mock_tenants_expired_total", "counter", "Tenants deleted by --tenant-ttl.");
        let _ = writeln!(out, "wecom_mock_tenants_expired_total {}", traffic.tenants_expired.load(Ordering::Relaxed));
        header(
            &mut out,
            "wecom_mock_configs_total",
            "gauge",
            "Configs of every corp together (--max-total-configs counts these).",
        );
        let _ = writeln!(out, "wecom_mock_configs_total {}", self.state.total_configs());
        header(
            &mut out,
            "wecom_mock_limit",
            "gauge",
            "The server's limits: --max-corps, --max-total-configs, --max-connections.",
        );
        let _ = writeln!(out, "wecom_mock_limit{{limit=\"corps\"}} {}", self.state.settings.max_corps);
        let _ = writeln!(out, "wecom_mock_limit{{limit=\"configs\"}} {}", self.state.settings.max_total_configs);
        let _ = writeln!(out, "wecom_mock_limit{{limit=\"connections\"}} {}", self.state.settings.max_connections);
        traffic.connections.render(&mut out);
        header(&mut out, "wecom_mock_faults_active", "gauge", "Fault rules that can still apply.");
        let _ = writeln!(out, "wecom_mock_faults_active {}", traffic.faults.active());
        header(&mut out, "wecom_mock_checkpoints", "gauge", "Checkpoints held, all corps together.");
        let _ = writeln!(out, "wecom_mock_checkpoints {}", self.state.checkpoints.count());
        header(
            &mut out,
            "wecom_mock_request_journal_entries",
            "gauge",
            "Calls held by the request journal (GET /__admin/requests).",
        );
        let _ = writeln!(out, "wecom_mock_request_journal_entries {}", traffic.requests.len());
        header(
            &mut out,
            "wecom_mock_request_journal_capacity",
            "gauge",
            "Calls the request journal keeps (--journal-size).",
        );
        let _ = writeln!(out, "wecom_mock_request_journal_capacity {}", traffic.requests.capacity());
        if let Some(dir) = self.state.data_dir() {
            // Metadata reads of a few files, with no lock held.
            header(
                &mut out,
                "wecom_mock_journal_bytes",
                "gauge",
                "Bytes of the data dir's journal segments (--data-dir).",
            );
            let _ = writeln!(out, "wecom_mock_journal_bytes {}", files_bytes(dir, "wal-"));
            header(&mut out, "wecom_mock_snapshot_bytes", "gauge", "Bytes of the data dir's snapshots (--data-dir).");
            let _ = writeln!(out, "wecom_mock_snapshot_bytes {}", files_bytes(dir, "snap-"));
        }
        if let Some(stats) = self.state.journal_stats() {
            // Records per fsync (records / fsyncs) is how well the group commit batches.
            const COUNTERS: [(&str, &str); 4] = [
                ("wecom_mock_journal_records_total", "Records written to the journal (--data-dir)."),
                ("wecom_mock_journal_written_bytes_total", "Bytes written to the journal (--data-dir)."),
                ("wecom_mock_journal_writes_total", "Writes of the journal: each carries every record that piled up."),
                ("wecom_mock_journal_fsyncs_total", "fdatasync calls of the journal (--fsync)."),
            ];
            let values = [stats.records, stats.bytes, stats.batches, stats.fsyncs];
            for ((name, help), value) in COUNTERS.into_iter().zip(values) {
                header(&mut out, name, "counter", help);
                let _ = writeln!(out, "{name} {value}");
            }
        }
        out
    }
}
