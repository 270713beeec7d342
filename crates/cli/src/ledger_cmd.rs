//! `wecom ledger …`: what the ledger knows, lost answers found again, configs nobody tracks.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use serde_json::json;
use wecom_client::ledger::{Entry, ResolvedBy, Status};
use wecom_client::reconcile::{Outcome, ReconcileOptions, Reconciled, intent_matches};
use wecom_types::Api;
use wecom_types::api::AddContactWay;

use crate::cli::{Global, LedgerCommand, LedgerListArgs, OrphansArgs, ReconcileArgs, StatusArg};
use crate::count::{count, is_are};
use crate::error::CliError;
use crate::output::{Answers, answer, warn};
use crate::walk;

impl StatusArg {
    fn status(self) -> Status {
        match self {
            StatusArg::Pending => Status::Pending,
            StatusArg::Created => Status::Created,
            StatusArg::Failed => Status::Failed,
            StatusArg::NotFound => Status::NotFound,
            StatusArg::Dismissed => Status::Dismissed,
            StatusArg::Deleted => Status::Deleted,
        }
    }
}

pub(crate) async fn run(global: &Global, command: LedgerCommand) -> Result<(), CliError> {
    match command {
        LedgerCommand::List(args) => list(global, &args),
        LedgerCommand::Reconcile(args) => reconcile(global, &args).await,
        LedgerCommand::Orphans(args) => orphans(global, &args).await,
        LedgerCommand::Adopt { seq, config_id } => adopt(global, seq, &config_id).await,
        LedgerCommand::Dismiss { seq, note } => {
            let ledger = global.open_ledger()?;
            let entry = ledger.entry(seq)?.ok_or_else(|| CliError::Usage(format!("the ledger has no entry {seq}")))?;
            if entry.status == Status::Created {
                return Err(CliError::Usage(format!(
                    "entry {seq} created {}: delete the config instead",
                    entry.config_id.unwrap_or_default()
                )));
            }
            answer(&ledger.dismiss(seq, &note)?)
        }
    }
}

fn list(global: &Global, args: &LedgerListArgs) -> Result<(), CliError> {
    let path = global.ledger_path()?;
    if !path.exists() {
        global.note(format_args!("{}: no ledger yet (the first create makes it)", path.display()));
        return Ok(());
    }
    let statuses: Vec<Status> = args.status.iter().map(|status| status.status()).collect();
    let entries = entries(global, &statuses, args.all_corps)?;
    let mut out = Answers::buffered();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for entry in &entries {
        out.line(entry)?;
        *counts.entry(status_name(entry.status)).or_default() += 1;
    }
    out.finish()?;
    let counts: Vec<String> = counts.iter().map(|(status, count)| format!("{count} {status}")).collect();
    global.note(format_args!(
        "{}: {}",
        path.display(),
        if counts.is_empty() { "no entries".to_owned() } else { counts.join(", ") }
    ));
    Ok(())
}

/// The ledger's entries with one of `statuses` (any when empty), of --corpid's corp unless
/// `all_corps`, oldest first; none when there is no ledger yet. `ledger list` and the
/// `ledger_list` tool.
pub(crate) fn entries(global: &Global, statuses: &[Status], all_corps: bool) -> Result<Vec<Entry>, CliError> {
    if !global.ledger_path()?.exists() {
        return Ok(Vec::new());
    }
    let ledger = global.open_ledger()?;
    let corpid = if all_corps { None } else { global.corpid.as_deref().filter(|corpid| !corpid.is_empty()) };
    let entries = ledger.entries()?;
    drop(ledger);
    Ok(entries
        .into_iter()
        .filter(|entry| statuses.is_empty() || statuses.contains(&entry.status))
        .filter(|entry| corpid.is_none_or(|corpid| entry.corpid == corpid))
        .collect())
}

fn status_name(status: Status) -> String {
    serde_json::to_value(status).ok().and_then(|value| value.as_str().map(str::to_owned)).unwrap_or_default()
}

async fn reconcile(global: &Global, args: &ReconcileArgs) -> Result<(), CliError> {
    let (report, elsewhere) = reconcile_ledger(global, args.slack, args.concurrency).await?;
    let mut out = Answers::new();
    let mut unresolved = 0;
    let (mut adopted, mut not_found) = (0, 0);
    for done in &report {
        out.line(done)?;
        match &done.outcome {
            Outcome::Adopted { .. } => adopted += 1,
            Outcome::NotFound => not_found += 1,
            _ => unresolved += 1,
        }
    }
    out.finish()?;
    global.note(format_args!(
        "{}: {adopted} adopted, {not_found} not found, {unresolved} unresolved",
        count(report.len(), "pending entry", "pending entries")
    ));
    if elsewhere > 0 {
        global.note(format_args!(
            "{} of other corps or base URLs {} not checked (run with their --corpid / --base-url)",
            count(elsewhere, "pending entry", "pending entries"),
            if elsewhere == 1 { "was" } else { "were" }
        ));
    }
    if report.iter().any(|done| matches!(done.outcome, Outcome::CannotList { .. })) {
        global.note(
            "Join Group (and temp-chat) intents cannot be reconciled: the API cannot list those configs; \
             `wecom ledger dismiss SEQ` closes one, `wecom ledger adopt SEQ ID` records an id found another way",
        );
    }
    if unresolved > 0 { Err(CliError::Unresolved(unresolved)) } else { Ok(()) }
}

