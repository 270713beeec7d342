//! The load tool's engine: set up, drive N concurrent workers with an op mix, report.
//!
//! A run has three phases. **Set-up** creates the pool of configs that gets and updates work on
//! (through the same mode as the run). **Warm-up** runs the workload unrecorded so that every
//! connection is open and every cache warm. **Measurement** runs it for the duration or request
//! count, each worker recording into its own histograms; the tool's CPU (getrusage) and, with
//! `target_pid`, the target's CPU and memory are read at its start and end.

mod backend;
mod mix;
mod progress;
mod report;
mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wecom_types::api::ListContactWay;

pub use backend::Mode;
pub use mix::{Mix, Op, PRESETS};
pub use report::{CpuReport, OpReport, Report, WalkReport};
pub use stats::{Latency, Stats};

use crate::BenchError;
use backend::{Backend, Call, Reply};

/// The server to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Base URL (`http://127.0.0.1:8080`).
    pub url: String,
    /// The corp.
    pub corpid: String,
    /// The secret of an app with customer-contact permission.
    pub secret: String,
}

impl Target {
    /// A mock at `url` with its default corp.
    pub fn mock(url: &str) -> Target {
        Target { url: url.to_owned(), corpid: "wwmock0000000001".to_owned(), secret: "mock-secret".to_owned() }
    }
}

/// When the measurement ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this long.
    After(Duration),
    /// After this many operations (a walk counts as one).
    Requests(u64),
}

/// Everything a run is configured with.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The server.
    pub target: Target,
    /// Which code path sends the requests.
    pub mode: Mode,
    /// Concurrent workers, each with at most one request in flight.
    pub concurrency: usize,
    /// When to stop.
    pub stop: Stop,
    /// Unrecorded warm-up before the measurement.
    pub warmup: Duration,
    /// What to send.
    pub mix: Mix,
    /// Configs created at set-up for gets and updates.
    pub pool: usize,
    /// Existing configs for gets and updates instead of creating a pool (the scale run gets
    /// from every config of a full corp).
    pub pool_ids: Option<Arc<Vec<String>>>,
    /// Open loop: this many operations per second in total. Workers wait for their slot; a
    /// request sent more than 2 ms after its slot (the tool fell behind a slow server) counts
    /// its latency from the slot, so a slow server is not hidden. `None`: as fast as answers
    /// come (closed loop).
    pub rate: Option<f64>,
    /// A progress line on stderr once a second.
    pub progress: bool,
    /// The target's process id, to report its CPU and memory beside the tool's.
    pub target_pid: Option<u32>,
    /// Seed of the op choices.
    pub seed: u64,
}

impl RunOptions {
    /// Defaults: 64 workers for 10 s after 1 s of warm-up, `get-only`, a pool of 1000.
    pub fn new(target: Target, mode: Mode) -> RunOptions {
        RunOptions {
            target,
            mode,
            concurrency: 64,
            stop: Stop::After(Duration::from_secs(10)),
            warmup: Duration::from_secs(1),
            mix: Mix { name: "get-only".to_owned(), weights: vec![(Op::Get, 1)] },
            pool: 1000,
            pool_ids: None,
            rate: None,
            progress: false,
            target_pid: None,
            seed: 1,
        }
    }
}

/// How late a timer may wake before an open-loop request counts from its slot.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// What the workers share.
struct Shared {
    backend: Backend,
    mix: Mix,
    baseline: bool,
    pool: Arc<Vec<String>>,
    /// Operations started, for the request budget and the progress line.
    started: AtomicU64,
    done: AtomicU64,
    budget: Option<u64>,
    deadline: Option<Instant>,
    stop: AtomicBool,
    /// Each worker's gap between slots in an open-loop run.
    interval: Option<Duration>,
    record: bool,
}

impl Shared {
    /// Whether the worker may start one more operation.
    fn take_ticket(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        if self.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return false;
        }
        let n = self.started.fetch_add(1, Ordering::Relaxed);
        self.budget.is_none_or(|budget| n < budget)
    }
}

