//! The exit statuses: one table, shown by `--help`, mirrored in the README (a test of the
//! binary, `tests/it/help.rs`, keeps them in step).

use std::process::ExitCode;

/// What a run of `wecom` ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Done.
    Success,
    /// WeCom answered an errcode.
    Api,
    /// The command line, an input file or the request itself is wrong; nothing was sent.
    Usage,
    /// A create may or may not have happened.
    MaybeCreated,
    /// The service could not be reached, or a local file could not be written.
    Unavailable,
}

/// One row of the table.
pub(crate) struct ExitRow {
    pub(crate) exit: Exit,
    pub(crate) code: u8,
    pub(crate) meaning: &'static str,
}

/// Every exit status, in order.
pub(crate) const EXIT_TABLE: [ExitRow; 5] = [
    ExitRow { exit: Exit::Success, code: 0, meaning: "success" },
    ExitRow {
        exit: Exit::Api,
        code: 1,
        meaning: "WeCom answered an error: the errcode and errmsg are on stderr; nothing was changed by that call",
    },
    ExitRow {
        exit: Exit::Usage,
        code: 2,
        meaning: "usage error: bad flags, an unreadable or malformed input file, or a request that \
                  wecom-types refuses (checked before anything is sent)",
    },
    ExitRow {
        exit: Exit::MaybeCreated,
        code: 3,
        meaning: "a create may or may not have happened (its answer was lost); the ledger holds the intent: \
                  run `wecom ledger reconcile`. Also from `ledger reconcile` while an intent stays unresolved",
    },
    ExitRow {
        exit: Exit::Unavailable,
        code: 4,
        meaning: "the service could not be reached or did not answer like WeCom, or a local file (ledger, \
                  output, backup) could not be written; no create is in doubt, running again is safe",
    },
];

impl Exit {
    pub(crate) fn code(self) -> u8 {
        EXIT_TABLE.iter().find(|row| row.exit == self).map_or(1, |row| row.code)
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// The table as `--help` prints it.
pub(crate) fn help_text() -> String {
    let mut text = String::from("Exit status:\n");
    for row in &EXIT_TABLE {
        text.push_str(&format!("  {}  {}\n", row.code, row.meaning));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_in_order() {
        for (i, row) in EXIT_TABLE.iter().enumerate() {
            assert_eq!(usize::from(row.code), i);
            assert_eq!(row.exit.code(), row.code);
        }
    }
}
