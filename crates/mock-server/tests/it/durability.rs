//! `--data-dir`: what is acknowledged survives a restart, compaction, a torn tail and a full
//! disk; a newer format is refused. The crash test with `kill -9` is in `crash.rs`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{CorpFixture, DEFAULT_CORPID, DEFAULT_SECRET, Fixtures};
use wecom_mock::{DataDir, FsyncPolicy, MockServer, MockState, Settings};
use wecom_types::Api;

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("wecom-mock-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// The journal segments and snapshots, sorted by name.
    pub(crate) fn files(&self, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.0)
            .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.to_string_lossy().ends_with(suffix));
        files.sort();
        files
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Raw HTTP against a base URL.
pub(crate) struct Http {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

impl Http {
    pub(crate) fn new(base: impl Into<String>) -> Http {
        Http { base: base.into(), client: reqwest::Client::new() }
    }

    pub(crate) async fn token(&self, corpid: &str, secret: &str) -> String {
        let url = format!("{}{}?corpid={corpid}&corpsecret={secret}", self.base, Api::GetToken.path());
        let answer: Value = self.client.get(url).send().await.expect("reachable").json().await.expect("json");
        answer["access_token"].as_str().unwrap_or_else(|| panic!("no token: {answer}")).to_owned()
    }

    pub(crate) async fn call(&self, api: Api, token: &str, body: &Value) -> reqwest::Result<Value> {
        let url = format!("{}{}?access_token={token}", self.base, api.path());
        self.client.post(url).body(body.to_string()).send().await?.json().await
    }

