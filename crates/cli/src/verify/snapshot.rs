//! The files of a recording: one per probe (`<probe id with / as -->.json`), `run.json` and
//! `corp.json`, all scrubbed of the secret and the token, meant to be committed and diffed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::error::CliError;
use crate::verify::Scrub;
use crate::verify::judge::{Outcome, Status};
use crate::verify::normalize::Normalizer;
use crate::verify::probes::{Probe, Roles};
use crate::verify::run::{Runner, Step};

const RUN_FILE: &str = "run.json";
const CORP_FILE: &str = "corp.json";

/// The secret `corp.json` gives its app: replace it, or authenticate with it against the mock.
pub(crate) const PLACEHOLDER_SECRET: &str = "wecom-verify-placeholder-secret";

/// The file of a probe.
fn probe_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{}.json", id.replace('/', "--")))
}

/// Makes the folder; a folder that already holds a recording is refused (nothing is mixed).
pub(crate) fn prepare_dir(dir: &Path) -> Result<(), CliError> {
    if dir.join(RUN_FILE).exists() {
        return Err(CliError::Usage(format!("{} already holds a recording: record into a new folder", dir.display())));
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Write { path: dir.to_path_buf(), source })
}

/// The steps as a snapshot shows them: the request and the normalised answer.
pub(crate) fn steps(steps: &[Step], keep: &[&str], prefix: &str) -> Vec<Value> {
    let mut normalizer = Normalizer::new(keep, prefix);
    steps
        .iter()
        .map(|step| {
            json!({
                "step": step.name,
                "request": normalizer.request_value(&step.request),
                "expect": step.expect,
                "answer": normalizer.answer(&step.reply),
            })
        })
        .collect()
}

/// A probe's file.
pub(crate) fn probe_file(probe: &Probe, outcome: &Outcome, steps: &[Value]) -> Value {
    let mut file = json!({
        "probe": probe.id,
        "tier": probe.tier,
        "status": outcome.status.as_str(),
        "fidelity": probe.fidelity,
        "errcodes": probe.errcodes,
        "steps": steps,
    });
    if let Some(note) = &outcome.note {
        file["note"] = json!(note);
    }
    file
}

fn write_json(path: &Path, value: &Value, scrub: &Scrub) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::from);
    let text = text.map(|text| scrub.text(&text) + "\n");
    text.and_then(|text| std::fs::write(path, text))
        .map_err(|source| CliError::Write { path: path.to_path_buf(), source })
}

/// Writes every probe's file, `run.json` and `corp.json`.
pub(crate) fn write_run(
    dir: &Path,
    runner: &Runner,
    outcomes: &[(Outcome, Option<Value>)],
    scrub: &Scrub,
) -> Result<(), CliError> {
    for (outcome, file) in outcomes {
        if let Some(file) = file {
            write_json(&probe_path(dir, &outcome.probe), file, scrub)?;
        }
    }
    let tiers: Vec<u8> = {
        let mut tiers: Vec<u8> =
            outcomes.iter().filter(|(o, _)| o.status != Status::Skipped).map(|(o, _)| o.tier).collect();
        tiers.sort_unstable();
        tiers.dedup();
        tiers
    };
    let run = json!({
        "date": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "target": runner.wire.host(),
        "tool": concat!("wecom-contactway-cli ", env!("CARGO_PKG_VERSION")),
        "tiers": tiers,
        "creates_used": runner.creates_used,
        "probes": outcomes.len(),
        "roles": runner.roles,
    });
    write_json(&dir.join(RUN_FILE), &run, scrub)?;
    write_json(&dir.join(CORP_FILE), &corp(runner, outcomes), scrub)
}

