//! `--report FILE`: the run as Markdown: a summary (probes per status, the fidelity-table rows
//! the run confirmed or contradicted) and one table row per probe.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::CliError;
use crate::verify::Scrub;
use crate::verify::judge::{Counts, Outcome, Status};

/// A fidelity row is confirmed when every probe that checks it matched (and one did), and
/// contradicted when one drifted.
fn fidelity_verdicts<'a>(outcomes: &[&'a Outcome]) -> (Vec<&'a str>, BTreeMap<&'a str, Vec<&'a str>>) {
    let mut matched: BTreeMap<&str, bool> = BTreeMap::new();
    let mut contradicted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for outcome in outcomes {
        for row in &outcome.fidelity {
            match outcome.status {
                Status::Match => {
                    matched.entry(row.as_str()).or_insert(true);
                }
                Status::Drift => contradicted.entry(row.as_str()).or_default().push(outcome.probe.as_str()),
                _ => {}
            }
        }
    }
    let confirmed = matched.into_keys().filter(|row| !contradicted.contains_key(row)).collect();
    (confirmed, contradicted)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report's text.
pub(crate) fn markdown(title: &str, outcomes: &[&Outcome]) -> String {
    let counts = Counts::of(outcomes);
    let mut out = format!("# {title}\n\n| status | probes |\n|---|---|\n");
    for status in Status::ALL {
        let _ = writeln!(out, "| {} | {} |", status.as_str(), counts.get(status));
    }
    let (confirmed, contradicted) = fidelity_verdicts(outcomes);
    let list = |rows: Vec<String>| if rows.is_empty() { "none".to_owned() } else { rows.join(", ") };
    let _ = writeln!(
        out,
        "\n**Fidelity rows confirmed:** {}\n",
        list(confirmed.iter().map(|row| format!("`{row}`")).collect())
    );
    let _ = writeln!(
        out,
        "**Fidelity rows contradicted:** {}\n",
        list(contradicted.iter().map(|(row, probes)| format!("`{row}` (by {})", probes.join(", "))).collect())
    );
    out.push_str("| probe | tier | status | differences (path: recorded → now) | fidelity | errcodes.md |\n|---|---|---|---|---|---|\n");
    for outcome in outcomes {
        let mut differences: Vec<String> =
            outcome.diffs.iter().map(|d| format!("`{}`: `{}` → `{}`", d.path, d.recorded, d.now)).collect();
        if let Some(note) = &outcome.note {
            differences.push(note.clone());
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            outcome.probe,
            outcome.tier,
            outcome.status.as_str(),
            cell(&differences.join("; ")),
            cell(&outcome.fidelity.join(", ")),
            cell(&outcome.errcodes.join("; ")),
        );
    }
    out
}

pub(crate) fn write(path: &Path, title: &str, outcomes: &[&Outcome], scrub: &Scrub) -> Result<(), CliError> {
    std::fs::write(path, scrub.text(&markdown(title, outcomes)))
        .map_err(|source| CliError::Write { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::verify::judge::Diff;

    fn outcome(probe: &str, status: Status, fidelity: &[&str]) -> Outcome {
        Outcome {
            probe: probe.into(),
            tier: 0,
            status,
            diffs: Vec::new(),
            fidelity: fidelity.iter().map(|row| (*row).to_owned()).collect(),
            errcodes: Vec::new(),
            note: None,
        }
    }

    #[test]
    fn a_row_is_contradicted_by_one_drift_and_confirmed_only_by_matches() {
        let a = outcome("a", Status::Match, &["ROW_1", "ROW_2"]);
        let mut b = outcome("b", Status::Drift, &["ROW_2"]);
        b.diffs.push(Diff { path: "errcode".into(), recorded: json!(40058), now: json!(0) });
        let c = outcome("c", Status::CouldNotCheck, &["ROW_3"]);
        let text = markdown("t", &[&a, &b, &c]);
        assert!(text.contains("**Fidelity rows confirmed:** `ROW_1`\n"), "{text}");
        assert!(text.contains("**Fidelity rows contradicted:** `ROW_2` (by b)"), "{text}");
        assert!(text.contains("| drift | 1 |"), "{text}");
        assert!(text.contains("`errcode`: `40058` → `0`"), "{text}");
    }
}
