//! `wecom contact-way …`: C1–C6.

use serde_json::json;
use wecom_client::Error as ClientError;
use wecom_client::ledger::Ledger;
use wecom_types::api::{AddContactWay, AddContactWayResponse, ContactWay, UpdateContactWay};
use wecom_types::{Api, Validate};

use crate::body::{self, ContactWayEdits, ListEdits};
use crate::cli::{ContactWayCommand, ContactWayUpdateArgs, Global, ListArgs};
use crate::error::CliError;
use crate::output::{Answers, answer, warn};
use crate::walk;

pub(crate) async fn run(global: &Global, command: ContactWayCommand) -> Result<(), CliError> {
    match command {
        ContactWayCommand::Add(args) => answer(&add(global, &body::add_contact_way(&args)?).await?),
        ContactWayCommand::Get { config_id } => answer(&global.client()?.get_contact_way(&config_id).await?),
        ContactWayCommand::List(args) => list(global, args).await,
        ContactWayCommand::Update(args) => update(global, args).await,
        ContactWayCommand::Delete { config_ids } => {
            let client = global.client()?;
            let mut out = Answers::new();
            delete_each(
                global,
                &config_ids,
                |id| {
                    let client = client.clone();
                    async move { client.del_contact_way(&id).await }
                },
                |deleted| out.line(&deleted),
            )
            .await?;
            out.finish()
        }
        ContactWayCommand::CloseTempChat { userid, external_userid } => {
            answer(&close_temp_chat(global, &userid, &external_userid).await?)
        }
    }
}

/// C1 with the ledger: its intent is written (fsynced) before the request goes, so an answer
/// lost on the way names the entry to reconcile instead of losing the config_id. The one create
/// path of `contact-way add` and the `add_contact_way` tool.
pub(crate) async fn add(global: &Global, add: &AddContactWay) -> Result<AddContactWayResponse, CliError> {
    global.credentials()?;
    let ledger = global.open_ledger()?;
    let client = global.client_with_ledger(ledger.clone())?;
    match client.add_contact_way(add).await {
        Ok(created) => Ok(created),
        Err(err) if err.may_have_created() => Err(maybe_created(&ledger, Api::AddContactWay, add, err)),
        Err(err) => Err(err.into()),
    }
}

/// The error of a create whose answer was lost, naming the ledger entry that holds its intent
/// (the newest pending entry of this API with exactly this body).
pub(crate) fn maybe_created<T: serde::Serialize>(ledger: &Ledger, api: Api, body: &T, source: ClientError) -> CliError {
    let sent = serde_json::to_value(body).ok();
    let entry = ledger.entries().ok().and_then(|entries| {
        entries
            .iter()
            .rev()
            .find(|entry| entry.is_pending() && entry.api() == Some(api) && Some(&entry.body) == sent.as_ref())
            .map(|entry| entry.seq)
    });
    CliError::MaybeCreated { ledger: ledger.path().to_path_buf(), entry, source }
}

/// C6: `{"userid", "external_userid", "closed": true}` once the temp chat is ended.
pub(crate) async fn close_temp_chat(
    global: &Global,
    userid: &str,
    external_userid: &str,
) -> Result<serde_json::Value, CliError> {
    global.client()?.close_temp_chat(userid, external_userid).await?;
    Ok(json!({"userid": userid, "external_userid": external_userid, "closed": true}))
}

async fn list(global: &Global, args: ListArgs) -> Result<(), CliError> {
    let client = global.client()?;
    let progress = global.progress(None, "listing");
    let ids = walk::list_ids(&client, args.range.into(), &progress).await?;
    progress.finish_and_clear();
    let mut out = Answers::buffered();
    for id in &ids {
        if args.plain {
            out.text(id)?;
        } else {
            out.line(&json!({"config_id": id}))?;
        }
    }
    out.finish()?;
    global.note(format_args!("{}", crate::count::count(ids.len(), "config", "configs")));
    Ok(())
}

async fn update(global: &Global, args: ContactWayUpdateArgs) -> Result<(), CliError> {
    let patch = body::contact_way_patch(&args)?;
    let edits = ContactWayEdits {
        user: ListEdits { add: args.add_user.clone(), remove: args.remove_user.clone() },
        party: ListEdits { add: args.add_party.clone(), remove: args.remove_party.clone() },
    };
    answer(&update_contact_way(global, &patch, &edits, args.replace).await?)
}

/// C4, merged by default (read, change what `patch` gives, write every field back: members and
/// settings not mentioned are kept); with `replace`, the raw overwrite of exactly `patch`.
/// Answers the config as stored afterwards. The one update path of `contact-way update` and
/// the `update_contact_way` tool.
pub(crate) async fn update_contact_way(
    global: &Global,
    patch: &UpdateContactWay,
    edits: &ContactWayEdits,
    replace: bool,
) -> Result<ContactWay, CliError> {
    let config_id = patch.config_id.clone().unwrap_or_default();
    let client = global.client()?;
    // The change's own rules first: a merged update reads before it writes, and a change that
    // breaks a rule must send nothing at all, not even the read.
    patch.validate().map_err(ClientError::from)?;
    if replace {
        let list_edits = [
            ("--add-user", edits.user.add.is_empty()),
            ("--remove-user", edits.user.remove.is_empty()),
            ("--add-party", edits.party.add.is_empty()),
            ("--remove-party", edits.party.remove.is_empty()),
        ];
        if let Some((flag, _)) = list_edits.into_iter().find(|(_, unused)| !unused) {
            return Err(CliError::Usage(format!(
                "{flag} edits the stored list: it needs the merged update (drop --replace)"
            )));
        }
        for list in body::cleared_lists(patch) {
            warn(format_args!("--replace sends an empty `{list}`: the config's {list} list will be cleared"));
        }
        client.update_contact_way(patch).await?;
        return Ok(client.get_contact_way(&config_id).await?);
    }
    Ok(client.update_contact_way_merged(&config_id, |way| body::apply_contact_way_patch(way, patch, edits)).await?)
}

/// Deletes each id in turn, handing `{"config_id", "deleted": true}` for each to `deleted`,
/// and notes the deletions in the ledger when it is free. Stops at the first failure.
pub(crate) async fn delete_each<F, Fut>(
    global: &Global,
    ids: &[String],
    delete: F,
    mut deleted: impl FnMut(serde_json::Value) -> Result<(), CliError>,
) -> Result<(), CliError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), wecom_client::Error>>,
{
    let ledger = global.try_open_ledger();
    for id in ids {
        delete(id.clone()).await?;
        if let Some(ledger) = &ledger
            && let Err(err) = ledger.mark_deleted(id)
        {
            warn(format_args!("{id} was deleted, but the ledger could not note it: {err}"));
        }
        deleted(json!({"config_id": id, "deleted": true}))?;
    }
    Ok(())
}
