//! `wecom-bench`: load a WeCom server (the mock, the bare baseline, or anything that speaks the
//! API) and report throughput, latency percentiles, errcodes and CPU use. `wecom-bench --help`
//! lists the commands; `docs/PERFORMANCE.md` shows them in use.

mod chart;
mod cli;
mod compare;
mod durable;
mod metrics;
mod proxy;
mod scale;
mod startup;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // Half the CPUs by default: the server under test usually runs on the same machine, and on
    // 2 cores one runtime thread sends 1.5 × what two do (the other core is the server's).
    let threads = args.threads.unwrap_or(wecom_bench::sys::cpus() / 2).max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("wecom-bench: cannot start the runtime: {err}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::execute(args.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("wecom-bench: {err}");
            ExitCode::FAILURE
        }
    }
}
