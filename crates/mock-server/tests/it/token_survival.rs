//! What outlives what: a token lives its lifetime across restarts, resets and a corp's
//! re-creation (contact-way-api.md §2), a revocation ends it for good, and an SDK that caches
//! its token in a file and never refreshes on 40014 keeps working.

use std::path::Path;

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_mock::{DataDir, MockServer};
use wecom_types::Api;

use super::durability::{Http, TempDir};

/// What happens to the mock between issuing a token and using it again.
#[derive(Debug, Clone, Copy)]
enum Between {
    RestartInMemory,
    RestartWithDataDir,
    Reset,
    Put,
    DeleteThenPut,
    PutWithAnotherSecret,
    Delete,
    CheckpointRestore,
    RevokeThenRestartWithDataDir,
    RevokeThenReset,
    RevokeThenDeleteThenPut,
}

/// A mock with the default corp, in memory or in `dir`; clocks follow wall time (a restart in
/// memory starts them there again).
async fn start(dir: Option<&Path>) -> MockServer {
    let builder = MockServer::builder();
    match dir {
        Some(dir) => builder.data_dir(DataDir::new(dir)).start().await,
        None => builder.start().await,
    }
}

fn default_corp_with_secret(secret: &str) -> Value {
    let mut corp = serde_json::to_value(CorpFixture::default_corp()).expect("fixture as JSON");
    corp["apps"][0]["secret"] = json!(secret);
    corp
}

async fn put_default_corp(http: &Http, secret: &str) {
    let path = format!("/__admin/corps/{DEFAULT_CORPID}");
    let (status, body) = http.admin(Method::PUT, &path, Some(default_corp_with_secret(secret))).await;
    assert_eq!(status, 200, "{body}");
}

async fn delete_default_corp(http: &Http) {
    let (status, body) = http.admin(Method::DELETE, &format!("/__admin/corps/{DEFAULT_CORPID}"), None).await;
    assert_eq!(status, 204, "{body}");
}

async fn revoke(http: &Http) {
    let path = format!("/__admin/corps/{DEFAULT_CORPID}/tokens/revoke");
    let (status, body) = http.admin(Method::POST, &path, Some(json!({}))).await;
    assert!(status == 200 || status == 204, "{status} {body}");
}

async fn reset(http: &Http) {
    let (status, body) = http.admin(Method::POST, "/__admin/reset", Some(json!({}))).await;
    assert!(status == 200 || status == 204, "{status} {body}");
}

impl Between {
    /// Does it to `mock` (kept in `dir` when the case needs a data dir); returns the mock to
    /// call afterwards.
    async fn happen(self, mock: MockServer, dir: &Path) -> MockServer {
        let http = Http::new(mock.uri());
        match self {
            Between::RestartInMemory => {
                mock.shutdown().await;
                return start(None).await;
            }
            Between::RestartWithDataDir => {
                mock.shutdown().await;
                return start(Some(dir)).await;
            }
            Between::Reset => reset(&http).await,
            Between::Put => put_default_corp(&http, DEFAULT_SECRET).await,
            Between::DeleteThenPut => {
                delete_default_corp(&http).await;
                put_default_corp(&http, DEFAULT_SECRET).await;
            }
            Between::PutWithAnotherSecret => put_default_corp(&http, "another-secret").await,
            Between::Delete => delete_default_corp(&http).await,
            Between::CheckpointRestore => {
                mock.control().checkpoint(DEFAULT_CORPID, "before").expect("checkpoint");
                mock.control().restore(DEFAULT_CORPID, "before").expect("restore");
            }
            Between::RevokeThenRestartWithDataDir => {
                revoke(&http).await;
                mock.shutdown().await;
                return start(Some(dir)).await;
            }
            Between::RevokeThenReset => {
                revoke(&http).await;
                reset(&http).await;
            }
            Between::RevokeThenDeleteThenPut => {
                revoke(&http).await;
                delete_default_corp(&http).await;
                put_default_corp(&http, DEFAULT_SECRET).await;
            }
        }
        mock
    }

    /// Whether the case runs with a data dir.
    fn durable(self) -> bool {
        matches!(self, Between::RestartWithDataDir | Between::RevokeThenRestartWithDataDir)
    }
}

