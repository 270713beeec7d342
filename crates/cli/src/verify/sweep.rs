//! `--sweep`: deletes what earlier verify runs may have left. The ledger's configs of verify
//! runs first (Join Group has no list API: the ledger is the only way to find them), then every
//! listed Contact Me config whose state carries a verify run's prefix: of a run in the ledger
//! always, of any other run only when it was created more than an hour ago (`--all` drops that
//! guard), so a teammate's run in progress is left alone.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use wecom_client::ledger::Status;
use wecom_types::Api;
use wecom_types::limits::DAY_SECS;

use crate::cli::Global;
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Answers;
use crate::verify::Scrub;
use crate::verify::run::{find_prefixed, run_prefix_of};
use crate::verify::wire::{Request, Wire};
use crate::walk::{Created, unix_now};

/// How old a config of a run the ledger does not know must be before it is deleted.
const GUARD_SECS: i64 = 3600;

pub(crate) async fn sweep(global: &Global, all: bool, rate: f64) -> Result<(), CliError> {
    let (corpid, secret) = global.credentials()?;
    let mut scrub = Scrub::default();
    scrub.hide(secret, "<secret>");
    let mut wire = Wire::new(&global.base_url, rate, global.timeout)
        .map_err(|err| CliError::Usage(format!("cannot make an HTTP client: {err}")))?;
    if let Err(reply) = wire.fetch_token(corpid, secret).await {
        let why = reply
            .errcode()
            .map_or_else(|| reply.unjudgeable().unwrap_or_default(), |c| format!("gettoken answered errcode {c}"));
        return Err(CliError::Verify { exit: Exit::Unavailable, message: scrub.text(&format!("cannot sweep: {why}")) });
    }
    scrub.hide(wire.token().unwrap_or_default(), "<access_token>");
    let ledger = global.open_ledger()?;
    let mut out = Answers::new();
    let mut deleted = 0usize;
    let mut problems: Vec<String> = Vec::new();
    let mut unsettled = Vec::new();

    // 1. The ledger: every config of a verify run it holds.
    let mut known_runs = BTreeSet::new();
    for entry in ledger.entries()? {
        let state = entry.body.get("state").and_then(Value::as_str).unwrap_or_default();
        let Some(run) = run_prefix_of(state) else { continue };
        if entry.corpid != corpid {
            continue;
        }
        known_runs.insert(run.to_owned());
        let api = entry.api();
        match (entry.status, entry.config_id.as_deref()) {
            (Status::Created, Some(config_id)) => {
                let del = if api == Some(Api::AddJoinWay) { Api::DelJoinWay } else { Api::DelContactWay };
                match delete(&wire, del, config_id).await {
                    Ok(()) => {
                        ledger.mark_deleted(config_id)?;
                        deleted += 1;
                        out.line(
                            &json!({"config_id": config_id, "api": del.short_name(), "state": state, "from": "ledger"}),
                        )?;
                    }
                    Err(why) => problems.push(format!("{config_id}: {why}")),
                }
            }
            (Status::Pending, _) => {
                let listed =
                    api == Some(Api::AddContactWay) && entry.body.get("is_temp").and_then(Value::as_bool) != Some(true);
                unsettled.push((entry.seq, listed));
            }
            _ => {}
        }
    }

    // 2. The list: Contact Me configs carrying a verify run's prefix, oldest window first.
    let now = unix_now();
    let cutoff = now - GUARD_SECS;
    let ranges = [
        (Created { start_time: None, end_time: Some(cutoff) }, true),
        (Created { start_time: Some(cutoff + 1), end_time: Some(now + DAY_SECS) }, false),
    ];
    let mut listing_failed = false;
    for (range, old) in ranges {
        let wanted = |state: &str| run_prefix_of(state).is_some_and(|run| old || all || known_runs.contains(run));
        match find_prefixed(&wire, range, &wanted).await {
            Ok(found) => {
                for (config_id, state) in found {
                    match delete(&wire, Api::DelContactWay, &config_id).await {
                        Ok(()) => {
                            let _ = ledger.mark_deleted(&config_id)?;
                            deleted += 1;
                            out.line(&json!({"config_id": config_id, "api": "del_contact_way", "state": state, "from": "list"}))?;
                        }
                        Err(why) => problems.push(format!("{config_id}: {why}")),
                    }
                }
            }
            Err(why) => {
                listing_failed = true;
                problems.push(format!("list_contact_way: {why}"));
            }
        }
    }
    out.finish()?;

    // A pending Contact Me intent of a verify run is settled by the full walk: whatever it made
    // carried the run's prefix and was deleted above.
    let mut left = Vec::new();
    for (seq, listed) in unsettled {
        if listed && !listing_failed {
            ledger.dismiss(seq, "wecom verify --sweep: every config of verify runs was listed and deleted")?;
        } else {
            left.push(seq);
        }
    }
    for problem in &problems {
        crate::output::warn(format_args!("{}", scrub.text(problem)));
    }
    global.note(format!("{} deleted", crate::count::count(deleted, "config", "configs")));
    if !left.is_empty() {
        let seqs: Vec<String> = left.iter().map(u64::to_string).collect();
        return Err(CliError::Verify {
            exit: Exit::MaybeCreated,
            message: format!(
                "ledger entries {} are creates whose answer was lost and which no list shows (Join Group or temp): \
                 see `wecom ledger list --status pending`",
                seqs.join(", ")
            ),
        });
    }
    if listing_failed {
        return Err(CliError::Verify {
            exit: Exit::Unavailable,
            message: "the list could not be walked to the end".into(),
        });
    }
    if !problems.is_empty() {
        return Err(CliError::Verify {
            exit: Exit::Api,
            message: format!("{} not deleted", crate::count::count(problems.len(), "config", "configs")),
        });
    }
    Ok(())
}

/// Deletes one config; one already gone counts as deleted.
async fn delete(wire: &Wire, api: Api, config_id: &str) -> Result<(), String> {
    let reply = wire.send(&Request::post(api, &json!({"config_id": config_id}))).await;
    match reply.errcode() {
        Some(0 | 41044) => Ok(()),
        Some(code) => Err(format!("{} answered errcode {code}", api.short_name())),
        None => Err(reply.unjudgeable().unwrap_or_default()),
    }
}
