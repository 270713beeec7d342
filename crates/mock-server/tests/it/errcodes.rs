//! Every case of `spec/cases.jsonl` at the `mock` layer, over real HTTP: the exact errcode and
//! HTTP status, the errmsg in the real shape, and a refused request leaves the corp's state dump
//! byte for byte unchanged.
//!
//! Each case runs in a corp of its own: the default directory with the case's `corp` overrides,
//! its clock frozen at [`T0`]. A case that must be refused and has no `given` step runs with both
//! quotas used up (unless its `corp` sets them), so it also shows that its check comes before
//! the quota check, the last in the order of checks.

#[path = "../../../../spec/cases.rs"]
mod cases;

use cases::{Case, CorpOverrides, Layer, Vars, cases_for};
use serde_json::{Value, json};
use wecom_mock::api::{ClockRequest, JoinRequest, ScanRequest};
use wecom_mock::fixtures::{CorpFixture, DepartmentFixture, MemberFixture};
use wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS;
use wecom_types::{Api, Method};

use super::support::{T0, Wecom};

/// A corp with a case's overrides (the same knobs as the conformance suite's `Setup`).
fn corp_fixture(corpid: &str, overrides: &CorpOverrides, quotas_used_up: bool) -> CorpFixture {
    let mut corp = CorpFixture::default_directory(corpid);
    if overrides.medical == Some(false) {
        corp.industry = "other".to_owned();
    }
    let unless_set = |value: Option<u32>, default: u32| value.unwrap_or(if quotas_used_up { 0 } else { default });
    corp.quotas.contact_ways = unless_set(overrides.quota, corp.quotas.contact_ways);
    corp.quotas.temp_daily = unless_set(overrides.temp_daily, corp.quotas.temp_daily);
    if let Some(errcode) = overrides.expired_token_errcode {
        corp.expired_token_errcode = errcode;
    }
    if let Some(trusted) = &overrides.trusted_ips {
        corp.apps[0].trusted_ips = Some(trusted.clone());
    }
    if let Some(limit) = overrides.group_limit {
        corp.group_chats.iter_mut().take(3).for_each(|chat| chat.member_limit = limit);
    }
    if overrides.big_department == Some(true) {
        corp.departments.push(DepartmentFixture { id: 3, name: "Bulk".to_owned(), parent: 1 });
        corp.members.extend((0..98).map(|i| MemberFixture {
            userid: format!("bulk{i:03}"),
            name: String::new(),
            department: vec![3],
            activated: true,
            real_name_verified: true,
            customer_contact: true,
            welcome_message_configured: false,
        }));
    }
    corp
}

/// One case's corp, its apps' tokens and what its `given` step made.
struct CaseCorp<'w> {
    wecom: &'w Wecom,
    corpid: String,
    secrets: Vec<String>,
}