#[tokio::test]
async fn a_token_issued_before_answers_what_the_spec_says_after_each_event() {
    let cases = [
        (Between::RestartInMemory, 0),
        (Between::RestartWithDataDir, 0),
        (Between::Reset, 0),
        (Between::Put, 0),
        (Between::DeleteThenPut, 0),
        (Between::CheckpointRestore, 0),
        (Between::PutWithAnotherSecret, 40014),
        (Between::Delete, 40014),
        (Between::RevokeThenRestartWithDataDir, 40014),
        (Between::RevokeThenReset, 40014),
        (Between::RevokeThenDeleteThenPut, 40014),
    ];
    for (between, expected) in cases {
        let dir = TempDir::new("token-survival");
        let mock = start(between.durable().then(|| dir.path())).await;
        let http = Http::new(mock.uri());
        let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        assert_eq!(http.call(Api::ListContactWay, &token, &json!({})).await.expect("list")["errcode"], 0);
        let mock = between.happen(mock, dir.path()).await;
        let http = Http::new(mock.uri());
        let answer = http.call(Api::ListContactWay, &token, &json!({})).await.expect("list");
        assert_eq!(answer["errcode"], expected, "{between:?}: {answer}");
        // gettoken works after every case that leaves the corp, and its token is accepted.
        if matches!(between, Between::Delete) {
            continue;
        }
        let secret = if matches!(between, Between::PutWithAnotherSecret) { "another-secret" } else { DEFAULT_SECRET };
        let fresh = http.token(DEFAULT_CORPID, secret).await;
        let answer = http.call(Api::ListContactWay, &fresh, &json!({})).await.expect("list");
        assert_eq!(answer["errcode"], 0, "{between:?}: a fresh token: {answer}");
        mock.shutdown().await;
    }
}

#[tokio::test]
async fn a_token_refused_while_its_app_is_missing_or_changed_is_accepted_again_once_a_put_brings_it_back() {
    let mock = start(None).await;
    let http = Http::new(mock.uri());
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let list = || async { http.call(Api::ListContactWay, &token, &json!({})).await.expect("list")["errcode"].clone() };
    put_default_corp(&http, "another-secret").await;
    assert_eq!(list().await, 40014);
    delete_default_corp(&http).await;
    assert_eq!(list().await, 40014);
    put_default_corp(&http, DEFAULT_SECRET).await;
    assert_eq!(list().await, 0);
}

#[tokio::test]
async fn a_revocation_ends_every_token_issued_before_it_and_none_issued_after() {
    let mock = start(None).await;
    let http = Http::new(mock.uri());
    let before = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    revoke(&http).await;
    let after = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    assert_ne!(after, before);
    put_default_corp(&http, DEFAULT_SECRET).await;
    for (token, expected) in [(&before, 40014), (&after, 0)] {
        let answer = http.call(Api::ListContactWay, token, &json!({})).await.expect("list");
        assert_eq!(answer["errcode"], expected, "{answer}");
    }
}

#[tokio::test]
async fn a_token_issued_by_one_instance_is_accepted_by_another_loaded_with_the_same_corp() {
    let (one, other) = (start(None).await, start(None).await);
    let token = Http::new(one.uri()).token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let answer = Http::new(other.uri()).call(Api::ListContactWay, &token, &json!({})).await.expect("list");
    assert_eq!(answer["errcode"], 0, "{answer}");
}

/// A token as the previous release sealed it (layout 1: version, agentid, issued µs, expires
/// s, 16 random bytes, a 128-bit HMAC-SHA256 under a key derived from the app's secret, then
/// the corpid): what an SDK's file cache still holds after the mock is upgraded.
fn previous_release_token(corpid: &str, agentid: u32, secret: &str, issued_us: i64, expires_at: i64) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    type HmacSha256 = Hmac<sha2::Sha256>;
    let mut key = HmacSha256::new_from_slice(secret.as_bytes()).expect("any key length");
    key.update(b"wecom-mock access token v1");
    key.update(&agentid.to_be_bytes());
    key.update(corpid.as_bytes());
    let key = key.finalize().into_bytes();
    let mut head = vec![1u8];
    head.extend_from_slice(&agentid.to_be_bytes());
    head.extend_from_slice(&issued_us.to_be_bytes());
    head.extend_from_slice(&expires_at.to_be_bytes());
    head.extend_from_slice(&[0x5a; 16]);
    let mut mac = HmacSha256::new_from_slice(&key).expect("any key length");
    mac.update(&head);
    mac.update(corpid.as_bytes());
    head.extend_from_slice(&mac.finalize().into_bytes()[..16]);
    head.extend_from_slice(corpid.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(head)
}

