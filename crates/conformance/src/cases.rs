//! Spec cases as data: the cases of `spec/cases.jsonl` (the table shared with the other
//! suites, see [`crate::spec`]) at the `conformance` layer, covering every row of
//! `errcodes.md`, run against a target. Adding a case is adding a line.
//!
//! Cases without `corp` run in the target's own corp and touch only `$MEMBER`, `$USER2` and
//! `$CHAT`; every config they create is deleted afterwards. Cases with `corp`, a control-surface
//! `given` or `token: expired` need the control surface and are skipped with a note without it.

use std::time::Instant;

use serde_json::{Value, json};
use wecom_types::{Api, ErrCode};

use crate::setup::Setup;
pub use crate::spec::{CASES_JSONL, Case, CaseError, CorpOverrides, Layer, Vars, parse_cases};
use crate::target::Target;

/// The cases of the embedded table that this suite runs (layer `conformance`).
pub fn conformance_cases() -> Result<Vec<Case>, CaseError> {
    crate::spec::cases_for(Layer::Conformance)
}

impl CorpOverrides {
    /// The default [`Setup`] with these overrides.
    pub fn setup(&self) -> Setup {
        let d = Setup::default();
        Setup {
            medical: self.medical.unwrap_or(d.medical),
            quota: self.quota.unwrap_or(d.quota),
            temp_daily: self.temp_daily.unwrap_or(d.temp_daily),
            expired_token_errcode: self.expired_token_errcode.unwrap_or(d.expired_token_errcode),
            group_limit: self.group_limit.unwrap_or(d.group_limit),
            big_department: self.big_department.unwrap_or(d.big_department),
            start: d.start,
        }
    }
}

/// Whether a case needs the control surface (a corp of its own, the clock, `/__admin/…`).
fn needs_control(case: &Case) -> bool {
    case.corp.is_some() || case.token.as_deref() == Some("expired") || case.api.starts_with("__admin")
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// As the spec says.
    Pass,
    /// Not as the spec says.
    Fail(String),
    /// Not run, and why.
    Skip(String),
}

/// A case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Which case.
    pub name: String,
    /// Its row.
    pub row: String,
    /// The verdict.
    pub verdict: Verdict,
    /// How long it took.
    pub seconds: f64,
}

/// Where the cases run.
#[derive(Debug, Clone)]
pub struct Env {
    /// The server.
    pub target: Target,
    /// The target's corp.
    pub corpid: String,
    /// Its app secret.
    pub secret: String,
    /// A usable member of that corp.
    pub user: String,
    /// Another one.
    pub user2: String,
    /// A customer group of that corp.
    pub chat: String,
    /// The target has the control surface.
    pub control: bool,
    /// The target has `/__admin/faults`.
    pub faults: bool,
    /// The target is a wecom-mock (it answers `/healthz` and has the control surface).
    pub mock: bool,
}

impl Env {
    /// Probes `target` for the control surface and its optional features.
    pub async fn probe(target: Target, corpid: &str, secret: &str) -> Env {
        let control = target.has_control().await;
        let healthy = target.is_healthy().await;
        let faults = control
            && target
                .admin_get::<Value>("/__admin/faults")
                .await
                .map_or_else(|e| e.status != 404 && e.status != 0, |_| true);
        Env {
            target,
            corpid: corpid.to_owned(),
            secret: secret.to_owned(),
            user: "zhangsan".to_owned(),
            user2: "lisi".to_owned(),
            chat: "wrmockchat0001".to_owned(),
            control,
            faults,
            mock: control && healthy,
        }
    }
}

/// One corp a case runs in.
struct CaseCorp {
    corpid: String,
    secrets: Vec<String>,
    user: String,
    user2: String,
    chat: String,
    created: bool,
}

/// What a case created, to delete afterwards.
#[derive(Default)]
struct Cleanup {
    contact_ways: Vec<String>,
    join_ways: Vec<String>,
}

async fn token(target: &Target, corp: &CaseCorp, app: usize) -> Result<String, String> {
    let secret = corp.secrets.get(app).ok_or(format!("the corp has no app {app}"))?;
    target.token(&corp.corpid, secret).await.map(|(t, _)| t)
}

