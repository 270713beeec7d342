//! `wecom-mock`: the fake WeCom server as a program. `wecom-mock --help` lists every option;
//! each is also an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use tokio::net::TcpListener;
use wecom_mock::fixtures::{FixtureError, Fixtures};
use wecom_mock::{
    DEFAULT_COMPACT_BYTES, DataDir, FsyncPolicy, MockState, Settings, TenantSignup, Upstream, default_max_connections,
    timeout_or_off,
};

/// A stateful fake of the WeCom "Contact Me" / "Join Group" APIs.
#[derive(Debug, Parser)]
#[command(name = "wecom-mock", version, about, long_about = None)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "WECOM_MOCK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Corps to load instead of the default corp (JSON, or TOML when the name ends in .toml).
    #[arg(long, env = "WECOM_MOCK_FIXTURES")]
    fixtures: Option<PathBuf>,

    /// Be a drift proxy in front of this WeCom service (a staging mock, or
    /// https://qyapi.weixin.qq.com): every path but /healthz, /metrics, /__admin/openapi.json
    /// and /__admin/drift is forwarded unchanged, answers come back unchanged, and what the
    /// upstream answers differently from the mock is reported at GET /__admin/drift. Holds no
    /// WeCom state: --fixtures, --data-dir, --tenant-* and --seed are refused with it.
    #[arg(
        long,
        env = "WECOM_MOCK_UPSTREAM",
        conflicts_with_all = ["fixtures", "data_dir", "tenant_signup", "tenant_ttl", "seed"]
    )]
    upstream: Option<String>,

    /// With --upstream: answer 502 (errcode -1, `upstream unreachable: …`) when the upstream has
    /// not answered within this long, e.g. `10s`, `500ms`.
    #[arg(
        long,
        env = "WECOM_MOCK_UPSTREAM_TIMEOUT",
        default_value_t = Timeout(wecom_mock::DEFAULT_UPSTREAM_TIMEOUT),
        value_parser = positive_timeout
    )]
    upstream_timeout: Timeout,

    /// Base URL put in the qr_code URLs handed out (default: http://<listen address>).
    #[arg(long, env = "WECOM_MOCK_PUBLIC_URL")]
    public_url: Option<String>,

    /// Require `Authorization: Bearer <token>` on /__admin.
    #[arg(long, env = "WECOM_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,

    /// Seed for config ids and other draws, for reproducible runs (tokens always stay random).
    #[arg(long, env = "WECOM_MOCK_SEED")]
    seed: Option<u64>,

    /// Keep the state in this directory: every change is journaled before it is answered, and a
    /// restart recovers it. Fixtures load only into an empty data dir. Default: in memory.
    #[arg(long, env = "WECOM_MOCK_DATA_DIR")]
    data_dir: Option<PathBuf>,

    /// With --data-dir: fsync the journal before every answer (`always`, concurrent writers
    /// share one fsync), once a second (`everysec`: a machine crash loses at most the last
    /// second), or never (`never`: left to the OS). A killed process loses nothing with any.
    #[arg(long, env = "WECOM_MOCK_FSYNC", value_enum, default_value_t = Fsync::Always)]
    fsync: Fsync,

    /// With --data-dir: compact the journal into a snapshot once it has grown by this many bytes.
    #[arg(long, env = "WECOM_MOCK_COMPACT_BYTES", default_value_t = DEFAULT_COMPACT_BYTES)]
    compact_bytes: u64,

    /// Recent WeCom calls kept by the request log for `GET /__admin/requests` (method, path,
    /// corp, errcode, status, latency; never a token or a body); 0 turns it off, e.g. for load
    /// runs. `--journal-size` is its former name, still accepted.
    #[arg(
        long,
        visible_alias = "journal-size",
        env = "WECOM_MOCK_JOURNAL_SIZE",
        default_value_t = wecom_mock::api::DEFAULT_JOURNAL_SIZE
    )]
    request_log_size: usize,

    /// Who may create tenants (`POST /__admin/tenants`): `closed`, only the operator token (or
    /// anyone without --admin-token); `open`, anyone, e.g. other teams' CI jobs.
    #[arg(long, env = "WECOM_MOCK_TENANT_SIGNUP", value_enum, default_value_t = Signup::Closed)]
    tenant_signup: Signup,

    /// The most corps this server holds, fixtures and tenants together (a create beyond is
    /// 409 too_many_corps).
    #[arg(long, env = "WECOM_MOCK_MAX_CORPS", default_value_t = wecom_mock::DEFAULT_MAX_CORPS)]
    max_corps: usize,

    /// The most Contact Me and Join Group configs all corps hold together (an add beyond is
    /// refused with errcode 41045 naming this limit). See docs/OPERATIONS.md for the memory a
    /// limit implies.
    #[arg(long, env = "WECOM_MOCK_MAX_TOTAL_CONFIGS", default_value_t = wecom_mock::DEFAULT_MAX_TOTAL_CONFIGS)]
    max_total_configs: u64,

    /// Delete a tenant's corp once it has had no call (WeCom or admin) for this long, e.g. `24h`
    /// or `30m` (wall time, whatever the corp's virtual clock says). Default: never.
    #[arg(long, env = "WECOM_MOCK_TENANT_TTL", value_parser = humantime::parse_duration)]
    tenant_ttl: Option<std::time::Duration>,

    /// Close a connection whose request head has not arrived this long after it was opened (or
    /// after the head's first byte on a keep-alive connection), e.g. `500ms`, `30s`, `2m`; `0`
    /// turns it off.
    #[arg(long, env = "WECOM_MOCK_HEADER_TIMEOUT", default_value_t = Timeout(wecom_mock::DEFAULT_HEADER_TIMEOUT))]
    header_timeout: Timeout,

    /// Close a keep-alive connection that has sent no request for this long; `0` turns it off.
    #[arg(long, env = "WECOM_MOCK_IDLE_TIMEOUT", default_value_t = Timeout(wecom_mock::DEFAULT_IDLE_TIMEOUT))]
    idle_timeout: Timeout,

    /// Answer 408 and close the connection when a request body has not all arrived this long
    /// after its head; `0` turns it off.
    #[arg(long, env = "WECOM_MOCK_BODY_TIMEOUT", default_value_t = Timeout(wecom_mock::DEFAULT_BODY_TIMEOUT))]
    body_timeout: Timeout,

    /// The most client connections open at once; one beyond is answered 503
    /// too_many_connections and closed, those open keep working. Default: 80 % of the process's
    /// open-file limit (`ulimit -n`).
    #[arg(long, env = "WECOM_MOCK_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,

    /// Behind a reverse proxy: a call whose TCP peer is inside this CIDR block (or address) is
    /// judged, for the apps' `trusted_ips` (60020), by the last `X-Forwarded-For` entry
    /// instead of the peer. Default: never (the peer's address is used).
    #[arg(long, env = "WECOM_MOCK_TRUST_FORWARDED_FOR", value_parser = parse_proxies)]
    trust_forwarded_for: Option<ipnet::IpNet>,

    /// Log format on stderr (filter with RUST_LOG, default `info`).
    #[arg(long, env = "WECOM_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// A connection timeout on the command line: `500ms`, `30s`, `2m` (humantime), `0` for off;