#[tokio::test]
async fn a_token_of_the_previous_release_is_accepted_after_an_upgrade_until_it_expires_or_is_revoked() {
    let mock = start(None).await;
    let http = Http::new(mock.uri());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    let (issued_us, now_s) = (now.as_micros() as i64 - 1_000_000, now.as_secs() as i64);
    let agentid = wecom_mock::fixtures::DEFAULT_AGENTID;
    let valid = previous_release_token(DEFAULT_CORPID, agentid, DEFAULT_SECRET, issued_us, now_s + 3600);
    let expired = previous_release_token(DEFAULT_CORPID, agentid, DEFAULT_SECRET, issued_us, now_s - 1);
    let forged = previous_release_token(DEFAULT_CORPID, agentid, "not-the-secret", issued_us, now_s + 3600);
    assert!(valid.len() > 64, "the previous layout is longer: {valid}");
    let new = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    assert_eq!(new.len(), 64, "{new}");
    for (token, expected) in [(&valid, 0), (&expired, 42001), (&forged, 40014), (&new, 0)] {
        let answer = http.call(Api::ListContactWay, token, &json!({})).await.expect("list");
        assert_eq!(answer["errcode"], expected, "{token}: {answer}");
    }
    revoke(&http).await;
    let answer = http.call(Api::ListContactWay, &valid, &json!({})).await.expect("list");
    assert_eq!(answer["errcode"], 40014, "revoked: {answer}");
}

#[tokio::test]
async fn every_corp_among_many_accepts_its_own_token_after_a_restart() {
    let dir = TempDir::new("tokens-many-corps");
    let mock = start(Some(dir.path())).await;
    let tenants: Vec<_> = (0..20).map(|_| mock.control().create_tenant(&Default::default()).expect("tenant")).collect();
    let http = Http::new(mock.uri());
    let mut tokens = Vec::new();
    for tenant in &tenants {
        tokens.push((tenant.corpid.clone(), http.token(&tenant.corpid, &tenant.secret).await));
    }
    mock.shutdown().await;
    let mock = start(Some(dir.path())).await;
    let http = Http::new(mock.uri());
    for (corpid, token) in &tokens {
        let answer = http.call(Api::ListContactWay, token, &json!({})).await.expect("list");
        assert_eq!(answer["errcode"], 0, "{corpid}: {answer}");
    }
}

/// What a PHP / Node SDK does: the token is cached in a file for its `expires_in` and reused by
/// every later run; a 40014 is not answered with a refresh.
struct FileTokenCache<'a> {
    path: &'a Path,
}

impl FileTokenCache<'_> {
    async fn token(&self, http: &Http) -> String {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        if let Ok(text) = std::fs::read_to_string(self.path)
            && let Ok(cached) = serde_json::from_str::<Value>(&text)
            && cached["expires_at"].as_u64().is_some_and(|at| at > now)
            && let Some(token) = cached["access_token"].as_str()
        {
            return token.to_owned();
        }
        let url = format!("{}{}?corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET}", http.base, Api::GetToken.path());
        let answer: Value = http.client.get(url).send().await.expect("gettoken").json().await.expect("json");
        let token = answer["access_token"].as_str().expect("a token").to_owned();
        let expires_at = now + answer["expires_in"].as_u64().expect("expires_in");
        let cached = json!({"access_token": token, "expires_at": expires_at});
        std::fs::write(self.path, cached.to_string()).expect("the cache file is written");
        token
    }
}

/// A team's small test file: add, read, list, update, delete; every call must succeed.
/// Returns the token it used.
async fn sdk_flow(http: &Http, cache: &FileTokenCache<'_>, run: &str) -> String {
    let ok = |answer: Value, what: &str| {
        assert_eq!(answer["errcode"], 0, "run {run}, {what}: {answer}");
        answer
    };
    let token = cache.token(http).await;
    let body = json!({"type":1,"scene":2,"user":["zhangsan"],"state":"sdk"});
    let added = ok(http.call(Api::AddContactWay, &token, &body).await.expect("add"), "add");
    let id = added["config_id"].as_str().expect("an id").to_owned();
    let token = cache.token(http).await;
    ok(http.call(Api::GetContactWay, &token, &json!({"config_id": id})).await.expect("get"), "get");
    ok(http.call(Api::ListContactWay, &token, &json!({})).await.expect("list"), "list");
    let update = json!({"config_id": id, "remark": "r"});
    ok(http.call(Api::UpdateContactWay, &token, &update).await.expect("update"), "update");
    ok(http.call(Api::DelContactWay, &token, &json!({"config_id": id})).await.expect("delete"), "delete");
    token
}

#[tokio::test]
async fn an_sdk_that_caches_its_token_in_a_file_passes_every_run_re_created_corp_and_restart_included() {
    let dir = TempDir::new("sdk-cache");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let file = dir.path().join("access_token.json");
    let cache = FileTokenCache { path: &file };
    let mock = start(None).await;
    let http = Http::new(mock.uri());
    let first = sdk_flow(&http, &cache, "1").await;
    // The test file re-creates its corp at the start of the next run.
    delete_default_corp(&http).await;
    put_default_corp(&http, DEFAULT_SECRET).await;
    let second = sdk_flow(&http, &cache, "2").await;
    mock.shutdown().await;
    let mock = start(None).await;
    let third = sdk_flow(&Http::new(mock.uri()), &cache, "3 (after a restart)").await;
    assert_eq!((&second, &third), (&first, &first), "the one cached token served all three runs");
}
