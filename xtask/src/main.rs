//! `cargo xtask`: the workspace's chores as code (the alias is in `.cargo/config.toml`).
//!
//! `cargo xtask release --dry-run` runs every release step that needs no credentials (see
//! `docs/RELEASING.md`): the checks of the manifests, versions, licence files, CHANGELOG,
//! wheel version, image labels and docs ([`checks`]), the crate rules of ARCHITECTURE.md over the
//! resolved dependency graph ([`graph`], `checks::crate_rules`); `cargo package` of every published crate
//! and what each package holds; `cargo publish --workspace --dry-run`; and the packaged crates
//! checked as they will be built from crates.io ([`package`]). `.ci/run` runs it.
//!
//! `cargo xtask npm --out DIR` packs the `wecom-mock` npm package ([`npm_pack`]):
//! `DIR/wecom-mock-VERSION.tgz`, with the binary inside.
//!
//! What it is not: it publishes nothing, tags nothing, and needs no token; those steps are the
//! release manager's, by hand, as `docs/RELEASING.md` lists them.

mod checks;
mod graph;
mod npm_pack;
mod package;
mod workspace;

use std::path::PathBuf;
use std::process::{ExitCode, ExitStatus};

use clap::{Parser, Subcommand};

use checks::{CHECKS, Options, Problem};
use workspace::Disk;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about = "The workspace's chores (docs/RELEASING.md)")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Every release step that needs no credentials. Exit 0 when the workspace is releasable,
    /// 1 when something is not (each problem is printed), 2 when the check could not run.
    Release {
        /// Required: a release proper (publishing, pushing the image) needs credentials and is
        /// done by hand (docs/RELEASING.md).
        #[arg(long)]
        dry_run: bool,
        /// The tag about to be pushed (`v0.1.0`): it must name the workspace version and the
        /// CHANGELOG must have its section.
        #[arg(long, env = "RELEASE_TAG")]
        tag: Option<String>,
        /// Let cargo verify each crate with a full build of its own (slow: every crate compiles
        /// its dependencies again) instead of one `cargo check` of all packaged crates.
        #[arg(long)]
        full_verify: bool,
        /// Package uncommitted changes too (for a run before committing; CI runs without it).
        #[arg(long)]
        allow_dirty: bool,
    },
    /// The `wecom-mock` npm package: writes DIR/wecom-mock-VERSION.tgz (the module in npm/, the
    /// licences and the binary). Exit 0 when written, 1 when npm/package.json is not packable
    /// (its version is not the workspace's, …), 2 when a step could not run.
    Npm {
        /// The folder the tarball is written to (created when missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Pack this wecom-mock binary instead of building the release one (CI packs its
        /// debug build).
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
    },
}

/// Why a run could not be completed (as opposed to a [`Problem`] it found).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error("cannot run {command}: {source}")]
    Spawn { command: String, source: std::io::Error },
    #[error("{command} failed ({status}): {stderr}")]
    Command { command: String, status: ExitStatus, stderr: String },
    #[error("cannot parse cargo metadata: {0}")]
    Metadata(serde_json::Error),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Toml { path: PathBuf, source: toml::de::Error },
    #[error("{command} failed ({status}; its output is above)")]
    Failed { command: String, status: ExitStatus },
    #[error("only `cargo xtask release --dry-run` exists: publishing needs credentials, see docs/RELEASING.md")]
    NotADryRun,
}

/// How the cargo steps run.
struct Run {
    cargo: String,
    full_verify: bool,
    allow_dirty: bool,
    started: std::time::Instant,
}

impl Run {
    /// Runs `cargo ARGS` with its output shown; whether it succeeded.
    fn cargo(&self, args: &[&str]) -> Result<bool, Failure> {
        let mut command = workspace::cargo(&self.cargo);
        command.args(args);
        if self.allow_dirty {
            command.arg("--allow-dirty");
        }
        eprintln!("$ cargo {}{}", args.join(" "), if self.allow_dirty { " --allow-dirty" } else { "" });
        let status = command
            .status()
            .map_err(|source| Failure::Spawn { command: format!("cargo {}", args.join(" ")), source })?;
        Ok(status.success())
    }
}

impl Run {
    /// Prints a step's heading with the seconds since the start, as `.ci/run` does.
    fn step(&self, name: &str) {
        eprintln!("\n== {name} ({}s)", self.started.elapsed().as_secs());
    }
}