/// shown in whole seconds (or milliseconds) as the defaults are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timeout(std::time::Duration);

impl std::str::FromStr for Timeout {
    type Err = humantime::DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(text).map(Timeout)
    }
}

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.subsec_nanos() == 0 {
            write!(f, "{}s", self.0.as_secs())
        } else {
            write!(f, "{}ms", self.0.as_millis())
        }
    }
}

/// `--tenant-signup`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Signup {
    Closed,
    Open,
}

impl From<Signup> for TenantSignup {
    fn from(signup: Signup) -> Self {
        match signup {
            Signup::Closed => TenantSignup::Closed,
            Signup::Open => TenantSignup::Open,
        }
    }
}

/// `--fsync`: the names of [`FsyncPolicy`] on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Fsync {
    Always,
    #[value(name = "everysec")]
    EverySec,
    Never,
}

impl From<Fsync> for FsyncPolicy {
    fn from(fsync: Fsync) -> Self {
        match fsync {
            Fsync::Always => FsyncPolicy::Always,
            Fsync::EverySec => FsyncPolicy::EverySec,
            Fsync::Never => FsyncPolicy::Never,
        }
    }
}

/// Why `--fixtures` could not be read.
#[derive(Debug, thiserror::Error)]
enum FixturesFileError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Toml { path: String, source: toml::de::Error },
    #[error("{path}: {source}")]
    Json { path: String, source: FixtureError },
}

