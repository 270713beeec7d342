//! The crash test: the `wecom-mock` binary with a data dir, concurrent adds / updates /
//! deletes, `kill -9` at a random moment, a restart, and every change whose answer the client
//! received must be there (deletes stay deleted), with nothing half there.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use wecom_mock::fixtures::{DEFAULT_CORPID, DEFAULT_SECRET};
use wecom_types::Api;

use super::durability::{Http, TempDir};

/// The crash trials: seeds 1..=N (`WECOM_CRASH_TRIALS`, default 6), the fsync policy cycling
/// always ×4, everysec, never. A killed process loses nothing with any policy.
fn trials() -> Vec<(u64, &'static str)> {
    let n: u64 = std::env::var("WECOM_CRASH_TRIALS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    (1..=n)
        .map(|seed| (seed, ["always", "always", "always", "always", "everysec", "never"][(seed as usize - 1) % 6]))
        .collect()
}

/// A running `wecom-mock` binary.
pub(crate) struct Binary {
    pub(crate) child: Child,
    pub(crate) http: Http,
}

impl Drop for Binary {
    fn drop(&mut self) {
        // A failed assertion must not leave the server running (it holds the test's stderr).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    pub(crate) fn start(args: &[&str]) -> Binary {
        Binary::start_with(args, "warn", Stdio::inherit())
    }

    /// With a log filter and somewhere for the log to go.
    pub(crate) fn start_with(args: &[&str], rust_log: &str, stderr: Stdio) -> Binary {
        Binary::start_on("127.0.0.1:0", args, rust_log, stderr)
    }

    /// Listening on `listen` (an address with port 0).
    pub(crate) fn start_on(listen: &str, args: &[&str], rust_log: &str, stderr: Stdio) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
            .args(["--listen", listen])
            .args(args)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let base = first.strip_prefix("wecom-mock listening on ").unwrap_or_else(|| panic!("banner: {first}"));
        let http = Http::new(base.trim());
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Binary { child, http }
    }

    /// SIGTERM, then the exit status.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        self.child.wait().expect("the binary exits")
    }

    /// SIGKILL: no flush, no drain.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("kill -9");
        let _ = self.child.wait();
    }

    /// Memory the process holds, from /proc (kB), when available.
    pub(crate) fn rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// What the client knows about one config.
#[derive(Debug, Clone, Default)]
struct Known {
    /// The remark of the last acknowledged add or update.
    remark: String,
    /// An update sent whose answer never came.
    pending_remark: Option<String>,
    /// A delete was sent (its answer may not have come).
    delete_sent: bool,
    deleted: bool,
}

#[derive(Debug, Default)]
struct Ledger {
    configs: HashMap<String, Known>,
    /// Adds sent whose answer never came: at most this many unknown configs may exist.
    unanswered_adds: usize,
    acknowledged: usize,
    unexpected: Vec<String>,
    /// Corps put and deleted over the control surface: (last acknowledged "exists", op in flight).
    corps: HashMap<String, (bool, bool)>,
    /// Each corp's acknowledged checkpoint names (a delete drops them, a put keeps them).
    checkpoints: HashMap<String, BTreeSet<String>>,
    /// Tokens whose revocation was acknowledged: 40014 for good.
    revoked: Vec<(String, String)>,
}

/// One lifecycle operation of the control surface on a crash corp.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lifecycle {
    Put,
    Delete,
    Checkpoint,
    Revoke,
}

/// Puts and deletes a few corps, saves their checkpoints and revokes their tokens, while the
/// configs are being changed.
async fn lifecycle(http: Arc<Http>, ledger: Arc<Mutex<Ledger>>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for i in 0..10_000u32 {
        let corpid = format!("wwcrash{}", rng.random_range(0..4));
        let op = [Lifecycle::Put, Lifecycle::Put, Lifecycle::Put, Lifecycle::Delete, Lifecycle::Delete]
            .into_iter()
            .chain([Lifecycle::Checkpoint, Lifecycle::Checkpoint, Lifecycle::Revoke])
            .nth(rng.random_range(0..8))
            .unwrap_or(Lifecycle::Put);
        let path = format!("/__admin/corps/{corpid}");
        // A token to revoke, fetched before the revocation is in flight.
        let token = if op == Lifecycle::Revoke {
            let url = format!("{}{}?corpid={corpid}&corpsecret={DEFAULT_SECRET}", http.base, Api::GetToken.path());
            let Ok(answer) = http.client.get(url).send().await else { return };
            let Ok(answer) = answer.json::<Value>().await else { return };
            match answer["access_token"].as_str() {
                Some(token) => Some(token.to_owned()),
                None => continue,
            }
        } else {
            None
        };
        ledger.lock().expect("ledger").corps.entry(corpid.clone()).or_insert((false, false)).1 = true;
        let name = format!("c{}", rng.random_range(0..3));
        let answer = match op {
            Lifecycle::Put => {
                let body = json!({"corpid": corpid, "name": format!("v{i}")}).to_string();
                http.client.put(format!("{}{path}", http.base)).body(body).send().await
            }
            Lifecycle::Delete => http.client.delete(format!("{}{path}", http.base)).send().await,
            Lifecycle::Checkpoint => {
                let body = json!({ "name": name }).to_string();
                http.client.post(format!("{}{path}/checkpoint", http.base)).body(body).send().await
            }
            Lifecycle::Revoke => http.client.post(format!("{}{path}/tokens/revoke", http.base)).send().await,
        };
        let Ok(answer) = answer else { return };
        let status = answer.status().as_u16();
        let mut ledger = ledger.lock().expect("ledger");
        let entry = ledger.corps.entry(corpid.clone()).or_insert((false, false));
        match (op, status) {
            (Lifecycle::Put, 200) => *entry = (true, false),
            (Lifecycle::Delete, 204 | 404) => {
                *entry = (false, false);
                ledger.checkpoints.remove(&corpid);
            }
            (Lifecycle::Checkpoint, 200) => {
                entry.1 = false;
                ledger.checkpoints.entry(corpid).or_default().insert(name);
            }
            (Lifecycle::Checkpoint, 404) => entry.1 = false,
            (Lifecycle::Revoke, 200 | 204) => {
                entry.1 = false;
                ledger.revoked.extend(token.map(|token| (corpid, token)));
            }
            _ => {
                ledger.unexpected.push(format!("{op:?} {path}: {status}"));
                continue;
            }
        }
        ledger.acknowledged += 1;
    }
}

