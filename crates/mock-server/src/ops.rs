//! The control surface's operations, called by the `/__admin` routes and by
//! [`MockServer`](crate::MockServer)'s typed helpers alike.

use serde::Serialize;
use wecom_types::limits::next_beijing_midnight;

use crate::callbacks;
use crate::control::*;
use crate::domain::admin;
use crate::dump::{CorpDump, dump};
use crate::fixtures::CorpFixture;
use crate::model::{Clock, Message};
use crate::state::MockState;

/// One entry of `GET /__admin/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageEntry {
    /// The corp it belongs to.
    pub corpid: String,
    /// The message.
    #[serde(flatten)]
    pub message: Message,
}

impl MockState {
    fn corp_or_404(&self, corpid: &str) -> Result<std::sync::Arc<crate::state::Corp>, AdminError> {
        self.corp(corpid).ok_or_else(|| AdminError::unknown_corp(corpid))
    }

    /// `POST /__admin/scan`. The app's callback, if any, is posted once the change is made.
    pub fn scan(&self, req: &ScanRequest) -> Result<ScanResponse, AdminError> {
        let corp = self.corp_or_404(&req.corpid)?;
        let mut notices = Vec::new();
        let reply = corp.write(|state, now, rng| {
            let (reply, events) = admin::scan(state, now, rng, req)?;
            notices = callbacks::notices(state, now, &events);
            Ok::<_, AdminError>((reply, events))
        })?;
        callbacks::send(&corp, notices);
        Ok(reply)
    }

    /// `POST /__admin/join`. The app's callback, if any, is posted once the change is made.
    pub fn join(&self, req: &JoinRequest) -> Result<JoinResponse, AdminError> {
        let corp = self.corp_or_404(&req.corpid)?;
        let mut notices = Vec::new();
        let reply = corp.write(|state, now, rng| {
            let (reply, events) = admin::join(state, now, rng, req)?;
            notices = callbacks::notices(state, now, &events);
            Ok::<_, AdminError>((reply, events))
        })?;
        callbacks::send(&corp, notices);
        Ok(reply)
    }

    /// `POST /__admin/clock`.
    pub fn clock(&self, req: &ClockRequest) -> Result<ClockResponse, AdminError> {
        let changes =
            usize::from(req.set.is_some()) + usize::from(req.advance.is_some()) + usize::from(req.real == Some(true));
        if changes != 1 {
            return Err(AdminError::bad_request("give exactly one of `set`, `advance` or `real: true`"));
        }
        let clock = self.set_clock(req.corpid.as_deref(), |clock| match (req.set, req.advance) {
            (Some(at), _) => Clock { frozen_at: Some(at) },
            (None, Some(secs)) => Clock { frozen_at: Some(clock.now().saturating_add(secs)) },
            (None, None) => Clock { frozen_at: None },
        })?;
        Ok(ClockResponse { now: clock.now(), frozen: clock.frozen_at.is_some() })
    }

    /// `GET /__admin/corps/{corpid}`.
    pub fn dump(&self, corpid: &str) -> Result<CorpDump, AdminError> {
        let corp = self.corp_or_404(corpid)?;
        let public_url = self.settings.public_url.clone();
        Ok(corp.read(|state, _| dump(state, &public_url)))
    }

    /// `GET /__admin/corps/{corpid}/quotas`.
    pub fn quotas(&self, corpid: &str) -> Result<QuotasResponse, AdminError> {
        let corp = self.corp_or_404(corpid)?;
        Ok(corp.read(|state, now| QuotasResponse {
            contact_ways: QuotaUse { used: state.shared_used, limit: state.directory.quotas.contact_ways },
            temp_today: TempQuotaUse {
                used: state.temp_used_on(now),
                limit: state.directory.quotas.temp_daily,
                resets_at: next_beijing_midnight(now),
            },
        }))
    }

    /// `GET /__admin/corps`.
    pub fn corp_summaries(&self) -> Vec<CorpSummary> {
        self.corpids()
            .into_iter()
            .filter_map(|id| self.corp(&id))
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

    /// `PUT /__admin/corps/{corpid}`: the fixture's corpid must match the path's.
    pub fn replace_corp(&self, corpid: &str, fixture: &CorpFixture) -> Result<(), AdminError> {
        if fixture.corpid != corpid {
            return Err(AdminError::bad_request(format!(
                "the body's corpid `{}` differs from the path's `{corpid}`",
                fixture.corpid
            )));
        }
        self.put_corp(fixture).map_err(AdminError::bad_request)
    }

    /// `DELETE /__admin/corps/{corpid}`.
    pub fn delete_corp(&self, corpid: &str) -> Result<(), AdminError> {
        if !self.remove_corp(corpid) {
            return Err(AdminError::unknown_corp(corpid));
        }
        // A corp's checkpoints go with it.
        self.traffic.checkpoints.retain_corps(|id| self.corp(id).is_some());
        Ok(())
    }

    /// `POST /__admin/reset`.
    pub fn reset(&self, corpid: Option<&str>) -> Result<(), AdminError> {
        if let Some(id) = corpid {
            self.corp_or_404(id)?;
        }
        self.load_fixtures(corpid).map_err(AdminError::bad_request)?;
        // A full reset drops the corps that are not in the fixtures (tenants): their checkpoints
        // go with them. A corp that is still there keeps its own.
        self.traffic.checkpoints.retain_corps(|id| self.corp(id).is_some());
        Ok(())
    }

    /// `GET /__admin/messages`, oldest first.
    pub fn messages(&self, corpid: Option<&str>) -> Result<Vec<MessageEntry>, AdminError> {
        let ids = match corpid {
            Some(id) => {
                self.corp_or_404(id)?;
                vec![id.to_owned()]
            }
            None => self.corpids(),
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(corp) = self.corp(&id) {
                corp.read(|state, _| {
                    out.extend(state.messages.iter().map(|m| MessageEntry { corpid: id.clone(), message: m.clone() }));
                });
            }
        }
        // Stable: within one instant, per-corp order is kept.
        out.sort_by_key(|m| m.message.at);
        Ok(out)
    }
}