/// Reads a fixtures file: TOML when its name ends in `.toml`, JSON otherwise.
fn load_fixtures(path: &std::path::Path) -> Result<Fixtures, FixturesFileError> {
    let shown = || path.display().to_string();
    let text = std::fs::read(path).map_err(|source| FixturesFileError::Read { path: shown(), source })?;
    if path.extension().is_some_and(|ext| ext == "toml") {
        let text = String::from_utf8_lossy(&text);
        toml::from_str(&text).map_err(|source| FixturesFileError::Toml { path: shown(), source })
    } else {
        Fixtures::from_json(&text).map_err(|source| FixturesFileError::Json { path: shown(), source })
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Exit 0 when the server at --listen answers /healthz (for container health checks).
    Healthcheck,
    /// Print the OpenAPI 3.1 document of every path the server serves (as `GET
    /// /__admin/openapi.json` answers it, and as `docs/openapi.json` holds it).
    Openapi,
}

/// Colour codes only for a person at a terminal: never in JSON, never into a pipe or a file
/// (`wecom-mock … | cat`, `docker logs`).
fn colours(format: LogFormat, stderr_is_terminal: bool) -> bool {
    format == LogFormat::Text && stderr_is_terminal
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = colours(format, std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The address clients should use for a listen address (0.0.0.0 is not dialable).
fn dial_address(listen: SocketAddr) -> SocketAddr {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    addr
}

async fn healthcheck(listen: SocketAddr) -> ExitCode {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = dial_address(listen);
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.0 200"))
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), probe).await {
        Ok(Ok(true)) => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// The first line names the address really bound; on every interface (`0.0.0.0`, the
/// container's default) it adds the URL to use from the same machine.
fn listening_line(bound: SocketAddr, base: &str) -> String {
    if bound.ip().is_unspecified() {
        format!("wecom-mock listening on http://{bound} (every interface; from this machine: {base})")
    } else {
        format!("wecom-mock listening on {base}")
    }
}

fn print_banner(state: &MockState, bound: SocketAddr, base: &str) {
    println!("{}", listening_line(bound, base));
    if let Some(upstream) = &state.settings.upstream {
        println!("drift proxy: forwarding to {} (findings: {base}/__admin/drift)", upstream.url());
        return;
    }
    let corps = state.control().corps().unwrap_or_default();
    for corp in &corps {
        let Some(app) = corp.apps.first() else { continue };
        println!("corp {} ({}): agentid {} secret {}", corp.corpid, corp.name, app.agentid, app.secret);
    }
    let Some(corp) = corps.into_iter().next() else { return };
    let Some(app) = corp.apps.first().cloned() else { return };
    let gettoken = format!("{base}/cgi-bin/gettoken?corpid={}&corpsecret={}", corp.corpid, app.secret);
    println!("try it:");
    println!("  curl -s '{gettoken}'");
    println!(
        "  TOKEN=$(curl -s '{gettoken}' | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/') && \\\n  \
         curl -s \"{base}/cgi-bin/externalcontact/add_contact_way?access_token=$TOKEN\" \
         -d '{{\"type\":1,\"scene\":2,\"user\":[\"zhangsan\"],\"state\":\"hello\"}}'"
    );
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a SIGTERM that arrives while the server is still starting must shut
/// it down cleanly too, not kill it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Some(Command::Healthcheck) => return healthcheck(args.listen).await,
        Some(Command::Openapi) => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            return match stdout.write_all(wecom_mock::openapi_document()).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("wecom-mock: cannot write the document: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        None => {}
    }
    init_logging(args.log_format);
    let fixtures = match &args.fixtures {
        Some(path) => match load_fixtures(path) {
            Ok(fixtures) => fixtures,
            Err(err) => {
                eprintln!("wecom-mock: {err}");
                return ExitCode::from(2);
            }
        },
        None => Fixtures::default(),
    };
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("wecom-mock: cannot listen on {}: {err}", args.listen);
            return ExitCode::from(2);
        }
    };
    let upstream = match &args.upstream {
        Some(url) => match Upstream::new(url, args.upstream_timeout.0) {
            Ok(upstream) => Some(upstream),
            Err(err) => {
                eprintln!("wecom-mock: {err}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let bound = listener.local_addr().unwrap_or(args.listen);
    let base = format!("http://{}", dial_address(bound));
    let settings = Settings {
        public_url: args.public_url.clone().unwrap_or_else(|| base.clone()).trim_end_matches('/').to_owned(),
        admin_token: args.admin_token.clone(),
        seed: args.seed,
        fixtures,
        request_log_size: Some(args.request_log_size),
        tenant_signup: args.tenant_signup.into(),
        max_corps: args.max_corps,
        max_total_configs: args.max_total_configs,
        tenant_ttl: args.tenant_ttl,
        header_timeout: timeout_or_off(args.header_timeout.0),
        idle_timeout: timeout_or_off(args.idle_timeout.0),
        body_timeout: timeout_or_off(args.body_timeout.0),
        max_connections: args
            .max_connections
            .map_or_else(default_max_connections, |max| usize::try_from(max).unwrap_or(usize::MAX)),
        trust_forwarded_for: args.trust_forwarded_for,
        upstream,
    };
    let data_dir = args.data_dir.as_ref().map(|path| DataDir {
        fsync: args.fsync.into(),
        compact_bytes: args.compact_bytes,
        ..DataDir::new(path)
    });
    let state = match MockState::open(settings, data_dir.as_ref()) {
        Ok(state) => Arc::new(state),
        Err(err) => {
            eprintln!("wecom-mock: {err}");
            return ExitCode::from(2);
        }
    };
    let shutdown = shutdown_signal();
    print_banner(&state, bound, &base);
    wecom_mock::serve(listener, Arc::clone(&state), shutdown).await;
    if state.journal_failed() {
        // Some changes were refused: say so to whoever restarts us.
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `--upstream-timeout`: a duration above zero.
fn positive_timeout(value: &str) -> Result<Timeout, String> {
    match humantime::parse_duration(value) {
        Ok(duration) if !duration.is_zero() => Ok(Timeout(duration)),
        Ok(_) => Err("the upstream needs some time to answer: give a duration above zero, e.g. `10s`".to_owned()),
        Err(err) => Err(format!("`{value}` is not a duration (e.g. `10s`, `500ms`): {err}")),
    }
}

/// `--trust-forwarded-for`: a CIDR block, or one address.
fn parse_proxies(value: &str) -> Result<ipnet::IpNet, String> {
    wecom_mock::fixtures::parse_trusted(value)
        .ok_or_else(|| format!("`{value}` is not an IPv4 or IPv6 address or CIDR block (e.g. 10.0.0.0/8)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_only_for_text_logs_on_a_terminal() {
        let cases = [
            (LogFormat::Text, true, true),
            (LogFormat::Text, false, false),
            (LogFormat::Json, true, false),
            (LogFormat::Json, false, false),
        ];
        for (format, terminal, expected) in cases {
            assert_eq!(colours(format, terminal), expected, "{format:?}, terminal: {terminal}");
        }
    }
}
