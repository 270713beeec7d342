//! Running probes against a corp: the token, the budget of creates, the ledger, and the
//! clean-up that deletes everything the run made before it exits.

use serde_json::{Value, json};
use wecom_client::ledger::{Ledger, ResolvedBy};
use wecom_types::limits::{MAX_REMARK_CHARS, MAX_ROOM_BASE_NAME_CHARS};
use wecom_types::{Api, ErrCode};

use crate::error::CliError;
use crate::verify::probes::{Action, Probe, ROLES, Roles};
use crate::verify::spec::{Case, Vars};
use crate::verify::wire::{Reply, Request, TokenUse, Wire};
use crate::walk::{Created, unix_now, windows};

/// One request of a probe and what came back.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) name: &'static str,
    /// The request as the snapshot shows it (secrets removed, the run's prefix as `<run>`
    /// later, by the normaliser).
    pub(crate) request: Value,
    pub(crate) expect: i32,
    pub(crate) reply: Reply,
}

/// What running a probe gave.
#[derive(Debug)]
pub(crate) enum Ran {
    /// Its steps, in order (a lifecycle stops at the first step that went wrong).
    Steps(Vec<Step>),
    /// Not sent, and why.
    Skipped(String),
}

/// A config the run made and has not deleted yet.
#[derive(Debug, Clone)]
struct Made {
    api: Api,
    config_id: String,
}

/// A create whose answer never came: the config may exist.
#[derive(Debug, Clone)]
struct Pending {
    seq: u64,
    api: Api,
    /// A temp Contact Me config, which the list never shows.
    temp: bool,
}

impl Pending {
    /// Whether the list can find what it may have made.
    fn listed(&self) -> bool {
        self.api == Api::AddContactWay && !self.temp
    }
}

/// The state of a run: who it is, what it may still create, and what it made.
pub(crate) struct Runner {
    pub(crate) wire: Wire,
    corpid: String,
    secret: String,
    pub(crate) roles: Roles,
    /// `wcv` + the run id: the state prefix of every config this run makes.
    pub(crate) prefix: String,
    started: i64,
    max_creates: u32,
    pub(crate) creates_used: u32,
    ledger: Ledger,
    made: Vec<Made>,
    pending: Vec<Pending>,
}