/// The run's corp in the mock's fixtures format: `PUT /__admin/corps/{corpid}` of it gives a
/// mock the corp the recording needs. A member's flags are what the run learned: a member
/// given as inactive is recorded inactive only when the service refused it as such.
fn corp(runner: &Runner, outcomes: &[(Outcome, Option<Value>)]) -> Value {
    let refused_as = |probe: &str| outcomes.iter().any(|(o, _)| o.probe == probe && o.status == Status::Match);
    let roles = &runner.roles;
    let mut members: BTreeMap<String, Value> = BTreeMap::new();
    let mut member = |userid: &Option<String>, flag: Option<(&str, &str)>| {
        if let Some(userid) = userid {
            let mut fixture = json!({"userid": userid, "name": userid, "department": [1]});
            if let Some((flag, probe)) = flag
                && refused_as(probe)
            {
                fixture[flag] = json!(false);
            }
            members.insert(userid.clone(), fixture);
        }
    };
    member(&roles.member, None);
    member(&roles.inactive_member, Some(("activated", "add_contact_way/member-not-activated")));
    member(&roles.unverified_member, Some(("real_name_verified", "add_contact_way/member-not-verified")));
    member(&roles.no_contact_member, Some(("customer_contact", "add_contact_way/member-without-customer-contact")));
    let chats: Vec<Value> = roles
        .chat
        .iter()
        .map(|chat| json!({"chat_id": chat, "name": chat, "owner": roles.member.clone().unwrap_or_default()}))
        .collect();
    json!({
        "corpid": runner.corpid(),
        "name": "recorded by wecom verify",
        "apps": [{"agentid": 1000001, "secret": PLACEHOLDER_SECRET, "customer_contact": true}],
        "departments": [{"id": 1, "name": "HQ", "parent": 0}],
        "members": members.into_values().collect::<Vec<_>>(),
        "group_chats": chats,
    })
}

/// A recording read back for `--compare`.
pub(crate) struct Recording {
    pub(crate) roles: Roles,
    /// Probe id → (status, steps).
    probes: BTreeMap<String, (String, Vec<Value>)>,
}

impl Recording {
    pub(crate) fn read(dir: &Path) -> Result<Recording, CliError> {
        let read = |path: PathBuf| -> Result<Value, CliError> {
            let text =
                std::fs::read_to_string(&path).map_err(|source| CliError::Read { path: path.clone(), source })?;
            serde_json::from_str(&text).map_err(|source| CliError::Json { what: path.display().to_string(), source })
        };
        let run = read(dir.join(RUN_FILE))?;
        let roles: Roles = serde_json::from_value(run.get("roles").cloned().unwrap_or(Value::Null)).unwrap_or_default();
        let entries = std::fs::read_dir(dir).map_err(|source| CliError::Read { path: dir.to_path_buf(), source })?;
        let mut probes = BTreeMap::new();
        for entry in entries {
            let path = entry.map_err(|source| CliError::Read { path: dir.to_path_buf(), source })?.path();
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if !name.ends_with(".json") || name == RUN_FILE || name == CORP_FILE {
                continue;
            }
            let file = read(path.clone())?;
            let (Some(id), Some(status)) = (file["probe"].as_str(), file["status"].as_str()) else {
                return Err(CliError::Usage(format!("{}: not a probe's snapshot", path.display())));
            };
            let steps = file["steps"].as_array().cloned().unwrap_or_default();
            probes.insert(id.to_owned(), (status.to_owned(), steps));
        }
        Ok(Recording { roles, probes })
    }

    pub(crate) fn has(&self, id: &str) -> bool {
        self.probes.contains_key(id)
    }

    pub(crate) fn steps(&self, id: &str) -> Option<(&str, &[Value])> {
        self.probes.get(id).map(|(status, steps)| (status.as_str(), steps.as_slice()))
    }

    /// Recorded probes this version does not have.
    pub(crate) fn unknown_ids(&self, catalogue: &[Probe]) -> Vec<String> {
        self.probes.keys().filter(|id| !catalogue.iter().any(|p| &p.id == *id)).cloned().collect()
    }
}
