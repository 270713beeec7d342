//! The `wecom-mock` binary: it starts, prints a curl line that works, loads fixtures, and
//! exits 0 on SIGTERM after draining.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running binary and the lines it printed before serving.
struct Running {
    child: Child,
    banner: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        Running::start_with_env(args, &[])
    }

    /// Started with `args` and the environment variables `env`.
    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut banner = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("utf-8 line");
            let done = line.contains("add_contact_way");
            banner.push(line);
            if done {
                break;
            }
        }
        Running { child, banner }
    }

    fn base_url(&self) -> String {
        let first = self.banner.first().expect("a banner");
        first.rsplit(' ').next().expect("an address").to_owned()
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        self.child.wait().expect("the binary exits")
    }
}

#[tokio::test]
async fn the_printed_gettoken_line_works_when_pasted() {
    let running = Running::start(&[]);
    let line = running.banner.iter().find(|l| l.trim_start().starts_with("curl -s 'http")).expect("a curl line");
    let url = line.split('\'').nth(1).expect("a quoted URL");
    let answer: serde_json::Value = reqwest::get(url).await.expect("reachable").json().await.expect("json");
    assert_eq!(answer["errcode"], 0, "{answer}");
    assert!(running.banner.iter().any(|l| l.contains("wwmock0000000001") && l.contains("mock-secret")));
    assert!(running.terminate().success(), "SIGTERM exits 0");
}

