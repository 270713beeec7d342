//! `wecom members` and `wecom customers --userid U`: which members may be put on a code, and
//! which customers a member has (§8), as JSON lines.

use serde_json::json;
use wecom_types::ErrCode;

use crate::cli::Global;
use crate::count::count;
use crate::error::CliError;
use crate::output::Answers;

/// `get_follow_user_list`: `{"userid": …}` per member.
pub(crate) async fn members(global: &Global) -> Result<(), CliError> {
    let members = member_list(global).await?;
    let mut out = Answers::buffered();
    for userid in &members {
        out.line(&json!({"userid": userid}))?;
    }
    out.finish()?;
    global.note(count(members.len(), "member", "members"));
    Ok(())
}

/// `externalcontact/list`: `{"external_userid": …}` per customer. WeCom answers 84061 for a
/// member without customers; that is an empty list here, not a failure.
pub(crate) async fn customers(global: &Global, userid: &str) -> Result<(), CliError> {
    let customers = customer_list(global, userid).await?;
    let mut out = Answers::buffered();
    for external_userid in &customers {
        out.line(&json!({"external_userid": external_userid}))?;
    }
    out.finish()?;
    global.note(format_args!("{} of {userid}", count(customers.len(), "customer", "customers")));
    Ok(())
}

/// The members who may be put on a code: `wecom members` and the `get_follow_user_list` tool.
pub(crate) async fn member_list(global: &Global) -> Result<Vec<String>, CliError> {
    Ok(global.client()?.get_follow_user_list().await?)
}

/// A member's customers, none for a member without any (84061): `wecom customers` and the
/// `list_customers` tool.
pub(crate) async fn customer_list(global: &Global, userid: &str) -> Result<Vec<String>, CliError> {
    match global.client()?.list_external_contact(userid).await {
        Ok(customers) => Ok(customers),
        Err(err) if err.code() == Some(ErrCode::NOT_EXTERNAL_CONTACT) => Ok(Vec::new()),
        Err(err) => Err(err.into()),
    }
}
