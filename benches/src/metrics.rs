//! Reading the mock's `GET /metrics` (the Prometheus text format): the suites that report what
//! the journal did or holds.

use wecom_bench::BenchError;

/// The text of `{url}/metrics`.
pub(crate) async fn scrape(http: &reqwest::Client, url: &str) -> Result<String, BenchError> {
    let failed = |source| BenchError::Metrics { url: url.to_owned(), source };
    http.get(format!("{url}/metrics"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed)?
        .text()
        .await
        .map_err(failed)
}

/// The value of the unlabelled metric `name` in a scrape, if it is there.
pub(crate) fn value(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::value;

    #[test]
    fn a_value_is_read_by_its_exact_name_only() {
        let text =
            "# HELP wecom_mock_journal_bytes Bytes.\nwecom_mock_journal_bytes_total 7\nwecom_mock_journal_bytes 42\n";
        assert_eq!(value(text, "wecom_mock_journal_bytes"), Some(42.0));
        assert_eq!(value(text, "wecom_mock_journal_bytes_total"), Some(7.0));
        assert_eq!(value(text, "wecom_mock_snapshot_bytes"), None);
    }
}
