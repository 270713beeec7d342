//! `wecom inventory`: every listed Contact Me config in full, and a summary.

use std::collections::HashMap;
use std::io::Write;

use futures_util::TryStreamExt;
use wecom_client::ledger::Status;
use wecom_types::Api;
use wecom_types::api::ContactWay;
use wecom_types::limits::CONTACT_WAY_QUOTA;

use crate::cli::{Format, Global, InventoryArgs};
use crate::error::CliError;
use crate::output::{AtomicFile, warn};
use crate::walk::{self, Fetched};

/// The characters that end a state's prefix (see `wecom inventory --help`).
pub(crate) const PREFIX_SEPARATORS: [char; 8] = ['_', '-', ':', '.', '/', '|', '#', ' '];
/// The prefix of an empty state.
const NO_STATE: &str = "(none)";

/// The CSV columns, in order: the fields of `get_contact_way`.
const CSV_COLUMNS: [&str; 17] = [
    "config_id",
    "type",
    "scene",
    "style",
    "remark",
    "skip_verify",
    "state",
    "qr_code",
    "user",
    "party",
    "is_temp",
    "expires_in",
    "chat_expires_in",
    "unionid",
    "is_exclusive",
    "mark_source",
    "conclusions",
];

/// A state's prefix: up to its first separator.
pub(crate) fn state_prefix(state: Option<&str>) -> &str {
    match state.filter(|state| !state.is_empty()) {
        None => NO_STATE,
        Some(state) => state.split(PREFIX_SEPARATORS).next().filter(|prefix| !prefix.is_empty()).unwrap_or(state),
    }
}

/// Counts for the summary.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Tally {
    /// Configs found.
    pub(crate) configs: usize,
    /// Listed, then gone before their get.
    pub(crate) vanished: usize,
    /// Configs by state prefix.
    pub(crate) by_prefix: HashMap<String, usize>,
    /// Configs by member listed in `user`.
    pub(crate) by_member: HashMap<String, usize>,
}

impl Tally {
    fn add(&mut self, way: &ContactWay) {
        self.configs += 1;
        *self.by_prefix.entry(state_prefix(way.state.as_deref()).to_owned()).or_default() += 1;
        for member in way.user.iter().flatten() {
            *self.by_member.entry(member.clone()).or_default() += 1;
        }
    }
}

/// Where the lines go: stdout, or a file renamed into place when complete.
struct Sink {
    out: Destination,
    format: Format,
}

enum Destination {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File(AtomicFile),
}

impl Sink {
    fn open(args: &InventoryArgs) -> Result<Sink, CliError> {
        let out = match &args.output {
            Some(path) => Destination::File(AtomicFile::create(path)?),
            None => Destination::Stdout(std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout())),
        };
        let mut sink = Sink { out, format: args.format };
        if args.format == Format::Csv {
            sink.put(&csv_line(CSV_COLUMNS.iter().map(|column| (*column).to_owned()).collect())?)?;
        }
        Ok(sink)
    }

    fn write(&mut self, way: &ContactWay) -> Result<(), CliError> {
        let line = match self.format {
            Format::Jsonl => {
                let mut line =
                    serde_json::to_vec(way).map_err(|source| CliError::Json { what: "a config".into(), source })?;
                line.push(b'\n');
                line
            }
            Format::Csv => csv_line(csv_row(way))?,
        };
        self.put(&line)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        match &mut self.out {
            Destination::Stdout(out) => out.write_all(bytes).map_err(stdout_error),
            Destination::File(file) => {
                let path = file.partial_path().to_path_buf();
                file.writer().write_all(bytes).map_err(|source| CliError::Write { path, source })
            }
        }
    }

    /// Flushes stdout, or completes the file: its path.
    fn finish(self) -> Result<Option<std::path::PathBuf>, CliError> {
        match self.out {
            Destination::Stdout(mut out) => out.flush().map(|()| None).map_err(stdout_error),
            Destination::File(file) => file.commit().map(Some),
        }
    }
}

fn stdout_error(source: std::io::Error) -> CliError {
    match source.kind() {
        std::io::ErrorKind::BrokenPipe => CliError::StdoutClosed,
        _ => CliError::Write { path: "<stdout>".into(), source },
    }
}

/// One CSV record with its line end, quoted where needed.
fn csv_line(record: Vec<String>) -> Result<Vec<u8>, CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let encoded = writer
        .write_record(&record)
        .map_err(std::io::Error::from)
        .and_then(|()| writer.into_inner().map_err(|err| std::io::Error::other(err.to_string())));
    encoded.map_err(|source| CliError::Write { path: "<csv>".into(), source })
}

/// One CSV row: scalars as they are, lists joined with `;`, conclusions as JSON.
fn csv_row(way: &ContactWay) -> Vec<String> {
    fn opt<T: ToString>(value: &Option<T>) -> String {
        value.as_ref().map(ToString::to_string).unwrap_or_default()
    }
    let joined = |items: Option<Vec<String>>| items.map(|items| items.join(";")).unwrap_or_default();
    vec![
        way.config_id.clone(),
        opt(&way.contact_type.map(|t| t.0)),
        opt(&way.scene.map(|s| s.0)),
        opt(&way.style),
        opt(&way.remark),
        opt(&way.skip_verify),
        opt(&way.state),
        opt(&way.qr_code),
        joined(way.user.clone()),
        joined(way.party.as_ref().map(|party| party.iter().map(u32::to_string).collect())),
        opt(&way.is_temp),
        opt(&way.expires_in),
        opt(&way.chat_expires_in),
        opt(&way.unionid),
        opt(&way.is_exclusive),
        opt(&way.mark_source),
        way.conclusions.as_ref().and_then(|c| serde_json::to_string(c).ok()).unwrap_or_default(),
    ]
}

