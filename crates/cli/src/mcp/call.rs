//! Each tool on the code path of its command: the same body decoding, `Validate` before
//! sending, merged updates, the ledger, prune's dry run and backups. Only the front end differs:
//! the answer comes back as a value instead of lines on stdout.

use std::time::Duration;

use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wecom_client::ledger::Status;
use wecom_client::reconcile::Outcome;
use wecom_types::api::{
    AddContactWay, AddJoinWay, CloseTempChat, GetContactWay, ListContactWay, ListExternalContact, SendWelcomeMsg,
    UpdateContactWay, UpdateJoinWay,
};
use wecom_types::limits::CONTACT_WAY_QUOTA;
use wecom_types::wire;

use super::mock::Admin;
use super::reply::ToolError;
use crate::body::{self, ContactWayEdits, ListEdits};
use crate::cli::{Global, PruneArgs};
use crate::contact_way;
use crate::error::CliError;
use crate::{after_scan, inventory, join_way, ledger_cmd, prune, walk};

/// `inventory`'s default `limit`.
pub(crate) const INVENTORY_LIMIT: u64 = 1_000;
/// `ledger_reconcile`'s default `slack`, as `wecom ledger reconcile`'s.
pub(crate) const RECONCILE_SLACK_SECS: u64 = 300;
/// Gets (and deletes) in flight at once, as the commands' default `--concurrency`.
const CONCURRENCY: u16 = 8;

/// Runs the tool `name` (known to be served) with `args`: its answer as a JSON object.
pub(crate) async fn call(
    global: &Global,
    admin: Option<&Admin>,
    name: &str,
    args: JsonObject,
) -> Result<Value, ToolError> {
    match name {
        "add_contact_way" => {
            let add: AddContactWay = wire_body(name, args, false)?;
            to_value(&contact_way::add(global, &add).await?)
        }
        "get_contact_way" => {
            let config_id = config_id(name, &args)?;
            to_value(&global.client()?.get_contact_way(&config_id).await.map_err(CliError::from)?)
        }
        "list_contact_way" => {
            let list: ListContactWay = wire_body(name, args, false)?;
            to_value(&global.client()?.list_contact_way(&list).await.map_err(CliError::from)?)
        }
        "update_contact_way" => {
            let (replace, args) = take_replace(args)?;
            let config_id = config_id(name, &args)?;
            let patch = UpdateContactWay { config_id: Some(config_id), ..wire_body(name, args, !replace)? };
            let edits = ContactWayEdits::default();
            to_value(&contact_way::update_contact_way(global, &patch, &edits, replace).await?)
        }
        "del_contact_way" => {
            let config_id = config_id(name, &args)?;
            let client = global.client()?;
            delete(global, config_id, |id| {
                let client = client.clone();
                async move { client.del_contact_way(&id).await }
            })
            .await
        }
        "close_temp_chat" => {
            let close: CloseTempChat = wire_body(name, args, false)?;
            let (userid, external_userid) =
                (close.userid.unwrap_or_default(), close.external_userid.unwrap_or_default());
            Ok(contact_way::close_temp_chat(global, &userid, &external_userid).await?)
        }
        "add_join_way" => {
            let add: AddJoinWay = wire_body(name, args, false)?;
            to_value(&join_way::add(global, &add).await?)
        }
        "get_join_way" => {
            let config_id = config_id(name, &args)?;
            to_value(&global.client()?.get_join_way(&config_id).await.map_err(CliError::from)?)
        }
        "update_join_way" => {
            let (replace, args) = take_replace(args)?;
            let config_id = config_id(name, &args)?;
            let given = UpdateJoinWay { config_id: Some(config_id), ..wire_body(name, args, !replace)? };
            to_value(&join_way::update_join_way(global, &given, &ListEdits::default(), replace).await?)
        }
        "del_join_way" => {
            let config_id = config_id(name, &args)?;
            let client = global.client()?;
            delete(global, config_id, |id| {
                let client = client.clone();
                async move { client.del_join_way(&id).await }
            })
            .await
        }
        "send_welcome_msg" => {
            let send: SendWelcomeMsg = wire_body(name, args, false)?;
            global.client()?.send_welcome_msg(&send).await.map_err(CliError::from)?;
            Ok(json!({"welcome_code": send.welcome_code, "sent": true}))
        }
        "get_follow_user_list" => Ok(json!({"follow_user": after_scan::member_list(global).await?})),
        "list_customers" => {
            let list: ListExternalContact = wire_body(name, args, false)?;
            let userid = list.userid.unwrap_or_default();
            Ok(json!({"external_userid": after_scan::customer_list(global, &userid).await?}))
        }
        "inventory" => inventory_tool(global, args).await,
        "prune" => prune_tool(global, args).await,
        "ledger_list" => ledger_list(global, args),
        "ledger_reconcile" => ledger_reconcile(global, args).await,
        "mock_scan" | "mock_join" | "mock_clock" | "mock_messages" => match admin {
            Some(admin) => admin.call(name, args).await,
            None => Err(CliError::Usage(format!("{name} needs `wecom mcp --mock-tools`")).into()),
        },
        other => Err(CliError::Usage(format!("no tool is called {other}")).into()),
    }
}

/// A tool's arguments as the wire body `T`, decoded as the service would (a wrongly typed
/// field is refused with 40058, before anything is sent).
fn wire_body<T: DeserializeOwned + serde::Serialize>(
    tool: &str,
    args: JsonObject,
    drop_nulls: bool,
) -> Result<T, ToolError> {
    Ok(body::body_from_value(Value::Object(args), drop_nulls, &format!("{tool} arguments"))?)
}

