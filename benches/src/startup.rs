//! `wecom-bench startup`: how long `wecom-mock` takes from spawn to a healthy `/healthz`.
//!
//! Each run binds a free loopback port, spawns the binary on it (in memory, default corp), and
//! polls `GET /healthz` over a fresh connection every 200 µs until it answers 200. The time is
//! from just before the spawn to that answer: process start, fixtures, bind, first request.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Gives up on a start after this long.
const GIVE_UP: Duration = Duration::from_secs(10);

pub(crate) async fn run(mock_bin: Option<PathBuf>, runs: usize) -> Result<(), String> {
    let bin = match mock_bin {
        Some(bin) => bin,
        None => {
            std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?.with_file_name("wecom-mock")
        }
    };
    if !bin.exists() {
        return Err(format!("{} does not exist (build it: cargo build --release -p wecom-mock)", bin.display()));
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        times.push(once(&bin).await?);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    println!(
        "wecom-mock start-up to healthy over {} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        times.len(),
        ms(times[0]),
        ms(median),
        ms(times[times.len() - 1])
    );
    Ok(())
}

async fn once(bin: &PathBuf) -> Result<Duration, String> {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
        probe.local_addr().map_err(|e| e.to_string())?.port()
    };
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .arg("--listen")
        .arg(&addr)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let healthy = loop {
        if healthz(&addr).await {
            break Some(started.elapsed());
        }
        if started.elapsed() > GIVE_UP {
            break None;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    let _ = child.start_kill();
    let _ = child.wait().await;
    healthy.ok_or_else(|| format!("wecom-mock on {addr} was not healthy within {GIVE_UP:?}"))
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
