//! Tool results: the answer as structured content and as text; a failure as a tool error
//! (`isError: true`) whose text starts with `errcode N: errmsg` when there is an errcode.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use wecom_client::Error as ClientError;

use crate::error::CliError;

/// Why a tool call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolError {
    /// What the command would have failed with.
    #[error(transparent)]
    Cli(#[from] CliError),
    /// The mock's control surface refused (its admin error shape is the structured content).
    #[error("the mock's control surface answered HTTP {status}: {body}")]
    Admin { status: u16, body: Value },
    /// The mock's control surface could not be reached.
    #[error("the mock's control surface cannot be reached: {0}")]
    AdminUnreachable(#[source] reqwest::Error),
}

/// A successful answer. Structured content must be an object: anything else is wrapped.
pub(crate) fn success(answer: Value) -> CallToolResult {
    match answer {
        Value::Object(_) => CallToolResult::structured(answer),
        other => CallToolResult::structured(json!({"result": other})),
    }
}

/// A failed call as a tool error the agent can read.
pub(crate) fn failure(err: &ToolError) -> CallToolResult {
    let (text, structured) = describe(err);
    let mut result = CallToolResult::structured_error(structured);
    result.content = vec![ContentBlock::text(text)];
    result
}

fn describe(err: &ToolError) -> (String, Value) {
    match err {
        ToolError::Cli(CliError::Client(client)) => describe_client(client),
        ToolError::Cli(CliError::Body { what, source }) => {
            let code = wecom_types::DecodeError::CODE.0;
            (
                format!("errcode {code}: {} (refused before sending: {what})", source.phrase()),
                json!({"errcode": code, "errmsg": source.phrase(), "field": source.field, "sent": false}),
            )
        }
        ToolError::Cli(CliError::MaybeCreated { ledger, entry, source }) => (
            err.to_string(),
            json!({
                "may_have_created": true,
                "ledger": ledger,
                "ledger_entry": entry,
                "error": source.to_string(),
            }),
        ),
        ToolError::Admin { status, body } => (err.to_string(), json!({"status": status, "error": body})),
        other => (other.to_string(), json!({"error": other.to_string()})),
    }
}

fn describe_client(err: &ClientError) -> (String, Value) {
    match err {
        ClientError::Api { code, message, .. } => {
            (format!("errcode {}: {message}", code.0), json!({"errcode": code.0, "errmsg": message}))
        }
        ClientError::Validation(violation) => {
            let code = violation.code.0;
            let errmsg = format!("field `{}` {}", violation.field, violation.rule);
            (
                format!("errcode {code}: {errmsg} (refused before sending: nothing was sent)"),
                json!({"errcode": code, "errmsg": errmsg, "field": violation.field, "sent": false}),
            )
        }
        ClientError::Incomplete { source, .. } => describe_client(source),
        other => (other.to_string(), json!({"error": other.to_string()})),
    }
}