#[tokio::test]
async fn fixtures_from_a_toml_file_replace_the_default_corp() {
    let dir = std::env::temp_dir().join(format!("wecom-mock-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("corps.toml");
    std::fs::write(
        &path,
        "[[corps]]\ncorpid = \"wwfromtoml\"\n[[corps.apps]]\nagentid = 7\nsecret = \"toml-secret\"\n",
    )
    .expect("write fixtures");
    let running = Running::start(&["--fixtures", path.to_str().expect("utf-8 path")]);
    let url = format!("{}/cgi-bin/gettoken?corpid=wwfromtoml&corpsecret=toml-secret", running.base_url());
    let answer: serde_json::Value = reqwest::get(&url).await.expect("reachable").json().await.expect("json");
    assert_eq!(answer["errcode"], 0, "{answer}");
    let corps: serde_json::Value = reqwest::get(format!("{}/__admin/corps", running.base_url()))
        .await
        .expect("reachable")
        .json()
        .await
        .expect("json");
    assert_eq!(corps["corps"].as_array().map(Vec::len), Some(1));
    assert!(running.terminate().success());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_broken_fixtures_file_is_refused_with_a_message() {
    let dir = std::env::temp_dir().join(format!("wecom-mock-bad-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("corps.json");
    std::fs::write(&path, r#"{"corps":[{"corpid":"ww1","memebers":[]}]}"#).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
        .args(["--listen", "127.0.0.1:0", "--fixtures", path.to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("memebers"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn the_shared_instance_flags_take_effect_from_the_environment() {
    // Every flag is also a variable: set them the way compose.yaml does.
    let env = [
        ("WECOM_MOCK_ADMIN_TOKEN", "op"),
        ("WECOM_MOCK_TENANT_SIGNUP", "open"),
        ("WECOM_MOCK_MAX_CORPS", "2"),
        ("WECOM_MOCK_TENANT_TTL", "1h"),
    ];
    let running = Running::start_with_env(&[], &env);
    let base = running.base_url();
    let http = reqwest::Client::new();
    let signup = || http.post(format!("{base}/__admin/tenants")).body("{}").send();
    let tenant: serde_json::Value = signup().await.expect("reachable").json().await.expect("json");
    assert!(tenant["admin_token"].is_string(), "open signup needs no token: {tenant}");
    let full = signup().await.expect("reachable");
    assert_eq!(full.status(), 409, "the default corp and one tenant are the two corps allowed");
    let listing = http.get(format!("{base}/__admin/corps")).send().await.expect("reachable");
    assert_eq!(listing.status(), 401, "the operator token is required for the rest");
    assert!(running.terminate().success());
}

#[test]
fn a_bad_tenant_ttl_is_a_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
        .args(["--listen", "127.0.0.1:0", "--tenant-ttl", "soon"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tenant-ttl"));
}

#[test]
fn version_prints_the_crate_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_wecom-mock")).arg("--version").output().expect("runs");
    assert!(output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(printed.trim(), concat!("wecom-mock ", env!("CARGO_PKG_VERSION")));
}

#[test]
fn bad_connection_limits_are_usage_errors() {
    for (flag, value) in [
        ("--header-timeout", "soon"),
        ("--idle-timeout", "-1s"),
        ("--body-timeout", "5 parsecs"),
        ("--max-connections", "0"),
        ("--max-connections", "many"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
            .args(["--listen", "127.0.0.1:0", &format!("{flag}={value}")])
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(flag), "{flag} {value}");
    }
}

#[test]
fn help_shows_the_connection_defaults() {
    let out = Command::new(env!("CARGO_BIN_EXE_wecom-mock")).arg("--help").output().expect("runs");
    let help = String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for shown in [
        "--header-timeout <HEADER_TIMEOUT>",
        "[env: WECOM_MOCK_HEADER_TIMEOUT=] [default: 30s]",
        "[env: WECOM_MOCK_IDLE_TIMEOUT=] [default: 75s]",
        "[env: WECOM_MOCK_BODY_TIMEOUT=] [default: 60s]",
        "[env: WECOM_MOCK_MAX_CONNECTIONS=]",
    ] {
        assert!(help.contains(shown), "{shown} in {help}");
    }
}

/// `wecom_mock_limit{limit="connections"}` of a running binary.
async fn connection_limit(running: &Running) -> u64 {
    let metrics = reqwest::get(format!("{}/metrics", running.base_url())).await.expect("reachable");
    let text = metrics.text().await.expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("wecom_mock_limit{limit=\"connections\"} "))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no connection limit in {text}"))
}

#[tokio::test]
async fn the_connection_cap_comes_from_the_flag_the_environment_or_the_open_file_limit() {
    // The child inherits this process's open-file limit, so its default is ours.
    let default = u64::try_from(wecom_mock::default_max_connections()).expect("fits");
    for (args, env, expected) in [
        (&["--max-connections", "7"][..], &[][..], 7),
        (&[][..], &[("WECOM_MOCK_MAX_CONNECTIONS", "9")][..], 9),
        (&[][..], &[][..], default),
    ] {
        let running = Running::start_with_env(args, env);
        assert_eq!(connection_limit(&running).await, expected, "{args:?} {env:?}");
        assert!(running.terminate().success());
    }
}

#[tokio::test]
async fn the_timeouts_come_from_the_environment() {
    use tokio::io::AsyncReadExt;
    let env =
        [("WECOM_MOCK_HEADER_TIMEOUT", "300ms"), ("WECOM_MOCK_IDLE_TIMEOUT", "0"), ("WECOM_MOCK_BODY_TIMEOUT", "1m")];
    let running = Running::start_with_env(&[], &env);
    let address = running.base_url().trim_start_matches("http://").to_owned();
    let mut silent = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(2), silent.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "closed by the 300 ms header timeout: {read:?}");
    let metrics = reqwest::get(format!("{}/metrics", running.base_url())).await.expect("reachable");
    let text = metrics.text().await.expect("text");
    assert!(text.contains("wecom_mock_connections_closed_total{reason=\"header_timeout\"} 1"), "{text}");
    assert!(running.terminate().success());
}

#[test]
fn the_first_line_names_every_interface_when_listening_on_all() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
        .args(["--listen", "0.0.0.0:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let first = BufReader::new(stdout).lines().next().expect("a line").expect("utf-8 line");
    let _ = child.kill();
    let _ = child.wait();
    let port = first.rsplit(':').next().expect("a port").trim_end_matches(')').to_owned();
    assert_eq!(
        first,
        format!(
            "wecom-mock listening on http://0.0.0.0:{port} (every interface; from this machine: http://127.0.0.1:{port})"
        )
    );
}

#[test]
fn logs_into_a_pipe_carry_no_colour_codes() {
    for format in ["text", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wecom-mock"))
            .args(["--listen", "127.0.0.1:0", "--log-format", format])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        for line in BufReader::new(stdout).lines() {
            if line.expect("utf-8 line").contains("add_contact_way") {
                break;
            }
        }
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        let output = child.wait_with_output().expect("the binary exits");
        let logs = String::from_utf8_lossy(&output.stderr);
        assert!(!logs.trim().is_empty(), "{format}: it logged something");
        assert!(!logs.contains('\u{1b}'), "{format}: {logs}");
    }
}

#[tokio::test]
async fn the_request_log_size_is_also_taken_under_its_former_name() {
    for flag in ["--request-log-size", "--journal-size"] {
        let running = Running::start(&[flag, "7"]);
        let metrics = reqwest::get(format!("{}/metrics", running.base_url()))
            .await
            .expect("reachable")
            .text()
            .await
            .expect("text");
        assert!(metrics.contains("wecom_mock_request_journal_capacity 7\n"), "{flag}");
        assert!(running.terminate().success());
    }
}
