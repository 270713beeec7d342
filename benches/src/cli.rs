//! The command line: `run`, `baseline`, `startup`, `scale`, `compare`, `durable`, `mixes`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use wecom_bench::BenchError;
use wecom_bench::load::{self, Mix, Mode, RunOptions, Stop, Target};

/// Load a WeCom server and report throughput, latency percentiles, errcodes and CPU use.
#[derive(Debug, Parser)]
#[command(name = "wecom-bench", version, long_about = None)]
pub(crate) struct Cli {
    /// Runtime worker threads of the tool (default: half the CPUs, at least one, leaving the
    /// rest to a server on the same machine).
    #[arg(long, global = true, env = "WECOM_BENCH_THREADS")]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Drive a target with N concurrent workers and an op mix; print a report.
    Run(RunArgs),
    /// Serve the bare hyper baseline: a fixed get_contact_way-sized answer to every request.
    Baseline(BaselineArgs),
    /// Time `wecom-mock` from spawn to a healthy /healthz, several times.
    Startup(StartupArgs),
    /// Fill a corp with N configs and compare memory, get latency and a full list walk with a
    /// nearly empty corp.
    Scale(ScaleArgs),
    /// Measure the throughput targets as ratios in one run: the baseline, the mock's gets and
    /// adds through the raw loop and through wecom-client, interleaved over several rounds.
    Compare(CompareArgs),
    /// Measure what a data dir costs adds: in memory, --fsync always, everysec and never,
    /// interleaved over several rounds, with fsyncs per second and records per fsync.
    Durable(DurableArgs),
    /// Measure what the drift proxy (`wecom-mock --upstream`) adds to a call: gets one at a
    /// time, straight to a mock and through a proxy in front of it, interleaved over rounds.
    Proxy(ProxyArgs),
    /// List the op mixes.
    Mixes,
}

#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The wecom-mock binary (default: next to this one); two are started.
    #[arg(long)]
    mock_bin: Option<PathBuf>,
    /// Rounds, each running both cases (in alternating order).
    #[arg(long, default_value_t = 6)]
    rounds: usize,
    /// Calls per case and round.
    #[arg(long, default_value_t = 2000)]
    calls: usize,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct TargetArgs {
    /// Base URL of the target.
    #[arg(long, env = "WECOM_BENCH_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Corp id.
    #[arg(long, env = "WECOM_BENCH_CORPID", default_value = "wwmock0000000001")]
    corpid: String,
    /// Secret of an app with customer-contact permission.
    #[arg(long, env = "WECOM_BENCH_SECRET", default_value = "mock-secret", hide_env_values = true)]
    secret: String,
    /// The target's process id: its CPU and memory are reported beside the tool's.
    #[arg(long)]
    pid: Option<u32>,
}