async fn worker(http: Arc<Http>, token: String, ledger: Arc<Mutex<Ledger>>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut mine: Vec<String> = Vec::new();
    for i in 0..10_000 {
        let pick: f64 = rng.random();
        if mine.len() < 3 || pick < 0.5 {
            let remark = format!("a{seed}-{i}");
            ledger.lock().expect("ledger").unanswered_adds += 1;
            let body = json!({"type":1,"scene":2,"user":["zhangsan"],"remark": remark});
            let Ok(answer) = http.call(Api::AddContactWay, &token, &body).await else { return };
            let mut ledger = ledger.lock().expect("ledger");
            ledger.unanswered_adds -= 1;
            match answer["config_id"].as_str() {
                Some(id) if answer["errcode"] == 0 => {
                    ledger.configs.insert(id.to_owned(), Known { remark, ..Known::default() });
                    ledger.acknowledged += 1;
                    mine.push(id.to_owned());
                }
                _ => ledger.unexpected.push(answer.to_string()),
            }
        } else if pick < 0.8 {
            let id = mine[rng.random_range(0..mine.len())].clone();
            let remark = format!("u{seed}-{i}");
            if let Some(known) = ledger.lock().expect("ledger").configs.get_mut(&id) {
                known.pending_remark = Some(remark.clone());
            }
            let body = json!({"config_id": id, "remark": remark});
            let Ok(answer) = http.call(Api::UpdateContactWay, &token, &body).await else { return };
            let mut ledger = ledger.lock().expect("ledger");
            if answer["errcode"] != 0 {
                ledger.unexpected.push(answer.to_string());
            }
            ledger.acknowledged += 1;
            if let Some(known) = ledger.configs.get_mut(&id) {
                known.remark = remark;
                known.pending_remark = None;
            }
        } else {
            let id = mine.swap_remove(rng.random_range(0..mine.len()));
            if let Some(known) = ledger.lock().expect("ledger").configs.get_mut(&id) {
                known.delete_sent = true;
            }
            let Ok(answer) = http.call(Api::DelContactWay, &token, &json!({"config_id": id})).await else { return };
            let mut ledger = ledger.lock().expect("ledger");
            if answer["errcode"] != 0 {
                ledger.unexpected.push(answer.to_string());
            }
            ledger.acknowledged += 1;
            if let Some(known) = ledger.configs.get_mut(&id) {
                known.deleted = true;
            }
        }
    }
}

