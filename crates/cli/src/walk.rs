//! Walking every listed Contact Me config: `list_contact_way` in 90-day windows (its default
//! window, the safe size against the real service) from the oldest listed time to now, each
//! window followed to its last page.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::{StreamExt, TryStreamExt, stream};
use indicatif::ProgressBar;
use wecom_client::Client;
use wecom_types::ErrCode;
use wecom_types::api::{ContactWay, ListContactWay};
use wecom_types::limits::{DAY_SECS, DEFAULT_LIST_WINDOW_SECS, LIST_CUTOFF_UNIX, MAX_LIST_LIMIT};

use crate::error::CliError;

/// Which creation times to walk (unix seconds, both ends included); `None` is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Created {
    /// The first; default the oldest the API lists.
    pub(crate) start_time: Option<i64>,
    /// The last; default a day past this machine's now.
    pub(crate) end_time: Option<i64>,
}

/// Now, in unix seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The inclusive `(start, end)` windows that cover `range`: at most 90 days each, none
/// overlapping. The default end is a day past this machine's now, so a server clock that runs
/// ahead loses nothing.
pub(crate) fn windows(range: Created) -> Vec<(i64, i64)> {
    let start = range.start_time.unwrap_or(LIST_CUTOFF_UNIX).max(LIST_CUTOFF_UNIX);
    let end = range.end_time.unwrap_or_else(|| unix_now() + DAY_SECS);
    let mut windows = Vec::new();
    let mut from = start;
    while from <= end {
        let to = from.saturating_add(DEFAULT_LIST_WINDOW_SECS - 1).min(end);
        windows.push((from, to));
        from = to.saturating_add(1);
    }
    windows
}

/// Every config id listed in `range`, in list order (oldest first), each once.
pub(crate) async fn list_ids(client: &Client, range: Created, progress: &ProgressBar) -> Result<Vec<String>, CliError> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for (start, end) in windows(range) {
        let filter = ListContactWay {
            start_time: Some(start),
            end_time: Some(end),
            limit: Some(i64::from(MAX_LIST_LIMIT)),
            ..ListContactWay::default()
        };
        let mut pages = std::pin::pin!(client.contact_way_ids(filter));
        while let Some(id) = pages.try_next().await? {
            progress.inc(1);
            if seen.insert(id.clone()) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// A config read after the list, or one that was deleted in between.
pub(crate) enum Fetched {
    Found(Box<ContactWay>),
    Vanished,
}

/// Gets each id with at most `concurrency` in flight, in the ids' order.
pub(crate) fn get_each(
    client: &Client,
    ids: Vec<String>,
    concurrency: usize,
) -> impl futures_util::Stream<Item = Result<Fetched, CliError>> + '_ {
    stream::iter(ids)
        .map(move |id| async move {
            match client.get_contact_way(&id).await {
                Ok(way) => Ok(Fetched::Found(Box::new(way))),
                Err(err) if err.code() == Some(ErrCode::INVALID_CONFIG_ID) => Ok(Fetched::Vanished),
                Err(err) => Err(CliError::from(err)),
            }
        })
        .buffered(concurrency.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_without_overlap_or_gap() {
        let range = Created { start_time: Some(LIST_CUTOFF_UNIX), end_time: Some(LIST_CUTOFF_UNIX + 200 * DAY_SECS) };
        let windows = windows(range);
        assert_eq!(windows.len(), 3);
        assert_eq!(windows[0], (LIST_CUTOFF_UNIX, LIST_CUTOFF_UNIX + DEFAULT_LIST_WINDOW_SECS - 1));
        for pair in windows.windows(2) {
            assert_eq!(pair[1].0, pair[0].1 + 1);
            assert!(pair[0].1 - pair[0].0 < DEFAULT_LIST_WINDOW_SECS);
        }
        assert_eq!(windows.last().map(|w| w.1), Some(LIST_CUTOFF_UNIX + 200 * DAY_SECS));
    }

    #[test]
    fn a_start_before_the_cutoff_starts_at_the_cutoff_and_an_empty_range_has_no_window() {
        let range = Created { start_time: Some(0), end_time: Some(LIST_CUTOFF_UNIX) };
        assert_eq!(windows(range), [(LIST_CUTOFF_UNIX, LIST_CUTOFF_UNIX)]);
        let empty = Created { start_time: Some(LIST_CUTOFF_UNIX + 10), end_time: Some(LIST_CUTOFF_UNIX) };
        assert!(windows(empty).is_empty());
    }
}
