//! `wecom prune`: delete the configs that match, each one backed up (fsynced) before it goes.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures_util::{StreamExt, TryStreamExt, stream};
use wecom_client::Client;
use wecom_types::ErrCode;
use wecom_types::api::ContactWay;

use crate::cli::{Global, PruneArgs};
use crate::error::CliError;
use crate::output::{Answers, warn};
use crate::walk::{self, Fetched};

/// Deletes are sent in batches of `concurrency × BATCH_PER_SLOT`, one fsync of the backup each.
const BATCH_PER_SLOT: usize = 4;

/// What a config must be to be pruned.
struct Filter {
    state_prefix: Option<String>,
    user: Option<String>,
}

impl Filter {
    fn matches(&self, way: &ContactWay) -> bool {
        let state_ok = self
            .state_prefix
            .as_deref()
            .is_none_or(|prefix| way.state.as_deref().unwrap_or_default().starts_with(prefix));
        let user_ok = self.user.as_deref().is_none_or(|user| way.user.iter().flatten().any(|member| member == user));
        state_ok && user_ok
    }
}

/// The backup file: JSON lines, appended and fsynced before each batch of deletes.
struct Backup {
    path: PathBuf,
    file: File,
    /// Configs the file holds already (from an earlier, interrupted run with the same file).
    held: HashSet<String>,
}

impl Backup {
    fn open(path: &Path) -> Result<Backup, CliError> {
        let write_error = |source| CliError::Write { path: path.to_path_buf(), source };
        let mut held = HashSet::new();
        let existed = path.exists();
        if existed {
            let file = File::open(path).map_err(|source| CliError::Read { path: path.to_path_buf(), source })?;
            for (number, line) in BufReader::new(file).lines().enumerate() {
                let line = line.map_err(|source| CliError::Read { path: path.to_path_buf(), source })?;
                match serde_json::from_str::<ContactWay>(&line) {
                    Ok(way) => {
                        held.insert(way.config_id);
                    }
                    Err(err) => warn(format_args!("{}:{}: not a backup line ({err})", path.display(), number + 1)),
                }
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(write_error)?;
        if !existed {
            // The new file's name must survive a crash too.
            sync_parent(path).map_err(write_error)?;
        }
        Ok(Backup { path: path.to_path_buf(), file, held })
    }

    /// Appends the configs it does not hold yet and syncs the file.
    fn append(&mut self, ways: &[ContactWay]) -> Result<(), CliError> {
        let write_error = |source| CliError::Write { path: self.path.clone(), source };
        let mut lines = Vec::new();
        let mut added = Vec::new();
        for way in ways.iter().filter(|way| !self.held.contains(&way.config_id)) {
            serde_json::to_writer(&mut lines, way)
                .map_err(|source| CliError::Json { what: "a config".into(), source })?;
            lines.push(b'\n');
            added.push(way.config_id.clone());
        }
        if added.is_empty() {
            return Ok(());
        }
        self.file.write_all(&lines).map_err(write_error)?;
        self.file.sync_data().map_err(write_error)?;
        self.held.extend(added);
        Ok(())
    }
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(parent)?.sync_all()
}

/// `wecom-prune-20250101T120000Z.jsonl`.
fn default_backup_name() -> PathBuf {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace(['-', ':'], "");
    PathBuf::from(format!("wecom-prune-{stamp}.jsonl"))
}

pub(crate) async fn run(global: &Global, args: PruneArgs) -> Result<(), CliError> {
    let mut out = Answers::new();
    // A reader that went away must not stop a prune half-way through a batch.
    let report = execute(global, &args, |way| out.line(way).or_else(ignore_closed_stdout)).await?;
    out.finish().or_else(ignore_closed_stdout)?;
    if args.yes {
        let backup =
            report.backup.map_or_else(|| "none (nothing matched)".to_owned(), |path| path.display().to_string());
        global.note(format_args!(
            "deleted {} of {} ({} already gone); backup: {backup}\n\
             re-create one (with a new id): wecom contact-way add --json <a line of the backup>",
            report.deleted,
            crate::count::count(report.listed, "listed config", "listed configs"),
            report.gone
        ));
    } else {
        global.note(format_args!(
            "would delete {} of {}; dry run, nothing was deleted: add --yes to delete them \
             (each is backed up first)",
            report.matched,
            crate::count::count(report.listed, "listed config", "listed configs")
        ));
    }
    Ok(())
}

/// The prune itself, for `wecom prune` and the `prune` tool: each matching config goes to
/// `matched` (without `yes`: every match, nothing deleted; with it: each one once it is backed
/// up and deleted).
pub(crate) async fn execute(
    global: &Global,
    args: &PruneArgs,
    mut matched: impl FnMut(&ContactWay) -> Result<(), CliError>,
) -> Result<Report, CliError> {
    let no_filter = args.state_prefix.is_none() && args.user.is_none() && args.created_before.is_none();
    if no_filter && !args.all {
        return Err(CliError::Usage(
            "prune needs a filter (--state-prefix, --user, --created-before) or --all to match every config".into(),
        ));
    }
    let filter = Filter { state_prefix: args.state_prefix.clone(), user: args.user.clone() };
    let range = walk::Created { start_time: None, end_time: args.created_before.map(|before| before - 1) };
    let client = global.client()?;
    let concurrency = usize::from(args.concurrency);

    let listing = global.progress(None, "listing config ids");
    let ids = walk::list_ids(&client, range, &listing).await?;
    listing.finish_and_clear();
    let mut report = Report { listed: ids.len(), ..Report::default() };
    let bar = global.progress(Some(report.listed as u64), if args.yes { "pruning" } else { "checking" });

    let mut backup: Option<Backup> = None;
    let mut batch = Vec::new();
    let mut configs = std::pin::pin!(walk::get_each(&client, ids, concurrency));
    while let Some(fetched) = configs.try_next().await? {
        bar.inc(1);
        let Fetched::Found(way) = fetched else {
            continue;
        };
        if !filter.matches(&way) {
            continue;
        }
        report.matched += 1;
        if !args.yes {
            matched(&way)?;
            continue;
        }
        batch.push(*way);
        if batch.len() >= concurrency * BATCH_PER_SLOT {
            let backup = open_backup(&mut backup, args)?;
            let batch = std::mem::take(&mut batch);
            prune_batch(global, &client, backup, batch, concurrency, &mut matched, &mut report).await?;
        }
    }
    if !batch.is_empty() {
        let backup = open_backup(&mut backup, args)?;
        prune_batch(global, &client, backup, batch, concurrency, &mut matched, &mut report).await?;
    }
    bar.finish_and_clear();
    report.backup = backup.map(|backup| backup.path);
    Ok(report)
}

/// What a prune did.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Config ids listed (in the created-before range, when given).
    pub(crate) listed: usize,
    /// Configs that match the filters.
    pub(crate) matched: usize,
    /// Configs deleted by this run.
    pub(crate) deleted: usize,
    /// Configs that were gone already when their delete was sent.
    pub(crate) gone: usize,
    /// The backup file, when something was backed up.
    pub(crate) backup: Option<PathBuf>,
}

fn open_backup<'a>(backup: &'a mut Option<Backup>, args: &PruneArgs) -> Result<&'a mut Backup, CliError> {
    if backup.is_none() {
        let path = args.backup.clone().unwrap_or_else(default_backup_name);
        *backup = Some(Backup::open(&path)?);
    }
    match backup {
        Some(backup) => Ok(backup),
        None => Err(CliError::Usage("the backup file could not be opened".into())),
    }
}

