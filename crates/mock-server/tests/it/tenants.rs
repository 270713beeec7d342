//! One instance, many teams: tenant tokens open their own corp only, limits keep one team from
//! taking the instance down, and idle tenants expire on wall time.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::{DataDir, MockServer, TenantSignup};
use wecom_types::Api;

use super::durability::Http;
use super::durability::TempDir;

const OPERATOR: &str = "op-s3cret";

/// A secured instance with two tenants, and the default corp.
struct Shared {
    mock: MockServer,
    http: reqwest::Client,
    a: Tenant,
    b: Tenant,
}

#[derive(Debug, Clone)]
struct Tenant {
    corpid: String,
    secret: String,
    token: String,
}

impl Shared {
    async fn start(builder: wecom_mock::MockServerBuilder) -> Shared {
        let mock = builder.admin_token(OPERATOR).start().await;
        let http = reqwest::Client::new();
        let mut shared = Shared { mock, http, a: empty(), b: empty() };
        shared.a = shared.new_tenant(Some(OPERATOR)).await;
        shared.b = shared.new_tenant(Some(OPERATOR)).await;
        shared
    }

    async fn new_tenant(&self, token: Option<&str>) -> Tenant {
        let (status, answer) = self.admin(Method::POST, "/__admin/tenants", token, Some(json!({}))).await;
        assert_eq!(status, 200, "{answer}");
        let field = |name: &str| answer[name].as_str().expect(name).to_owned();
        Tenant { corpid: field("corpid"), secret: field("secret"), token: field("admin_token") }
    }

