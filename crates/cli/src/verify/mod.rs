//! `wecom verify`: a budgeted run of probes against a corp, recorded as normalised snapshots
//! (`--record DIR`), compared with a recording (`--compare DIR`), listed with its cost
//! (`--plan`), and `--sweep` for what earlier runs may have left.
//!
//! Tier-0 probes come from the one table of spec cases (compiled in through the
//! `spec/` symlinks, as the conformance crate does), tier 1 are the two lifecycles, tier 2 a
//! printed checklist. Every create goes through the ledger and carries the run's state prefix;
//! everything the run made is deleted before it exits, Ctrl-C included. The secret and the
//! token are removed from everything written (`Scrub`).

mod judge;
mod normalize;
mod probes;
mod report;
mod run;
mod snapshot;
mod sweep;
mod wire;

#[path = "../../spec/cases.rs"]
mod spec;

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{Global, VerifyArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Answers;
use crate::verify::judge::{Outcome, Status};
pub(crate) use crate::verify::probes::Roles;
use crate::verify::probes::{MANUAL, Probe};
use crate::verify::run::{Ran, Runner};
use crate::verify::wire::Wire;

/// Removes the secret and the token from any text before it is written anywhere.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scrub {
    hidden: Vec<(String, &'static str)>,
}

impl Scrub {
    pub(crate) fn hide(&mut self, value: &str, placeholder: &'static str) {
        if !value.is_empty() {
            self.hidden.push((value.to_owned(), placeholder));
            // Longest first: a secret that contains another is replaced whole.
            self.hidden.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        }
    }

    pub(crate) fn text(&self, text: &str) -> String {
        self.hidden.iter().fold(text.to_owned(), |text, (value, placeholder)| text.replace(value.as_str(), placeholder))
    }

    /// A JSON value as one line, scrubbed.
    pub(crate) fn json(&self, value: &Value) -> String {
        self.text(&value.to_string())
    }
}

/// Which run.
enum Mode<'a> {
    Record(&'a Path),
    Compare(&'a Path),
}

pub(crate) async fn run(global: &Global, args: VerifyArgs) -> Result<(), CliError> {
    if args.all && !args.sweep {
        return Err(CliError::Usage("--all goes with --sweep only".into()));
    }
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        return Err(CliError::Usage("--rate is calls a second: 0 (unpaced) or more".into()));
    }
    let catalogue = probes::catalogue().map_err(|err| CliError::Usage(format!("the built-in spec table: {err}")))?;
    let roles = args.roles();
    if args.plan {
        return plan(&catalogue, &roles, args.max_creates);
    }
    if args.sweep {
        return sweep::sweep(global, args.all, args.rate).await;
    }
    let mode = match (&args.record, &args.compare) {
        (Some(dir), None) => Mode::Record(dir),
        (None, Some(dir)) => Mode::Compare(dir),
        _ => return Err(CliError::Usage("give one of --plan, --record DIR, --compare DIR, --sweep".into())),
    };
    let recording = match mode {
        Mode::Compare(dir) => Some(snapshot::Recording::read(dir)?),
        Mode::Record(dir) => {
            snapshot::prepare_dir(dir)?;
            None
        }
    };
    let roles = match &recording {
        Some(recording) => roles.or(recording.roles.clone()),
        None => roles,
    };
    let (corpid, secret) = global.credentials()?;
    let mut scrub = Scrub::default();
    scrub.hide(secret, "<secret>");
    let mut wire = Wire::new(&global.base_url, args.rate, global.timeout)
        .map_err(|err| CliError::Usage(format!("cannot make an HTTP client: {err}")))?;
    if let Err(reply) = wire.fetch_token(corpid, secret).await {
        let why = match reply.errcode() {
            Some(code) => format!("gettoken answered errcode {code}"),
            None => reply.unjudgeable().unwrap_or_default(),
        };
        return Err(CliError::Verify {
            exit: Exit::Unavailable,
            message: scrub.text(&format!("no probe could run: {why}")),
        });
    }
    scrub.hide(wire.token().unwrap_or_default(), "<access_token>");
    let ledger = global.open_ledger()?;
    let mut runner = Runner::new(wire, corpid, secret, roles, args.max_creates, ledger);
    global.note(format!("wecom verify: run {} against {}", runner.prefix, runner.wire.host()));

    let probes: Vec<&Probe> = match &recording {
        Some(recording) => catalogue.iter().filter(|probe| recording.has(&probe.id)).collect(),
        None => catalogue.iter().collect(),
    };
    let mut outcomes: Vec<(Outcome, Option<Value>)> = Vec::new();
    let mut out = Answers::new();
    let interrupted = {
        let work = run_probes(&mut runner, &probes, recording.as_ref(), &scrub, &mut out, &mut outcomes);
        tokio::select! {
            done = work => { done?; false }
            _ = tokio::signal::ctrl_c() => true,
        }
    };
    if interrupted {
        global.note("interrupted: deleting what this run made…");
    }
    let left = runner.clean_up().await?;
    for line in &left {
        crate::output::warn(format_args!("{}", scrub.text(line)));
    }
    if let Some(recording) = &recording {
        for id in recording.unknown_ids(&catalogue) {
            let outcome = Outcome::skipped(&id, "recorded by another version: not a probe of this one");
            out.line(&outcome.line())?;
            outcomes.push((outcome, None));
        }
    }
    out.finish()?;
    if let Mode::Record(dir) = mode {
        snapshot::write_run(dir, &runner, &outcomes, &scrub)?;
    }
    let results: Vec<&Outcome> = outcomes.iter().map(|(outcome, _)| outcome).collect();
    if let Some(path) = &args.report {
        let title = match mode {
            Mode::Record(dir) => format!("`wecom verify --record {}` against {}", dir.display(), runner.wire.host()),
            Mode::Compare(dir) => format!("`wecom verify --compare {}` against {}", dir.display(), runner.wire.host()),
        };
        report::write(path, &title, &results, &scrub)?;
    }
    let counts = judge::Counts::of(&results);
    global.note(format!("{counts}, {} of {} creates used", runner.creates_used, args.max_creates));
    verdict(&counts, interrupted, runner.unsettled() || !left.is_empty())
}

/// Runs each probe, prints its line, and keeps its outcome (with its snapshot for `--record`).
async fn run_probes(
    runner: &mut Runner,
    probes: &[&Probe],
    recording: Option<&snapshot::Recording>,
    scrub: &Scrub,
    out: &mut Answers,
    outcomes: &mut Vec<(Outcome, Option<Value>)>,
) -> Result<(), CliError> {
    let roles: Vec<String> = runner.roles.values().into_iter().map(str::to_owned).collect();
    let keep: Vec<&str> = roles.iter().map(String::as_str).collect();
    for probe in probes {
        let ran = runner.run(probe).await?;
        // An unexpected success of a probe that should have been refused is deleted at once.
        runner.delete_made_now().await?;
        let (outcome, snapshot) = match ran {
            Ran::Skipped(reason) => {
                let outcome = Outcome::skipped(&probe.id, &reason).with_rows(probe);
                let snapshot = snapshot::probe_file(probe, &outcome, &[]);
                (outcome, snapshot)
            }
            Ran::Steps(steps) => {
                let shown = snapshot::steps(&steps, &keep, &runner.prefix);
                let outcome = match recording {
                    None => judge::against_table(probe, &steps),
                    Some(recording) => judge::against_recording(probe, &steps, &shown, recording.steps(&probe.id)),
                };
                let snapshot = snapshot::probe_file(probe, &outcome, &shown);
                (outcome, snapshot)
            }
        };
        out.line(&serde_json::from_str::<Value>(&scrub.json(&outcome.line())).unwrap_or(Value::Null))?;
        outcomes.push((outcome, Some(snapshot)));
    }
    Ok(())
}

/// The exit status of a finished run (verify.md §1).
fn verdict(counts: &judge::Counts, interrupted: bool, unsettled: bool) -> Result<(), CliError> {
    let fail = |exit, message: String| Err(CliError::Verify { exit, message });
    if unsettled {
        return fail(
            Exit::MaybeCreated,
            "a create of this run may exist and could not be deleted: run `wecom verify --sweep`".into(),
        );
    }
    if interrupted {
        return fail(Exit::Unavailable, "interrupted; everything this run made was deleted".into());
    }
    if counts.checked() == 0 {
        return fail(Exit::Unavailable, format!("no probe could be checked ({counts})"));
    }
    if counts.get(Status::Drift) > 0 {
        return fail(
            Exit::Api,
            format!("{} drifted", crate::count::count(counts.get(Status::Drift), "probe", "probes")),
        );
    }
    Ok(())
}

/// `--plan`: every probe with its tier and cost, one JSON line each; the totals on stderr.
fn plan(catalogue: &[Probe], roles: &Roles, max_creates: u32) -> Result<(), CliError> {
    let mut out = Answers::new();
    let mut gettokens = 1;
    for probe in catalogue {
        let missing = probe.missing_roles(roles);
        let calls = match &probe.action {
            probes::Action::Case(case) => {
                if case.api == "gettoken" {
                    gettokens += 1;
                }
                1
            }
            probes::Action::ContactWayLifecycle => 7,
            probes::Action::JoinWayLifecycle => 6,
        };
        let mut line = json!({
            "probe": probe.id,
            "tier": probe.tier,
            "calls": calls,
            "creates": probe.creates,
            "could_create": probe.could_create,
            "fidelity": probe.fidelity,
            "errcodes": probe.errcodes,
        });
        if !missing.is_empty() {
            line["skipped"] = json!(format!("needs {}", missing.join(" and ")));
        }
        out.line(&line)?;
    }
    for item in &MANUAL {
        out.line(&json!({"probe": item.id, "tier": 2, "manual": item.what, "fidelity": item.fidelity}))?;
    }
    out.finish()?;
    let tier0 = catalogue.iter().filter(|p| p.tier == 0).count();
    let could = catalogue.iter().filter(|p| p.could_create).count();
    eprintln!(
        "{tier0} free probes (tier 0; {could} could create, sent only while a create is left), 2 lifecycles (tier 1, \
         1 create each), {} manual checks (tier 2, not run); {gettokens} gettoken calls (1 for the run's token); \
         at most {max_creates} creates (--max-creates), each a unit of the 500 000 quota that a delete may not give back",
        MANUAL.len()
    );
    Ok(())
}
