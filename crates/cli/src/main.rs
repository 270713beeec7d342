//! # wecom-contactway-cli: the `wecom` command line
//!
//! `wecom` runs WeCom's Contact Me (联系我) and Join Group (加入群聊) configs in production, on
//! top of `wecom-client`: every API as a subcommand with flags named after the fields
//! (`wecom contact-way add --type 2 --scene 2 --user zhangsan --state channel_01`), a full
//! inventory with a summary of the quota, a prune that backs each config up before deleting it
//! and is dry-run by default, and a ledger that writes every create down before it is sent, so
//! that an answer lost on the way never means a lost `config_id` (and a quota unit gone for
//! good). Answers go to stdout as JSON, everything else to stderr; the exit statuses are
//! documented in `wecom --help` and the README.
//!
//! ```text
//! export WECOM_CORPID=ww… WECOM_SECRET=…        # or --corpid / --secret
//! wecom contact-way add --type 2 --scene 2 --user zhangsan --user lisi --state channel_01
//! wecom inventory --output configs.jsonl
//! wecom prune --state-prefix channel_ --yes
//! wecom ledger reconcile
//! ```
//!
//! `wecom mcp` serves the same commands as tools of the Model Context Protocol over stdio, for
//! AI agents, with the same rails (module `mcp`).
//!
//! What it is not: a library (use `wecom-client`), a server (use `wecom-mock` to try it out:
//! `--base-url http://127.0.0.1:8080`), or a tool for the rest of WeCom's APIs. It depends on
//! `wecom-client` and `wecom-types` only; `wecom-mock` is a dev-dependency for its tests.

mod after_scan;
mod body;
mod cli;
mod contact_way;
mod context;
mod count;
mod error;
mod exit;
mod inventory;
mod join_way;
mod ledger_cmd;
mod mcp;
mod output;
mod prune;
mod verify;
mod walk;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::error::CliError;
use crate::exit::Exit;

fn main() -> ExitCode {
    let help = exit::help_text();
    let matches = Cli::command().after_help(help.clone()).after_long_help(help).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return Exit::Unavailable.into();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => Exit::Success.into(),
        Err(err) => {
            if !err.is_silent() {
                eprintln!("error: {err}");
            }
            err.exit().into()
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let global = cli.global;
    match cli.command {
        Command::ContactWay(command) => contact_way::run(&global, command).await,
        Command::JoinWay(command) => join_way::run(&global, command).await,
        Command::Inventory(args) => inventory::run(&global, args).await,
        Command::Prune(args) => prune::run(&global, args).await,
        Command::Ledger(command) => ledger_cmd::run(&global, command).await,
        Command::Members => after_scan::members(&global).await,
        Command::Customers { userid } => after_scan::customers(&global, &userid).await,
        Command::Verify(args) => verify::run(&global, args).await,
        Command::Mcp(args) => mcp::run(&global, args).await,
    }
}
