//! Spawning `wecom-mock` and timing it to healthy (`wecom-bench startup`; `scale` uses the same
//! spawn).
//!
//! A start binds a free loopback port, spawns the binary on it (in memory, default corp), and
//! polls `GET /healthz` over a fresh connection every 200 µs until it answers 200. Its time is
//! from just before the spawn to that answer: process start, fixtures, bind, first request.
//!
//! With `--configs N` it also times restarts with a data dir of N configs ([`restart`]): the
//! data dir is filled over HTTP (`--fsync never`), then the mock is restarted from the journal
//! alone (which it compacts into a snapshot in the background), and then `--runs` times from
//! the snapshot. It reports the snapshot's size against the RSS the configs took.

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

/// How long the fill's compaction is waited for at most.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(120);

/// The data dir's files whose names start with `prefix`, and their total size.
fn files(dir: &Path, prefix: &str) -> (usize, u64) {
    let Ok(entries) = std::fs::read_dir(dir) else { return (0, 0) };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|name| name.starts_with(prefix)))
        .filter_map(|e| e.metadata().ok())
        .fold((0, 0), |(n, bytes), m| (n + 1, bytes + m.len()))
}

/// `wecom-bench startup --configs N`: restarts with N configs in the data dir.
pub(crate) async fn restart(
    mock_bin: Option<PathBuf>,
    runs: usize,
    configs: usize,
    concurrency: usize,
) -> Result<(), BenchError> {
    use wecom_bench::sys::process_memory;
    let bin = self::mock_bin(mock_bin)?;
    let dir = std::env::temp_dir().join(format!("wecom-bench-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_string_lossy().into_owned();
    // No compaction during the fill: the first restart replays the whole journal.
    let args = ["--data-dir", dir_arg.as_str(), "--fsync", "never", "--compact-bytes", "100000000000"];
    let mock = spawn_with(&bin, &args).await?;
    let before = mock.pid.and_then(process_memory);
    eprintln!("startup: adding {configs} configs to {} (data dir {dir_arg})", mock.url);
    let filled = Instant::now();
    let ids = wecom_bench::load::fill(
        &wecom_bench::load::Target::mock(&mock.url),
        wecom_bench::load::Mode::Raw,
        configs,
        concurrency,
    )
    .await?;
    let fill_secs = filled.elapsed().as_secs_f64();
    let after = mock.pid.and_then(process_memory);
    // What the records take: the segments' files also hold the space allocated ahead of them,
    // which a kill leaves (the next start trims it).
    let scraped = crate::metrics::scrape(&reqwest::Client::new(), &mock.url).await;
    let journal_bytes = match scraped.ok().and_then(|text| crate::metrics::value(&text, "wecom_mock_journal_bytes")) {
        Some(bytes) => bytes as u64,
        None => files(&dir, "wal-").1,
    };
    // Every add was acknowledged, so written: a kill loses none of them.
    mock.stop().await;
    let from_journal = spawn_with(&bin, &args).await?;
    let journal_ready = from_journal.ready;
    let waited = Instant::now();
    while files(&dir, "snap-").0 == 0 || files(&dir, "wal-").0 > 1 {
        if waited.elapsed() > SNAPSHOT_WAIT {
            return Err(BenchError::Mock(format!("no snapshot in {dir_arg} within {SNAPSHOT_WAIT:?}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    from_journal.stop().await;
    let (_, snapshot_bytes) = files(&dir, "snap-");
    let mut times = Vec::with_capacity(runs);
    let mut rss_after_restart = None;
    for _ in 0..runs.max(1) {
        let spawned = spawn_with(&bin, &args).await?;
        times.push(spawned.ready);
        rss_after_restart = spawned.pid.and_then(process_memory);
        spawned.stop().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{} configs added in {fill_secs:.1} s ({:.0} adds/s); journal {:.1} MiB",
        ids.len(),
        ids.len() as f64 / fill_secs.max(1e-9),
        mib(journal_bytes)
    );
    println!("restart from the journal alone: {:.0} ms to healthy", ms(journal_ready));
    println!(
        "restart from the snapshot over {} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        times.len(),
        ms(times.first().copied().unwrap_or_default()),
        ms(times.get(times.len() / 2).copied().unwrap_or_default()),
        ms(times.last().copied().unwrap_or_default())
    );
    if let (Some(before), Some(after)) = (before, after) {
        let configs_kib = after.rss_kib.saturating_sub(before.rss_kib);
        let configs_bytes = configs_kib * 1024;
        println!(
            "snapshot {:.1} MiB; RSS the configs take {:.1} MiB (RSS {:.1} → {:.1} MiB); snapshot / that RSS {:.2}",
            mib(snapshot_bytes),
            mib(configs_bytes),
            before.rss_mib(),
            after.rss_mib(),
            snapshot_bytes as f64 / configs_bytes.max(1) as f64
        );
    }
    if let Some(restarted) = rss_after_restart {
        println!("RSS right after a restart from the snapshot: {:.1} MiB", restarted.rss_mib());
    }
    if let Some([one, five, fifteen]) = wecom_bench::sys::load_average() {
        println!("load avg {one:.2} {five:.2} {fifteen:.2}");
    }
    Ok(())
}
