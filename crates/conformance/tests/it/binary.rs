//! `wecom-conformance --base-url …` against a running `wecom-mock` binary: every case passes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `wecom-mock` binary next to this test's own target directory, built from this checkout
/// once per test run (cargo makes that a no-op when it is fresh; a binary merely present could be
/// a stale one from another revision).
fn mock_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = PathBuf::from(env!("CARGO_BIN_EXE_wecom-conformance"));
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args(["build", "-p", "wecom-mock", "--bin", "wecom-mock"])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "cannot build wecom-mock");
            exe.with_file_name(format!("wecom-mock{}", std::env::consts::EXE_SUFFIX))
        })
        .clone()
}

/// Kills the mock when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the `wecom-mock` binary on a free port with `args`; returns it and its address.
fn start_mock(args: &[&str]) -> (Running, String) {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let listen = format!("127.0.0.1:{port}");
    let mock = Running(
        Command::new(mock_binary())
            .args(["--listen", &listen])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wecom-mock starts"),
    );
    // Wait until it accepts connections (bounded at a minute: the binary starts in milliseconds, but CI may be busy).
    let up = (0..2400).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        std::net::TcpStream::connect(&listen).is_ok()
    });
    assert!(up, "wecom-mock did not start listening on {listen}");
    (mock, listen)
}

/// Runs `wecom-conformance` against `listen` with `extra` arguments: exit success and stdout.
fn conformance(listen: &str, extra: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wecom-conformance"))
        .args(["--base-url", &format!("http://{listen}"), "--corpid", "wwmock0000000001", "--secret", "mock-secret"])
        .args(extra)
        .output()
        .expect("wecom-conformance runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    eprintln!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    (output.status.success(), stdout)
}

#[test]
fn the_binary_passes_every_case_against_a_running_mock() {
    let (_mock, listen) = start_mock(&[]);
    let junit = std::env::temp_dir().join(format!("wecom-conformance-{}.xml", listen.replace([':', '.'], "-")));
    let junit_arg = junit.to_string_lossy().into_owned();
    let (ok, stdout) = conformance(&listen, &["--sequences", "40", "--junit", &junit_arg]);
    assert!(ok, "the report has failures:\n{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let _ = std::fs::remove_file(&junit);
    assert!(xml.contains("<testsuites name=\"wecom-conformance\"") && xml.contains("failures=\"0\""), "{xml}");
}

#[test]
fn without_the_control_surface_only_safe_cases_run_and_nothing_is_left_behind() {
    // A mock whose control surface wants a token the run does not have looks like any other
    // server: only the cases that need nothing but the WeCom paths run, in the given corp.
    let (_mock, listen) = start_mock(&["--admin-token", "only-the-test-knows"]);
    let (ok, stdout) = conformance(&listen, &[]);
    assert!(ok, "the report has failures:\n{stdout}");
    assert!(stdout.contains("control surface: no"), "{stdout}");
    assert!(stdout.contains("skip") && stdout.contains(" passed, 0 failed"), "{stdout}");
    // Every config the run created in the corp was deleted again.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let target = wecom_conformance::target::Target::new(format!("http://{listen}"))
        .with_admin_token(Some("only-the-test-knows".to_owned()));
    let dump = rt.block_on(target.dump("wwmock0000000001")).expect("the dump with the token");
    assert_eq!(dump["contact_ways"], serde_json::json!([]), "left behind: {dump}");
    assert_eq!(dump["join_ways"], serde_json::json!([]), "left behind: {dump}");
    assert_eq!(dump["quota"]["contact_ways_used"], 0, "{dump}");
}

#[test]
fn the_binary_prints_its_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_wecom-conformance")).arg("--version").output().expect("runs");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        concat!("wecom-conformance ", env!("CARGO_PKG_VERSION"))
    );
}

/// The drift proxy's report, read from the proxy itself.
fn drift_report(listen: &str) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        let response = reqwest::get(format!("http://{listen}/__admin/drift")).await.expect("the proxy answers");
        assert_eq!(response.status(), 200);
        response.json().await.expect("the report is JSON")
    })
}

#[test]
fn the_whole_run_through_a_drift_proxy_in_front_of_an_unchanged_mock_has_no_finding() {
    let (_upstream, upstream) = start_mock(&[]);
    let (_proxy, proxy) = start_mock(&["--upstream", &format!("http://{upstream}")]);
    // The suite steers the upstream mock through the proxy's forwarded /__admin paths.
    let (ok, stdout) = conformance(&proxy, &["--sequences", "20"]);
    assert!(ok, "the report has failures through the proxy:\n{stdout}");
    assert!(stdout.contains("control surface: yes; fault injection: yes"), "{stdout}");
    let report = drift_report(&proxy);
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
    assert!(report["exchanges"].as_u64().is_some_and(|n| n > 500), "{report}");
}