async fn post(target: &Target, api: Api, token: &str, body: Value, cleanup: &mut Cleanup) -> Result<Value, String> {
    let (_, answer) = target.post_raw(api, Some(token), &body.to_string()).await?;
    if Target::errcode(&answer) != ErrCode::OK {
        return Err(format!("set-up call {} failed: {answer}", api.short_name()));
    }
    if let Some(id) = answer.get("config_id").and_then(Value::as_str) {
        match api {
            Api::AddContactWay => cleanup.contact_ways.push(id.to_owned()),
            Api::AddJoinWay => cleanup.join_ways.push(id.to_owned()),
            _ => {}
        }
    }
    Ok(answer)
}

fn str_field(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Runs a `given` step: returns `$ID`, `$EXT` and `$CODE`.
async fn given(
    target: &Target,
    corp: &CaseCorp,
    step: &str,
    cleanup: &mut Cleanup,
) -> Result<(String, String, String), String> {
    match step.strip_prefix("welcome_") {
        Some(what) => welcome(target, corp, what, cleanup).await,
        None => given_config(target, corp, step, cleanup).await.map(|(id, ext)| (id, ext, String::new())),
    }
}

/// A `welcome_…` step: a scan of a config of `$USER2` (of `$MEMBER` for `welcome_code_of_user`)
/// whose code is then used, left to expire, or whose temp chat is closed.
async fn welcome(
    target: &Target,
    corp: &CaseCorp,
    what: &str,
    cleanup: &mut Cleanup,
) -> Result<(String, String, String), String> {
    let token = token(target, corp, 0).await?;
    let user = if what == "code_of_user" { &corp.user } else { &corp.user2 };
    let body = json!({"type": 1, "scene": 2, "user": [user], "is_temp": what == "ended"});
    let a = post(target, Api::AddContactWay, &token, body, cleanup).await?;
    let id = str_field(&a, "config_id");
    let scan = json!({"corpid": corp.corpid, "config_id": id, "external_userid": "wmcasecustomer0001"});
    let admin_err = |e: crate::target::AdminFailure| format!("set-up through the control surface failed: {e:?}");
    let s = target.scan(&scan).await.map_err(admin_err)?;
    let lifetime = wecom_types::limits::WELCOME_CODE_LIFETIME_SECS;
    match what {
        "code" | "code_of_user" => {}
        "used" => {
            let body = json!({"welcome_code": s.welcome_code, "text": {"content": "hi"}});
            post(target, Api::SendWelcomeMsg, &token, body, cleanup).await?;
        }
        "last_second" => target.clock(&corp.corpid, json!({"advance": lifetime})).await.map_err(admin_err)?,
        "expired" => target.clock(&corp.corpid, json!({"advance": lifetime + 1})).await.map_err(admin_err)?,
        "ended" => {
            let body = json!({"userid": user, "external_userid": s.external_userid});
            post(target, Api::CloseTempChat, &token, body, cleanup).await?;
        }
        other => return Err(format!("unknown given step `welcome_{other}`")),
    }
    Ok((id, s.external_userid, s.welcome_code))
}

/// A config step: returns `$ID` and `$EXT`.
async fn given_config(
    target: &Target,
    corp: &CaseCorp,
    step: &str,
    cleanup: &mut Cleanup,
) -> Result<(String, String), String> {
    let token = token(target, corp, 0).await?;
    let single = json!({"type": 1, "scene": 2, "user": [corp.user]});
    let temp = json!({"type": 1, "scene": 2, "user": [corp.user], "is_temp": true, "expires_in": 60});
    let scan = |id: &str| json!({"corpid": corp.corpid, "config_id": id, "external_userid": "wmcasecustomer0001"});
    let admin_err = |e: crate::target::AdminFailure| format!("set-up through the control surface failed: {e:?}");
    match step {
        "contact_way" => {
            let a = post(target, Api::AddContactWay, &token, single, cleanup).await?;
            Ok((str_field(&a, "config_id"), String::new()))
        }
        "multi_contact_way" => {
            let multi = json!({"type": 2, "scene": 2, "user": [corp.user]});
            let a = post(target, Api::AddContactWay, &token, multi, cleanup).await?;
            Ok((str_field(&a, "config_id"), String::new()))
        }
        "deleted_contact_way" => {
            let a = post(target, Api::AddContactWay, &token, single, cleanup).await?;
            let id = str_field(&a, "config_id");
            post(target, Api::DelContactWay, &token, json!({"config_id": id}), cleanup).await?;
            cleanup.contact_ways.retain(|c| c != &id);
            Ok((id, String::new()))
        }
        "temp_way" => {
            let a = post(target, Api::AddContactWay, &token, temp, cleanup).await?;
            Ok((str_field(&a, "config_id"), String::new()))
        }
        "temp_used" | "relationship" => {
            let body = if step == "temp_used" { temp } else { single };
            let a = post(target, Api::AddContactWay, &token, body, cleanup).await?;
            let id = str_field(&a, "config_id");
            let s = target.scan(&scan(&id)).await.map_err(admin_err)?;
            Ok((id, s.external_userid))
        }
        "temp_expired" => {
            let a = post(target, Api::AddContactWay, &token, temp, cleanup).await?;
            target.clock(&corp.corpid, json!({"advance": 61})).await.map_err(admin_err)?;
            Ok((str_field(&a, "config_id"), String::new()))
        }
        "join_way" => {
            let a = post(target, Api::AddJoinWay, &token, json!({"scene": 2, "chat_id_list": [corp.chat]}), cleanup)
                .await?;
            Ok((str_field(&a, "config_id"), String::new()))
        }
        "full_join_way" => {
            let body = json!({"scene": 2, "chat_id_list": [corp.chat], "auto_create_room": 0});
            let a = post(target, Api::AddJoinWay, &token, body, cleanup).await?;
            let id = str_field(&a, "config_id");
            // group_limit 2: the owner and one customer fill the group.
            target
                .join(&json!({"corpid": corp.corpid, "config_id": id, "external_userid": "wmcasejoiner0001"}))
                .await
                .map_err(admin_err)?;
            Ok((id, String::new()))
        }
        other => Err(format!("unknown given step `{other}`")),
    }
}

/// Runs one case.
pub async fn run_case(env: &Env, case: &Case, serial: usize) -> CaseResult {
    let started = Instant::now();
    let verdict = match case.needs.as_deref() {
        Some("faults") if !env.faults => {
            Verdict::Skip("needs fault injection (POST /__admin/faults), which the target does not have".to_owned())
        }
        Some("rate_limits") if !env.control => {
            Verdict::Skip("needs the control surface to enable rate limits".to_owned())
        }
        Some("mock") if !env.mock => {
            Verdict::Skip("checks an answer of the mock's own (not a WeCom behaviour)".to_owned())
        }
        _ if needs_control(case) && !env.control => Verdict::Skip(
            "needs the control surface (/__admin: a corp of its own, the clock or a simulated customer)".to_owned(),
        ),
        _ => run_checked(env, case, serial).await,
    };
    CaseResult { name: case.name(), row: case.row.clone(), verdict, seconds: started.elapsed().as_secs_f64() }
}

async fn run_checked(env: &Env, case: &Case, serial: usize) -> Verdict {
    let target = &env.target;
    let corp = match &case.corp {
        Some(overrides) => {
            let corpid = format!("wwcase{serial:04}{}", std::process::id() % 10_000);
            let mut fixture = overrides.setup().fixture(&corpid);
            if case.needs.as_deref() == Some("rate_limits") {
                fixture.rate_limits = rate_limit_fixture(case.expect);
            }
            if let Err(e) = target.put_corp(&fixture).await {
                return Verdict::Fail(format!("cannot create the case's corp: {e:?}"));
            }
            // Rate limits count in windows of the corp's clock: a frozen clock keeps the case's
            // calls in one minute.
            if case.needs.as_deref() == Some("rate_limits")
                && let Err(e) = target.clock(&corpid, json!({"set": RATE_LIMIT_INSTANT})).await
            {
                return Verdict::Fail(format!("cannot freeze the case corp's clock: {e:?}"));
            }
            CaseCorp {
                corpid,
                secrets: fixture.apps.iter().map(|a| a.secret.clone()).collect(),
                user: "zhangsan".to_owned(),
                user2: "lisi".to_owned(),
                chat: "wrmockchat0001".to_owned(),
                created: true,
            }
        }
        None => CaseCorp {
            corpid: env.corpid.clone(),
            secrets: vec![env.secret.clone()],
            user: env.user.clone(),
            user2: env.user2.clone(),
            chat: env.chat.clone(),
            created: false,
        },
    };
    let mut cleanup = Cleanup::default();
    let verdict = match exercise(env, case, &corp, &mut cleanup).await {
        Ok(v) => v,
        Err(e) => Verdict::Fail(e),
    };
    if corp.created {
        let _ = target.delete_corp(&corp.corpid).await;
    } else if let Ok(token) = token(target, &corp, 0).await {
        // The target's own corp: give back every quota unit the case used.
        for id in &cleanup.contact_ways {
            let _ = target.post_raw(Api::DelContactWay, Some(&token), &json!({"config_id": id}).to_string()).await;
        }
        for id in &cleanup.join_ways {
            let _ = target.post_raw(Api::DelJoinWay, Some(&token), &json!({"config_id": id}).to_string()).await;
        }
    }
    verdict
}

/// A minute boundary (60 × 29 166 667) where rate-limit cases freeze their corp's clock.
const RATE_LIMIT_INSTANT: i64 = 1_750_000_020;

/// The fault a case needs, when the target has `/__admin/faults`: the expected errcode for the
/// next call (`needs: faults`), or a delay that keeps one of the concurrent calls of a 45033
/// case in flight (otherwise they rarely overlap). Limited to the case's corp.
fn fault_for(case: &Case, api: Api, corpid: &str) -> Option<Value> {
    match case.needs.as_deref() {
        Some("faults") => Some(json!({"path": api.path(), "errcode": case.expect, "times": 1, "corpid": corpid})),
        Some("rate_limits") if case.expect == ErrCode::API_CONCURRENT_OUT_OF_LIMIT.0 => {
            Some(json!({"path": api.path(), "delay_ms": 300, "times": 1, "corpid": corpid}))
        }
        _ => None,
    }
}

fn rate_limit_fixture(expect: i32) -> wecom_mock::fixtures::RateLimitFixture {
    use wecom_mock::fixtures::{RateLimitFixture, RateLimitSettings};
    if expect == ErrCode::API_CONCURRENT_OUT_OF_LIMIT.0 {
        RateLimitFixture::Custom(RateLimitSettings { per_minute: 1_000, per_hour: 10_000, concurrent: 1 })
    } else {
        RateLimitFixture::Custom(RateLimitSettings { per_minute: 2, per_hour: 10_000, concurrent: 32 })
    }
}

async fn exercise(env: &Env, case: &Case, corp: &CaseCorp, cleanup: &mut Cleanup) -> Result<Verdict, String> {
    let target = &env.target;
    let (id, ext, code) = match &case.given {
        Some(step) => given(target, corp, step, cleanup).await?,
        None => (String::new(), String::new(), String::new()),
    };
    let mut vars = Vars::offline();
    vars.set("$CORPID", corp.corpid.as_str())
        .set("$SECRET", corp.secrets.first().cloned().unwrap_or_default())
        .set("$MEMBER", corp.user.as_str())
        .set("$USER2", corp.user2.as_str())
        .set("$CHAT", corp.chat.as_str())
        .set("$ID", id)
        .set("$EXT", ext)
        .set("$HUGE", format!("{{\"remark\":\"{}\"}}", "x".repeat(wecom_mock::MAX_BODY_BYTES + 1)));
    if !code.is_empty() {
        vars.set("$CODE", code);
    }
    let body = case.body_text(&vars);
    if case.api == "gettoken" {
        let query = case.query_pairs(&vars);
        let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let answer = target.gettoken(&pairs).await?;
        return Ok(compare_code(case, 200, &answer));
    }
    if let Some(admin) = case.api.strip_prefix("__admin/") {
        let mut body: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        body["corpid"] = json!(corp.corpid);
        let outcome = target.admin_send::<_, Value>(reqwest::Method::POST, &format!("/__admin/{admin}"), &body).await;
        return Ok(match outcome {
            Ok(v) => Verdict::Fail(format!("expected HTTP {} {:?}, got success {v}", case.expect, case.error)),
            Err(e) if i32::from(e.status) == case.expect && (case.error.is_none() || case.error == e.error) => {
                Verdict::Pass
            }
            Err(e) => {
                Verdict::Fail(format!("expected HTTP {} {:?}, got {} {:?}", case.expect, case.error, e.status, e.error))
            }
        });
    }
    let api = case.table_api();
    let app = case.app.unwrap_or(0);
    let token = match case.token.as_deref() {
        Some("none") => None,
        Some("bogus") => Some("bogus-token-0000".to_owned()),
        Some("expired") => {
            let t = token(target, corp, app).await?;
            target
                .clock(&corp.corpid, json!({"advance": wecom_types::limits::ACCESS_TOKEN_LIFETIME_SECS}))
                .await
                .map_err(|e| format!("cannot move the clock: {e:?}"))?;
            Some(t)
        }
        _ => Some(token(target, corp, app).await?),
    };
    if env.faults
        && let Some(rule) = api.and_then(|api| fault_for(case, api, &corp.corpid))
    {
        target
            .admin_send::<_, Value>(reqwest::Method::POST, "/__admin/faults", &rule)
            .await
            .map_err(|e| format!("cannot add the case's fault: {e:?}"))?;
    }
    let (status, answer) = match api {
        Some(api) => {
            let repeats = if case.needs.as_deref() == Some("rate_limits") { 3 } else { 1 };
            let mut last = (0, Value::Null);
            if case.expect == ErrCode::API_CONCURRENT_OUT_OF_LIMIT.0 {
                let calls = (0..8).map(|_| target.post_raw(api, token.as_deref(), &body));
                let answers = futures_util::future::join_all(calls).await;
                let hit = answers.into_iter().flatten().find(|(_, a)| Target::errcode(a).0 == case.expect);
                last = hit.unwrap_or((200, json!({"errcode": 0})));
            } else {
                for _ in 0..repeats {
                    last = target.post_raw(api, token.as_deref(), &body).await?;
                }
            }
            last
        }
        None => {
            // A path that is not an API of the table: the mock's own 404.
            let url = format!("{}/cgi-bin/{}", target.base_url, case.api);
            let response = reqwest::Client::new().post(url).body(body).send().await.map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
    };
    if let (Some(api), Some(id)) = (api, answer.get("config_id").and_then(Value::as_str)) {
        match api {
            Api::AddContactWay => cleanup.contact_ways.push(id.to_owned()),
            Api::AddJoinWay => cleanup.join_ways.push(id.to_owned()),
            _ => {}
        }
    }
    if case.needs.as_deref() == Some("rate_limits") && Target::errcode(&answer).0 != case.expect {
        return Ok(Verdict::Skip(format!(
            "the target accepted `rate_limits` for a corp but did not enforce them (answered {}); mock-server.md promises {}",
            Target::errcode(&answer),
            case.expect
        )));
    }
    Ok(compare_code(case, status, &answer))
}

fn compare_code(case: &Case, status: u16, answer: &Value) -> Verdict {
    let code = Target::errcode(answer);
    let want_status = case.status.unwrap_or(200);
    if code.0 == case.expect && status == want_status {
        Verdict::Pass
    } else {
        Verdict::Fail(format!(
            "expected errcode {} (HTTP {want_status}), got {} (HTTP {status}): {}",
            case.expect,
            code.0,
            answer.get("errmsg").and_then(Value::as_str).unwrap_or_default()
        ))
    }
}

/// Runs every case, one after the other.
pub async fn run_cases(env: &Env, cases: &[Case]) -> Vec<CaseResult> {
    let mut out = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        out.push(run_case(env, case, i).await);
    }
    out
}

/// The situation column of every table row of `errcodes.md` (for the coverage check).
pub fn errcodes_md_rows(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| situation") && !l.starts_with("|---"))
        .filter_map(|l| l.split('|').nth(1).map(|s| s.trim().to_owned()))
        .collect()
}
