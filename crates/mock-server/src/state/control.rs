//! The control surface, in one place: every `/__admin` operation as a method of [`Control`],
//! called by the HTTP admin routes and by Rust tests alike (`MockServer::control()`). Each
//! returns a typed [`AdminError`] when it cannot be done, and then changes nothing.

use std::fmt::Write;
use std::sync::Arc;

use rand::Rng;
use wecom_types::limits::next_beijing_midnight;

use super::MockState;
use super::checkpoints::{Full, info};
use super::corp::Corp;
use super::tokens::token_chars;
use crate::api::*;
use crate::core::domain::simulate;
use crate::core::dump::dump;
use crate::core::fixtures::CorpFixture;
use crate::core::hex;
use crate::core::model::{Clock, Event};
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
#[derive(Clone, Copy)]
pub struct Control<'a> {
    state: &'a MockState,
}

impl<'a> Control<'a> {
    pub(super) fn new(state: &'a MockState) -> Self {
        Control { state }
    }

    fn corp(&self, corpid: &str) -> Result<Arc<Corp>, AdminError> {
        self.state.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))
    }

    // --- corps -------------------------------------------------------------------------------

    /// `GET /__admin/corps`: every corp with its apps' credentials, in corpid order.
    pub fn corps(&self) -> Vec<CorpSummary> {
        self.state
            .corps()
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
            .collect()
    }

    /// `GET /__admin/corps/{corpid}`: the corp's state dump.
    pub fn dump(&self, corpid: &str) -> Result<CorpDump, AdminError> {
        let corp = self.corp(corpid)?;
        let public_url = self.state.settings.public_url.as_str();
        Ok(corp.read(|state, _| dump(state, public_url)))
    }

    /// The state dump as the exact bytes `GET /__admin/corps/{corpid}` answers.
    pub fn dump_bytes(&self, corpid: &str) -> Result<Vec<u8>, AdminError> {
        serde_json::to_vec(&self.dump(corpid)?).map_err(|e| AdminError::internal(e.to_string()))
    }

    /// `PUT /__admin/corps/{corpid}`: creates or replaces the fixture's corp (its state emptied).
    pub fn put_corp(&self, fixture: &CorpFixture) -> Result<(), AdminError> {
        Ok(self.state.put_corp(fixture)?)
    }

    /// `DELETE /__admin/corps/{corpid}`: the corp, its tokens and its checkpoints are gone.
    pub fn delete_corp(&self, corpid: &str) -> Result<(), AdminError> {
        if !self.state.remove_corp(corpid)? {
            return Err(AdminError::unknown_corp(corpid));
        }
        self.state.checkpoints.retain_corps(|id| self.state.corp(id).is_some());
        Ok(())
    }

    /// `POST /__admin/reset`: every corp (or one) back to its fixture (the default corp, or a
    /// tenant's directory).
    pub fn reset(&self, corpid: Option<&str>) -> Result<(), AdminError> {
        if let Some(id) = corpid {
            self.corp(id)?;
        }
        self.state.load_fixtures(corpid)?;
        // A full reset drops the corps that are not in the fixtures (tenants): their checkpoints
        // go with them. A corp that is still there keeps its own.
        self.state.checkpoints.retain_corps(|id| self.state.corp(id).is_some());
        Ok(())
    }

    /// `POST /__admin/tenants`: a fresh corp with the default directory and new secrets.
    pub fn create_tenant(&self) -> Result<TenantResponse, AdminError> {
        let mut rng = rand::rng();
        let corpid = loop {
            let mut id = String::from("ww");
            hex::push_u64(&mut id, rng.random());
            if self.state.corp(&id).is_none() {
                break id;
            }
        };
        let mut fixture = CorpFixture::default_directory(&corpid);
        fixture.name = format!("Tenant {corpid}");
        for app in &mut fixture.apps {
            app.secret = token_chars(32);
        }
        let app =
            fixture.apps.first().cloned().ok_or_else(|| AdminError::internal("the default directory has no app"))?;
        self.state.put_corp(&fixture)?;
        Ok(TenantResponse { corpid, secret: app.secret, agentid: app.agentid })
    }

    /// `GET /__admin/corps/{corpid}/quotas`.
    pub fn quotas(&self, corpid: &str) -> Result<QuotasResponse, AdminError> {
        let corp = self.corp(corpid)?;
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
        let corp = self.corp(corpid)?;
        self.state.tokens.revoke(&corp, corpid);
        Ok(())
    }

    // --- the clock -------------------------------------------------------------------------

    /// `POST /__admin/clock`.
    pub fn clock(&self, req: &ClockRequest) -> Result<ClockResponse, AdminError> {
        let changes =
            usize::from(req.set.is_some()) + usize::from(req.advance.is_some()) + usize::from(req.real == Some(true));
        if changes != 1 {
            return Err(AdminError::bad_request("give exactly one of `set`, `advance` or `real: true`"));
        }
        let clock = self.change_clock(req.corpid.as_deref(), |clock| match (req.set, req.advance) {
            (Some(at), _) => Clock { frozen_at: Some(at) },
            (None, Some(secs)) => Clock { frozen_at: Some(clock.now().saturating_add(secs)) },
            (None, None) => Clock { frozen_at: None },
        })?;
        Ok(ClockResponse { now: clock.now(), frozen: clock.frozen_at.is_some() })
    }

    /// Freezes every corp's clock at `unix`.
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
            Some(id) => vec![self.corp(id)?],
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
        let corp = self.corp(&req.corpid)?;
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
        let corp = self.corp(&req.corpid)?;
        let mut announced = Vec::new();
        let reply = corp.write(|state, now, rng| {
            let (reply, events) = simulate::join(state, now, rng, req)?;
            announced = notices::notices(state, now, &events);
            Ok::<_, AdminError>((reply, events))
        })?;
        corp.announce(announced);
        Ok(reply)
    }

    /// `GET /__admin/messages`: closing messages and callbacks sent, oldest first.
    pub fn messages(&self, corpid: Option<&str>) -> Result<Vec<MessageEntry>, AdminError> {
        let corps = match corpid {
            Some(id) => vec![self.corp(id)?],
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
        let corp = self.corp(corpid)?;
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
        let corp = self.corp(corpid)?;
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
        self.corp(corpid)?;
        let saved = self.state.checkpoints.get(corpid, name).ok_or_else(|| {
            AdminError::new(AdminErrorKind::CheckpointNotFound, format!("corp `{corpid}` has no checkpoint `{name}`"))
        })?;
        let restored = info(corpid, name, &saved);
        self.state.install_state(crate::core::model::CorpState::clone(&saved))?;
        Ok(restored)
    }

    /// `GET /__admin/corps/{corpid}/checkpoints`, sorted by name.
    pub fn checkpoints(&self, corpid: &str) -> Result<Vec<CheckpointInfo>, AdminError> {
        self.corp(corpid)?;
        Ok(self.state.checkpoints.list(corpid))
    }

    // --- traffic -------------------------------------------------------------------------------

    /// `POST /__admin/faults`.
    pub fn add_fault(&self, rule: &FaultRule) -> Result<FaultAdded, AdminError> {
        self.state.traffic.faults.add(rule.clone())
    }

    /// `GET /__admin/faults`: every rule, oldest first.
    pub fn faults(&self) -> Vec<FaultStatus> {
        self.state.traffic.faults.list()
    }

    /// `DELETE /__admin/faults`: every rule, or (`corpid`) the rules limited to one corp.
    pub fn clear_faults(&self, corpid: Option<&str>) {
        self.state.traffic.faults.clear(corpid);
    }

    /// `DELETE /__admin/faults/{id}`.
    pub fn remove_fault(&self, id: &str) -> Result<(), AdminError> {
        if self.state.traffic.faults.remove(id) {
            Ok(())
        } else {
            Err(AdminError::new(AdminErrorKind::FaultNotFound, format!("no fault rule `{id}`")))
        }
    }

    /// `GET /__admin/requests`: the newest calls matching `query`, oldest first.
    pub fn requests(&self, query: &RequestQuery) -> Vec<RequestEntry> {
        self.state.traffic.requests.query(query)
    }

    /// `GET /__admin/corps/{corpid}/hygiene`.
    pub fn hygiene(&self, corpid: &str) -> Result<HygieneReport, AdminError> {
        let corp = self.corp(corpid)?;
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
        out
    }
}