    /// An admin call; status and JSON body (`null` when empty or not JSON, as the dashboard).
    async fn admin(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.mock.uri()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("reachable");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A WeCom call with a token of `corp`'s app.
    async fn wecom(&self, corp: &Tenant, api: Api, body: Value) -> Value {
        let http = Http::new(self.mock.uri());
        let token = http.token(&corp.corpid, &corp.secret).await;
        http.call(api, &token, &body).await.expect("a WeCom answer")
    }

    /// Every corp's dump, by corpid.
    fn dumps(&self) -> BTreeMap<String, Vec<u8>> {
        let control = self.mock.control();
        let corps = control.corps().expect("operator");
        corps.into_iter().map(|c| (c.corpid.clone(), control.dump_bytes(&c.corpid).expect("dump"))).collect()
    }
}

fn empty() -> Tenant {
    Tenant { corpid: String::new(), secret: String::new(), token: String::new() }
}

/// Who calls: the columns of the route table.
#[derive(Debug, Clone, Copy)]
enum Caller {
    Operator,
    OwnTenant,
    OtherTenant,
    NoToken,
    WrongToken,
}

const CALLERS: [Caller; 5] =
    [Caller::Operator, Caller::OwnTenant, Caller::OtherTenant, Caller::NoToken, Caller::WrongToken];

/// Every admin route, aimed at tenant A's corp (`{a}`), with the status each caller gets.
/// `{config}`, `{join}` and `{fault}` are A's Contact Me config, Join Group config and fault rule.
fn routes() -> Vec<(Method, &'static str, Option<Value>, [u16; 5])> {
    let a_corp = json!("{a}");
    vec![
        (Method::GET, "/__admin/corps", None, [200, 200, 200, 401, 401]),
        (Method::GET, "/__admin/corps/{a}", None, [200, 200, 403, 401, 401]),
        (
            Method::PUT,
            "/__admin/corps/{a}",
            Some(json!({"corpid":"{a}","members":[{"userid":"solo","department":[1]}]})),
            [200, 200, 403, 401, 401],
        ),
        (
            Method::PUT,
            "/__admin/corps/wwanotherone0001",
            Some(json!({"corpid":"wwanotherone0001"})),
            [200, 403, 403, 401, 401],
        ),
        (Method::DELETE, "/__admin/corps/{a}", None, [204, 204, 403, 401, 401]),
        (Method::GET, "/__admin/corps/{a}/quotas", None, [200, 200, 403, 401, 401]),
        (Method::POST, "/__admin/corps/{a}/tokens/revoke", None, [200, 200, 403, 401, 401]),
        (Method::POST, "/__admin/corps/{a}/checkpoint", Some(json!({"name":"x"})), [200, 200, 403, 401, 401]),
        (Method::POST, "/__admin/corps/{a}/restore", Some(json!({"name":"saved"})), [200, 200, 403, 401, 401]),
        (Method::GET, "/__admin/corps/{a}/checkpoints", None, [200, 200, 403, 401, 401]),
        (Method::GET, "/__admin/corps/{a}/hygiene", None, [200, 200, 403, 401, 401]),
        (Method::POST, "/__admin/corps/{a}/apps/1000001/verify_callback", None, [409, 409, 403, 401, 401]),
        (
            Method::POST,
            "/__admin/clock",
            Some(json!({"set": 1_750_000_000, "corpid": a_corp})),
            [200, 200, 403, 401, 401],
        ),
        (Method::POST, "/__admin/clock", Some(json!({"advance": 60})), [200, 200, 200, 401, 401]),
        (
            Method::POST,
            "/__admin/scan",
            Some(json!({"corpid":"{a}","config_id":"{config}"})),
            [200, 200, 403, 401, 401],
        ),
        (Method::POST, "/__admin/join", Some(json!({"corpid":"{a}","config_id":"{join}"})), [200, 200, 403, 401, 401]),
        (Method::GET, "/__admin/messages?corpid={a}", None, [200, 200, 403, 401, 401]),
        (Method::GET, "/__admin/messages", None, [200, 200, 200, 401, 401]),
        (Method::POST, "/__admin/tenants", Some(json!({})), [200, 403, 403, 401, 401]),
        (
            Method::POST,
            "/__admin/faults",
            Some(json!({"path":"get_contact_way","errcode":-1,"corpid":"{a}"})),
            [200, 200, 403, 401, 401],
        ),
        (Method::POST, "/__admin/faults", Some(json!({"path":"*","errcode":-1})), [200, 200, 200, 401, 401]),
        (Method::GET, "/__admin/faults", None, [200, 200, 200, 401, 401]),
        (Method::DELETE, "/__admin/faults?corpid={a}", None, [204, 204, 403, 401, 401]),
        (Method::DELETE, "/__admin/faults", None, [204, 204, 204, 401, 401]),
        (Method::DELETE, "/__admin/faults/{fault}", None, [204, 204, 403, 401, 401]),
        (Method::GET, "/__admin/requests?corpid={a}", None, [200, 200, 403, 401, 401]),
        (Method::GET, "/__admin/requests", None, [200, 200, 200, 401, 401]),
        (Method::POST, "/__admin/reset", Some(json!({"corpid":"{a}"})), [200, 200, 403, 401, 401]),
        (Method::POST, "/__admin/reset", Some(json!({})), [200, 200, 200, 401, 401]),
        (Method::GET, "/__admin/ui", None, [200, 200, 200, 401, 401]),
        (Method::GET, "/__admin/nowhere", None, [404, 404, 404, 401, 401]),
    ]
}

#[tokio::test]
async fn every_admin_route_answers_each_caller_as_specified_and_a_refusal_changes_nothing() {
    for (method, path, body, expected) in routes() {
        for (caller, status) in CALLERS.into_iter().zip(expected) {
            let shared = Shared::start(MockServer::builder()).await;
            let (a, b) = (shared.a.clone(), shared.b.clone());
            // What the routes refer to: a config, a join config, a checkpoint and a fault of A.
            let config = shared.wecom(&a, Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
            let join = shared.wecom(&a, Api::AddJoinWay, json!({"scene":2,"chat_id_list":["wrmockchat0001"]})).await;
            let control = shared.mock.control_with_token(&a.token).expect("A's token");
            control.checkpoint(&a.corpid, "saved").expect("checkpoint");
            let fault = control.add_fault(&wecom_mock::api::FaultRule::errcode("del_join_way", -1)).expect("fault");
            let fill = |text: &str| {
                text.replace("{a}", &a.corpid)
                    .replace("{config}", config["config_id"].as_str().unwrap_or_default())
                    .replace("{join}", join["config_id"].as_str().unwrap_or_default())
                    .replace("{fault}", &fault.id)
            };
            let token = match caller {
                Caller::Operator => Some(OPERATOR.to_owned()),
                Caller::OwnTenant => Some(a.token.clone()),
                Caller::OtherTenant => Some(b.token.clone()),
                Caller::NoToken => None,
                Caller::WrongToken => Some("not-a-token".to_owned()),
            };
            let before = shared.dumps();
            let body = body.as_ref().map(|b| serde_json::from_str::<Value>(&fill(&b.to_string())).expect("json"));
            let (got, answer) = shared.admin(method.clone(), &fill(path), token.as_deref(), body).await;
            assert_eq!(got, status, "{method} {path} as {caller:?}: {answer}");
            if got >= 400 {
                assert_eq!(shared.dumps(), before, "{method} {path} as {caller:?} was refused and changed something");
                if path.starts_with("/__admin/ui") {
                    // The dashboard is for a browser: its refusal is an HTML page (dashboard.rs).
                    continue;
                }
                let code = answer["error"].as_str().unwrap_or_default();
                let expected_code = match got {
                    401 => "unauthorized",
                    403 => "forbidden",
                    404 => "not_found",
                    _ => code,
                };
                assert_eq!(code, expected_code, "{method} {path} as {caller:?}: {answer}");
            }
        }
    }
}

#[tokio::test]
async fn a_tenants_listings_show_its_own_corp_rules_calls_and_messages_only() {
    let shared = Shared::start(MockServer::builder()).await;
    let (a, b) = (shared.a.clone(), shared.b.clone());
    for tenant in [&a, &b] {
        shared.wecom(tenant, Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
        let (status, _) = shared
            .admin(
                Method::POST,
                "/__admin/faults",
                Some(&tenant.token),
                Some(json!({"path":"*","errcode":-1,"times":1})),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (_, corps) = shared.admin(Method::GET, "/__admin/corps", Some(&a.token), None).await;
    let ids: Vec<&str> = corps["corps"].as_array().expect("list").iter().filter_map(|c| c["corpid"].as_str()).collect();
    assert_eq!(ids, [a.corpid.as_str()]);
    let (_, faults) = shared.admin(Method::GET, "/__admin/faults", Some(&a.token), None).await;
    let owners: Vec<&str> =
        faults["faults"].as_array().expect("list").iter().filter_map(|f| f["rule"]["corpid"].as_str()).collect();
    assert_eq!(owners, [a.corpid.as_str()], "a tenant's rule is scoped to its corp even when it named none");
    let (_, requests) = shared.admin(Method::GET, "/__admin/requests", Some(&a.token), None).await;
    let calls = requests["requests"].as_array().expect("list");
    assert!(!calls.is_empty() && calls.iter().all(|c| c["corpid"] == json!(a.corpid)), "{requests}");
    let html = shared
        .http
        .get(format!("{}/__admin/ui?token={}", shared.mock.uri(), b.token))
        .send()
        .await
        .expect("dashboard")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&b.corpid) && !html.contains(&a.corpid), "the dashboard shows the tenant's corp only");
    assert!(!html.contains(&b.token), "the page never shows the token");
}

#[tokio::test]
async fn two_tenants_working_at_once_never_see_or_change_each_others_state() {
    let shared = Shared::start(MockServer::builder()).await;
    let work = |tenant: Tenant, clock: i64| {
        let shared = &shared;
        async move {
            let token = Some(tenant.token.as_str());
            for round in 0..10 {
                let added = shared
                    .wecom(
                        &tenant,
                        Api::AddContactWay,
                        json!({"type":1,"scene":2,"user":["lisi"],"state":format!("r{round}")}),
                    )
                    .await;
                let config = added["config_id"].as_str().expect("an id").to_owned();
                let scan = json!({"config_id": config});
                assert_eq!(shared.admin(Method::POST, "/__admin/scan", token, Some(scan)).await.0, 200);
                let set = json!({"set": clock + round});
                assert_eq!(shared.admin(Method::POST, "/__admin/clock", token, Some(set)).await.0, 200);
                let rule = json!({"path":"get_join_way","errcode":-1,"times":1});
                assert_eq!(shared.admin(Method::POST, "/__admin/faults", token, Some(rule)).await.0, 200);
                let name = json!({"name": format!("cp{round}")});
                let path = format!("/__admin/corps/{}/checkpoint", tenant.corpid);
                assert_eq!(shared.admin(Method::POST, &path, token, Some(name)).await.0, 200);
                if round == 5 {
                    assert_eq!(shared.admin(Method::POST, "/__admin/reset", token, Some(json!({}))).await.0, 200);
                }
            }
            let path = format!("/__admin/corps/{}/restore", tenant.corpid);
            assert_eq!(shared.admin(Method::POST, &path, token, Some(json!({"name":"cp9"}))).await.0, 200);
        }
    };
    tokio::join!(work(shared.a.clone(), 1_700_000_000), work(shared.b.clone(), 1_800_000_000));
    for (tenant, clock) in [(&shared.a, 1_700_000_009), (&shared.b, 1_800_000_009)] {
        let dump = shared.mock.control().dump(&tenant.corpid).expect("dump");
        // Reset after round 5: rounds 6..9 are left, each with its own state and customer.
        let states: Vec<String> = dump.contact_ways.iter().filter_map(|w| w.contact_way.state.clone()).collect();
        assert_eq!(states.len(), 4, "{states:?}");
        assert!(states.iter().all(|s| ["r6", "r7", "r8", "r9"].contains(&s.as_str())));
        assert_eq!(dump.customers.len(), 4);
        let quotas = format!("/__admin/corps/{}/quotas", tenant.corpid);
        let (_, quotas) = shared.admin(Method::GET, &quotas, Some(&tenant.token), None).await;
        assert_eq!(quotas["contact_ways"]["used"], 4, "each corp's quota counts its own configs");
        let (_, faults) = shared.admin(Method::GET, "/__admin/faults", Some(&tenant.token), None).await;
        assert_eq!(faults["faults"].as_array().map(Vec::len), Some(10), "each tenant sees its own ten rules");
        let (_, checkpoints) = shared
            .admin(Method::GET, &format!("/__admin/corps/{}/checkpoints", tenant.corpid), Some(&tenant.token), None)
            .await;
        assert_eq!(checkpoints["checkpoints"].as_array().map(Vec::len), Some(10));
        let clock_now = shared
            .admin(Method::POST, "/__admin/clock", Some(&tenant.token), Some(json!({"advance": 0})))
            .await
            .1["now"]
            .as_i64();
        assert_eq!(clock_now, Some(clock), "each corp's clock is where its own tenant put it");
    }
    let default = shared.mock.control().dump(shared.mock.corpid()).expect("the default corp");
    assert!(default.contact_ways.is_empty() && default.customers.is_empty(), "the default corp was not touched");
}

#[tokio::test]
async fn a_tenant_keeps_its_credentials_through_reset_restore_and_put_and_loses_them_with_its_corp() {
    let shared = Shared::start(MockServer::builder()).await;
    let a = shared.a.clone();
    let token = Some(a.token.as_str());
    let checkpoint = format!("/__admin/corps/{}/checkpoint", a.corpid);
    assert_eq!(shared.admin(Method::POST, &checkpoint, token, Some(json!({"name":"empty"}))).await.0, 200);
    assert_eq!(shared.admin(Method::POST, "/__admin/reset", token, Some(json!({}))).await.0, 200);
    let restore = format!("/__admin/corps/{}/restore", a.corpid);
    assert_eq!(shared.admin(Method::POST, &restore, token, Some(json!({"name":"empty"}))).await.0, 200);
    // The same secret still gets a token, the same admin token still opens the corp.
    let added = shared.wecom(&a, Api::AddContactWay, json!({"type":1,"scene":2,"user":["zhangsan"]})).await;
    assert_eq!(added["errcode"], 0);
    let corp = format!("/__admin/corps/{}", a.corpid);
    let fixture = json!({"corpid": a.corpid, "apps":[{"agentid":7,"secret":"renewed"}]});
    assert_eq!(shared.admin(Method::PUT, &corp, token, Some(fixture)).await.0, 200);
    let (status, dump) = shared.admin(Method::GET, &corp, token, None).await;
    assert_eq!(status, 200, "a PUT keeps the admin token");
    assert!(!dump.to_string().contains(&a.token), "a token is never in a dump");
    let renewed = Tenant { secret: "renewed".into(), ..a.clone() };
    assert_eq!(shared.wecom(&renewed, Api::ListContactWay, json!({})).await["errcode"], 0, "the PUT's apps count");
    assert_eq!(shared.admin(Method::DELETE, &corp, token, None).await.0, 204);
    assert_eq!(
        shared.admin(Method::GET, "/__admin/corps", token, None).await.0,
        401,
        "deleting the corp ends the token"
    );
}

#[tokio::test]
async fn tenant_tokens_survive_a_restart_with_a_data_dir_and_are_not_stored_in_the_clear() {
    let dir = TempDir::new("tenants");
    let first = MockServer::builder().admin_token(OPERATOR).data_dir(DataDir::new(dir.path())).start().await;
    let tenant = first.control().create_tenant(&Default::default()).expect("tenant");
    first.shutdown().await;
    for file in std::fs::read_dir(dir.path()).expect("data dir").flatten() {
        let bytes = std::fs::read(file.path()).expect("readable");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&tenant.admin_token), "{} holds the token in the clear", file.path().display());
    }
    let again = MockServer::builder().admin_token(OPERATOR).data_dir(DataDir::new(dir.path())).start().await;
    let control = again.control_with_token(&tenant.admin_token).expect("the token still opens its corp");
    assert_eq!(control.tenant(), Some(tenant.corpid.as_str()));
    assert_eq!(control.corps().expect("own corp").len(), 1);
}

#[tokio::test]
async fn open_signup_lets_anyone_create_a_tenant_and_nothing_else() {
    let shared = Shared::start(MockServer::builder().tenant_signup(TenantSignup::Open)).await;
    let newcomer = shared.new_tenant(None).await;
    assert_eq!(
        shared.admin(Method::GET, &format!("/__admin/corps/{}", newcomer.corpid), Some(&newcomer.token), None).await.0,
        200
    );
    assert_eq!(shared.admin(Method::GET, "/__admin/corps", None, None).await.0, 401);
    assert_eq!(shared.admin(Method::POST, "/__admin/tenants", Some(&shared.a.token), Some(json!({}))).await.0, 200);
}

#[tokio::test]
async fn a_tenant_can_be_named_and_given_its_corp_as_a_fixture() {
    let shared = Shared::start(MockServer::builder()).await;
    let fixture = json!({"corpid":"ignored","apps":[{"agentid":5,"secret":"team-secret"}],
        "departments":[{"id":1,"name":"HQ"}],"members":[{"userid":"alice","department":[1]}]});
    let (status, answer) = shared
        .admin(Method::POST, "/__admin/tenants", Some(OPERATOR), Some(json!({"name":"team-x","fixture":fixture})))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["secret"].as_str(), answer["agentid"].as_i64()), (Some("team-secret"), Some(5)));
    let corpid = answer["corpid"].as_str().expect("corpid");
    assert_ne!(corpid, "ignored", "the mock chooses the corpid");
    let corps = shared.mock.control().corps().expect("operator");
    assert_eq!(corps.iter().find(|c| c.corpid == corpid).map(|c| c.name.as_str()), Some("team-x"));
    let (status, _) =
        shared.admin(Method::POST, "/__admin/tenants", Some(OPERATOR), Some(json!({"fixture":{"memebers":[]}}))).await;
    assert_eq!(status, 400, "a fixture is checked like any other");
}