impl TargetArgs {
    fn target(&self) -> Target {
        Target { url: self.url.clone(), corpid: self.corpid.clone(), secret: self.secret.clone() }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// `client` (wecom-client), `raw` (the same requests with bare reqwest) or `baseline` (the
    /// raw loop against `wecom-bench baseline`).
    #[arg(long, value_enum, default_value_t = Mode::Client)]
    mode: Mode,
    /// Concurrent workers (each has one request in flight).
    #[arg(short = 'c', long, default_value_t = 64)]
    concurrency: usize,
    /// How long to measure (`10s`, `500ms`, `2m`).
    #[arg(short = 'd', long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Stop after this many operations instead of after --duration.
    #[arg(short = 'n', long)]
    requests: Option<u64>,
    /// Unrecorded warm-up before measuring.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// A preset (`wecom-bench mixes`) or weights like `get=8,add=1,update=1`.
    #[arg(short = 'm', long, default_value = "read-heavy")]
    mix: String,
    /// Configs created at set-up for gets and updates.
    #[arg(long, default_value_t = 1000)]
    pool: usize,
    /// Open loop: this many ops per second in total (default: as fast as answers come).
    #[arg(long)]
    rate: Option<f64>,
    /// Write the report as JSON to this file (`-` for stdout, then the text goes to stderr).
    #[arg(long)]
    json: Option<PathBuf>,
    /// No progress line.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Seed of the op choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// The mock's base URL whose answer size to copy (its qr_code URLs are under it).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    public_url: String,
}

#[derive(Debug, Args)]
pub(crate) struct StartupArgs {
    /// The wecom-mock binary (default: next to this one).
    #[arg(long)]
    mock_bin: Option<PathBuf>,
    /// How many starts.
    #[arg(long, default_value_t = 10)]
    runs: usize,
    /// Also time restarts with this many configs in a data dir (e.g. 500000): filled over
    /// HTTP, then restarted from the journal, then from the compacted snapshot.
    #[arg(long)]
    configs: Option<usize>,
    /// Workers of that fill.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

#[derive(Debug, Args)]
pub(crate) struct ScaleArgs {
    /// The wecom-mock binary (default: next to this one); two are started.
    #[arg(long)]
    mock_bin: Option<PathBuf>,
    /// Configs in the full corp (the shared quota is 500 000).
    #[arg(long, default_value_t = wecom_types::limits::CONTACT_WAY_QUOTA as usize)]
    configs: usize,
    /// Configs in the nearly empty corp (gets need something to get).
    #[arg(long, default_value_t = 1000)]
    small: usize,
    /// How long each get round runs.
    #[arg(short = 'd', long, default_value = "3s", value_parser = parse_duration)]
    duration: Duration,
    /// Get rounds per corp, alternating small and full.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Concurrent workers of the fill.
    #[arg(short = 'c', long, default_value_t = 64)]
    concurrency: usize,
    /// Concurrent workers of the get rounds (1: a lookup's own latency, without queueing).
    #[arg(long, default_value_t = 1)]
    get_concurrency: usize,
    /// Full walks to time per corp.
    #[arg(long, default_value_t = 3)]
    walks: usize,
    /// `raw` or `client`.
    #[arg(long, value_enum, default_value_t = Mode::Raw)]
    mode: Mode,
    /// After the fill, read every config of the full corp this many times (RSS after each pass).
    #[arg(long, default_value_t = 1)]
    reads: usize,
    /// Write the result as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// What the interleaved suites (`compare`, `durable`) take alike.
#[derive(Debug, Args)]
pub(crate) struct SuiteArgs {
    /// The wecom-mock binary (default: next to this one).
    #[arg(long)]
    mock_bin: Option<PathBuf>,
    /// Rounds over all cases.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// How long each case runs per round.
    #[arg(short = 'd', long, default_value = "3s", value_parser = parse_duration)]
    duration: Duration,
    /// Concurrent workers (connections) in every case.
    #[arg(short = 'c', long, default_value_t = 64)]
    concurrency: usize,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// Write the result as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw throughput and p50 / p99 per case against the baseline as an SVG chart here.
    #[arg(long)]
    svg: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct DurableArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// `raw` (bare reqwest) or `client`.
    #[arg(long, value_enum, default_value_t = Mode::Raw)]
    mode: Mode,
    /// Write the result as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw throughput and p50 / p99 per case against the in-memory case as an SVG chart here.
    #[arg(long)]
    svg: Option<PathBuf>,
}

/// `10s`, `500ms`, `2m`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, BenchError> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number.trim().parse().map_err(|_| BenchError::Usage(format!("not a duration: {text}")))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(BenchError::Usage(format!("unknown unit `{unit}` (ms, s, m, h)"))),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| BenchError::Usage(format!("{text}: {e}")))
}

pub(crate) async fn execute(command: Command) -> Result<(), BenchError> {
    match command {
        Command::Run(args) => run(args).await,
        Command::Baseline(args) => baseline(args).await,
        Command::Startup(args) => {
            crate::startup::run(args.mock_bin.clone(), args.runs).await?;
            match args.configs {
                Some(configs) => crate::startup::restart(args.mock_bin, args.runs, configs, args.concurrency).await,
                None => Ok(()),
            }
        }
        Command::Scale(args) => scale(args).await,
        Command::Compare(args) => {
            let options = crate::compare::CompareOptions {
                mock_bin: args.suite.mock_bin,
                rounds: args.suite.rounds,
                duration: args.suite.duration,
                concurrency: args.suite.concurrency,
                svg: args.svg,
            };
            let report = crate::compare::run(&options).await?;
            emit(&report.text(), &report.json(), args.json.as_deref())
        }
        Command::Durable(args) => {
            let options = crate::durable::DurableOptions {
                mock_bin: args.suite.mock_bin,
                rounds: args.suite.rounds,
                duration: args.suite.duration,
                concurrency: args.suite.concurrency,
                mode: args.mode,
                svg: args.svg,
            };
            let report = crate::durable::run(&options).await?;
            emit(&report.text(), &report.json(), args.json.as_deref())
        }
        Command::Proxy(args) => {
            let options =
                crate::proxy::ProxyOptions { mock_bin: args.mock_bin, rounds: args.rounds, calls: args.calls };
            crate::proxy::run(options).await
        }
        Command::Mixes => {
            for (name, spec, what) in load::PRESETS {
                println!("{name:<12} {spec:<32} {what}");
            }
            Ok(())
        }
    }
}

async fn run(args: RunArgs) -> Result<(), BenchError> {
    let options = RunOptions {
        concurrency: args.concurrency,
        stop: args.requests.map_or(Stop::After(args.duration), Stop::Requests),
        warmup: args.warmup,
        mix: Mix::preset(&args.mix)?,
        pool: args.pool,
        rate: args.rate,
        progress: !args.quiet,
        target_pid: args.target.pid,
        seed: args.seed,
        ..RunOptions::new(args.target.target(), args.mode)
    };
    let report = load::run(&options).await?;
    emit(&report.text(), &report.json(), args.json.as_deref())
}

/// Prints the text, and the JSON where asked (`-`: stdout, the text then goes to stderr).
fn emit(text: &str, json: &str, to: Option<&std::path::Path>) -> Result<(), BenchError> {
    match to {
        Some(path) if path.as_os_str() == "-" => {
            eprint!("{text}");
            println!("{json}");
        }
        Some(path) => {
            print!("{text}");
            std::fs::write(path, json).map_err(|e| BenchError::io(format!("cannot write {}", path.display()), e))?;
        }
        None => print!("{text}"),
    }
    Ok(())
}

async fn baseline(args: BaselineArgs) -> Result<(), BenchError> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| BenchError::io(format!("cannot listen on {}", args.listen), e))?;
    let addr = listener.local_addr().map_err(|e| BenchError::io("the bound address", e))?;
    let body = wecom_bench::sample::get_contact_way_answer(args.public_url.trim_end_matches('/'));
    println!("wecom-bench baseline listening on http://{addr}, answering {} bytes to every request", body.len());
    wecom_bench::baseline::serve(listener, body.into(), shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
}

async fn scale(args: ScaleArgs) -> Result<(), BenchError> {
    let options = crate::scale::ScaleOptions {
        mock_bin: args.mock_bin,
        configs: args.configs,
        small: args.small,
        duration: args.duration,
        rounds: args.rounds,
        concurrency: args.concurrency,
        get_concurrency: args.get_concurrency,
        walks: args.walks,
        mode: args.mode,
        reads: args.reads,
    };
    let report = crate::scale::run(&options).await?;
    emit(&report.text(), &report.json(), args.json.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        let check =
            |text: &str, ms: u64| assert_eq!(parse_duration(text).ok(), Some(Duration::from_millis(ms)), "{text}");
        check("10s", 10_000);
        check("500ms", 500);
        check("2m", 120_000);
        check("3", 3_000);
        check("1.5s", 1_500);
        assert!(matches!(parse_duration("ten"), Err(BenchError::Usage(_))));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
