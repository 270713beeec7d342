//! `wecom-conformance`: runs the conformance suite against any server that speaks the WeCom
//! Contact Me / Join Group APIs — a `wecom-mock`, its docker image, another team's instance, or
//! the real service with a test corp — and prints a report (plus JUnit XML with `--junit`).
//!
//! Without the mock's control surface (`/__admin`), only the non-destructive cases run, in the
//! given corp, and every config they create is deleted again; the rest is skipped with a note.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use wecom_conformance::cases::{Env, Verdict, conformance_cases, run_cases};
use wecom_conformance::report::Report;
use wecom_conformance::target::Target;
use wecom_conformance::{concurrency, machine};

/// Checks a WeCom server (or the mock) against the spec.
#[derive(Debug, Parser)]
#[command(name = "wecom-conformance", version, about, long_about = None)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080 (the real one is https://qyapi.weixin.qq.com).
    #[arg(long, env = "WECOM_CONFORMANCE_BASE_URL")]
    base_url: String,
    /// The corp to run the non-destructive cases in.
    #[arg(long, env = "WECOM_CONFORMANCE_CORPID", default_value = "wwmock0000000001")]
    corpid: String,
    /// The secret of an app of that corp with customer-contact permission.
    #[arg(long, env = "WECOM_CONFORMANCE_SECRET", default_value = "mock-secret", hide_env_values = true)]
    secret: String,
    /// A member of that corp who may be put in a Contact Me config.
    #[arg(long, default_value = "zhangsan")]
    user: String,
    /// Another such member.
    #[arg(long, default_value = "lisi")]
    user2: String,
    /// A customer group of that corp.
    #[arg(long, default_value = "wrmockchat0001")]
    chat: String,
    /// Bearer token for the control surface, if the target wants one.
    #[arg(long, env = "WECOM_CONFORMANCE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Generated sequences to run when the target has the control surface (0: none).
    #[arg(long, default_value_t = 100)]
    sequences: u32,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<std::path::PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start a runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let target = Target::new(&args.base_url).with_admin_token(args.admin_token.clone());
    let mut env = rt.block_on(Env::probe(target.clone(), &args.corpid, &args.secret));
    env.user = args.user.clone();
    env.user2 = args.user2.clone();
    env.chat = args.chat.clone();
    println!("wecom-conformance against {}", args.base_url);
    println!(
        "control surface: {}; fault injection: {}",
        if env.control { "yes" } else { "no (cases that need it are skipped)" },
        if env.faults { "yes" } else { "no" }
    );

    let mut report = Report::default();
    let cases = match conformance_cases() {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("the case table does not parse: {e}");
            return ExitCode::from(2);
        }
    };
    for result in rt.block_on(run_cases(&env, &cases)) {
        report.push("errcodes", result.name, result.row, result.verdict, result.seconds);
    }

    let started = Instant::now();
    let verdict = if !env.control {
        Verdict::Skip("needs the control surface (a corp of its own, clock, simulated customers)".to_owned())
    } else if args.sequences == 0 {
        Verdict::Skip("--sequences 0".to_owned())
    } else {
        match machine::run_machine(&rt, &target, args.sequences, 30) {
            Ok(_) => Verdict::Pass,
            Err(failure) => Verdict::Fail(failure),
        }
    };
    let about = "every answer and the final state agree with the reference model";
    report.push(
        "sequences",
        format!("{} generated sequences", args.sequences),
        about,
        verdict,
        started.elapsed().as_secs_f64(),
    );

    type Property<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + 'a>>;
    let properties: Vec<(&str, &str, Property<'_>)> = vec![
        (
            "unique ids and exact quota",
            "8 clients add 40 configs into a quota of 25",
            Box::pin(concurrency::unique_ids_and_exact_quota(&target, 8, 5, 25)),
        ),
        (
            "no lost or torn updates",
            "4 writers and 4 readers on one config",
            Box::pin(concurrency::no_lost_or_torn_updates(&target, 4, 4, 10)),
        ),
        (
            "consistent list walks",
            "walks of 3-config pages while others add and delete",
            Box::pin(concurrency::list_walks_are_consistent(&target, 20, 3, 3)),
        ),
    ];
    for (name, about, property) in properties {
        let started = Instant::now();
        let verdict = if env.control {
            match rt.block_on(property) {
                Ok(()) => Verdict::Pass,
                Err(why) => Verdict::Fail(why),
            }
        } else {
            Verdict::Skip("needs the control surface (runs in a corp of its own with a small quota)".to_owned())
        };
        report.push("concurrency", name, about, verdict, started.elapsed().as_secs_f64());
    }

    print!("{}", report.text());
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, report.junit()) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("JUnit report: {}", path.display());
    }
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
