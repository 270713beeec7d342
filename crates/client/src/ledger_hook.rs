//! Where the call path meets the ledger (feature `ledger`): the intent before the first send,
//! the outcome after the last.

use wecom_types::Api;

use crate::error::Error;
use crate::ledger::{Ledger, LedgerError, ResolvedBy};

/// Commits the intent of a create for the client of `(corpid, base_url)`; the request is sent
/// only once this returns `Ok`.
pub(crate) async fn record_intent(
    ledger: &Ledger,
    (corpid, base_url): (&str, &str),
    api: Api,
    body: &[u8],
) -> Result<u64, Error> {
    // The body is what this crate just encoded: it is JSON.
    let body: serde_json::Value =
        serde_json::from_slice(body).map_err(|source| Error::Encode { api, source: std::sync::Arc::new(source) })?;
    let (corpid, base_url) = (corpid.to_owned(), base_url.to_owned());
    blocking(ledger, move |ledger| ledger.record_intent(api, &corpid, &base_url, body)).await
}

/// Records how a create ended. A failure to write leaves the entry pending, which a reconcile
/// resolves later; the caller still gets the call's own result.
pub(crate) async fn settle<T: serde::Serialize>(ledger: &Ledger, seq: u64, result: &Result<T, Error>) {
    let written = match result {
        Ok(answer) => {
            let answer = serde_json::to_value(answer).unwrap_or_default();
            let text = |key: &str| answer.get(key).and_then(|value| value.as_str()).map(str::to_owned);
            let Some(config_id) = text("config_id") else {
                // A success without an id: nothing to adopt; leave it to a reconcile.
                tracing::warn!(seq, "a create succeeded without a config_id; the ledger entry stays pending");
                return;
            };
            let qr_code = text("qr_code");
            blocking(ledger, move |ledger| ledger.complete(seq, &config_id, qr_code.as_deref(), ResolvedBy::Answer))
                .await
        }
        // A create is never resent after an open question, so the last error speaks for every
        // attempt.
        Err(err) if !err.may_have_created() => {
            let (code, message) = (err.code().map(|code| code.get()), err.to_string());
            blocking(ledger, move |ledger| ledger.fail(seq, code, &message)).await
        }
        Err(_) => return,
    };
    if let Err(err) = written {
        tracing::warn!(seq, error = %err, "could not record the outcome of a create; the ledger entry stays pending");
    }
}

/// Runs a ledger operation off the async threads (a commit waits for the disk).
pub(crate) async fn blocking<T: Send + 'static>(
    ledger: &Ledger,
    op: impl FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, Error> {
    let ledger = ledger.clone();
    let result = tokio::task::spawn_blocking(move || op(&ledger))
        .await
        .unwrap_or_else(|join| Err(LedgerError::Task(join.to_string())));
    result.map_err(|err| Error::Ledger(std::sync::Arc::new(err)))
}
