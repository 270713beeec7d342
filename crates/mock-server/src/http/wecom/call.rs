//! One WeCom call itself: token, permission, rate limits, decoding, then the domain. Every
//! answer is HTTP 200 with the errcode envelope.

use std::cell::Cell;
use std::net::IpAddr;

use bytes::Bytes;

use hyper::{Response, StatusCode};
use rand::rngs::StdRng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wecom_types::api::*;
use wecom_types::wire::{DecodeError, decode_body, decode_query, encode_ok, plain_string_field};
use wecom_types::{Api, ErrCode, Validate};

use super::notes::CallNotes;
use crate::core::domain::{ApiError, Bug, Ctx, Outcome, after_scan, contact_way, customer, join_way};
use crate::core::model::CorpState;
use crate::http::query::{query_pairs, query_param};
use crate::http::response::{Body, api_error, json_response};
use crate::state::clock::wall_now;
use crate::state::{Corp, MockState};
use crate::traffic::hygiene::{ConfigRead, Facts, Observe, Observer};
use crate::traffic::ratelimit;

impl From<DecodeError> for ApiError {
    fn from(err: DecodeError) -> Self {
        ApiError { code: DecodeError::CODE, detail: Some(err.phrase()), field_info: true }
    }
}

/// Serves one WeCom API call; `notes` learns the corp, the app, the errcode and what the call
/// did (for metrics, rate limits, hygiene and the request journal).
pub(crate) fn handle(
    state: &MockState,
    api: Api,
    query: &str,
    body: &[u8],
    from_ip: IpAddr,
    notes: &mut CallNotes,
) -> Response<Body> {
    match call(state, api, query, body, from_ip, notes) {
        Ok(bytes) => json_response(StatusCode::OK, bytes),
        Err(err) => {
            notes.errcode = err.code;
            api_error(state, StatusCode::OK, &err, from_ip)
        }
    }
}

fn call(
    state: &MockState,
    api: Api,
    query: &str,
    body: &[u8],
    from_ip: IpAddr,
    notes: &mut CallNotes,
) -> Result<Bytes, ApiError> {
    // Split only for the APIs whose request is the query string.
    let pairs = || query_pairs(query);
    if api == Api::GetToken {
        let pairs = pairs();
        let req: GetToken = decode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        req.validate()?;
        let (access_token, expires_in) = state
            .get_token(req.corpid.as_deref().unwrap_or_default(), req.corpsecret.as_deref().unwrap_or_default())?;
        return Ok(encode_ok(&GetTokenResponse { access_token, expires_in }).into());
    }
    // One reading of the wall clock for the whole call: each lock below reads the corp's
    // virtual clock at it (a frozen clock as it is then), instead of the wall clock again.
    let wall = wall_now();
    // The token's check, the app's trusted IPs and its permission under one read lock of the
    // corp.
    let (corp, agentid, (app, rate_limits)) =
        state.authenticate(query_param(query, "access_token").as_deref(), wall, |st, agentid, now| {
            let app = st.directory.app(agentid).map(|app| (app.trusts(from_ip), app.customer_contact));
            (app, st.directory.rate_limits.map(|l| (l, now)))
        })?;
    let corp = &*notes.corp.insert(corp);
    notes.agentid = Some(agentid);
    let Some((trusted, permitted)) = app else { return Err(ApiError::new(ErrCode::INVALID_ACCESS_TOKEN)) };
    if !trusted {
        // Step 3, right after the token: the errmsg's `from ip` names the address refused.
        return Err(ApiError::new(ErrCode::IP_NOT_ALLOWED));
    }
    if !permitted {
        return Err(ApiError::with_detail(
            ErrCode::API_FORBIDDEN,
            format!("{}: the app has no customer-contact permission", ErrCode::API_FORBIDDEN.phrase()),
        ));
    }
    if let Some((limits, now)) = rate_limits {
        // Step 5: held until the answer is sent (see `traffic/ratelimit.rs`).
        notes.slot = Some(ratelimit::admit(&corp.traffic.rates, api, &limits, now).map_err(ApiError::new)?);
    }
    let max = state.settings.max_total_configs;
    let server_full =
        (matches!(api, Api::AddContactWay | Api::AddJoinWay) && state.total_configs() >= max).then_some(max);
    let caller = Caller {
        corp,
        wall,
        agentid,
        public_url: &state.settings.public_url,
        bugs: &state.bugs,
        facts: &notes.facts,
        server_full,
    };
    match api {
        Api::GetToken => Err(ApiError::new(ErrCode::API_NOT_FOUND)),
        Api::AddContactWay => caller.write(body, |st, ctx, rng, req: AddContactWay| {
            contact_way::add(st, ctx, Corp::new_config_id(st, rng), &req)
        }),
        // The most frequent call: its answer is kept encoded per version of the config.
        // The id is borrowed from the body when it is a plain string (no `String` per get).
        Api::GetContactWay => {
            let decoded: GetContactWay;
            let config_id = match plain_string_field(body, "config_id") {
                Some(config_id) => Some(config_id),
                None => {
                    decoded = decode_body(body)?;
                    decoded.config_id.as_deref()
                }
            };
            caller.read_encoded(ConfigRead(config_id), |st, ctx, read| contact_way::get_encoded(st, ctx, read.0))
        }
        Api::ListContactWay => caller.read(body, |st, ctx, req: ListContactWay| contact_way::list(st, ctx, &req)),
        Api::UpdateContactWay => {
            caller.write(body, |st, ctx, _, req: UpdateContactWay| contact_way::update(st, ctx, &req))
        }
        Api::DelContactWay => caller.write(body, |st, ctx, _, req: DelContactWay| contact_way::delete(st, ctx, &req)),
        Api::CloseTempChat => {
            caller.write(body, |st, ctx, _, req: CloseTempChat| contact_way::close_temp_chat(st, ctx, &req))
        }
        Api::AddJoinWay => caller
            .write(body, |st, ctx, rng, req: AddJoinWay| join_way::add(st, ctx, Corp::new_config_id(st, rng), &req)),
        Api::GetJoinWay => caller.read(body, |st, ctx, req: GetJoinWay| join_way::get(st, ctx, &req)),
        Api::UpdateJoinWay => caller.write(body, |st, ctx, _, req: UpdateJoinWay| join_way::update(st, ctx, &req)),
        Api::DelJoinWay => caller.write(body, |st, ctx, _, req: DelJoinWay| join_way::delete(st, ctx, &req)),
        Api::GetExternalContact => {
            let pairs = pairs();
            let req: GetExternalContact = decode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            caller.read_decoded(req, |st, _, req| customer::get_external_contact(st, &req))
        }
        Api::GetGroupChat => caller.read(body, |st, _, req: GetGroupChat| customer::get_group_chat(st, &req)),
        Api::GetFollowUserList => {
            let pairs = pairs();
            let req: GetFollowUserList = decode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            caller.read_decoded(req, |st, ctx, _| Ok(after_scan::get_follow_user_list(st, ctx)))
        }
        Api::ListExternalContact => {
            let pairs = pairs();
            let req: ListExternalContact = decode_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            caller.read_decoded(req, |st, ctx, req| after_scan::list_external_contact(st, ctx, &req))
        }
        Api::SendWelcomeMsg => {
            caller.write(body, |st, ctx, _, req: SendWelcomeMsg| after_scan::send_welcome_msg(st, ctx, &req))
        }
    }
}

