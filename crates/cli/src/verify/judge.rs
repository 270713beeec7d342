//! Judging a probe: against its spec case's expected errcode (`--record`), or against a
//! recording (`--compare`). An answer that says nothing about the request (no answer, an HTTP
//! error, -1, 45009, 45033, 60020) is "could not check", never drift.

use std::fmt;

use serde_json::{Value, json};

use crate::verify::probes::Probe;
use crate::verify::run::Step;

/// A probe's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Match,
    Drift,
    CouldNotCheck,
    Skipped,
}

impl Status {
    pub(crate) const ALL: [Status; 4] = [Status::Match, Status::Drift, Status::CouldNotCheck, Status::Skipped];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Match => "match",
            Status::Drift => "drift",
            Status::CouldNotCheck => "could_not_check",
            Status::Skipped => "skipped",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// One difference: the path, what was recorded (or, for `--record`, what the table expects),
/// and what came now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diff {
    pub(crate) path: String,
    pub(crate) recorded: Value,
    pub(crate) now: Value,
}

/// What a probe gave.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) probe: String,
    pub(crate) tier: u8,
    pub(crate) status: Status,
    pub(crate) diffs: Vec<Diff>,
    pub(crate) fidelity: Vec<String>,
    pub(crate) errcodes: Vec<String>,
    /// Why it was skipped or could not be checked.
    pub(crate) note: Option<String>,
}

impl Outcome {
    pub(crate) fn skipped(probe: &str, reason: &str) -> Outcome {
        Outcome {
            probe: probe.to_owned(),
            tier: 0,
            status: Status::Skipped,
            diffs: Vec::new(),
            fidelity: Vec::new(),
            errcodes: Vec::new(),
            note: Some(reason.to_owned()),
        }
    }

    pub(crate) fn with_rows(mut self, probe: &Probe) -> Outcome {
        self.tier = probe.tier;
        self.fidelity = probe.fidelity.clone();
        self.errcodes = probe.errcodes.clone();
        self
    }

    fn of(probe: &Probe, status: Status, diffs: Vec<Diff>, note: Option<String>) -> Outcome {
        Outcome {
            probe: probe.id.clone(),
            tier: probe.tier,
            status,
            diffs,
            fidelity: Vec::new(),
            errcodes: Vec::new(),
            note,
        }
        .with_rows(probe)
    }

    /// The JSON line of verify.md: `{"probe","status","diffs","fidelity"}` (and `note`).
    pub(crate) fn line(&self) -> Value {
        let diffs: Vec<Value> =
            self.diffs.iter().map(|d| json!({"path": d.path, "recorded": d.recorded, "now": d.now})).collect();
        let mut line =
            json!({"probe": self.probe, "status": self.status.as_str(), "diffs": diffs, "fidelity": self.fidelity});
        if let Some(note) = &self.note {
            line["note"] = json!(note);
        }
        line
    }
}

/// Why the steps cannot be judged: the first step whose answer says nothing.
fn unjudgeable(steps: &[Step]) -> Option<String> {
    steps.iter().find_map(|step| step.reply.unjudgeable().map(|why| format!("{}: {why}", step.name)))
}

/// The path of a step's field: bare for a one-step probe, `step: path` in a lifecycle.
fn step_path(steps: usize, name: &str, path: &str) -> String {
    if steps == 1 { path.to_owned() } else { format!("{name}: {path}") }
}

/// `--record`: each step's errcode against what the table (or the lifecycle) expects.
pub(crate) fn against_table(probe: &Probe, steps: &[Step]) -> Outcome {
    if let Some(why) = unjudgeable(steps) {
        return Outcome::of(probe, Status::CouldNotCheck, Vec::new(), Some(why));
    }
    let diffs: Vec<Diff> = steps
        .iter()
        .filter(|step| step.reply.errcode() != Some(step.expect))
        .map(|step| Diff {
            path: step_path(steps.len(), step.name, "errcode"),
            recorded: json!(step.expect),
            now: json!(step.reply.errcode()),
        })
        .collect();
    let status = if diffs.is_empty() { Status::Match } else { Status::Drift };
    Outcome::of(probe, status, diffs, None)
}

/// `--compare`: the normalised answers now against the recorded ones.
pub(crate) fn against_recording(
    probe: &Probe,
    steps: &[Step],
    now: &[Value],
    recorded: Option<(&str, &[Value])>,
) -> Outcome {
    let Some((recorded_status, recorded)) = recorded else {
        return Outcome::of(probe, Status::Skipped, Vec::new(), Some("not in the recording".into()));
    };
    match Status::parse(recorded_status) {
        Some(Status::Skipped) => {
            return Outcome::of(probe, Status::Skipped, Vec::new(), Some("skipped when recorded".into()));
        }
        Some(Status::CouldNotCheck) => {
            return Outcome::of(
                probe,
                Status::CouldNotCheck,
                Vec::new(),
                Some("could not be checked when recorded".into()),
            );
        }
        _ => {}
    }
    if let Some(why) = unjudgeable(steps) {
        return Outcome::of(probe, Status::CouldNotCheck, Vec::new(), Some(why));
    }
    let mut diffs = Vec::new();
    let count = recorded.len().max(now.len());
    for i in 0..count {
        let (was, is) = (recorded.get(i), now.get(i));
        let name = was.or(is).and_then(|s| s.get("step")).and_then(Value::as_str).unwrap_or("step");
        match (was, is) {
            (Some(was), Some(is)) => {
                for mut diff in answer_diffs(&was["answer"], &is["answer"], probe.types_only()) {
                    diff.path = step_path(count, name, &diff.path);
                    diffs.push(diff);
                }
            }
            (was, is) => diffs.push(Diff {
                path: format!("{name}: step"),
                recorded: json!(was.is_some()),
                now: json!(is.is_some()),
            }),
        }
    }
    let status = if diffs.is_empty() { Status::Match } else { Status::Drift };
    Outcome::of(probe, status, diffs, None)
}