/// `wcv` + the run id (UTC time and four hex digits of this process), 21 characters: within
/// the 30 a state may have, with room for a suffix.
pub(crate) fn new_prefix() -> String {
    let now = unix_now();
    let (days, secs) = (now.div_euclid(86_400), now.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let salt = (std::process::id() ^ (now as u32).rotate_left(7)) & 0xffff;
    format!("wcv{y:04}{m:02}{d:02}{:02}{:02}{:02}{salt:04x}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// Whether `state` starts with a verify run's prefix; the prefix when it does.
pub(crate) fn run_prefix_of(state: &str) -> Option<&str> {
    // Any state comes back from the service: never split inside a character.
    let prefix = state.get(..21).filter(|prefix| prefix.is_ascii())?;
    let id = prefix.strip_prefix("wcv")?;
    let (time, salt) = id.split_at(14);
    (time.bytes().all(|b| b.is_ascii_digit()) && salt.bytes().all(|b| b.is_ascii_hexdigit())).then_some(prefix)
}

// Howard Hinnant's civil-from-days algorithm (public domain): the date of a day since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Runner {
    pub(crate) fn new(
        wire: Wire,
        corpid: &str,
        secret: &str,
        roles: Roles,
        max_creates: u32,
        ledger: Ledger,
    ) -> Runner {
        Runner {
            wire,
            corpid: corpid.to_owned(),
            secret: secret.to_owned(),
            roles,
            prefix: new_prefix(),
            started: unix_now(),
            max_creates,
            creates_used: 0,
            ledger,
            made: Vec::new(),
            pending: Vec::new(),
        }
    }

    pub(crate) fn corpid(&self) -> &str {
        &self.corpid
    }

    /// Whether a create is left in the budget.
    fn may_create(&self) -> bool {
        self.creates_used < self.max_creates
    }

    /// Runs one probe.
    pub(crate) async fn run(&mut self, probe: &Probe) -> Result<Ran, CliError> {
        let missing = probe.missing_roles(&self.roles);
        if !missing.is_empty() {
            return Ok(Ran::Skipped(format!("needs {}", missing.join(" and "))));
        }
        if (probe.could_create || probe.creates > 0) && !self.may_create() {
            return Ok(Ran::Skipped(format!(
                "{} a create and none is left in the budget (--max-creates {})",
                if probe.creates > 0 { "spends" } else { "could spend" },
                self.max_creates
            )));
        }
        match &probe.action {
            Action::Case(case) => self.case(case).await.map(|step| Ran::Steps(vec![step])),
            Action::ContactWayLifecycle => self.contact_way_lifecycle().await.map(Ran::Steps),
            Action::JoinWayLifecycle => self.join_way_lifecycle().await.map(Ran::Steps),
        }
    }

    fn vars(&self) -> Vars {
        let mut vars = Vars::offline();
        vars.set("$CORPID", self.corpid.as_str()).set("$SECRET", self.secret.as_str());
        for role in &ROLES {
            if let Some(value) = (role.value)(&self.roles) {
                vars.set(role.placeholder, value.as_str());
            }
        }
        vars
    }

    /// A tier-0 probe: its case's one request.
    async fn case(&mut self, case: &Case) -> Result<Step, CliError> {
        let vars = self.vars();
        let token = match case.token.as_deref() {
            Some("none") => TokenUse::None,
            Some(_) => TokenUse::Bogus,
            None => TokenUse::Valid,
        };
        let api = case.table_api();
        let mut body_text = case.body_text(&vars);
        if case.could_create
            && let Ok(Value::Object(mut body)) = serde_json::from_str::<Value>(&body_text)
        {
            // Should the service create it after all, the config carries this run's prefix, and
            // so does every over-long text (still as long as the case makes it).
            let state = body.get("state").and_then(Value::as_str).unwrap_or_default();
            body.insert("state".into(), json!(with_prefix(&self.prefix, state)));
            for (key, limit) in [("remark", MAX_REMARK_CHARS), ("room_base_name", MAX_ROOM_BASE_NAME_CHARS)] {
                if let Some(text) = body.get(key).and_then(Value::as_str)
                    && text.chars().count() > limit
                {
                    let prefixed = with_prefix(&self.prefix, text);
                    body.insert(key.into(), json!(prefixed));
                }
            }
            body_text = Value::Object(body).to_string();
        }
        let (request, shown) = match api {
            Some(Api::GetToken) => {
                let query = case.query_pairs(&vars);
                let shown: serde_json::Map<String, Value> = query
                    .iter()
                    .map(|(k, v)| (k.clone(), if k == "corpsecret" { json!("<secret>") } else { json!(v) }))
                    .collect();
                let request = Request {
                    path: Api::GetToken.path().to_owned(),
                    method: wecom_types::Method::Get,
                    token: TokenUse::None,
                    query,
                    body: None,
                };
                (request, json!({"api": "gettoken", "query": shown}))
            }
            Some(api) => {
                (Request::for_api(api, token, body_text.clone()), shown_request(api.name(), token, &body_text))
            }
            None => {
                let request = Request {
                    path: format!("/cgi-bin/{}", case.api),
                    method: wecom_types::Method::Post,
                    token,
                    query: Vec::new(),
                    body: Some(body_text.clone()),
                };
                (request, shown_request(&case.api, token, &body_text))
            }
        };
        let creates = api.filter(|api| api.info().creates && case.could_create);
        let reply = match creates {
            Some(api) => self.create(api, &request).await?,
            None => self.wire.send(&request).await,
        };
        Ok(Step { name: "request", request: shown, expect: case.expect, reply })
    }

    /// Sends a create through the ledger: the intent is on disk before the request leaves, and
    /// an unexpected success is deleted at once.
    async fn create(&mut self, api: Api, request: &Request) -> Result<Reply, CliError> {
        let text = request.body.clone().unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let temp = body.get("is_temp").and_then(Value::as_bool).unwrap_or(false);
        let seq = self.ledger.record_intent(api, &self.corpid, self.wire.host().as_str(), body)?;
        self.pending.push(Pending { seq, api, temp });
        self.creates_used += 1;
        let reply = self.wire.send(request).await;
        match (&reply, reply.errcode()) {
            (Reply::Answer { body, .. }, Some(0)) => {
                let config_id = body.get("config_id").and_then(Value::as_str).unwrap_or_default().to_owned();
                if config_id.is_empty() {
                    return Ok(reply); // created, id unknown: stays pending for the clean-up
                }
                self.ledger.complete(seq, &config_id, None, ResolvedBy::Answer)?;
                self.pending.retain(|p| p.seq != seq);
                self.made.push(Made { api, config_id });
            }
            (Reply::Answer { status: 200, .. }, Some(code)) => {
                self.ledger.fail(seq, Some(code), "refused (wecom verify)")?;
                self.pending.retain(|p| p.seq != seq);
                // Refused: nothing was created, the unit is not spent.
                self.creates_used -= 1;
            }
            _ => {} // lost: the config may exist; the clean-up looks for it
        }
        Ok(reply)
    }

    /// Deletes at once what a probe that should have been refused created.
    pub(crate) async fn delete_made_now(&mut self) -> Result<(), CliError> {
        self.delete_made().await.map(|_| ())
    }

    async fn call(&self, api: Api, body: Value) -> (Value, Reply) {
        let request = Request::post(api, &body);
        let reply = self.wire.send(&request).await;
        (shown_request(api.name(), TokenUse::Valid, &body.to_string()), reply)
    }

    async fn contact_way_lifecycle(&mut self) -> Result<Vec<Step>, CliError> {
        let member = self.roles.member.clone().unwrap_or_default();
        let state = format!("{}_cw", self.prefix);
        let add = json!({"type": 1, "scene": 2, "user": [member], "state": state, "remark": "wecom verify"});
        let request = Request::post(Api::AddContactWay, &add);
        let reply = self.create(Api::AddContactWay, &request).await?;
        let mut steps = vec![Step {
            name: "add",
            request: shown_request("add_contact_way", TokenUse::Valid, &add.to_string()),
            expect: 0,
            reply: reply.clone(),
        }];
        let Some(config_id) = created_id(&reply) else { return Ok(steps) };
        let id = json!({"config_id": config_id});
        let window = json!({"start_time": self.started - 60, "end_time": unix_now() + 60, "limit": 100});
        let update = json!({"config_id": config_id, "remark": "wecom verify 2"});
        let plan: [(&'static str, Api, Value, i32); 6] = [
            ("get", Api::GetContactWay, id.clone(), 0),
            ("list", Api::ListContactWay, window, 0),
            ("update", Api::UpdateContactWay, update, 0),
            ("get after update", Api::GetContactWay, id.clone(), 0),
            ("delete", Api::DelContactWay, id.clone(), 0),
            ("get after delete", Api::GetContactWay, id, ErrCode::INVALID_CONFIG_ID.0),
        ];
        self.steps(&mut steps, plan).await?;
        Ok(steps)
    }

    async fn join_way_lifecycle(&mut self) -> Result<Vec<Step>, CliError> {
        let chat = self.roles.chat.clone().unwrap_or_default();
        let state = format!("{}_jw", self.prefix);
        // 31 characters: the service is assumed to keep the first 30 (JOIN_WAY_REMARK_TRUNCATED).
        let remark = format!("{}{}", self.prefix, "r".repeat(31 - self.prefix.chars().count()));
        let add = json!({"scene": 2, "chat_id_list": [chat], "state": state, "remark": remark});
        let request = Request::post(Api::AddJoinWay, &add);
        let reply = self.create(Api::AddJoinWay, &request).await?;
        let mut steps = vec![Step {
            name: "add",
            request: shown_request("add_join_way", TokenUse::Valid, &add.to_string()),
            expect: 0,
            reply: reply.clone(),
        }];
        let Some(config_id) = created_id(&reply) else { return Ok(steps) };
        let id = json!({"config_id": config_id});
        let update = json!({"config_id": config_id, "scene": 2, "chat_id_list": [chat], "state": state, "remark": "wecom verify 2"});
        let plan: [(&'static str, Api, Value, i32); 5] = [
            ("get", Api::GetJoinWay, id.clone(), 0),
            ("update", Api::UpdateJoinWay, update, 0),
            ("get after update", Api::GetJoinWay, id.clone(), 0),
            ("delete", Api::DelJoinWay, id.clone(), 0),
            ("get after delete", Api::GetJoinWay, id, ErrCode::INVALID_CONFIG_ID.0),
        ];
        self.steps(&mut steps, plan).await?;
        Ok(steps)
    }

    /// Runs the steps after a lifecycle's create, stopping at the first that did not answer as
    /// expected; a delete that went through is noted at once.
    async fn steps<const N: usize>(
        &mut self,
        steps: &mut Vec<Step>,
        plan: [(&'static str, Api, Value, i32); N],
    ) -> Result<(), CliError> {
        for (name, api, body, expect) in plan {
            let config_id = body.get("config_id").and_then(Value::as_str).map(str::to_owned);
            let (request, reply) = self.call(api, body).await;
            let code = reply.errcode();
            if matches!(api, Api::DelContactWay | Api::DelJoinWay)
                && code == Some(0)
                && let Some(config_id) = config_id
            {
                self.ledger.mark_deleted(&config_id)?;
                self.made.retain(|made| made.config_id != config_id);
            }
            steps.push(Step { name, request, expect, reply });
            if code != Some(expect) {
                break;
            }
        }
        Ok(())
    }

    /// Deletes every config the run made, and looks for the ones whose answer was lost.
    /// Returns what could not be settled (each a line for the person at the terminal).
    pub(crate) async fn clean_up(&mut self) -> Result<Vec<String>, CliError> {
        let mut left = self.delete_made().await?;
        if self.pending.is_empty() {
            return Ok(left);
        }
        let listed_pending: Vec<Pending> = self.pending.iter().filter(|p| p.listed()).cloned().collect();
        if !listed_pending.is_empty() {
            let range = Created { start_time: Some(self.started - 60), end_time: Some(unix_now() + 60) };
            match find_prefixed(&self.wire, range, &|state| state.starts_with(self.prefix.as_str())).await {
                Ok(found) => {
                    for (config_id, _) in found {
                        let (_, reply) = self.call(Api::DelContactWay, json!({"config_id": config_id})).await;
                        if !matches!(reply.errcode(), Some(0 | 41044)) {
                            left.push(format!("contact way {config_id} of this run could not be deleted"));
                        }
                    }
                    for pending in &listed_pending {
                        self.ledger.dismiss(
                            pending.seq,
                            "wecom verify: the answer was lost; every config of the run was listed and deleted",
                        )?;
                    }
                    self.pending.retain(|p| !p.listed());
                }
                Err(reason) => left.push(format!("could not list this run's contact ways: {reason}")),
            }
        }
        for pending in &self.pending {
            left.push(format!(
                "ledger entry {}: the answer of a {} was lost and it cannot be listed; run `wecom ledger list --status pending`",
                pending.seq,
                pending.api.short_name()
            ));
        }
        Ok(left)
    }

    async fn delete_made(&mut self) -> Result<Vec<String>, CliError> {
        let mut left = Vec::new();
        for made in std::mem::take(&mut self.made) {
            let api = if made.api == Api::AddJoinWay { Api::DelJoinWay } else { Api::DelContactWay };
            let (_, reply) = self.call(api, json!({"config_id": made.config_id})).await;
            match reply.errcode() {
                Some(0) | Some(41044) => {
                    self.ledger.mark_deleted(&made.config_id)?;
                }
                _ => {
                    left.push(format!(
                        "{} {} could not be deleted: run `wecom verify --sweep`",
                        made.api.short_name(),
                        made.config_id
                    ));
                }
            }
        }
        Ok(left)
    }

    /// Whether a create of this run may exist without its id being known.
    pub(crate) fn unsettled(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// `state` with `prefix` at its start, keeping its length in characters when it is longer
/// (an over-long value stays over-long): `prefix` alone for an empty state.
pub(crate) fn with_prefix(prefix: &str, state: &str) -> String {
    let len = state.chars().count();
    let prefix_len = prefix.chars().count();
    if len <= prefix_len {
        return prefix.to_owned();
    }
    format!("{prefix}{}", state.chars().skip(prefix_len).collect::<String>())
}

/// The config_id of a create that succeeded.
fn created_id(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Answer { body, .. } if reply.errcode() == Some(0) => {
            body.get("config_id").and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

/// A request as snapshots show it: the API, the token used (never its value), the body.
fn shown_request(api: &str, token: TokenUse, body_text: &str) -> Value {
    let body = serde_json::from_str(body_text).unwrap_or_else(|_| Value::String(body_text.to_owned()));
    let token = match token {
        TokenUse::Valid => "valid",
        TokenUse::None => "none",
        TokenUse::Bogus => "bogus",
    };
    json!({"api": api, "token": token, "body": body})
}

/// Every listed Contact Me config created in `range` whose state `wanted` accepts: its id and
/// state. An error is the reason the walk stopped.
pub(crate) async fn find_prefixed(
    wire: &Wire,
    range: Created,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    for (start, end) in windows(range) {
        let mut cursor = String::new();
        loop {
            let mut body = json!({"start_time": start, "end_time": end, "limit": 1000});
            if !cursor.is_empty() {
                body["cursor"] = json!(cursor);
            }
            let reply = wire.send(&Request::post(Api::ListContactWay, &body)).await;
            let Reply::Answer { body, .. } = &reply else { return Err(reply.unjudgeable().unwrap_or_default()) };
            if reply.errcode() != Some(0) {
                return Err(format!("list_contact_way answered errcode {}", reply.errcode().unwrap_or(-1)));
            }
            let ids: Vec<String> = body
                .get("contact_way")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("config_id").and_then(Value::as_str).map(str::to_owned))
                .collect();
            for config_id in ids {
                let got = wire.send(&Request::post(Api::GetContactWay, &json!({"config_id": config_id}))).await;
                let state = match &got {
                    Reply::Answer { body, .. } if got.errcode() == Some(0) => {
                        body.pointer("/contact_way/state").and_then(Value::as_str).unwrap_or_default().to_owned()
                    }
                    _ => continue, // gone meanwhile, or not readable: not ours to judge
                };
                if wanted(&state) {
                    found.push((config_id, state));
                }
            }
            let next = body.get("next_cursor").and_then(Value::as_str).unwrap_or_default().to_owned();
            // A cursor that does not move would walk the same page for ever.
            if next.is_empty() || next == cursor {
                break;
            }
            cursor = next;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_21_characters_and_reads_back() {
        let prefix = new_prefix();
        assert_eq!(prefix.len(), 21);
        assert_eq!(run_prefix_of(&format!("{prefix}_cw")), Some(prefix.as_str()));
    }

    #[test]
    fn the_run_id_starts_with_the_utc_date() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_428), (2025, 12, 6));
    }

    #[test]
    fn other_states_carry_no_run_prefix() {
        for state in [
            "",
            "wcv",
            "channel_spring",
            "wcv2026120612000Xzzzz_cw",
            "wcvabcdefabcdefab1234",
            "wcv1234567890123字ab_cw",
        ] {
            assert_eq!(run_prefix_of(state), None, "{state}");
        }
    }

    #[test]
    fn a_prefixed_state_keeps_its_length() {
        let prefix = "wcv202612061200001234";
        let long = "1234567890123456789012345678901";
        assert_eq!(with_prefix(prefix, long).chars().count(), 31);
        assert!(with_prefix(prefix, long).starts_with(prefix));
        assert_eq!(with_prefix(prefix, ""), prefix);
    }
}
