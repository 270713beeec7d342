//! Spawning `wecom-mock` and timing it to healthy (`wecom-bench startup`; `scale` uses the same
//! spawn).
//!
//! A start binds a free loopback port, spawns the binary on it (in memory, default corp), and
//! polls `GET /healthz` over a fresh connection every 200 µs until it answers 200. Its time is
//! from just before the spawn to that answer: process start, fixtures, bind, first request.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wecom_bench::BenchError;

/// Gives up on a start after this long.
const GIVE_UP: Duration = Duration::from_secs(10);

/// A running mock; killed when dropped.
pub(crate) struct Spawned {
    child: tokio::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub pid: Option<u32>,
    /// From spawn to healthy.
    pub ready: Duration,
}

impl Spawned {
    pub(crate) async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// The given binary, or `wecom-mock` next to this one.
pub(crate) fn mock_bin(given: Option<PathBuf>) -> Result<PathBuf, BenchError> {
    let bin = match given {
        Some(bin) => bin,
        None => std::env::current_exe()
            .map_err(|e| BenchError::io("cannot find this binary", e))?
            .with_file_name("wecom-mock"),
    };
    if bin.exists() {
        Ok(bin)
    } else {
        Err(BenchError::Mock(format!(
            "{} does not exist (build it: cargo build --release -p wecom-mock)",
            bin.display()
        )))
    }
}

/// Starts the mock on a free port and waits until it is healthy.
pub(crate) async fn spawn(bin: &Path) -> Result<Spawned, BenchError> {
    spawn_with(bin, &[]).await
}

/// Starts `bin ARGS --listen 127.0.0.1:PORT` on a free port and waits until `/healthz` answers.
pub(crate) async fn spawn_with(bin: &Path, args: &[&str]) -> Result<Spawned, BenchError> {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| BenchError::io("no free port", e))?;
        probe.local_addr().map_err(|e| BenchError::io("no free port", e))?.port()
    };
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .args(args)
        .arg("--listen")
        .arg(&addr)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BenchError::io(format!("cannot start {}", bin.display()), e))?;
    loop {
        if healthz(&addr).await {
            let ready = started.elapsed();
            let pid = child.id();
            return Ok(Spawned { child, url: format!("http://{addr}"), pid, ready });
        }
        if started.elapsed() > GIVE_UP {
            let _ = child.start_kill();
            return Err(BenchError::Mock(format!("{} on {addr} was not healthy within {GIVE_UP:?}", bin.display())));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

async fn healthz(addr: &str) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return false };
    if stream.write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.0 200")
}

/// `wecom-bench startup`.
pub(crate) async fn run(mock_bin: Option<PathBuf>, runs: usize) -> Result<(), BenchError> {
    let bin = self::mock_bin(mock_bin)?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let spawned = spawn(&bin).await?;
        times.push(spawned.ready);
        spawned.stop().await;
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (first, last) = (times.first().copied().unwrap_or_default(), times.last().copied().unwrap_or_default());
    println!(
        "wecom-mock start-up to healthy over {} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        times.len(),
        ms(first),
        ms(times.get(times.len() / 2).copied().unwrap_or_default()),
        ms(last)
    );
    if let Some([one, five, fifteen]) = wecom_bench::sys::load_average() {
        println!("load avg {one:.2} {five:.2} {fifteen:.2}");
    }
    Ok(())
}