/// The differences between two normalised answers. `types_only` (member, customer and config
/// lists): the errcode's class and the types of the fields outside the list items, never
/// values or lengths.
pub(crate) fn answer_diffs(was: &Value, is: &Value, types_only: bool) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let code = |v: &Value| v.get("errcode").cloned().unwrap_or(Value::Null);
    let class = |v: &Value| match v.get("errcode").and_then(Value::as_i64) {
        Some(0) => json!("ok"),
        Some(_) => json!("refused"),
        None => Value::Null,
    };
    let (a, b) = if types_only { (class(was), class(is)) } else { (code(was), code(is)) };
    if a != b {
        diffs.push(Diff { path: "errcode".into(), recorded: a, now: b });
    }
    if !types_only && was.get("errmsg") != is.get("errmsg") {
        diffs.push(Diff {
            path: "errmsg".into(),
            recorded: was.get("errmsg").cloned().unwrap_or(Value::Null),
            now: is.get("errmsg").cloned().unwrap_or(Value::Null),
        });
    }
    let keep = |path: &str| !types_only || !path.contains("[]");
    map_diffs(&was["fields"], &is["fields"], &keep, &mut diffs);
    if !types_only {
        map_diffs(&was["values"], &is["values"], &|_| true, &mut diffs);
    }
    diffs
}

/// The keys of two JSON maps whose values differ (a key missing on one side is `null` there).
fn map_diffs(was: &Value, is: &Value, keep: &dyn Fn(&str) -> bool, diffs: &mut Vec<Diff>) {
    let empty = serde_json::Map::new();
    let (was, is) = (was.as_object().unwrap_or(&empty), is.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = was.keys().chain(is.keys()).filter(|key| keep(key)).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (a, b) = (was.get(key).cloned().unwrap_or(Value::Null), is.get(key).cloned().unwrap_or(Value::Null));
        if a != b {
            diffs.push(Diff { path: key.clone(), recorded: a, now: b });
        }
    }
}

/// Probes per status.
#[derive(Debug, Default)]
pub(crate) struct Counts([usize; 4]);

impl Counts {
    pub(crate) fn of(outcomes: &[&Outcome]) -> Counts {
        let mut counts = Counts::default();
        for outcome in outcomes {
            counts.0[outcome.status as usize] += 1;
        }
        counts
    }

    pub(crate) fn get(&self, status: Status) -> usize {
        self.0[status as usize]
    }

    /// Probes whose answer was judged.
    pub(crate) fn checked(&self) -> usize {
        self.get(Status::Match) + self.get(Status::Drift)
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> =
            Status::ALL.iter().map(|status| format!("{} {}", self.get(*status), status.as_str())).collect();
        write!(f, "{}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(errcode: i64, fields: Value, values: Value) -> Value {
        json!({"status": 200, "errcode": errcode, "errmsg": "ok", "fields": fields, "values": values})
    }

    #[test]
    fn a_renamed_field_shows_as_two_paths() {
        let was = answer(0, json!({"qr_code": "string"}), json!({"qr_code": "<qr_code>"}));
        let is = answer(0, json!({"qrcode": "string"}), json!({"qrcode": "<qr_code>"}));
        let paths: Vec<String> = answer_diffs(&was, &is, false).into_iter().map(|d| d.path).collect();
        assert_eq!(paths, ["qr_code", "qrcode", "qr_code", "qrcode"]);
    }

    #[test]
    fn a_retyped_field_is_a_difference_of_its_type() {
        let was = answer(0, json!({"type": "number"}), json!({}));
        let is = answer(0, json!({"type": "string"}), json!({}));
        let diffs = answer_diffs(&was, &is, false);
        assert_eq!(diffs, vec![Diff { path: "type".into(), recorded: json!("number"), now: json!("string") }]);
    }

    #[test]
    fn lists_compare_the_class_and_the_types_never_values_or_lengths() {
        let was = answer(0, json!({"follow_user": "array", "follow_user[]": "string"}), json!({"follow_user[0]": "a"}));
        let is = answer(0, json!({"follow_user": "array"}), json!({}));
        assert!(answer_diffs(&was, &is, true).is_empty());
        let refused = answer(84061, json!({"follow_user": "array"}), json!({}));
        assert_eq!(answer_diffs(&was, &refused, true).len(), 1);
    }

    #[test]
    fn the_same_answer_has_no_difference() {
        let was = answer(41044, json!({"errcode": "number"}), json!({}));
        assert!(answer_diffs(&was, &was.clone(), false).is_empty());
    }
}