#[tokio::test]
async fn the_corp_limit_refuses_new_corps_and_keeps_the_existing_ones() {
    // The default corp and the two tenants make three.
    let shared = Shared::start(MockServer::builder().max_corps(3)).await;
    let before = shared.dumps();
    let (status, answer) = shared.admin(Method::POST, "/__admin/tenants", Some(OPERATOR), Some(json!({}))).await;
    assert_eq!((status, answer["error"].as_str()), (409, Some("too_many_corps")), "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("--max-corps") && m.contains('3')), "{answer}");
    let (status, _) = shared
        .admin(
            Method::PUT,
            "/__admin/corps/wwnew000000000001",
            Some(OPERATOR),
            Some(json!({"corpid":"wwnew000000000001"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(shared.dumps(), before);
    let replace = json!({"corpid": shared.a.corpid});
    assert_eq!(
        shared
            .admin(Method::PUT, &format!("/__admin/corps/{}", shared.a.corpid), Some(OPERATOR), Some(replace))
            .await
            .0,
        200,
        "replacing is not creating"
    );
}

#[tokio::test]
async fn the_config_limit_refuses_adds_over_all_corps_with_a_message_naming_it() {
    let shared = Shared::start(MockServer::builder().max_total_configs(3)).await;
    let add = json!({"type":1,"scene":2,"user":["zhangsan"]});
    for tenant in [&shared.a, &shared.a, &shared.b] {
        assert_eq!(shared.wecom(tenant, Api::AddContactWay, add.clone()).await["errcode"], 0);
    }
    let before = shared.dumps();
    for (api, body) in
        [(Api::AddContactWay, add.clone()), (Api::AddJoinWay, json!({"scene":2,"chat_id_list":["wrmockchat0001"]}))]
    {
        let answer = shared.wecom(&shared.b, api, body).await;
        assert_eq!(answer["errcode"], 41045, "{answer}");
        let message = answer["errmsg"].as_str().unwrap_or_default();
        assert!(message.contains("--max-total-configs") && message.contains(" 3 "), "{message}");
    }
    assert_eq!(shared.dumps(), before, "a refused add changes nothing");
    let a = shared.wecom(&shared.a, Api::ListContactWay, json!({})).await;
    let first = a["contact_way"][0]["config_id"].clone();
    assert_eq!(shared.wecom(&shared.a, Api::DelContactWay, json!({"config_id": first})).await["errcode"], 0);
    assert_eq!(shared.wecom(&shared.b, Api::AddContactWay, add).await["errcode"], 0, "a delete frees a place");
    let metrics = shared.mock.metrics();
    assert!(metrics.contains("wecom_mock_configs_total 3"), "{metrics}");
}

#[tokio::test]
async fn an_admin_body_over_its_limit_is_413_in_the_admin_shape_and_changes_nothing() {
    let shared = Shared::start(MockServer::builder()).await;
    let before = shared.dumps();
    let members: Vec<Value> =
        (0..120_000).map(|i| json!({"userid": format!("member{i:06}"), "department": [1]})).collect();
    let fixture = json!({"corpid": shared.a.corpid, "members": members});
    assert!(fixture.to_string().len() > wecom_mock::MAX_ADMIN_BODY_BYTES);
    let (status, answer) =
        shared.admin(Method::PUT, &format!("/__admin/corps/{}", shared.a.corpid), Some(OPERATOR), Some(fixture)).await;
    assert_eq!((status, answer["error"].as_str()), (413, Some("body_too_large")), "{answer}");
    assert_eq!(shared.dumps(), before);
}

#[tokio::test]
async fn an_idle_tenant_expires_on_wall_time_whatever_its_clock_and_stays_gone_after_a_restart() {
    let dir = TempDir::new("expiry");
    let builder = || {
        MockServer::builder()
            .admin_token(OPERATOR)
            .data_dir(DataDir::new(dir.path()))
            .tenant_ttl(Duration::from_secs(2))
    };
    let mock = builder().start().await;
    let control = mock.control();
    let (idle, busy) = (
        control.create_tenant(&Default::default()).expect("idle"),
        control.create_tenant(&Default::default()).expect("busy"),
    );
    // Moving the idle tenant's virtual clock a year ahead neither kills it now nor keeps it alive.
    let idle_control = mock.control_with_token(&idle.admin_token).expect("token");
    idle_control.advance_clock(365 * 86_400).expect("clock");
    assert!(control.dump(&idle.corpid).is_ok(), "a clock moved far ahead does not expire a tenant");
    let http = Http::new(mock.uri());
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let token = http.token(&busy.corpid, &busy.secret).await;
        http.call(Api::ListContactWay, &token, &json!({})).await.expect("busy keeps calling");
    }
    assert!(control.dump(&idle.corpid).is_err(), "the idle tenant expired");
    assert!(control.dump(&busy.corpid).is_ok(), "the busy one did not");
    assert!(control.dump(mock.corpid()).is_ok(), "corps from the fixtures never expire");
    assert!(mock.metrics().contains("wecom_mock_tenants_expired_total 1"));
    assert!(mock.control_with_token(&idle.admin_token).is_err(), "its token is gone with it");
    mock.shutdown().await;
    let again = builder().start().await;
    assert!(again.control().dump(&idle.corpid).is_err(), "the expiry was journaled");
}
