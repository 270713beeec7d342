//! `wecom contact-way …`: C1–C6.

use serde_json::json;

use crate::body;
use crate::cli::{ContactWayCommand, ContactWayUpdateArgs, Global, ListArgs};
use crate::error::CliError;
use crate::output::{Answers, answer, warn};
use crate::walk;

pub(crate) async fn run(global: &Global, command: ContactWayCommand) -> Result<(), CliError> {
    match command {
        ContactWayCommand::Add(args) => {
            let add = body::add_contact_way(&args)?;
            global.credentials()?;
            let ledger = global.open_ledger()?;
            let path = ledger.path().to_path_buf();
            let client = global.client_with_ledger(ledger)?;
            match client.add_contact_way(&add).await {
                Ok(created) => answer(&created),
                Err(err) if err.may_have_created() => Err(CliError::MaybeCreated { ledger: path, source: err }),
                Err(err) => Err(err.into()),
            }
        }
        ContactWayCommand::Get { config_id } => answer(&global.client()?.get_contact_way(&config_id).await?),
        ContactWayCommand::List(args) => list(global, args).await,
        ContactWayCommand::Update(args) => update(global, args).await,
        ContactWayCommand::Delete { config_ids } => {
            let client = global.client()?;
            delete_each(global, &config_ids, |id| {
                let client = client.clone();
                async move { client.del_contact_way(&id).await }
            })
            .await
        }
        ContactWayCommand::CloseTempChat { userid, external_userid } => {
            global.client()?.close_temp_chat(&userid, &external_userid).await?;
            answer(&json!({"userid": userid, "external_userid": external_userid, "closed": true}))
        }
    }
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
    let client = global.client()?;
    if args.replace {
        let list_edits = [
            ("--add-user", args.add_user.is_empty()),
            ("--remove-user", args.remove_user.is_empty()),
            ("--add-party", args.add_party.is_empty()),
            ("--remove-party", args.remove_party.is_empty()),
        ];
        if let Some((flag, _)) = list_edits.into_iter().find(|(_, unused)| !unused) {
            return Err(CliError::Usage(format!(
                "{flag} edits the stored list: it needs the merged update (drop --replace)"
            )));
        }
        for list in body::cleared_lists(&patch) {
            warn(format_args!("--replace sends an empty `{list}`: the config's {list} list will be cleared"));
        }
        client.update_contact_way(&patch).await?;
        return answer(&client.get_contact_way(&args.config_id).await?);
    }
    let updated = client
        .update_contact_way_merged(&args.config_id, |way| body::apply_contact_way_patch(way, &patch, &args))
        .await?;
    answer(&updated)
}

/// Deletes each id in turn, printing `{"config_id", "deleted": true}` for each, and notes the
/// deletions in the ledger when it is free. Stops at the first failure.
pub(crate) async fn delete_each<F, Fut>(global: &Global, ids: &[String], delete: F) -> Result<(), CliError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), wecom_client::Error>>,
{
    let ledger = global.try_open_ledger();
    let mut out = Answers::new();
    for id in ids {
        delete(id.clone()).await?;
        if let Some(ledger) = &ledger
            && let Err(err) = ledger.mark_deleted(id)
        {
            warn(format_args!("{id} was deleted, but the ledger could not note it: {err}"));
        }
        out.line(&json!({"config_id": id, "deleted": true}))?;
    }
    out.finish()
}