impl CaseCorp<'_> {
    async fn token(&self, app: usize) -> Result<String, String> {
        let secret = self.secrets.get(app).ok_or(format!("the corp has no app {app}"))?;
        Ok(self.wecom.token_for(&self.corpid, secret).await)
    }

    /// A set-up call that must succeed; its `config_id`.
    async fn create(&self, api: Api, body: Value) -> Result<String, String> {
        let answer = self.wecom.call_with(api, Some(&self.token(0).await?), &body).await;
        match answer["config_id"].as_str() {
            Some(id) if answer["errcode"] == 0 => Ok(id.to_owned()),
            _ => Err(format!("set-up {api:?} {body} failed: {answer}")),
        }
    }

    fn scan(&self, config_id: &str) -> Result<String, String> {
        let scan = ScanRequest {
            corpid: self.corpid.clone(),
            config_id: config_id.to_owned(),
            external_userid: Some("wmcasecustomer0001".into()),
            ..Default::default()
        };
        self.wecom.mock.control().scan(&scan).map(|s| s.external_userid).map_err(|e| format!("set-up scan: {e:?}"))
    }

    fn advance_clock(&self, secs: i64) -> Result<(), String> {
        let request = ClockRequest { advance: Some(secs), corpid: Some(self.corpid.clone()), ..Default::default() };
        self.wecom.mock.control().clock(&request).map(drop).map_err(|e| format!("clock: {e:?}"))
    }

    /// Runs a `given` step: `$ID`, `$EXT` and `$CODE`.
    async fn given(&self, step: &str) -> Result<(String, String, String), String> {
        match step.strip_prefix("welcome_") {
            Some(what) => self.welcome(what).await,
            None => self.given_config(step).await.map(|(id, ext)| (id, ext, String::new())),
        }
    }

    /// A `welcome_…` step: a scan of a config of `lisi` (of `zhangsan` for `welcome_code_of_user`)
    /// whose code is then used, left to expire, or whose temp chat is closed.
    async fn welcome(&self, what: &str) -> Result<(String, String, String), String> {
        let user = if what == "code_of_user" { "zhangsan" } else { "lisi" };
        let temp = what == "ended";
        let body = json!({"type": 1, "scene": 2, "user": [user], "is_temp": temp});
        let id = self.create(Api::AddContactWay, body).await?;
        let scan = ScanRequest {
            corpid: self.corpid.clone(),
            config_id: id.clone(),
            external_userid: Some("wmcasecustomer0001".into()),
            ..Default::default()
        };
        let scanned = self.wecom.mock.control().scan(&scan).map_err(|e| format!("set-up scan: {e:?}"))?;
        let (ext, code) = (scanned.external_userid, scanned.welcome_code);
        let token = self.token(0).await?;
        let expect_ok = |answer: Value| match answer["errcode"] == 0 {
            true => Ok(()),
            false => Err(format!("set-up of welcome_{what} failed: {answer}")),
        };
        match what {
            "code" | "code_of_user" => {}
            "used" => {
                let body = json!({"welcome_code": code, "text": {"content": "hi"}});
                expect_ok(self.wecom.call_with(Api::SendWelcomeMsg, Some(&token), &body).await)?;
            }
            "last_second" => self.advance_clock(wecom_types::limits::WELCOME_CODE_LIFETIME_SECS)?,
            "expired" => self.advance_clock(wecom_types::limits::WELCOME_CODE_LIFETIME_SECS + 1)?,
            "ended" => {
                let body = json!({"userid": user, "external_userid": ext});
                expect_ok(self.wecom.call_with(Api::CloseTempChat, Some(&token), &body).await)?;
            }
            other => return Err(format!("unknown given step `welcome_{other}`")),
        }
        Ok((id, ext, code))
    }

    /// A config step: `$ID` and `$EXT`.
    async fn given_config(&self, step: &str) -> Result<(String, String), String> {
        let single = json!({"type": 1, "scene": 2, "user": ["zhangsan"]});
        let temp = json!({"type": 1, "scene": 2, "user": ["zhangsan"], "is_temp": true, "expires_in": 60});
        let id = match step {
            "contact_way" => self.create(Api::AddContactWay, single).await?,
            "multi_contact_way" => {
                self.create(Api::AddContactWay, json!({"type": 2, "scene": 2, "user": ["zhangsan"]})).await?
            }
            "deleted_contact_way" => {
                let id = self.create(Api::AddContactWay, single).await?;
                let token = self.token(0).await?;
                let answer = self.wecom.call_with(Api::DelContactWay, Some(&token), &json!({"config_id": id})).await;
                if answer["errcode"] != 0 {
                    return Err(format!("set-up delete failed: {answer}"));
                }
                id
            }
            "temp_way" => self.create(Api::AddContactWay, temp).await?,
            "temp_used" | "relationship" => {
                let id = self.create(Api::AddContactWay, if step == "temp_used" { temp } else { single }).await?;
                let external_userid = self.scan(&id)?;
                return Ok((id, external_userid));
            }
            "temp_expired" => {
                let id = self.create(Api::AddContactWay, temp).await?;
                self.advance_clock(61)?;
                id
            }
            "join_way" => self.create(Api::AddJoinWay, json!({"scene": 2, "chat_id_list": ["wrmockchat0001"]})).await?,
            "full_join_way" => {
                let body = json!({"scene": 2, "chat_id_list": ["wrmockchat0001"], "auto_create_room": 0});
                let id = self.create(Api::AddJoinWay, body).await?;
                // A group limit of 2: the owner and one customer fill it.
                let join = JoinRequest {
                    corpid: self.corpid.clone(),
                    config_id: id.clone(),
                    external_userid: Some("wmcasejoiner0001".into()),
                };
                self.wecom.mock.control().join(&join).map_err(|e| format!("set-up join: {e:?}"))?;
                id
            }
            other => return Err(format!("unknown given step `{other}`")),
        };
        Ok((id, String::new()))
    }
}

