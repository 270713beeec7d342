//! `wecom-conformance --base-url …` against a running `wecom-mock` binary: every case passes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `wecom-mock` binary next to this test's own target directory, built if it is missing.
fn mock_binary() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_wecom-conformance"));
    let path = exe.with_file_name(format!("wecom-mock{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "wecom-mock", "--bin", "wecom-mock"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cannot build wecom-mock");
    }
    path
}

/// Kills the mock when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_binary_passes_every_case_against_a_running_mock() {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let listen = format!("127.0.0.1:{port}");
    let _mock = Running(
        Command::new(mock_binary())
            .args(["--listen", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wecom-mock starts"),
    );
    // Wait until it accepts connections (bounded: the binary starts in milliseconds).
    let up = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        std::net::TcpStream::connect(&listen).is_ok()
    });
    assert!(up, "wecom-mock did not start listening on {listen}");
    let junit = std::env::temp_dir().join(format!("wecom-conformance-{port}.xml"));
    let output = Command::new(env!("CARGO_BIN_EXE_wecom-conformance"))
        .args(["--base-url", &format!("http://{listen}"), "--corpid", "wwmock0000000001", "--secret", "mock-secret"])
        .args(["--sequences", "40", "--junit"])
        .arg(&junit)
        .output()
        .expect("wecom-conformance runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    assert!(output.status.success(), "the report has failures:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let _ = std::fs::remove_file(&junit);
    assert!(xml.contains("<testsuites name=\"wecom-conformance\"") && xml.contains("failures=\"0\""), "{xml}");
}
