//! `GET /metrics`: the Prometheus text of the server's state, written here (the state layer hands
//! out numbers, never text).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use hyper::Response;

use super::response::Body;
use crate::api::DriftKind;
use crate::durability::files_bytes;
use crate::state::MockState;
use crate::traffic::metrics::{escape_label, header};

/// `GET /metrics`.
pub(super) fn serve(state: &MockState) -> Response<Body> {
    let mut response = Response::new(Body::from(render(state)));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The drift proxy's counters (`--upstream`), never cleared by `DELETE /__admin/drift`.
fn render_drift(state: &MockState, out: &mut String) {
    let drift = &state.traffic.drift;
    let (exchanges, could_not_check) = drift.exchanges_total();
    header(out, "wecom_mock_drift_exchanges_total", "counter", "Exchanges on WeCom paths the drift proxy saw.");
    let _ = writeln!(out, "wecom_mock_drift_exchanges_total {exchanges}");
    header(
        out,
        "wecom_mock_drift_could_not_check_total",
        "counter",
        "Exchanges it could not judge: -1, 45009, 45033, 60020, 5xx, or no answer from the upstream.",
    );
    let _ = writeln!(out, "wecom_mock_drift_could_not_check_total {could_not_check}");
    header(out, "wecom_mock_drift_findings_total", "counter", "Findings of the drift proxy, by kind.");
    for kind in DriftKind::ALL {
        let _ = writeln!(out, "wecom_mock_drift_findings_total{{kind=\"{}\"}} {}", kind.as_str(), drift.total(kind));
    }
}

/// The Prometheus text format.
pub(crate) fn render(state: &MockState) -> String {
    let traffic = &state.traffic;
    let mut out = String::with_capacity(16 * 1024);
    traffic.metrics.render(&mut out);
    // One short read lock per corp; the text is written after it is released.
    let rows: Vec<(String, [u64; 6])> =
        state.control().corp_gauges().into_iter().map(|(corpid, values)| (escape_label(&corpid), values)).collect();
    header(&mut out, "wecom_mock_corps", "gauge", "Corps on this server.");
    let _ = writeln!(out, "wecom_mock_corps {}", rows.len());
    // (name, help, quota label, column of `rows`)
    const GAUGES: [(&str, &str, Option<&str>, usize); 6] = [
        ("wecom_mock_contact_ways", "Contact Me configs per corp (temp ones included).", None, 0),
        ("wecom_mock_join_ways", "Join Group configs per corp.", None, 1),
        (
            "wecom_mock_quota_used",
            "Quota use per corp: the shared quota (non-temp Contact Me plus Join Group) and today's temp configs.",
            Some("contact_ways"),
            2,
        ),
        ("wecom_mock_quota_used", "", Some("temp_today"), 4),
        ("wecom_mock_quota_limit", "Quota limits per corp.", Some("contact_ways"), 3),
        ("wecom_mock_quota_limit", "", Some("temp_today"), 5),
    ];
    for (name, help, quota, column) in GAUGES {
        // A metric's second label set shares the first one's header.
        if !help.is_empty() {
            header(&mut out, name, "gauge", help);
        }
        for (corpid, row) in &rows {
            let value = row[column];
            match quota {
                Some(quota) => {
                    let _ = writeln!(out, "{name}{{corpid=\"{corpid}\",quota=\"{quota}\"}} {value}");
                }
                None => {
                    let _ = writeln!(out, "{name}{{corpid=\"{corpid}\"}} {value}");
                }
            }
        }
    }
    header(&mut out, "wecom_mock_tenants", "gauge", "Tenants (corps made by POST /__admin/tenants).");
    let _ = writeln!(out, "wecom_mock_tenants {}", state.tenant_count());
    header(&mut out, "wecom_mock_tenants_expired_total", "counter", "Tenants deleted by --tenant-ttl.");
    let _ = writeln!(out, "wecom_mock_tenants_expired_total {}", traffic.tenants_expired.load(Ordering::Relaxed));
    header(
        &mut out,
        "wecom_mock_configs_total",
        "gauge",
        "Configs of every corp together (--max-total-configs counts these).",
    );
    let _ = writeln!(out, "wecom_mock_configs_total {}", state.total_configs());
    header(
        &mut out,
        "wecom_mock_limit",
        "gauge",
        "The server's limits: --max-corps, --max-total-configs, --max-connections.",
    );
    let _ = writeln!(out, "wecom_mock_limit{{limit=\"corps\"}} {}", state.settings.max_corps);
    let _ = writeln!(out, "wecom_mock_limit{{limit=\"configs\"}} {}", state.settings.max_total_configs);
    let _ = writeln!(out, "wecom_mock_limit{{limit=\"connections\"}} {}", state.settings.max_connections);
    traffic.connections.render(&mut out);
    header(&mut out, "wecom_mock_faults_active", "gauge", "Fault rules that can still apply.");
    let _ = writeln!(out, "wecom_mock_faults_active {}", traffic.faults.active());
    header(&mut out, "wecom_mock_checkpoints", "gauge", "Checkpoints held, all corps together.");
    let _ = writeln!(out, "wecom_mock_checkpoints {}", state.checkpoint_count());
    header(
        &mut out,
        "wecom_mock_request_journal_entries",
        "gauge",
        "Calls held by the request journal (GET /__admin/requests).",
    );
    let _ = writeln!(out, "wecom_mock_request_journal_entries {}", traffic.requests.len());
    header(
        &mut out,
        "wecom_mock_request_journal_capacity",
        "gauge",
        "Calls the request log keeps (--request-log-size).",
    );
    let _ = writeln!(out, "wecom_mock_request_journal_capacity {}", traffic.requests.capacity());
    if state.settings.upstream.is_some() {
        render_drift(state, &mut out);
    }
    if let Some(dir) = state.data_dir() {
        // Metadata reads of a few files, with no lock held.
        header(&mut out, "wecom_mock_journal_bytes", "gauge", "Bytes of the data dir's journal segments (--data-dir).");
        // The files' sizes less the space allocated ahead of the records (a step of it may be
        // counted while the writer allocates the next one).
        let unwritten = state.journal_stats().map_or(0, |stats| stats.unwritten);
        let _ = writeln!(out, "wecom_mock_journal_bytes {}", files_bytes(dir, "wal-").saturating_sub(unwritten));
        header(&mut out, "wecom_mock_snapshot_bytes", "gauge", "Bytes of the data dir's snapshots (--data-dir).");
        let _ = writeln!(out, "wecom_mock_snapshot_bytes {}", files_bytes(dir, "snap-"));
    }
    if let Some(stats) = state.journal_stats() {
        // Records per fsync (records / fsyncs) is how well the group commit batches.
        const COUNTERS: [(&str, &str); 4] = [
            ("wecom_mock_journal_records_total", "Records written to the journal (--data-dir)."),
            ("wecom_mock_journal_written_bytes_total", "Bytes written to the journal (--data-dir)."),
            ("wecom_mock_journal_writes_total", "Writes of the journal: each carries every record that piled up."),
            ("wecom_mock_journal_fsyncs_total", "fdatasync calls of the journal (--fsync)."),
        ];
        let values = [stats.records, stats.bytes, stats.batches, stats.fsyncs];
        for ((name, help), value) in COUNTERS.into_iter().zip(values) {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {value}");
        }
    }
    out
}