/// Backs the batch up, then deletes it with bounded concurrency.
async fn prune_batch(
    global: &Global,
    client: &Client,
    backup: &mut Backup,
    batch: Vec<ContactWay>,
    concurrency: usize,
    matched: &mut impl FnMut(&ContactWay) -> Result<(), CliError>,
    report: &mut Report,
) -> Result<(), CliError> {
    backup.append(&batch)?;
    let mut deletes = stream::iter(batch)
        .map(|way| async move {
            match client.del_contact_way(&way.config_id).await {
                Ok(()) => Ok((way, false)),
                Err(err) if err.code() == Some(ErrCode::INVALID_CONFIG_ID) => Ok((way, true)),
                Err(err) => Err(CliError::from(err)),
            }
        })
        .buffer_unordered(concurrency.max(1));
    let mut deleted = Vec::new();
    let mut failure = None;
    while let Some(result) = deletes.next().await {
        match result {
            Ok((way, already_gone)) => {
                if already_gone {
                    report.gone += 1;
                } else {
                    report.deleted += 1;
                }
                if let Err(err) = matched(&way) {
                    failure.get_or_insert(err);
                }
                deleted.push(way.config_id);
            }
            Err(err) => {
                failure.get_or_insert(err);
            }
        }
    }
    note_deleted(global, &deleted);
    failure.map_or(Ok(()), Err)
}

fn ignore_closed_stdout(err: CliError) -> Result<(), CliError> {
    match err {
        CliError::StdoutClosed => Ok(()),
        other => Err(other),
    }
}

/// Notes deletions in the ledger when it is free (opened for the batch only, so that a long
/// prune does not keep other commands from it).
fn note_deleted(global: &Global, ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    let Some(ledger) = global.try_open_ledger() else {
        return;
    };
    for id in ids {
        if let Err(err) = ledger.mark_deleted(id) {
            warn(format_args!("{id} was deleted, but the ledger could not note it: {err}"));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn way(state: &str, users: &[&str]) -> ContactWay {
        ContactWay {
            config_id: "c".into(),
            state: Some(state.into()),
            user: Some(users.iter().map(|user| (*user).to_owned()).collect()),
            ..ContactWay::default()
        }
    }

    #[test]
    fn every_filter_given_must_match() {
        let filter = Filter { state_prefix: Some("spring_".into()), user: Some("lisi".into()) };
        assert!(filter.matches(&way("spring_01", &["zhangsan", "lisi"])));
        assert!(!filter.matches(&way("spring_01", &["zhangsan"])));
        assert!(!filter.matches(&way("autumn_01", &["lisi"])));
        let anything = Filter { state_prefix: None, user: None };
        assert!(anything.matches(&ContactWay::default()));
    }

    #[test]
    fn the_default_backup_name_has_no_colons() {
        let name = default_backup_name().display().to_string();
        assert!(name.starts_with("wecom-prune-") && name.ends_with("Z.jsonl") && !name.contains(':'), "{name}");
    }
}