pub(crate) async fn run(global: &Global, args: InventoryArgs) -> Result<(), CliError> {
    let mut sink = Sink::open(&args)?;
    let tally = collect(global, args.range.into(), usize::from(args.concurrency), |way| sink.write(way)).await?;
    let written = sink.finish()?;
    if !global.quiet {
        summary(global, &tally, args.top, written.as_deref());
    }
    Ok(())
}

/// Lists every id in `range`, gets each config, hands it to `found` and counts it: the walk of
/// `wecom inventory` and the `inventory` tool.
pub(crate) async fn collect(
    global: &Global,
    range: walk::Created,
    concurrency: usize,
    mut found: impl FnMut(&ContactWay) -> Result<(), CliError>,
) -> Result<Tally, CliError> {
    let client = global.client()?;
    let listing = global.progress(None, "listing config ids");
    let ids = walk::list_ids(&client, range, &listing).await?;
    listing.finish_and_clear();

    let bar = global.progress(Some(ids.len() as u64), "getting configs");
    let mut tally = Tally::default();
    let mut configs = std::pin::pin!(walk::get_each(&client, ids, concurrency));
    while let Some(fetched) = configs.try_next().await? {
        bar.inc(1);
        match fetched {
            Fetched::Found(way) => {
                found(&way)?;
                tally.add(&way);
            }
            Fetched::Vanished => tally.vanished += 1,
        }
    }
    bar.finish_and_clear();
    Ok(tally)
}

/// The summary on stderr.
fn summary(global: &Global, tally: &Tally, top: usize, written: Option<&std::path::Path>) {
    let mut text = String::new();
    let share = tally.configs as f64 * 100.0 / f64::from(CONTACT_WAY_QUOTA);
    text.push_str(&format!("configs found: {}", tally.configs));
    if let Some(path) = written {
        text.push_str(&format!(" (written to {})", path.display()));
    }
    text.push('\n');
    if tally.vanished > 0 {
        text.push_str(&format!("deleted while the inventory ran: {}\n", tally.vanished));
    }
    text.push_str(&format!(
        "quota used: {} of {CONTACT_WAY_QUOTA} ({share:.1} %) by these; Join Group configs share the quota but cannot be listed",
        tally.configs
    ));
    match join_ways_in_ledger(global) {
        Some(known) => text.push_str(&format!(
            " (the ledger knows {} of this corp)\n",
            crate::count::count(known, "live one", "live ones")
        )),
        None => text.push('\n'),
    }
    text.push_str("by state prefix (the state up to its first '_', '-', ':', '.', '/', '|', '#' or space):\n");
    text.push_str(&ranking(&tally.by_prefix, top));
    text.push_str("by member (configs listing the member in `user`; departments not expanded):\n");
    text.push_str(&ranking(&tally.by_member, top));
    eprint!("{text}");
}

/// The counts, largest first (then by name), at most `top` lines (0: all).
fn ranking(counts: &HashMap<String, usize>, top: usize) -> String {
    let mut rows: Vec<(&String, &usize)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let shown = if top == 0 { rows.len() } else { top.min(rows.len()) };
    let mut text: String = rows[..shown].iter().map(|(name, count)| format!("  {count:>8}  {name}\n")).collect();
    if shown < rows.len() {
        text.push_str(&format!("  … and {} more (--top 0 lists all)\n", rows.len() - shown));
    }
    if rows.is_empty() {
        text.push_str("  (none)\n");
    }
    text
}

/// Live Join Group configs of this corp that the ledger knows, when it can be read at once.
pub(crate) fn join_ways_in_ledger(global: &Global) -> Option<usize> {
    let ledger = global.try_open_ledger()?;
    let entries = match ledger.entries() {
        Ok(entries) => entries,
        Err(err) => {
            warn(format_args!("the ledger could not be read: {err}"));
            return None;
        }
    };
    let corpid = global.corpid.as_deref().unwrap_or_default();
    let live = entries
        .iter()
        .filter(|entry| {
            entry.api() == Some(Api::AddJoinWay) && entry.corpid == corpid && entry.base_url == global.base_url
        })
        .filter(|entry| entry.status == Status::Created)
        .count();
    Some(live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_at_the_first_separator() {
        let cases = [
            (Some("channel_spring"), "channel"),
            (Some("channel-autumn_2"), "channel"),
            (Some("vip:gold"), "vip"),
            (Some("plain"), "plain"),
            (Some("销售群A"), "销售群A"),
            (Some("_leading"), "_leading"),
            (Some(""), NO_STATE),
            (None, NO_STATE),
        ];
        for (state, prefix) in cases {
            assert_eq!(state_prefix(state), prefix, "{state:?}");
        }
    }

    #[test]
    fn a_ranking_is_largest_first_and_cut_at_top() {
        let counts: HashMap<String, usize> =
            [("a", 1), ("b", 3), ("c", 3), ("d", 2)].map(|(k, v)| (k.to_owned(), v)).into();
        assert_eq!(ranking(&counts, 2), "         3  b\n         3  c\n  … and 2 more (--top 0 lists all)\n");
        assert_eq!(ranking(&counts, 0).lines().count(), 4);
    }

    #[test]
    fn a_csv_row_has_one_cell_per_column() {
        let way =
            ContactWay { config_id: "c".into(), user: Some(vec!["a".into(), "b".into()]), ..ContactWay::default() };
        let row = csv_row(&way);
        assert_eq!(row.len(), CSV_COLUMNS.len());
        assert_eq!(row[8], "a;b");
    }
}