/// Sends the request under test: HTTP status and JSON answer (`null` when not JSON).
async fn send(wecom: &Wecom, case: &Case, token: Option<&str>, vars: &Vars) -> Result<(u16, Value), String> {
    let base = wecom.mock.uri();
    let request = match case.table_api() {
        Some(Api::GetToken) => wecom.http.get(format!("{base}{}", Api::GetToken.path())).query(&case.query_pairs(vars)),
        Some(api) => {
            let mut url = format!("{base}{}", api.path());
            if let Some(token) = token {
                url.push_str(&format!("?access_token={token}"));
            }
            match api.method() {
                Method::Post => wecom.http.post(url).body(case.body_text(vars)),
                Method::Get => {
                    let body: Value = serde_json::from_str(&case.body_text(vars)).map_err(|e| e.to_string())?;
                    let pairs: Vec<(String, String)> = body
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect();
                    wecom.http.get(url).query(&pairs)
                }
            }
        }
        None => wecom.http.post(format!("{base}/cgi-bin/{}", case.api)).body(case.body_text(vars)),
    };
    let response = request.send().await.map_err(|e| format!("the request does not reach the mock: {e}"))?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

/// Runs one case in corp `corpid`: `None` when it holds, else what went wrong.
async fn failure(wecom: &Wecom, case: &Case, corpid: &str) -> Result<Option<String>, String> {
    let overrides = case.corp.clone().unwrap_or_default();
    let fixture = corp_fixture(corpid, &overrides, case.expect != 0 && case.given.is_none());
    wecom.mock.control().put_corp(&fixture).map_err(|e| format!("cannot create the case's corp: {e:?}"))?;
    let freeze = ClockRequest { set: Some(T0), corpid: Some(corpid.to_owned()), ..Default::default() };
    wecom.mock.control().clock(&freeze).map_err(|e| format!("clock: {e:?}"))?;
    let corp =
        CaseCorp { wecom, corpid: corpid.to_owned(), secrets: fixture.apps.iter().map(|a| a.secret.clone()).collect() };

    let (id, ext, code) = match &case.given {
        Some(step) => corp.given(step).await?,
        None => Default::default(),
    };
    let mut vars = Vars::offline();
    vars.set("$CORPID", corpid)
        .set("$SECRET", corp.secrets.first().cloned().unwrap_or_default())
        .set("$ID", id)
        .set("$EXT", ext)
        .set("$HUGE", format!("{{\"remark\":\"{}\"}}", "x".repeat(wecom_mock::MAX_BODY_BYTES + 1)));
    if !code.is_empty() {
        vars.set("$CODE", code);
    }
    let token = match case.token.as_deref() {
        Some("none") => None,
        Some("bogus") => Some("bogus-token-0000".to_owned()),
        Some("expired") => {
            let token = corp.token(case.app.unwrap_or(0)).await?;
            corp.advance_clock(ACCESS_TOKEN_LIFETIME_SECS)?;
            Some(token)
        }
        _ => Some(corp.token(case.app.unwrap_or(0)).await?),
    };

    let before = wecom.mock.control().dump_bytes(corpid).map_err(|e| format!("dump: {e:?}"))?;
    if let Some(admin) = case.api.strip_prefix("__admin/") {
        let mut body: Value = serde_json::from_str(&case.body_text(&vars)).map_err(|e| e.to_string())?;
        body["corpid"] = json!(corpid);
        let (status, answer) = wecom.admin(reqwest::Method::POST, &format!("/__admin/{admin}"), Some(body)).await;
        if i32::from(status) != case.expect || case.error.as_ref().is_some_and(|e| answer["error"] != e.as_str()) {
            return Ok(Some(format!("expected HTTP {} {:?}, got {status} {answer}", case.expect, case.error)));
        }
    } else {
        let (status, answer) = send(wecom, case, token.as_deref(), &vars).await?;
        let want_status = case.status.unwrap_or(200);
        if answer["errcode"] != case.expect || status != want_status {
            return Ok(Some(format!(
                "expected errcode {} (HTTP {want_status}), got HTTP {status} {answer}",
                case.expect
            )));
        }
        let errmsg = answer["errmsg"].as_str().unwrap_or_default();
        if case.expect != 0 && (!errmsg.contains(", hint: [") || !errmsg.ends_with(&format!("?e={}", case.expect))) {
            return Ok(Some(format!("errmsg not in the real shape: {errmsg}")));
        }
    }
    if case.expect != 0 && wecom.mock.control().dump_bytes(corpid).map_err(|e| format!("dump: {e:?}"))? != before {
        return Ok(Some("a refused request changed the state".to_owned()));
    }
    Ok(None)
}

#[tokio::test]
async fn every_mock_case_of_the_spec_table_gets_its_errcode_and_a_refusal_changes_nothing() {
    let wecom = Wecom::start().await;
    let cases = cases_for(Layer::Mock).unwrap_or_else(|e| panic!("{e}"));
    assert!(cases.len() >= 79, "only {} cases at the mock layer", cases.len());
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let corpid = format!("wwspeccase{i:06}");
        match failure(&wecom, case, &corpid).await {
            Ok(None) => {}
            Ok(Some(why)) => failures.push(format!("{} ({}): {why}", case.id, case.row)),
            Err(why) => failures.push(format!("{} ({}): cannot run: {why}", case.id, case.row)),
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}