/// An authenticated caller: the corp and the app.
struct Caller<'a> {
    corp: &'a Corp,
    /// The call's reading of the wall clock ([`wall_now`]).
    wall: i64,
    agentid: u32,
    public_url: &'a str,
    bugs: &'a [Bug],
    /// What the request and answer say about the client's habits (`traffic::hygiene`).
    facts: &'a Cell<Facts>,
    /// `Some(limit)` when the server holds `--max-total-configs`.
    server_full: Option<u64>,
}

impl Caller<'_> {
    fn observer(&self) -> Observer<'_> {
        Observer { facts: self.facts, hygiene: &self.corp.traffic.hygiene }
    }

    fn ctx<'s>(&'s self, state: &'s CorpState, now: i64) -> Result<Ctx<'s>, ApiError> {
        let app = state.directory.app(self.agentid).ok_or_else(|| ApiError::new(ErrCode::INVALID_ACCESS_TOKEN))?;
        Ok(Ctx { now, app, public_url: self.public_url, bugs: self.bugs, server_full: self.server_full })
    }

    fn write<Req: DeserializeOwned + Observe, R: Serialize + Observe>(
        &self,
        body: &[u8],
        command: impl FnOnce(&CorpState, &Ctx<'_>, &mut StdRng, Req) -> Outcome<R>,
    ) -> Result<Bytes, ApiError> {
        let req: Req = decode_body(body)?;
        req.observe(&self.observer());
        let reply = self.corp.write(|state, now, rng| {
            let ctx = self.ctx(state, now)?;
            command(state, &ctx, rng, req)
        })?;
        reply.observe(&self.observer());
        Ok(encode_ok(&reply).into())
    }

    fn read<Req: DeserializeOwned + Observe, R: Serialize + Observe>(
        &self,
        body: &[u8],
        query: impl FnOnce(&CorpState, &Ctx<'_>, Req) -> Result<R, ApiError>,
    ) -> Result<Bytes, ApiError> {
        let req: Req = decode_body(body)?;
        self.read_decoded(req, query)
    }

    /// Like [`Caller::read`] for a query that returns the answer's bytes itself (an answer that
    /// says nothing to the hygiene observer).
    fn read_encoded<Req: Observe>(
        &self,
        req: Req,
        query: impl FnOnce(&CorpState, &Ctx<'_>, Req) -> Result<Bytes, ApiError>,
    ) -> Result<Bytes, ApiError> {
        req.observe(&self.observer());
        self.corp.read_at(self.wall, |state, now| {
            let ctx = self.ctx(state, now)?;
            query(state, &ctx, req)
        })
    }

    fn read_decoded<Req: Observe, R: Serialize + Observe>(
        &self,
        req: Req,
        query: impl FnOnce(&CorpState, &Ctx<'_>, Req) -> Result<R, ApiError>,
    ) -> Result<Bytes, ApiError> {
        req.observe(&self.observer());
        let reply = self.corp.read_at(self.wall, |state, now| {
            let ctx = self.ctx(state, now)?;
            query(state, &ctx, req)
        })?;
        reply.observe(&self.observer());
        Ok(encode_ok(&reply).into())
    }
}