/// One trial; returns (changes acknowledged, configs checked after the restart).
async fn trial(seed: u64, fsync: &str) -> (usize, usize) {
    let dir = TempDir::new(&format!("crash-{seed}"));
    let path = dir.path().to_str().expect("utf-8 path").to_owned();
    let args = ["--data-dir", path.as_str(), "--fsync", fsync, "--compact-bytes", "65536", "--seed", "3"];
    let binary = Binary::start(&args);
    let http = Arc::new(Http::new(binary.http.base.clone()));
    let token = http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let workers: Vec<_> = (0..16)
        .map(|w| tokio::spawn(worker(Arc::clone(&http), token.clone(), Arc::clone(&ledger), seed * 100 + w)))
        .chain([tokio::spawn(lifecycle(Arc::clone(&http), Arc::clone(&ledger), seed))])
        .collect();
    let kill_after = StdRng::seed_from_u64(seed).random_range(300..1200);
    tokio::time::sleep(Duration::from_millis(kill_after)).await;
    binary.kill();
    for w in workers {
        w.await.expect("worker");
    }
    let ledger = Arc::try_unwrap(ledger).expect("workers are done").into_inner().expect("ledger");
    assert!(ledger.unexpected.is_empty(), "seed {seed}: unexpected answers {:?}", ledger.unexpected);

    let binary = Binary::start(&args);
    let (status, dump) = binary.http.admin(Method::GET, &format!("/__admin/corps/{DEFAULT_CORPID}"), None).await;
    assert_eq!(status, 200, "{dump}");
    let present: HashMap<String, String> = dump["contact_ways"]
        .as_array()
        .expect("configs")
        .iter()
        .map(|c| (c["config_id"].as_str().unwrap_or_default().to_owned(), remark(c)))
        .collect();
    for (id, known) in &ledger.configs {
        let found = present.get(id);
        if known.deleted {
            assert!(found.is_none(), "seed {seed}: {id} was deleted (acknowledged) but is back");
            continue;
        }
        let Some(remark) = found else {
            assert!(known.delete_sent, "seed {seed}: {id} was acknowledged but is lost");
            continue;
        };
        let allowed = remark == &known.remark || known.pending_remark.as_ref() == Some(remark);
        assert!(allowed, "seed {seed}: {id} has remark {remark:?}, acknowledged {:?}", known.remark);
    }
    let unknown = present.keys().filter(|id| !ledger.configs.contains_key(*id)).count();
    assert!(unknown <= ledger.unanswered_adds, "seed {seed}: {unknown} configs nobody asked for");
    assert_eq!(
        dump["quota"]["contact_ways_used"].as_u64(),
        Some(present.len() as u64),
        "seed {seed}: the quota count matches the configs (no half-applied change)"
    );
    let (_, corps) = binary.http.admin(Method::GET, "/__admin/corps", None).await;
    let listed: Vec<&str> =
        corps["corps"].as_array().expect("corps").iter().filter_map(|c| c["corpid"].as_str()).collect();
    for (corpid, (exists, in_flight)) in &ledger.corps {
        if *in_flight {
            continue;
        }
        assert_eq!(listed.contains(&corpid.as_str()), *exists, "seed {seed}: corp {corpid} (acknowledged)");
        if *exists {
            let (_, saved) =
                binary.http.admin(Method::GET, &format!("/__admin/corps/{corpid}/checkpoints"), None).await;
            let names: BTreeSet<String> = saved["checkpoints"]
                .as_array()
                .expect("checkpoints")
                .iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect();
            let acknowledged = ledger.checkpoints.get(corpid).cloned().unwrap_or_default();
            assert_eq!(names, acknowledged, "seed {seed}: the checkpoints of {corpid}");
        }
    }
    for (corpid, token) in &ledger.revoked {
        let answer = binary.http.call(Api::ListContactWay, token, &json!({})).await.expect("list");
        assert_eq!(answer["errcode"], 40014, "seed {seed}: a token of {corpid} revoked before the kill: {answer}");
    }
    // The workers' token was issued before the kill: it lives its lifetime.
    let answer = binary.http.call(Api::ListContactWay, &token, &json!({})).await.expect("list");
    assert_eq!(answer["errcode"], 0, "seed {seed}: the token issued before the kill: {answer}");
    assert!(binary.terminate().success());
    (ledger.acknowledged, ledger.configs.len())
}

fn remark(config: &Value) -> String {
    config["remark"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_a_random_moment_loses_no_acknowledged_change() {
    let mut acknowledged = 0;
    let trials = trials();
    for &(seed, fsync) in &trials {
        let (acked, checked) = trial(seed, fsync).await;
        assert!(checked > 0, "seed {seed}: the load ran before the kill");
        acknowledged += acked;
    }
    eprintln!("crash test: {} trials, {acknowledged} acknowledged changes, all recovered", trials.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_flushes_so_no_policy_loses_anything() {
    for fsync in ["never", "everysec"] {
        let dir = TempDir::new("sigterm");
        let path = dir.path().to_str().expect("utf-8 path").to_owned();
        let args = ["--data-dir", path.as_str(), "--fsync", fsync];
        let binary = Binary::start(&args);
        let token = binary.http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        let mut ids = Vec::new();
        for i in 0..30 {
            let body = json!({"type":1,"scene":2,"user":["lisi"],"state": format!("t{i}")});
            let answer = binary.http.call(Api::AddContactWay, &token, &body).await.expect("add");
            ids.push(answer["config_id"].as_str().expect("id").to_owned());
        }
        assert!(binary.terminate().success(), "SIGTERM exits 0");

        let binary = Binary::start(&args);
        let token = binary.http.token(DEFAULT_CORPID, DEFAULT_SECRET).await;
        for id in &ids {
            let answer = binary.http.call(Api::GetContactWay, &token, &json!({"config_id": id})).await.expect("get");
            assert_eq!(answer["errcode"], 0, "{fsync}: {id} lost: {answer}");
        }
        assert!(binary.terminate().success());
    }
}
