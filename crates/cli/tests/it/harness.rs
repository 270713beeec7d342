//! An embedded mock on a random port, a scratch folder, and the `wecom` binary pointed at both.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::Value;
use tempfile::TempDir;
use tokio::runtime::Runtime;
use wecom_client::{Client, RetryPolicy};
use wecom_mock::api::{ContactWayDump, CorpDump};
use wecom_mock::{MockServer, MockServerBuilder};
use wecom_types::api::{AddContactWay, ContactWay};

/// Every variable `wecom` reads, so that the caller's environment never leaks into a test.
const WECOM_VARIABLES: [&str; 18] = [
    "WECOM_BASE_URL",
    "WECOM_CORPID",
    "WECOM_SECRET",
    "WECOM_TIMEOUT",
    "WECOM_MAX_RETRIES",
    "WECOM_LEDGER",
    "WECOM_QUIET",
    "WECOM_FORMAT",
    "WECOM_OUTPUT",
    "WECOM_CONCURRENCY",
    "WECOM_TOP",
    "WECOM_PRUNE_STATE_PREFIX",
    "WECOM_PRUNE_USER",
    "WECOM_PRUNE_CREATED_BEFORE",
    "WECOM_PRUNE_BACKUP",
    "WECOM_RECONCILE_SLACK",
    "WECOM_MOCK_TOOLS",
    "WECOM_MOCK_ADMIN_TOKEN",
];

pub(crate) struct Harness {
    pub(crate) mock: MockServer,
    runtime: Option<Runtime>,
    pub(crate) dir: TempDir,
}

impl Harness {
    /// The default corp, on a runtime of its own so that a test can block on the binary.
    pub(crate) fn start() -> Harness {
        Harness::start_with(|builder| builder)
    }

    /// The default corp on a mock configured by `configure` (an admin token, …).
    pub(crate) fn start_with(configure: impl FnOnce(MockServerBuilder) -> MockServerBuilder) -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the mock");
        let mock = runtime.block_on(configure(MockServer::builder()).start());
        let dir = tempfile::tempdir().expect("a scratch folder");
        Harness { mock, runtime: Some(runtime), dir }
    }

    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().expect("running").block_on(future)
    }

    pub(crate) fn ledger_path(&self) -> PathBuf {
        self.dir.path().join("ledger.redb")
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `wecom` configured through its environment variables, run in the scratch folder.
    pub(crate) fn std_command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wecom"));
        for variable in WECOM_VARIABLES {
            command.env_remove(variable);
        }
        command
            .env("WECOM_BASE_URL", self.mock.uri())
            .env("WECOM_CORPID", self.mock.corpid())
            .env("WECOM_SECRET", self.mock.secret())
            .env("WECOM_LEDGER", self.ledger_path())
            .current_dir(self.dir.path());
        command
    }

    /// Runs `wecom ARGS` to the end.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run(self.std_command().args(args).output().expect("wecom runs"))
    }

    /// Runs `wecom` with the arguments written as one line, split at whitespace (for
    /// argument lists where no argument has a space in it).
    pub(crate) fn run_words(&self, line: &str) -> Run {
        self.run(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// Runs `wecom ARGS` with `stdin` as its standard input.
    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let output = assert_cmd::Command::from_std(self.std_command())
            .args(args)
            .write_stdin(stdin.to_owned())
            .output()
            .expect("wecom runs");
        Run(output)
    }

    /// A client of the default corp, with quick retries.
    pub(crate) fn client(&self) -> Client {
        let policy = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
        Client::builder(self.mock.corpid(), self.mock.secret())
            .base_url(self.mock.uri())
            .retry_policy(policy)
            .build()
            .expect("a client")
    }

    /// Creates `count` configs straight through the client (not the CLI, not the ledger).
    pub(crate) fn seed(&self, count: usize, make: impl Fn(usize) -> AddContactWay) -> Vec<String> {
        let client = self.client();
        let requests: Vec<AddContactWay> = (0..count).map(make).collect();
        self.block_on(async {
            stream::iter(requests)
                .map(|req| {
                    let client = client.clone();
                    async move { client.add_contact_way(&req).await.map(|created| created.config_id) }
                })
                .buffer_unordered(32)
                .try_collect()
                .await
                .expect("seeding")
        })
    }

    pub(crate) fn dump(&self) -> CorpDump {
        self.mock.control().dump(self.mock.corpid()).expect("the default corp")
    }

    /// The Contact Me configs of the dump as `get_contact_way` shows them.
    pub(crate) fn dumped_ways(&self) -> Vec<ContactWay> {
        self.dump().contact_ways.into_iter().map(|ContactWayDump { contact_way, .. }| contact_way).collect()
    }

    pub(crate) fn get(&self, config_id: &str) -> ContactWay {
        self.block_on(self.client().get_contact_way(config_id)).expect("the config exists")
    }

    /// Waits (bounded) until `done` holds.
    pub(crate) fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let started = Instant::now();
        while !done() {
            assert!(started.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Delayed answers may still be pending: do not wait for them.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A finished run of `wecom`.
pub(crate) struct Run(pub(crate) Output);

impl Run {
    pub(crate) fn code(&self) -> i32 {
        self.0.status.code().expect("exited, not killed")
    }

    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Asserts the exit status, showing both streams when it differs.
    #[track_caller]
    pub(crate) fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code(), code, "exit status\nstdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }

    /// stdout as JSON lines.
    pub(crate) fn lines(&self) -> Vec<Value> {
        json_lines(&self.stdout())
    }

    /// stdout as one JSON value.
    pub(crate) fn json(&self) -> Value {
        let lines = self.lines();
        assert_eq!(lines.len(), 1, "one answer expected:\n{}", self.stdout());
        lines.into_iter().next().unwrap_or_default()
    }
}

pub(crate) fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}")))
        .collect()
}

pub(crate) fn read_lines(path: &Path) -> Vec<Value> {
    json_lines(&std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display())))
}

pub(crate) fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).expect("writes");
    path.display().to_string()
}