    pub(crate) async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("reachable");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Every corp's id and dump, with the (port-dependent) base URL taken out.
    pub(crate) async fn state(&self) -> Vec<(String, String)> {
        let (_, corps) = self.admin(Method::GET, "/__admin/corps", None).await;
        let mut out = Vec::new();
        for corp in corps["corps"].as_array().expect("corps") {
            let corpid = corp["corpid"].as_str().expect("corpid").to_owned();
            let url = format!("{}/__admin/corps/{corpid}", self.base);
            let dump = self.client.get(url).send().await.expect("reachable").text().await.expect("a body");
            out.push((corpid, dump.replace(&self.base, "BASE")));
        }
        let (_, messages) = self.admin(Method::GET, "/__admin/messages", None).await;
        out.push(("messages".to_owned(), messages.to_string()));
        out
    }
}

fn data_dir(dir: &TempDir) -> DataDir {
    DataDir { fsync: FsyncPolicy::Always, ..DataDir::new(dir.path()) }
}

async fn start(dir: DataDir, fixtures: Fixtures) -> (MockServer, Http) {
    let mock = MockServer::builder().fixtures(fixtures).seed(11).data_dir(dir).start().await;
    let http = Http::new(mock.uri());
    (mock, http)
}

fn add_body(state: &str) -> Value {
    json!({"type":1,"scene":2,"user":["zhangsan"],"state":state})
}

/// A bit of everything: configs added, updated and deleted, a scan, a join, a clock change, a
/// corp put and a corp deleted.
async fn make_history(http: &Http) {
    assert_eq!(http.admin(Method::POST, "/__admin/clock", Some(json!({"set": 1_750_000_000}))).await.0, 200);
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let answer = http.call(Api::AddContactWay, &token, &add_body(&format!("s{i}"))).await.expect("add");
        assert_eq!(answer["errcode"], 0, "{answer}");
        ids.push(answer["config_id"].as_str().expect("id").to_owned());
    }
    let answer = http
        .call(Api::UpdateContactWay, &token, &json!({"config_id": ids[0], "remark": "changed"}))
        .await
        .expect("update");
    assert_eq!(answer["errcode"], 0, "{answer}");
    let answer = http.call(Api::DelContactWay, &token, &json!({"config_id": ids[1]})).await.expect("delete");
    assert_eq!(answer["errcode"], 0, "{answer}");
    let join = http
        .call(Api::AddJoinWay, &token, &json!({"scene":2,"chat_id_list":["wrmockchat0001"],"state":"j"}))
        .await
        .expect("join way");
    assert_eq!(join["errcode"], 0, "{join}");
    let scan = json!({"corpid": DEFAULT_CORPID, "config_id": ids[2]});
    assert_eq!(http.admin(Method::POST, "/__admin/scan", Some(scan)).await.0, 200);
    let join = json!({"corpid": DEFAULT_CORPID, "config_id": join["config_id"]});
    assert_eq!(http.admin(Method::POST, "/__admin/join", Some(join)).await.0, 200);
    // A temp chat that is scanned and then ends when the clock passes its end.
    let temp = json!({"type":1,"scene":2,"user":["zhangsan"],"is_temp":true,"expires_in":3600,
        "chat_expires_in":60,"conclusions":{"text":{"content":"bye"}}});
    let temp = http.call(Api::AddContactWay, &token, &temp).await.expect("temp");
    assert_eq!(temp["errcode"], 0, "{temp}");
    let scan = json!({"corpid": DEFAULT_CORPID, "config_id": temp["config_id"]});
    assert_eq!(http.admin(Method::POST, "/__admin/scan", Some(scan)).await.0, 200);
    assert_eq!(http.admin(Method::POST, "/__admin/clock", Some(json!({"advance": 120}))).await.0, 200);
    // A full group: the next join creates a room and rewrites the config's group list.
    let corp = json!({"corpid":"wwsecond","members":[{"userid":"amy","department":[1]}],"departments":[{"id":1}],
        "group_chats":[{"chat_id":"wrsmall01","owner":"amy","member_limit":2}]});
    assert_eq!(http.admin(Method::PUT, "/__admin/corps/wwsecond", Some(corp)).await.0, 200);
    let second = http.token("wwsecond", DEFAULT_SECRET).await;
    let body =
        json!({"scene":2,"chat_id_list":["wrsmall01"],"auto_create_room":1,"room_base_name":"R","room_base_id":1});
    let way = http.call(Api::AddJoinWay, &second, &body).await.expect("join way");
    assert_eq!(way["errcode"], 0, "{way}");
    for _ in 0..3 {
        let join = json!({"corpid": "wwsecond", "config_id": way["config_id"]});
        let (status, answer) = http.admin(Method::POST, "/__admin/join", Some(join)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let gone = json!({"corpid":"wwgone"});
    assert_eq!(http.admin(Method::PUT, "/__admin/corps/wwgone", Some(gone)).await.0, 200);
    assert_eq!(http.admin(Method::DELETE, "/__admin/corps/wwgone", None).await.0, 204);
}

#[tokio::test]
async fn every_change_survives_a_restart_and_the_data_dir_wins_over_fixtures() {
    let dir = TempDir::new("restart");
    let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    make_history(&http).await;
    let old_token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let before = http.state().await;
    mock.shutdown().await;

    // Other fixtures now: they must not be loaded over the recovered state.
    let other = Fixtures { corps: vec![CorpFixture { corpid: "wwother".into(), ..CorpFixture::default_corp() }] };
    let (mock, http) = start(data_dir(&dir), other).await;
    assert_eq!(http.state().await, before);
    let answer = http.call(Api::ListContactWay, &old_token, &json!({})).await.expect("list");
    assert_eq!(answer["errcode"], 0, "a token lives its lifetime across a restart: {answer}");
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let answer = http.call(Api::AddContactWay, &token, &add_body("after")).await.expect("add");
    assert_eq!(answer["errcode"], 0, "{answer}");
    let after = http.state().await;
    mock.shutdown().await;

    let (_mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    assert_eq!(http.state().await, after, "the second life's changes are kept too");
}

#[tokio::test]
async fn compaction_under_writes_loses_nothing_and_bounds_the_files() {
    let dir = TempDir::new("compact");
    let options = DataDir { compact_bytes: 8 << 10, ..data_dir(&dir) };
    let (mock, http) = start(options.clone(), Fixtures::default()).await;
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let http = Http::new(http.base.clone());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..40 {
                let answer = http.call(Api::AddContactWay, &token, &add_body(&format!("w{worker}-{i}"))).await;
                assert_eq!(answer.expect("add")["errcode"], 0);
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    let before = http.state().await;
    mock.shutdown().await;
    assert!(!dir.files(".snap").is_empty(), "at least one snapshot was written");
    assert!(dir.files(".log").len() <= 3, "compaction removed old segments: {:?}", dir.files(".log"));
    let (_mock, http) = start(options, Fixtures::default()).await;
    assert_eq!(http.state().await, before);
}

#[tokio::test]
async fn a_torn_or_corrupt_tail_is_dropped_and_nothing_before_it() {
    let torn = b"\x40\x00\x00\x00\x01\x02".to_vec();
    let corrupt = b"\x05\x00\x00\x00\xde\xad\xbe\xefhello".to_vec();
    // What a kill leaves of the space allocated ahead of the records, also after a torn one.
    let unwritten = vec![0u8; 4096];
    let torn_then_unwritten = [torn.as_slice(), &unwritten].concat();
    for damage in [torn, corrupt, unwritten, torn_then_unwritten] {
        let dir = TempDir::new("torn");
        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        make_history(&http).await;
        let before = http.state().await;
        mock.shutdown().await;
        let segment = dir.files(".log").pop().expect("a segment");
        let length = std::fs::metadata(&segment).expect("metadata").len();
        let mut bytes = std::fs::read(&segment).expect("read");
        bytes.extend_from_slice(&damage);
        std::fs::write(&segment, bytes).expect("write");

        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        assert_eq!(http.state().await, before);
        // The start-up compaction may already have replaced the segment by a snapshot.
        if let Ok(meta) = std::fs::metadata(&segment) {
            assert_eq!(meta.len(), length, "the tail is cut off");
        }
        mock.shutdown().await;
        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        assert_eq!(http.state().await, before, "and stays cut off");
        mock.shutdown().await;
    }
}

#[tokio::test]
async fn a_full_disk_refuses_changes_and_keeps_every_acknowledged_one() {
    let dir = TempDir::new("full");
    let options = DataDir { fail_after_bytes: Some(20_000), ..data_dir(&dir) };
    let (mock, http) = start(options, Fixtures::default()).await;
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let mut acknowledged = Vec::new();
    let mut refused = None;
    for i in 0..2000 {
        let answer = http.call(Api::AddContactWay, &token, &add_body(&format!("s{i}"))).await.expect("add");
        match answer["errcode"].as_i64() {
            Some(0) => acknowledged.push(answer["config_id"].as_str().expect("id").to_owned()),
            _ => {
                refused = Some(answer);
                break;
            }
        }
    }
    let refused = refused.expect("the disk filled up");
    assert_eq!(refused["errcode"], -1, "{refused}");
    assert!(!acknowledged.is_empty());

    // From now on a change is refused before it is made; reads still work.
    let frozen = http.state().await;
    let answer = http.call(Api::AddContactWay, &token, &add_body("later")).await.expect("add");
    assert_eq!(answer["errcode"], -1, "{answer}");
    let answer = http.call(Api::DelContactWay, &token, &json!({"config_id": acknowledged[0]})).await.expect("del");
    assert_eq!(answer["errcode"], -1, "{answer}");
    let (status, body) = http.admin(Method::PUT, "/__admin/corps/wwnew", Some(json!({"corpid":"wwnew"}))).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("journal_unavailable")));
    let scan = json!({"corpid": DEFAULT_CORPID, "config_id": acknowledged[0]});
    assert_eq!(http.admin(Method::POST, "/__admin/scan", Some(scan)).await.0, 503);
    let answer = http.call(Api::GetContactWay, &token, &json!({"config_id": acknowledged[0]})).await.expect("get");
    assert_eq!(answer["errcode"], 0, "reads go on: {answer}");
    assert_eq!(http.state().await, frozen, "refused changes changed nothing");
    let health = http.client.get(format!("{}/healthz", http.base)).send().await.expect("healthz");
    assert_eq!(health.status(), 503);
    let health: Value = health.json().await.expect("JSON");
    assert_eq!(health, json!({"status": "journal_failed", "version": env!("CARGO_PKG_VERSION")}));
    mock.shutdown().await;

    // The disk is fixed: every acknowledged config is back.
    let (_mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    for id in &acknowledged {
        let answer = http.call(Api::GetContactWay, &token, &json!({"config_id": id})).await.expect("get");
        assert_eq!(answer["errcode"], 0, "{id} was acknowledged: {answer}");
    }
}

#[test]
fn a_data_dir_of_a_newer_format_is_refused_with_a_clear_message() {
    let dir = TempDir::new("newer");
    std::fs::create_dir_all(dir.path()).expect("dir");
    let mut header = b"WCMJRNL\0".to_vec();
    header.extend_from_slice(&99u32.to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    std::fs::write(dir.path().join("wal-00000000000000000001.log"), header).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("newer wecom-mock") && stderr.contains("v99"), "{stderr}");
}

/// Every start with journal segments compacts them into a snapshot in the background; that
/// compaction once could run before the recovered corps were in place, write an empty
/// snapshot and delete the segments. Several quick restarts in a row give it every chance.
#[tokio::test]
async fn repeated_restarts_never_lose_the_state_to_the_start_up_compaction() {
    let dir = TempDir::new("restarts");
    let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    make_history(&http).await;
    let before = http.state().await;
    mock.shutdown().await;
    for restart in 0..5 {
        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        assert_eq!(http.state().await, before, "restart {restart}");
        mock.shutdown().await;
    }
}

/// Data dirs written by earlier builds, committed under `tests/fixtures/`, with what they must
/// recover to: the dump of every corp (`expected-dumps.json`), and, where the fixture has
/// them, other admin answers (`expected-answers.json`: path → body).
/// - `journal-v1`: the build before the mock's layers were regrouped (a snapshot and a journal
///   segment with events, corp puts, a delete and a restore).
/// - `journal-v2-json`: the last build with JSON records (format 2; made by its `make.sh`): a
///   snapshot and a segment with every record kind of that format (events of each kind,
///   welcome messages, a checkpoint, token revocations, a tenant, a deleted corp).
/// - `journal-v3-binary`: the last release before segments were allocated ahead (format 3: binary
///   records, no zero tail; made by its `make.sh`, which also writes the `expected-*.json`): the
///   same changes as `journal-v2-json`.
const EARLIER_DATA_DIRS: [(&str, &[&str]); 3] = [
    ("journal-v1", &["wwmock0000000001", "wwother0000000002"]),
    ("journal-v2-json", &["ww2479c9d5b2b0bac0", "wwmock0000000001", "wwother0000000002"]),
    ("journal-v3-binary", &["ww784cadffd693df53", "wwmock0000000001", "wwother0000000002"]),
];

#[tokio::test]
async fn data_dirs_written_by_earlier_builds_recover_to_the_same_dumps() {
    for (name, corpids) in EARLIER_DATA_DIRS {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
        let dir = TempDir::new(name);
        std::fs::create_dir_all(dir.path()).expect("temp dir");
        for entry in std::fs::read_dir(fixture.join("data")).expect("fixture data dir") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
        let expected: serde_json::Map<String, Value> =
            serde_json::from_slice(&std::fs::read(fixture.join("expected-dumps.json")).expect("expected dumps"))
                .expect("json");
        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        for (corpid, dump) in &expected {
            let dump = dump.as_str().expect("a dump is a string").replace("{public_url}", &mock.uri());
            let answer =
                http.client.get(format!("{}/__admin/corps/{corpid}", mock.uri())).send().await.expect("reachable");
            assert_eq!(answer.text().await.expect("body"), dump, "{name}: {corpid}");
        }
        let corps: Value = http
            .client
            .get(format!("{}/__admin/corps", mock.uri()))
            .send()
            .await
            .expect("up")
            .json()
            .await
            .expect("json");
        let ids: Vec<&str> =
            corps["corps"].as_array().expect("list").iter().filter_map(|c| c["corpid"].as_str()).collect();
        assert_eq!(ids, corpids, "{name}: the deleted corp stays deleted");
        // Other state, where the fixture lists it: admin GET paths and their answers.
        if let Ok(answers) = std::fs::read(fixture.join("expected-answers.json")) {
            let answers: serde_json::Map<String, Value> = serde_json::from_slice(&answers).expect("json");
            for (path, body) in &answers {
                let answer = http.client.get(format!("{}{path}", mock.uri())).send().await.expect("reachable");
                assert_eq!(answer.text().await.expect("body"), body.as_str().expect("a string"), "{name}: {path}");
            }
        }
        // Tokens, where the fixture lists them: the errcode a call with each gets, so a
        // revocation kept in the snapshot or the journal is seen to hold.
        if let Ok(tokens) = std::fs::read(fixture.join("expected-tokens.json")) {
            let tokens: serde_json::Map<String, Value> = serde_json::from_slice(&tokens).expect("json");
            for (token, errcode) in &tokens {
                let url = format!("{}/cgi-bin/externalcontact/get_follow_user_list?access_token={token}", mock.uri());
                let answer: Value = http.client.get(url).send().await.expect("reachable").json().await.expect("json");
                assert_eq!(&answer["errcode"], errcode, "{name}: a call with {token}");
            }
        }
        drop(mock);
    }
}

#[tokio::test]
async fn in_process_healthz_reports_a_failed_journal_as_over_http() {
    let dir = TempDir::new("full-in-process");
    let options = DataDir { fail_after_bytes: Some(4_000), ..data_dir(&dir) };
    let state = MockState::open(Settings::default(), Some(&options)).expect("opens");
    let query = format!("corpid={DEFAULT_CORPID}&corpsecret={DEFAULT_SECRET}");
    let (_, token) = state.handle("/cgi-bin/gettoken", &query, b"").await;
    let token: Value = serde_json::from_slice(&token).expect("JSON");
    let query = format!("access_token={}", token["access_token"].as_str().expect("a token"));
    let mut refused = false;
    for i in 0..200 {
        let body = add_body(&format!("s{i}")).to_string();
        let (_, answer) = state.handle("/cgi-bin/externalcontact/add_contact_way", &query, body.as_bytes()).await;
        let answer: Value = serde_json::from_slice(&answer).expect("JSON");
        if answer["errcode"] != 0 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the disk filled up");
    let (status, body) = state.handle("/healthz", "", b"").await;
    assert_eq!(status, 503);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body, json!({"status": "journal_failed", "version": env!("CARGO_PKG_VERSION")}));
}

async fn checkpoint_names(http: &Http, corpid: &str) -> Vec<String> {
    let (status, listed) = http.admin(Method::GET, &format!("/__admin/corps/{corpid}/checkpoints"), None).await;
    assert_eq!(status, 200, "{listed}");
    listed["checkpoints"].as_array().expect("a list").iter().map(|c| c["name"].as_str().unwrap_or("").into()).collect()
}

#[tokio::test]
async fn checkpoints_survive_restarts_and_restore_exactly_the_saved_state() {
    let dir = TempDir::new("checkpoints");
    let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    make_history(&http).await;
    let path = |corpid: &str, what: &str| format!("/__admin/corps/{corpid}/{what}");
    let http = &http;
    let save = |corpid: &str, name: &str| {
        let (path, body) = (path(corpid, "checkpoint"), json!({ "name": name }));
        async move { assert_eq!(http.admin(Method::POST, &path, Some(body)).await.0, 200) }
    };
    save(DEFAULT_CORPID, "seeded").await;
    let saved = http.state().await;
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let answer = http.call(Api::AddContactWay, &token, &add_body("after the checkpoint")).await.expect("add");
    assert_eq!(answer["errcode"], 0, "{answer}");
    // A checkpoint of a corp that is then deleted goes with it.
    assert_eq!(http.admin(Method::PUT, "/__admin/corps/wwdropped", Some(json!({"corpid":"wwdropped"}))).await.0, 200);
    save("wwdropped", "doomed").await;
    assert_eq!(http.admin(Method::DELETE, "/__admin/corps/wwdropped", None).await.0, 204);
    mock.shutdown().await;

    // Twice: the first start replays the journal (and compacts it), the second reads the snapshot.
    for life in ["journal", "snapshot"] {
        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        assert_eq!(checkpoint_names(&http, DEFAULT_CORPID).await, ["seeded"], "{life}");
        assert_eq!(
            http.admin(Method::PUT, "/__admin/corps/wwdropped", Some(json!({"corpid":"wwdropped"}))).await.0,
            200
        );
        assert!(checkpoint_names(&http, "wwdropped").await.is_empty(), "{life}: went with its corp");
        assert_eq!(http.admin(Method::DELETE, "/__admin/corps/wwdropped", None).await.0, 204);
        wait_for_snapshot(&dir, life).await;
        mock.shutdown().await;
    }
    let (_mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    let restore = http.admin(Method::POST, &path(DEFAULT_CORPID, "restore"), Some(json!({"name": "seeded"}))).await;
    assert_eq!(restore.0, 200, "{}", restore.1);
    assert_eq!(http.state().await, saved, "exactly the state at the checkpoint");
}

#[tokio::test]
async fn a_revocation_survives_restarts_through_the_journal_and_the_snapshot() {
    let dir = TempDir::new("revocation");
    let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
    let revoked = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let path = format!("/__admin/corps/{DEFAULT_CORPID}/tokens/revoke");
    let (status, _) = http.admin(Method::POST, &path, Some(json!({}))).await;
    assert!(status == 200 || status == 204);
    let kept = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    mock.shutdown().await;
    for life in ["journal", "snapshot"] {
        let (mock, http) = start(data_dir(&dir), Fixtures::default()).await;
        for (token, expected) in [(&revoked, 40014), (&kept, 0)] {
            let answer = http.call(Api::ListContactWay, token, &json!({})).await.expect("list");
            assert_eq!(answer["errcode"], expected, "{life}: {answer}");
        }
        wait_for_snapshot(&dir, life).await;
        mock.shutdown().await;
    }
}

/// Waits until the compaction every start with journal segments asks for has written its
/// snapshot (it runs in the background).
async fn wait_for_snapshot(dir: &TempDir, life: &str) {
    for _ in 0..200 {
        if !dir.files(".snap").is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{life}: no snapshot 5 s after a start with journal segments");
}