fn report(problems: &[Problem]) {
    for problem in problems {
        eprintln!("error: {problem}");
    }
}

fn release(run: &Run, options: &Options) -> Result<Vec<Problem>, Failure> {
    let (workspace, root) = workspace::load(&run.cargo)?;
    let tree = Disk(root.clone());
    let published: Vec<&str> = workspace.published().map(|p| p.name.as_str()).collect();
    eprintln!("workspace {}: publishing {}", workspace.version, published.join(", "));
    let mut problems = Vec::new();
    for check in CHECKS {
        run.step(check.name);
        let found = (check.run)(&workspace, &tree, options);
        report(&found);
        if found.is_empty() {
            eprintln!("ok");
        }
        problems.extend(found);
    }

    run.step("crate rules (ARCHITECTURE.md: what each crate never depends on)");
    let found = checks::crate_rules::check(&graph::load(&run.cargo, &root)?);
    report(&found);
    if found.is_empty() {
        eprintln!("ok");
    }
    problems.extend(found);

    run.step("cargo package: what each published crate carries");
    if !run.cargo(&["package", "--workspace", "--no-verify", "--quiet"])? {
        problems.push(Problem::new("cargo package", "failed (its output is above)"));
        return Ok(problems);
    }
    let licence_files =
        workspace.license.as_deref().and_then(|l| checks::licences::files_for(l).ok()).unwrap_or_default();
    let unpacked = package::unpack(&workspace)?;
    let mut found = Vec::new();
    for unpacked in &unpacked {
        if let Some(package) = workspace.member(&unpacked.name) {
            found.extend(package::contents(package, &unpacked.files, &licence_files));
            eprintln!("{}: {} files", unpacked.name, unpacked.files.len());
        }
    }
    report(&found);
    problems.extend(found);

    run.step(if run.full_verify {
        "cargo publish --workspace --dry-run (each crate built on its own)"
    } else {
        "cargo publish --workspace --dry-run --no-verify"
    });
    let publish = if run.full_verify {
        vec!["publish", "--workspace", "--dry-run"]
    } else {
        vec!["publish", "--workspace", "--dry-run", "--no-verify"]
    };
    if !run.cargo(&publish)? {
        problems.push(Problem::new("cargo publish --dry-run", "failed (its output is above)"));
    }

    if !run.full_verify {
        run.step("the packaged crates build without the checkout (cargo check, all of them at once)");
        if !package::check_together(&run.cargo, &root, &workspace, &unpacked)? {
            problems.push(Problem::new("packaged crates", "do not build on their own (cargo check's output is above)"));
        }
    }
    Ok(problems)
}

fn main() -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match Cli::parse().task {
        Task::Release { dry_run, tag, full_verify, allow_dirty } => {
            let outcome = if dry_run {
                let run = Run { cargo, full_verify, allow_dirty, started: std::time::Instant::now() };
                release(&run, &Options { tag })
            } else {
                Err(Failure::NotADryRun)
            };
            match outcome {
                Ok(problems) if problems.is_empty() => {
                    eprintln!("\nreleasable: every step that needs no credentials passed");
                    ExitCode::SUCCESS
                }
                Ok(problems) => {
                    eprintln!("\nnot releasable: {} problem(s)", problems.len());
                    report(&problems);
                    ExitCode::from(1)
                }
                Err(failure) => {
                    eprintln!("error: {failure}");
                    ExitCode::from(2)
                }
            }
        }
        Task::Npm { out, binary } => {
            let request = npm_pack::Request { cargo: &cargo, out: &out, binary: binary.as_deref() };
            let outcome =
                workspace::load(&cargo).and_then(|(workspace, root)| npm_pack::pack(&workspace, &root, &request));
            match outcome {
                Ok(Ok(tarball)) => {
                    println!("{}", tarball.display());
                    ExitCode::SUCCESS
                }
                Ok(Err(problems)) => {
                    eprintln!("not packable: {} problem(s)", problems.len());
                    report(&problems);
                    ExitCode::from(1)
                }
                Err(failure) => {
                    eprintln!("error: {failure}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_check_passes_on_the_fixture_workspace() {
        let (workspace, files) = (checks::fixture::workspace(), checks::fixture::files());
        for check in CHECKS {
            assert_eq!((check.run)(&workspace, &files, &Options::default()), vec![], "{}", check.name);
        }
    }
}
