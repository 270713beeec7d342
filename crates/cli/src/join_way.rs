//! `wecom join-way …`: J1–J4.

use wecom_client::Error as ClientError;

use crate::body;
use crate::cli::{Global, JoinWayCommand, JoinWayUpdateArgs};
use crate::contact_way::delete_each;
use crate::error::CliError;
use crate::output::{answer, warn};

pub(crate) async fn run(global: &Global, command: JoinWayCommand) -> Result<(), CliError> {
    match command {
        JoinWayCommand::Add(args) => {
            let add = body::add_join_way(&args)?;
            global.credentials()?;
            let ledger = global.open_ledger()?;
            let path = ledger.path().to_path_buf();
            let client = global.client_with_ledger(ledger)?;
            match client.create_join_way(&add).await {
                Ok(created) => answer(&serde_json::json!({"config_id": created.config_id, "qr_code": created.qr_code})),
                // The config exists and its id is in the ledger; only the QR code read failed.
                // Exiting with an error here would invite a second create.
                Err(ClientError::Incomplete { config_id, source }) => {
                    warn(format_args!(
                        "config {config_id} was created, but reading its QR code failed ({source}); \
                         `wecom join-way get {config_id}` shows it"
                    ));
                    answer(&serde_json::json!({"config_id": config_id, "qr_code": null}))
                }
                Err(err) if err.may_have_created() => Err(CliError::MaybeCreated { ledger: path, source: err }),
                Err(err) => Err(err.into()),
            }
        }
        JoinWayCommand::Get { config_id } => answer(&global.client()?.get_join_way(&config_id).await?),
        JoinWayCommand::Update(args) => update(global, args).await,
        JoinWayCommand::Delete { config_ids } => {
            let client = global.client()?;
            delete_each(global, &config_ids, |id| {
                let client = client.clone();
                async move { client.del_join_way(&id).await }
            })
            .await
        }
    }
}

async fn update(global: &Global, args: JoinWayUpdateArgs) -> Result<(), CliError> {
    let given = body::join_way_given(&args)?;
    let client = global.client()?;
    if args.replace {
        if !args.add_chat.is_empty() || !args.remove_chat.is_empty() {
            return Err(CliError::Usage(
                "--add-chat / --remove-chat edit the stored list: they need the merged update (drop --replace)".into(),
            ));
        }
        let reset = body::join_way_fields_reset(&given);
        if !reset.is_empty() {
            warn(format_args!(
                "--replace: J3 overwrites the whole config; {} go back to their defaults",
                reset.join(", ")
            ));
        }
        client.update_join_way(&given).await?;
        return answer(&client.get_join_way(&args.config_id).await?);
    }
    let updated =
        client.update_join_way_merged(&args.config_id, |way| body::apply_join_way(way, &given, &args)).await?;
    answer(&updated)
}
