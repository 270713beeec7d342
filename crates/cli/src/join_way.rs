//! `wecom join-way …`: J1–J4.

use serde::Serialize;
use wecom_client::Error as ClientError;
use wecom_types::Api;
use wecom_types::api::{AddJoinWay, JoinWay, UpdateJoinWay};

use crate::body::{self, ListEdits};
use crate::cli::{Global, JoinWayCommand, JoinWayUpdateArgs};
use crate::contact_way::{delete_each, maybe_created};
use crate::error::CliError;
use crate::output::{Answers, answer, warn};

/// A created Join Group config: `qr_code` is `null` when reading it failed after the create.
#[derive(Debug, Serialize)]
pub(crate) struct JoinWayCreated {
    pub(crate) config_id: String,
    pub(crate) qr_code: Option<String>,
}

pub(crate) async fn run(global: &Global, command: JoinWayCommand) -> Result<(), CliError> {
    match command {
        JoinWayCommand::Add(args) => answer(&add(global, &body::add_join_way(&args)?).await?),
        JoinWayCommand::Get { config_id } => answer(&global.client()?.get_join_way(&config_id).await?),
        JoinWayCommand::Update(args) => update(global, args).await,
        JoinWayCommand::Delete { config_ids } => {
            let client = global.client()?;
            let mut out = Answers::new();
            delete_each(
                global,
                &config_ids,
                |id| {
                    let client = client.clone();
                    async move { client.del_join_way(&id).await }
                },
                |deleted| out.line(&deleted),
            )
            .await?;
            out.finish()
        }
    }
}

/// J1 (and J2 for the QR code) with the ledger first: the one create path of `join-way add` and
/// the `add_join_way` tool.
pub(crate) async fn add(global: &Global, add: &AddJoinWay) -> Result<JoinWayCreated, CliError> {
    global.credentials()?;
    let ledger = global.open_ledger()?;
    let client = global.client_with_ledger(ledger.clone())?;
    match client.create_join_way(add).await {
        Ok(created) => Ok(JoinWayCreated { config_id: created.config_id, qr_code: created.qr_code }),
        // The config exists and its id is in the ledger; only the QR code read failed.
        // Failing here would invite a second create.
        Err(ClientError::Incomplete { config_id, source }) => {
            warn(format_args!(
                "config {config_id} was created, but reading its QR code failed ({source}); \
                 `wecom join-way get {config_id}` shows it"
            ));
            Ok(JoinWayCreated { config_id, qr_code: None })
        }
        Err(err) if err.may_have_created() => Err(maybe_created(&ledger, Api::AddJoinWay, add, err)),
        Err(err) => Err(err.into()),
    }
}

async fn update(global: &Global, args: JoinWayUpdateArgs) -> Result<(), CliError> {
    let given = body::join_way_given(&args)?;
    let chats = ListEdits { add: args.add_chat.clone(), remove: args.remove_chat.clone() };
    answer(&update_join_way(global, &given, &chats, args.replace).await?)
}

/// J3, merged by default (read, change what was given, write the whole config back: J3
/// overwrites, and fields not sent would fall back to their defaults); with `replace`, exactly
/// `given`. Answers the config as stored afterwards. The one update path of `join-way update`
/// and the `update_join_way` tool.
pub(crate) async fn update_join_way(
    global: &Global,
    given: &UpdateJoinWay,
    chats: &ListEdits<String>,
    replace: bool,
) -> Result<JoinWay, CliError> {
    let config_id = given.config_id.clone().unwrap_or_default();
    let client = global.client()?;
    if replace {
        if !chats.add.is_empty() || !chats.remove.is_empty() {
            return Err(CliError::Usage(
                "--add-chat / --remove-chat edit the stored list: they need the merged update (drop --replace)".into(),
            ));
        }
        let reset = body::join_way_fields_reset(given);
        if !reset.is_empty() {
            warn(format_args!(
                "--replace: J3 overwrites the whole config; {} go back to their defaults",
                reset.join(", ")
            ));
        }
        client.update_join_way(given).await?;
        return Ok(client.get_join_way(&config_id).await?);
    }
    Ok(client.update_join_way_merged(&config_id, |way| body::apply_join_way(way, given, chats)).await?)
}