/// Runs the set-up, the warm-up and the measurement, and reports.
pub async fn run(options: &RunOptions) -> Result<Report, BenchError> {
    if options.concurrency == 0 {
        return Err(BenchError::Usage("concurrency must be at least 1".to_owned()));
    }
    let target = &options.target;
    let backend = Backend::connect(options.mode, &target.url, &target.corpid, &target.secret).await?;
    let baseline = options.mode == Mode::Baseline;

    let setup_started = Instant::now();
    let pool = match &options.pool_ids {
        Some(ids) => Arc::clone(ids),
        None if options.mix.needs_pool() && !baseline => {
            Arc::new(create_pool(&backend, options.pool, options.concurrency.min(32)).await?)
        }
        None => Arc::new(Vec::new()),
    };
    let setup = setup_started.elapsed();

    let interval =
        options.rate.filter(|r| *r > 0.0).map(|rate| Duration::from_secs_f64(options.concurrency as f64 / rate));
    let shared = |stop: Stop, record: bool, pool: Arc<Vec<String>>| Shared {
        backend: backend.clone(),
        mix: options.mix.clone(),
        baseline,
        pool,
        started: AtomicU64::new(0),
        done: AtomicU64::new(0),
        budget: match stop {
            Stop::Requests(n) => Some(n),
            Stop::After(_) => None,
        },
        deadline: match stop {
            Stop::After(d) => Some(Instant::now() + d),
            Stop::Requests(_) => None,
        },
        stop: AtomicBool::new(false),
        interval,
        record,
    };
    if !options.warmup.is_zero() {
        let warm = Arc::new(shared(Stop::After(options.warmup), false, pool.clone()));
        drive(&warm, options.concurrency, options.seed ^ 0x5eed, None).await;
    }

    let measured = Arc::new(shared(options.stop, true, pool));
    let target_cpu_before = options.target_pid.and_then(crate::sys::process_cpu);
    let cpu_before = crate::sys::self_cpu();
    let started = Instant::now();
    let progress = options.progress.then(|| progress::spawn(Arc::clone(&measured), options.stop));
    let stats = drive(&measured, options.concurrency, options.seed, progress).await;
    let elapsed = started.elapsed();
    let cpu = crate::sys::self_cpu().since(&cpu_before);
    let target_cpu = match (options.target_pid.and_then(crate::sys::process_cpu), target_cpu_before) {
        (Some(after), Some(before)) => Some(after.since(&before)),
        _ => None,
    };
    let target_memory = options.target_pid.and_then(crate::sys::process_memory);
    Ok(Report::new(options, setup, elapsed, &stats, cpu, target_cpu, target_memory))
}

/// Runs the workers to the end and merges what they recorded.
async fn drive(shared: &Arc<Shared>, concurrency: usize, seed: u64, progress: Option<progress::Progress>) -> Stats {
    let workers: Vec<_> = (0..concurrency)
        .map(|i| {
            let shared = Arc::clone(shared);
            tokio::spawn(worker(shared, seed.wrapping_add(i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        })
        .collect();
    let mut total = Stats::default();
    for worker in workers {
        match worker.await {
            Ok(stats) => total.merge(stats),
            // A worker only ends by returning; a panic there is a bug worth seeing.
            Err(err) => eprintln!("wecom-bench: a worker failed: {err}"),
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    if let Some(progress) = progress {
        progress.finish().await;
    }
    total
}

async fn worker(shared: Arc<Shared>, seed: u64) -> Stats {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut stats = Stats::default();
    let mut own: Vec<String> = Vec::new();
    let mut n: u64 = seed & 0xffff_ffff;
    // Spread the first slots so an open-loop run does not start with a burst.
    let mut slot = Instant::now() + shared.interval.map_or(Duration::ZERO, |i| i.mul_f64(rng.random::<f64>()));
    while shared.take_ticket() {
        let start = match shared.interval {
            Some(interval) => {
                tokio::time::sleep_until(slot.into()).await;
                let now = Instant::now();
                // Tokio's timer wakes up to a millisecond late; only a worker that fell behind
                // by more than that has its wait counted (so a slow server is not hidden).
                let start = if now.duration_since(slot) > TIMER_SLACK { slot } else { now };
                slot += interval;
                start
            }
            None => Instant::now(),
        };
        n = n.wrapping_add(1);
        let mut op = if shared.baseline { Op::Get } else { shared.mix.pick(&mut rng) };
        if op == Op::Walk {
            walk(&shared, &mut stats).await;
            shared.done.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if op == Op::Delete && own.is_empty() {
            op = Op::Add;
        }
        let call = match op {
            Op::Get => Call::Get(pick(&shared.pool, &mut rng)),
            Op::Update => Call::Update(backend::update_request(&pick(&shared.pool, &mut rng), n)),
            Op::Delete => Call::Delete(own.swap_remove(rng.random_range(0..own.len()))),
            Op::List => Call::List(ListContactWay { limit: Some(100), ..ListContactWay::default() }),
            Op::Add | Op::Walk => Call::Add(crate::sample::add_request(n)),
        };
        let result = shared.backend.execute(call).await;
        let latency = start.elapsed();
        if let Ok(Reply::Created(id)) = &result {
            own.push(id.clone());
        }
        if shared.record {
            stats.record(op, latency, result.err().map(|f| f.key()));
        }
        shared.done.fetch_add(1, Ordering::Relaxed);
    }
    stats
}

/// A pool id, or an id nobody has when the pool is empty (answered 41044, shown in errcodes).
fn pick(pool: &[String], rng: &mut StdRng) -> String {
    if pool.is_empty() {
        return "00000000000000000000000000000000".to_owned();
    }
    pool[rng.random_range(0..pool.len())].clone()
}

/// Walks the whole list with limit 1000; each page is one `walk` request in the figures.
async fn walk(shared: &Shared, stats: &mut Stats) {
    let started = Instant::now();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let req = ListContactWay {
            limit: Some(1000),
            cursor: (!cursor.is_empty()).then(|| cursor.clone()),
            ..ListContactWay::default()
        };
        let page_started = Instant::now();
        let result = shared.backend.execute(Call::List(req)).await;
        pages += 1;
        if shared.record {
            stats.record(Op::Walk, page_started.elapsed(), result.as_ref().err().map(|f| f.key()));
        }
        match result {
            Ok(Reply::Page { next_cursor, .. }) if !next_cursor.is_empty() => cursor = next_cursor,
            // The last page, or a failure that ends this walk (counted above).
            _ => break,
        }
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
    }
    if shared.record {
        stats.record_walk(started.elapsed(), pages);
    }
}

/// A set-up `add_contact_way` that did not give a config.
fn setup_failed(reason: String) -> BenchError {
    BenchError::Call { call: "set-up add_contact_way".to_owned(), reason }
}

/// Creates `size` configs with `concurrency` tasks; their ids.
async fn create_pool(backend: &Backend, size: usize, concurrency: usize) -> Result<Vec<String>, BenchError> {
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let backend = backend.clone();
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let mut ids = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= size as u64 {
                        return Ok(ids);
                    }
                    match backend.execute(Call::Add(crate::sample::add_request(n))).await {
                        Ok(Reply::Created(id)) => ids.push(id),
                        Ok(_) => return Err(setup_failed("answered without a config_id".to_owned())),
                        Err(failure) => return Err(setup_failed(failure.key())),
                    }
                }
            })
        })
        .collect();
    let mut pool = Vec::with_capacity(size);
    for task in tasks {
        pool.extend(task.await.map_err(|source| BenchError::Task { task: "set-up", source })??);
    }
    Ok(pool)
}