/// Resolves the pending entries of this corp and base URL: what became of each, and how many
/// pending entries belong to other corps or base URLs (not checked). `ledger reconcile` and the
/// `ledger_reconcile` tool.
pub(crate) async fn reconcile_ledger(
    global: &Global,
    slack: Duration,
    concurrency: usize,
) -> Result<(Vec<Reconciled>, usize), CliError> {
    global.credentials()?;
    let ledger = global.open_ledger()?;
    let client = global.client_with_ledger(ledger.clone())?;
    let elsewhere = ledger
        .entries()?
        .iter()
        .filter(|entry| entry.is_pending() && (entry.corpid != client.corpid() || entry.base_url != client.base_url()))
        .count();
    let options = ReconcileOptions { slack, concurrency: concurrency.max(1) };
    Ok((client.reconcile_ledger(options).await?, elsewhere))
}

async fn adopt(global: &Global, seq: u64, config_id: &str) -> Result<(), CliError> {
    let ledger = global.open_ledger()?;
    let entry = ledger.entry(seq)?.ok_or_else(|| CliError::Usage(format!("the ledger has no entry {seq}")))?;
    if entry.status == Status::Created && entry.config_id.as_deref() != Some(config_id) {
        return Err(CliError::Usage(format!("entry {seq} already created {}", entry.config_id.unwrap_or_default())));
    }
    if let Some(other) = ledger.seq_of(config_id)?.filter(|other| *other != seq) {
        return Err(CliError::Usage(format!("{config_id} belongs to entry {other} already")));
    }
    let client = global.client_with_ledger(ledger.clone())?;
    let qr_code = match entry.api() {
        Some(Api::AddJoinWay) => client.get_join_way(config_id).await?.qr_code,
        _ => {
            let way = client.get_contact_way(config_id).await?;
            let intent: Option<AddContactWay> = serde_json::from_value(entry.body.clone()).ok();
            if intent.is_some_and(|intent| !intent_matches(&intent, &way)) {
                warn(format_args!("{config_id} does not have the content of entry {seq}'s intent; adopted anyway"));
            }
            way.qr_code
        }
    };
    answer(&ledger.complete(seq, config_id, qr_code.as_deref(), ResolvedBy::Operator)?)
}

async fn orphans(global: &Global, args: &OrphansArgs) -> Result<(), CliError> {
    let client = global.client()?;
    let (known, pending, created): (HashSet<String>, usize, HashSet<String>) = {
        let ledger = global.open_ledger()?;
        let entries: Vec<Entry> = ledger
            .entries()?
            .into_iter()
            .filter(|entry| entry.corpid == client.corpid() && entry.base_url == client.base_url())
            .collect();
        let known = entries.iter().filter_map(|entry| entry.config_id.clone()).collect();
        let pending = entries.iter().filter(|entry| entry.is_pending()).count();
        let created = entries
            .iter()
            .filter(|entry| entry.status == Status::Created && entry.api() == Some(Api::AddContactWay))
            .filter(|entry| !entry.body.get("is_temp").and_then(|temp| temp.as_bool()).unwrap_or(false))
            .filter_map(|entry| entry.config_id.clone())
            .collect();
        (known, pending, created)
    };
    let listing = global.progress(None, "listing config ids");
    let live = walk::list_ids(&client, args.range.into(), &listing).await?;
    listing.finish_and_clear();
    let orphan_ids: Vec<String> = live.iter().filter(|id| !known.contains(*id)).cloned().collect();
    let mut out = Answers::buffered();
    if args.full {
        let mut configs = std::pin::pin!(walk::get_each(&client, orphan_ids.clone(), 8));
        while let Some(fetched) = futures_util::TryStreamExt::try_next(&mut configs).await? {
            if let walk::Fetched::Found(way) = fetched {
                out.line(&way)?;
            }
        }
    } else {
        for id in &orphan_ids {
            out.line(&json!({"config_id": id}))?;
        }
    }
    out.finish()?;
    let live_set: HashSet<&String> = live.iter().collect();
    let gone = created.iter().filter(|id| !live_set.contains(id)).count();
    global.note(format_args!(
        "{}, {} known to the ledger, {} (quota units nobody tracks)",
        count(live.len(), "live Contact Me config", "live Contact Me configs"),
        live.len() - orphan_ids.len(),
        count(orphan_ids.len(), "orphan", "orphans")
    ));
    if gone > 0 && args.range.start_time.is_none() && args.range.end_time.is_none() {
        global.note(format_args!(
            "{} the ledger holds as created {} no longer listed (deleted elsewhere?)",
            count(gone, "config", "configs"),
            is_are(gone)
        ));
    }
    if pending > 0 {
        global.note(format_args!(
            "{} {} pending: run `wecom ledger reconcile` first, an orphan may be one of them",
            count(pending, "ledger entry", "ledger entries"),
            is_are(pending)
        ));
    }
    Ok(())
}
