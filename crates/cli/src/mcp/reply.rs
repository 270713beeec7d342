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

#[cfg(test)]
mod tests {
    use wecom_types::{Api, ErrCode, Rule, Violation};

    use super::*;

    fn text(result: &CallToolResult) -> String {
        result.content.iter().filter_map(|content| content.as_text()).map(|text| text.text.clone()).collect()
    }

    #[test]
    fn each_failure_is_a_tool_error_with_its_errcode_first() {
        let api =
            ClientError::Api { api: Api::GetContactWay, code: ErrCode(41044), message: "invalid config_id".into() };
        let refused = ClientError::Validation(Violation { code: ErrCode(41039), field: "type", rule: Rule::Missing });
        // (failure, the text's start, the structured errcode)
        let cases: Vec<(ToolError, String, Option<i32>)> = vec![
            (CliError::from(api).into(), "errcode 41044: invalid config_id".into(), Some(41044)),
            (CliError::from(refused).into(), "errcode 41039: field `type`".into(), Some(41039)),
            (CliError::Usage("prune needs a filter".into()).into(), "prune needs a filter".into(), None),
        ];
        for (err, start, errcode) in cases {
            let result = failure(&err);
            assert_eq!(result.is_error, Some(true), "{err}");
            assert!(text(&result).starts_with(&start), "{} does not start with {start}", text(&result));
            let structured = result.structured_content.unwrap_or_default();
            assert_eq!(structured.get("errcode").and_then(Value::as_i64), errcode.map(i64::from), "{err}");
        }
    }

    #[test]
    fn an_answer_that_is_not_an_object_is_wrapped() {
        let result = success(json!([1, 2]));
        assert_eq!(result.structured_content, Some(json!({"result": [1, 2]})));
        assert_eq!(text(&result), r#"{"result":[1,2]}"#);
    }
}