/// Gets every config of `ids` once, `concurrency` at a time, through `mode`; the number of
/// gets that failed.
pub async fn read_each(
    target: &Target,
    mode: Mode,
    ids: Arc<Vec<String>>,
    concurrency: usize,
) -> Result<u64, BenchError> {
    let backend = Backend::connect(mode, &target.url, &target.corpid, &target.secret).await?;
    let next = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (backend, next, ids) = (backend.clone(), Arc::clone(&next), Arc::clone(&ids));
            tokio::spawn(async move {
                let mut failed = 0;
                while let Some(id) = ids.get(next.fetch_add(1, Ordering::Relaxed) as usize) {
                    failed += u64::from(backend.execute(Call::Get(id.clone())).await.is_err());
                }
                failed
            })
        })
        .collect();
    let mut failed = 0;
    for task in tasks {
        failed += task.await.map_err(|source| BenchError::Task { task: "read", source })?;
    }
    Ok(failed)
}

/// Walks the whole list once with limit 1000 through `mode`; the time, pages and ids seen.
pub async fn walk_once(target: &Target, mode: Mode) -> Result<(Duration, u64, u64), BenchError> {
    let backend = Backend::connect(mode, &target.url, &target.corpid, &target.secret).await?;
    let started = Instant::now();
    let (mut cursor, mut pages, mut ids) = (String::new(), 0, 0);
    loop {
        let req = ListContactWay {
            limit: Some(1000),
            cursor: (!cursor.is_empty()).then(|| cursor.clone()),
            ..ListContactWay::default()
        };
        pages += 1;
        match backend.execute(Call::List(req)).await {
            Ok(Reply::Page { ids: n, next_cursor }) => {
                ids += n as u64;
                if next_cursor.is_empty() {
                    return Ok((started.elapsed(), pages, ids));
                }
                cursor = next_cursor;
            }
            Ok(_) => {
                return Err(BenchError::Call {
                    call: format!("list_contact_way (page {pages})"),
                    reason: "answered without a page".to_owned(),
                });
            }
            Err(failure) => {
                return Err(BenchError::Call {
                    call: format!("list_contact_way (page {pages})"),
                    reason: failure.key(),
                });
            }
        }
    }
}

/// Adds `count` configs with `concurrency` tasks (an error names the errcode that stopped it,
/// 41045 at the quota). Returns their ids.
pub async fn fill(target: &Target, mode: Mode, count: usize, concurrency: usize) -> Result<Vec<String>, BenchError> {
    let backend = Backend::connect(mode, &target.url, &target.corpid, &target.secret).await?;
    create_pool(&backend, count, concurrency).await
}