/// The `config_id` argument, decoded as the service decodes the C2 body (a number is refused
/// with 40058); empty when absent, which `Validate` then refuses with the service's errcode.
/// The body decoding leaves `config_id` out (a config read back and fed as a body must not
/// carry its id into a create), so the tools that act on a config take it here, as the
/// commands take it from their argument.
fn config_id(tool: &str, args: &JsonObject) -> Result<String, ToolError> {
    let given = json!({"config_id": args.get("config_id").cloned().unwrap_or(Value::Null)});
    let decoded: GetContactWay = wire::decode_body(given.to_string().as_bytes())
        .map_err(|source| CliError::Body { what: format!("{tool} arguments"), source })?;
    Ok(decoded.config_id.unwrap_or_default())
}

/// An update's `replace` flag, taken out of its arguments (the rest is the wire body).
fn take_replace(mut args: JsonObject) -> Result<(bool, JsonObject), ToolError> {
    let replace = match args.remove("replace") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(replace)) => replace,
        Some(_) => return Err(CliError::Usage("`replace` must be true or false".into()).into()),
    };
    Ok((replace, args))
}

/// Arguments that are not a wire body, decoded as `T` (a typed field named when wrong).
fn arguments<T: DeserializeOwned>(tool: &str, args: JsonObject) -> Result<T, ToolError> {
    serde_json::from_value(Value::Object(args))
        .map_err(|source| CliError::Json { what: format!("{tool} arguments"), source }.into())
}

fn to_value<T: serde::Serialize>(answer: &T) -> Result<Value, ToolError> {
    serde_json::to_value(answer).map_err(|source| CliError::Json { what: "the answer".into(), source }.into())
}

/// One delete, noted in the ledger as `wecom … delete` notes it.
async fn delete<F, Fut>(global: &Global, config_id: String, del: F) -> Result<Value, ToolError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), wecom_client::Error>>,
{
    let mut answer = Value::Null;
    contact_way::delete_each(global, &[config_id], del, |deleted| {
        answer = deleted;
        Ok(())
    })
    .await?;
    Ok(answer)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryInput {
    state_prefix: Option<String>,
    limit: Option<u64>,
}

async fn inventory_tool(global: &Global, args: JsonObject) -> Result<Value, ToolError> {
    let input: InventoryInput = arguments("inventory", args)?;
    let limit = usize::try_from(input.limit.unwrap_or(INVENTORY_LIMIT)).unwrap_or(usize::MAX);
    let prefix = input.state_prefix.unwrap_or_default();
    let mut configs = Vec::new();
    let mut matched = 0usize;
    let tally = inventory::collect(global, walk::Created::default(), usize::from(CONCURRENCY), |way| {
        if way.state.as_deref().unwrap_or_default().starts_with(&prefix) {
            matched += 1;
            if configs.len() < limit {
                configs.push(way.clone());
            }
        }
        Ok(())
    })
    .await?;
    Ok(json!({
        "configs": configs,
        "matched": matched,
        "truncated": matched > configs.len(),
        "summary": {
            "configs": tally.configs,
            "vanished": tally.vanished,
            "quota": {"used": tally.configs, "limit": CONTACT_WAY_QUOTA},
            "join_ways_in_ledger": inventory::join_ways_in_ledger(global),
            "by_state_prefix": tally.by_prefix,
            "by_member": tally.by_member,
        }
    }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PruneInput {
    state_prefix: Option<String>,
    created_before: Option<i64>,
    #[serde(default)]
    confirm: bool,
}

async fn prune_tool(global: &Global, args: JsonObject) -> Result<Value, ToolError> {
    let input: PruneInput = arguments("prune", args)?;
    if input.state_prefix.as_deref().is_some_and(str::is_empty) {
        return Err(
            CliError::Usage("prune: an empty state_prefix matches every config; give a real prefix".into()).into()
        );
    }
    if input.state_prefix.is_none() && input.created_before.is_none() {
        return Err(CliError::Usage("prune needs state_prefix and/or created_before".into()).into());
    }
    let args = PruneArgs {
        state_prefix: input.state_prefix,
        user: None,
        created_before: input.created_before,
        all: false,
        yes: input.confirm,
        backup: None,
        concurrency: CONCURRENCY,
    };
    let mut configs = Vec::new();
    let report = prune::execute(global, &args, |way| {
        configs.push(way.clone());
        Ok(())
    })
    .await?;
    let backup = report.backup.map(|path| std::path::absolute(&path).unwrap_or(path));
    Ok(json!({
        "dry_run": !input.confirm,
        "configs": configs,
        "listed": report.listed,
        "matched": report.matched,
        "deleted": report.deleted,
        "already_gone": report.gone,
        "backup": backup,
    }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerListInput {
    #[serde(default)]
    status: Vec<Status>,
    #[serde(default)]
    all_corps: bool,
}

fn ledger_list(global: &Global, args: JsonObject) -> Result<Value, ToolError> {
    let input: LedgerListInput = arguments("ledger_list", args)?;
    let entries = ledger_cmd::entries(global, &input.status, input.all_corps)?;
    Ok(json!({"ledger": global.ledger_path()?, "entries": entries}))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileInput {
    slack: Option<u64>,
}

async fn ledger_reconcile(global: &Global, args: JsonObject) -> Result<Value, ToolError> {
    let input: ReconcileInput = arguments("ledger_reconcile", args)?;
    let slack = Duration::from_secs(input.slack.unwrap_or(RECONCILE_SLACK_SECS));
    let (report, elsewhere) = ledger_cmd::reconcile_ledger(global, slack, usize::from(CONCURRENCY)).await?;
    let unresolved =
        report.iter().filter(|done| !matches!(done.outcome, Outcome::Adopted { .. } | Outcome::NotFound)).count();
    Ok(json!({"entries": report, "unresolved": unresolved, "other_corps_pending": elsewhere}))
}
