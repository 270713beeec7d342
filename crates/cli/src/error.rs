//! Everything a command can fail with, and which exit status each failure is.

use std::path::PathBuf;

use wecom_client::Error as ClientError;
use wecom_client::ledger::LedgerError;
use wecom_types::wire::DecodeError;

use crate::exit::Exit;

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The command line does not make sense.
    #[error("{0}")]
    Usage(String),
    /// An input file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input is not the JSON it should be.
    #[error("{what}: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A request body has a field of the wrong type (what the service answers 40058 to).
    #[error("{what}: request not sent: {source}")]
    Body {
        what: String,
        #[source]
        source: DecodeError,
    },
    /// A call failed (the exit status depends on how).
    #[error("{}", describe(.0))]
    Client(#[from] ClientError),
    /// A create was sent and its answer lost.
    #[error(
        "the create may or may not have happened: {source}\n\
         the ledger {} holds its intent{}; run `wecom ledger reconcile` to find its config_id \
         (do not simply run the create again: a second config would take a second quota unit)",
        ledger.display(),
        entry.map(|seq| format!(" (entry {seq})")).unwrap_or_default()
    )]
    MaybeCreated {
        ledger: PathBuf,
        /// The ledger entry of the create, when it could be read back.
        entry: Option<u64>,
        #[source]
        source: ClientError,
    },
    /// The ledger could not be used.
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// An output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Some ledger intents are still unresolved after a reconcile (reported on stdout already).
    #[error("{} unresolved", crate::count::count(*.0, "intent remains", "intents remain"))]
    Unresolved(usize),
    /// A verify run ended with this status (its lines are on stdout already).
    #[error("{message}")]
    Verify { exit: Exit, message: String },
    /// Whoever read stdout stopped reading (`| head`): not an error worth a message.
    #[error("stdout closed")]
    StdoutClosed,
}

impl CliError {
    /// The exit status of this failure.
    pub(crate) fn exit(&self) -> Exit {
        match self {
            CliError::Usage(_) | CliError::Read { .. } | CliError::Json { .. } | CliError::Body { .. } => Exit::Usage,
            CliError::Client(err) => client_exit(err),
            CliError::MaybeCreated { .. } | CliError::Unresolved(_) => Exit::MaybeCreated,
            CliError::Ledger(_) | CliError::Write { .. } => Exit::Unavailable,
            CliError::Verify { exit, .. } => *exit,
            CliError::StdoutClosed => Exit::Success,
        }
    }

    /// `true` when the failure needs no message (it was reported already, or is no failure).
    pub(crate) fn is_silent(&self) -> bool {
        matches!(self, CliError::StdoutClosed)
    }
}

/// Which exit status a client error is.
fn client_exit(err: &ClientError) -> Exit {
    if err.may_have_created() {
        return Exit::MaybeCreated;
    }
    match err {
        ClientError::Api { .. } => Exit::Api,
        ClientError::Incomplete { source, .. } => client_exit(source),
        ClientError::Validation(_) | ClientError::Unchangeable { .. } | ClientError::Config { .. } => Exit::Usage,
        _ => Exit::Unavailable,
    }
}

/// The message for a client error: an API error as "errcode N (phrase): errmsg".
fn describe(err: &ClientError) -> String {
    match err {
        ClientError::Api { api, code, message } => {
            format!("{} answered errcode {}: {message}", api.short_name(), code)
        }
        ClientError::Validation(violation) => format!("request not sent: {violation}"),
        // The most common first mistake: WECOM_BASE_URL unset, so the call went to the real
        // service when the mock was meant.
        ClientError::Transport { url, .. } if url.starts_with(wecom_client::DEFAULT_BASE_URL) => format!(
            "{err}\nhint: that is the real WeCom service (the default --base-url); for the mock, \
             set WECOM_BASE_URL=http://127.0.0.1:8080"
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use wecom_types::{Api, ErrCode};

    use super::*;

    #[test]
    fn each_kind_of_failure_has_its_exit_status() {
        let api = |api, code| ClientError::Api { api, code: ErrCode(code), message: "m".into() };
        let http = |api| ClientError::Http { api, status: 502, body: String::new() };
        let cases: Vec<(CliError, Exit)> = vec![
            (CliError::Usage("x".into()), Exit::Usage),
            (api(Api::GetContactWay, 41044).into(), Exit::Api),
            (api(Api::AddContactWay, 41045).into(), Exit::Api),
            (http(Api::AddContactWay).into(), Exit::MaybeCreated),
            (http(Api::GetContactWay).into(), Exit::Unavailable),
            (ClientError::Unchangeable { field: "type" }.into(), Exit::Usage),
            (CliError::Unresolved(1), Exit::MaybeCreated),
            (LedgerError::UnknownEntry(3).into(), Exit::Unavailable),
            (CliError::StdoutClosed, Exit::Success),
        ];
        for (err, exit) in cases {
            assert_eq!(err.exit(), exit, "{err}");
        }
    }

    #[test]
    fn an_api_error_shows_the_errcode_and_the_errmsg() {
        let err: CliError = ClientError::Api {
            api: Api::DelContactWay,
            code: ErrCode(41044),
            message: "invalid config_id, hint: [1]".into(),
        }
        .into();
        assert_eq!(
            err.to_string(),
            "del_contact_way answered errcode 41044 (invalid config_id): invalid config_id, hint: [1]"
        );
    }
}
