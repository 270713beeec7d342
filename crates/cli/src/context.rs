//! Turning the global options into a client and a ledger.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use wecom_client::ledger::{Ledger, LedgerError};
use wecom_client::{Client, RetryPolicy};

use crate::cli::Global;
use crate::error::CliError;
use crate::output::warn;

/// How long a command waits for a ledger that another `wecom` holds.
const LEDGER_WAIT: Duration = Duration::from_secs(30);
const LEDGER_POLL: Duration = Duration::from_millis(100);

impl Global {
    /// The ledger file: `--ledger`, or `ledger.redb` under the user's data dir.
    pub(crate) fn ledger_path(&self) -> Result<PathBuf, CliError> {
        if let Some(path) = &self.ledger {
            return Ok(path.clone());
        }
        dirs::data_dir().map(|dir| dir.join("wecom").join("ledger.redb")).ok_or_else(|| {
            CliError::Usage("no data directory is known for this user: give --ledger (or WECOM_LEDGER)".into())
        })
    }

    /// Opens the ledger, waiting a while if another `wecom` holds it.
    pub(crate) fn open_ledger(&self) -> Result<Ledger, CliError> {
        let path = self.ledger_path()?;
        let started = Instant::now();
        let mut told = false;
        loop {
            match Ledger::open(&path) {
                Err(LedgerError::InUse { .. }) if started.elapsed() < LEDGER_WAIT => {
                    if !told {
                        eprintln!("waiting for the ledger {} (another wecom has it open)…", path.display());
                        told = true;
                    }
                    std::thread::sleep(LEDGER_POLL);
                }
                other => return other.map_err(CliError::from),
            }
        }
    }

    /// Opens the ledger if it is free at once: for commands that only note deletions in it.
    pub(crate) fn try_open_ledger(&self) -> Option<Ledger> {
        let path = self.ledger_path().ok()?;
        if !path.exists() {
            return None;
        }
        match Ledger::open(&path) {
            Ok(ledger) => Some(ledger),
            Err(err) => {
                warn(format_args!("deletions are not noted in the ledger: {err}"));
                None
            }
        }
    }

    /// The corpid and secret, or the usage error that names the missing one.
    pub(crate) fn credentials(&self) -> Result<(&str, &str), CliError> {
        let corpid = self.corpid.as_deref().filter(|text| !text.is_empty());
        let secret = self.secret.as_deref().filter(|text| !text.is_empty());
        match (corpid, secret) {
            (Some(corpid), Some(secret)) => Ok((corpid, secret)),
            (None, _) => Err(CliError::Usage("give the corp with --corpid (or WECOM_CORPID)".into())),
            (_, None) => Err(CliError::Usage("give the app's secret with --secret (or WECOM_SECRET)".into())),
        }
    }

    /// A client without a ledger: for commands that create nothing.
    pub(crate) fn client(&self) -> Result<Client, CliError> {
        let (corpid, secret) = self.credentials()?;
        Ok(self.builder(corpid, secret).build()?)
    }

    /// A client that records its creates in `ledger`.
    pub(crate) fn client_with_ledger(&self, ledger: Ledger) -> Result<Client, CliError> {
        let (corpid, secret) = self.credentials()?;
        Ok(self.builder(corpid, secret).shared_ledger(ledger).build()?)
    }

    fn builder(&self, corpid: &str, secret: &str) -> wecom_client::ClientBuilder {
        Client::builder(corpid, secret)
            .base_url(self.base_url.as_str())
            .timeout(self.timeout)
            .retry_policy(RetryPolicy { max_retries: self.max_retries, ..RetryPolicy::default() })
            .user_agent(concat!("wecom-contactway-cli/", env!("CARGO_PKG_VERSION")))
    }

    /// A progress bar on stderr (drawn only on a terminal, never with --quiet).
    pub(crate) fn progress(&self, length: Option<u64>, what: &str) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let bar = match length {
            Some(length) => ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({rate}, {eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    // indicatif's own {per_sec} shows three decimals ("346.865/s").
                    .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                        let _ = write!(out, "{:.0}/s", state.per_sec());
                    })
                    .progress_chars("=> "),
            ),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
                ProgressStyle::with_template("{spinner} {msg} {pos}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        bar.set_message(what.to_owned());
        bar
    }

    /// A line for the person at the terminal (not with --quiet).
    pub(crate) fn note(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
}
