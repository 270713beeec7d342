//! The command line: every option also an environment variable.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::walk::Created;

const ABOUT: &str = "Run WeCom Contact Me (联系我) and Join Group (加入群聊) configs from the command line";

const LONG_ABOUT: &str = "\
Run WeCom Contact Me (联系我) and Join Group (加入群聊) configs from the command line.

Every API (contact-way add|get|list|update|delete|close-temp-chat, join-way add|get|update|delete),
a full inventory, a prune that backs up before it deletes, and a ledger of every create: a config
made through the API never shows in the admin console, its config_id is the only key to it, and
a lost id is a unit of the shared 500 000 quota gone for good.

Answers go to stdout as JSON (one object, or one per line for lists); progress, warnings and
summaries go to stderr, so `wecom … | jq` always works. Point --base-url at wecom-mock to try
anything without a real corp.";

/// The `--help` heading of the options every command shares.
pub(crate) const GLOBAL_HEADING: &str = "Global options";

/// `wecom`: the command line.
#[derive(Debug, Parser)]
#[command(name = "wecom", version, about = ABOUT, long_about = LONG_ABOUT, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where to send requests and how. Every subcommand's `--help` lists these under a heading of
/// their own, apart from the subcommand's own options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = GLOBAL_HEADING)]
pub(crate) struct Global {
    /// The service: the real one by default, or wecom-mock, or a proxy.
    #[arg(long, env = "WECOM_BASE_URL", global = true, default_value = wecom_client::DEFAULT_BASE_URL)]
    pub(crate) base_url: String,
    /// The corp's id (ww…).
    #[arg(long, env = "WECOM_CORPID", global = true)]
    pub(crate) corpid: Option<String>,
    /// The secret of an app with the customer-contact permission.
    #[arg(long, env = "WECOM_SECRET", global = true, hide_env_values = true)]
    pub(crate) secret: Option<String>,
    /// Time to wait for one answer (e.g. 500ms, 10s, 1m).
    #[arg(long, env = "WECOM_TIMEOUT", global = true, default_value = "10s", value_parser = parse_duration)]
    pub(crate) timeout: Duration,
    /// Resends of a call answered -1 / 45009 / 45033 or lost before it reached the server, with
    /// exponential backoff (a create whose answer is lost is never resent).
    #[arg(long, env = "WECOM_MAX_RETRIES", global = true, default_value_t = 3)]
    pub(crate) max_retries: u32,
    /// The ledger file of creates [default: DATA_DIR/wecom/ledger.redb, e.g.
    /// ~/.local/share/wecom/ledger.redb on Linux].
    #[arg(long, env = "WECOM_LEDGER", global = true)]
    pub(crate) ledger: Option<PathBuf>,
    /// No progress bars and no summaries on stderr (warnings and errors still show).
    #[arg(long, short, env = "WECOM_QUIET", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) quiet: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Contact Me (联系我): C1–C6.
    #[command(subcommand)]
    ContactWay(ContactWayCommand),
    /// Join Group (加入群聊): J1–J4.
    #[command(subcommand)]
    JoinWay(JoinWayCommand),
    /// Every Contact Me config in full, one per line, and a summary: quota used, counts by state
    /// prefix and by member.
    #[command(long_about = INVENTORY_ABOUT)]
    Inventory(InventoryArgs),
    /// Delete the Contact Me configs that match, after backing each one up (dry run unless
    /// --yes).
    #[command(long_about = PRUNE_ABOUT)]
    Prune(PruneArgs),
    /// The ledger of creates: list, reconcile lost answers, find configs nobody tracks.
    #[command(subcommand, long_about = LEDGER_ABOUT)]
    Ledger(LedgerCommand),
    /// members: the members who may be put on a code (get_follow_user_list), one JSON object
    /// per line ({"userid": …}).
    Members,
    /// customers: a member's customers (externalcontact/list), oldest first, one JSON object
    /// per line ({"external_userid": …}); none for a member without customers.
    Customers {
        /// The member.
        #[arg(long)]
        userid: String,
    },
    /// Check that a service answers as the mock does: probes from the spec cases and two
    /// budgeted lifecycles, recorded (--record DIR) or compared with a recording (--compare DIR).
    #[command(long_about = VERIFY_ABOUT)]
    Verify(VerifyArgs),
    /// Serve these commands as MCP tools over stdio, for AI agents (same rails: checks, merged
    /// updates, the ledger, dry-run prunes).
    #[command(long_about = MCP_ABOUT)]
    Mcp(McpArgs),
}

const VERIFY_ABOUT: &str = "\
Check that a service (the real WeCom by default) answers as the mock does, with a budget.

Probes come in tiers: tier 0 are requests the service refuses before anything is created, drawn
from the project's table of spec cases; tier 1 are a Contact Me and a Join Group lifecycle (add,
get, list, update, get, delete, get), one create each; tier 2 are checks that need a person with
WeChat, printed by --plan and run by nobody. A case needs members and chats by role: --member,
--inactive-member, --unverified-member, --no-contact-member, --chat; a probe whose role is not
given is skipped. Every create goes through the ledger and carries the run's state prefix (`wcv`
+ the run id); everything the run made is deleted before it exits, Ctrl-C included, and --sweep
deletes what an earlier run left.

--record DIR writes one normalised snapshot per probe, run.json and corp.json (the corp in the
mock's fixtures format); --compare DIR runs the same probes against --base-url and prints one
JSON line per probe: {\"probe\",\"status\":\"match\"|\"drift\"|\"could_not_check\"|\"skipped\",
\"diffs\":[{\"path\",\"recorded\",\"now\"}],\"fidelity\":[…]}. Answers -1, 45009, 45033, 60020, HTTP
errors and timeouts are could_not_check, never drift.

Exit status of verify: 0 no probe drifted; 1 at least one drifted (with --record: an answer
other than the spec case expects); 2 usage; 3 a create's answer was lost and the run could not
settle it (run --sweep); 4 the target was unreachable, no probe could be checked, or the run
was interrupted.";

const INVENTORY_ABOUT: &str = "\
Every Contact Me config in full: lists every id (in 90-day windows from 2021-07-10, the oldest
the API lists, to now), gets each with bounded concurrency (backing off on -1 / 45009 / 45033),
and writes one config per line (jsonl: the get_contact_way object; csv: one column per field,
lists joined with ';'). A progress bar and, at the end, a summary go to stderr: configs found,
the share of the 500 000 quota they use, and counts by state prefix and by member.

The state prefix of a config is its state up to (not including) the first '_', '-', ':', '.',
'/', '|', '#' or space: \"channel_spring\" and \"channel-autumn\" are both \"channel\"; a state
without a separator is its own prefix; an empty state counts as \"(none)\". By member counts the
configs that list the member in `user` (departments are not expanded).

Temp-chat configs and configs created before 2021-07-10 are never listed by the API, and Join
Group configs cannot be listed at all: the quota figure counts only what was found.";

const PRUNE_ABOUT: &str = "\
Delete the Contact Me configs that match every filter given (at least one, or --all): lists the
ids (created before --created-before only, when given), gets each, keeps those whose state
starts with --state-prefix and that list --user.

Without --yes nothing is deleted: each config that would be is printed (one JSON per line) and a
count goes to stderr. With --yes each config's full JSON is first appended to the backup file and
fsynced, then the config is deleted and printed. An interrupted prune finishes when run again
with the same filters (configs already gone are not an error; with the same --backup no config
is written twice). A backup line re-creates its config (with a new id):

    wecom contact-way add --json <(sed -n 3p wecom-prune-20250101T120000Z.jsonl)";

/// `verify`: exactly one of --plan, --record, --compare, --sweep.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["plan", "record", "compare", "sweep"])))]
pub(crate) struct VerifyArgs {
    /// Print every probe, its tier and its cost; send nothing.
    #[arg(long)]
    pub(crate) plan: bool,
    /// Run the probes and write a normalised snapshot of each into DIR (a new folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) record: Option<PathBuf>,
    /// Run the probes recorded in DIR and compare the answers with the recording.
    #[arg(long, value_name = "DIR")]
    pub(crate) compare: Option<PathBuf>,
    /// Delete what earlier verify runs left: the ledger's, then listed Contact Me configs with a
    /// verify prefix created more than an hour ago.
    #[arg(long)]
    pub(crate) sweep: bool,
    /// With --sweep: also configs of other runs created within the last hour.
    #[arg(long)]
    pub(crate) all: bool,
    /// Creates the run may spend (each a unit of the 500 000 quota a delete may not give back).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub(crate) max_creates: u32,
    /// A usable member ($MEMBER): needed by the Contact Me lifecycle.
    #[arg(long, value_name = "USERID")]
    pub(crate) member: Option<String>,
    /// A member who has not activated WeCom ($INACTIVE_MEMBER).
    #[arg(long, value_name = "USERID")]
    pub(crate) inactive_member: Option<String>,
    /// A member who is not real-name verified ($UNVERIFIED_MEMBER).
    #[arg(long, value_name = "USERID")]
    pub(crate) unverified_member: Option<String>,
    /// A member without the customer-contact function ($NO_CONTACT_MEMBER).
    #[arg(long, value_name = "USERID")]
    pub(crate) no_contact_member: Option<String>,
    /// A customer group chat ($CHAT): needed by the Join Group lifecycle.
    #[arg(long, value_name = "CHAT_ID")]
    pub(crate) chat: Option<String>,
    /// Calls a second at most (0: unpaced).
    #[arg(long, default_value_t = 1.0, value_name = "PER_SECOND")]
    pub(crate) rate: f64,
    /// Also write the result as a Markdown report.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["plan", "sweep"])]
    pub(crate) report: Option<PathBuf>,
}

impl VerifyArgs {
    /// The roles given by flags.
    pub(crate) fn roles(&self) -> crate::verify::Roles {
        crate::verify::Roles {
            member: self.member.clone(),
            inactive_member: self.inactive_member.clone(),
            unverified_member: self.unverified_member.clone(),
            no_contact_member: self.no_contact_member.clone(),
            chat: self.chat.clone(),
        }
    }
}

/// `contact-way …`
#[derive(Debug, Subcommand)]
pub(crate) enum ContactWayCommand {
    /// C1: create a config; prints {config_id, qr_code}. Recorded in the ledger first.
    Add(ContactWayAddArgs),
    /// C2: one config.
    Get {
        /// The config's id.
        config_id: String,
    },
    /// C3: every config id, one JSON object per line ({"config_id": …}); walks every page.
    List(ListArgs),
    /// C4: change a config. By default a merged update (read, change what was given, write back:
    /// members and settings not mentioned are kept); --replace sends exactly what was given.
    Update(ContactWayUpdateArgs),
    /// C5: delete configs (frees their quota units).
    Delete {
        /// The configs' ids.
        #[arg(required = true)]
        config_ids: Vec<String>,
    },
    /// C6: end a temp chat; the config's conclusions are sent first.
    CloseTempChat {
        /// The member.
        #[arg(long, alias = "user")]
        userid: String,
        /// The customer (wm… or wo…).
        #[arg(long)]
        external_userid: String,
    },
}

/// A body from a file (or `-` for stdin).
#[derive(Debug, Clone, Args)]
pub(crate) struct JsonBody {
    /// A whole request body as JSON, from a file or `-` (stdin); the flags given as well
    /// override its fields.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) json: Option<PathBuf>,
}

/// `contact-way add`
#[derive(Debug, Clone, Args)]
pub(crate) struct ContactWayAddArgs {
    /// 1 = one member, 2 = several members and departments.
    #[arg(long = "type", value_name = "1|2")]
    pub(crate) contact_type: Option<i32>,
    /// 1 = mini-program plug-in, 2 = QR code.
    #[arg(long, value_name = "1|2")]
    pub(crate) scene: Option<i32>,
    /// A member (userid); repeat for several.
    #[arg(long = "user", value_name = "USERID")]
    pub(crate) user: Vec<String>,
    /// A department id (type 2); repeat for several.
    #[arg(long = "party", value_name = "ID")]
    pub(crate) party: Vec<u32>,
    #[command(flatten)]
    pub(crate) common: ContactWayFields,
    /// Temp-chat mode (medical corps, type 1 only).
    #[arg(long)]
    pub(crate) temp: bool,
    /// One member per customer of an external corp (self-built apps only).
    #[arg(long)]
    pub(crate) exclusive: bool,
    /// Mark customers added this way as coming from the app (default true).
    #[arg(long, value_name = "true|false")]
    pub(crate) mark_source: Option<bool>,
    #[command(flatten)]
    pub(crate) body: JsonBody,
}

/// Fields that add and update share.
#[derive(Debug, Clone, Args)]
pub(crate) struct ContactWayFields {
    /// Channel state, up to 30 characters (comes back in the add_external_contact callback).
    #[arg(long)]
    pub(crate) state: Option<String>,
    /// Remark, up to 30 characters.
    #[arg(long)]
    pub(crate) remark: Option<String>,
    /// Add customers without the member's confirmation (default true).
    #[arg(long, value_name = "true|false")]
    pub(crate) skip_verify: Option<bool>,
    /// Plug-in style (scene 1): 1–3 for type 1, 1–2 for type 2.
    #[arg(long)]
    pub(crate) style: Option<i32>,
    /// Temp QR code validity: seconds or a duration (7d, 24h); at most 14 days.
    #[arg(long, value_parser = parse_seconds, value_name = "SECS|DURATION")]
    pub(crate) expires_in: Option<i64>,
    /// Temp chat lifetime after the customer is added: seconds or a duration; at most 14 days.
    #[arg(long, value_parser = parse_seconds, value_name = "SECS|DURATION")]
    pub(crate) chat_expires_in: Option<i64>,
    /// Only this WeChat user may start the temp chat.
    #[arg(long)]
    pub(crate) unionid: Option<String>,
    /// Closing messages of a temp chat, as JSON ({"text":{"content":…}, "image"|"link"|"miniprogram": …}).
    #[arg(long, value_name = "FILE.json")]
    pub(crate) conclusions: Option<PathBuf>,
}

/// `contact-way update`
#[derive(Debug, Clone, Args)]
pub(crate) struct ContactWayUpdateArgs {
    /// The config's id.
    pub(crate) config_id: String,
    /// The whole member list (replaces the stored one); repeat for several.
    #[arg(long = "user", value_name = "USERID")]
    pub(crate) user: Vec<String>,
    /// Add a member to the stored list (merged update only).
    #[arg(long = "add-user", value_name = "USERID")]
    pub(crate) add_user: Vec<String>,
    /// Remove a member from the stored list (merged update only).
    #[arg(long = "remove-user", value_name = "USERID")]
    pub(crate) remove_user: Vec<String>,
    /// The whole department list (replaces the stored one); repeat for several.
    #[arg(long = "party", value_name = "ID")]
    pub(crate) party: Vec<u32>,
    /// Add a department (merged update only).
    #[arg(long = "add-party", value_name = "ID")]
    pub(crate) add_party: Vec<u32>,
    /// Remove a department (merged update only).
    #[arg(long = "remove-party", value_name = "ID")]
    pub(crate) remove_party: Vec<u32>,
    #[command(flatten)]
    pub(crate) common: ContactWayFields,
    /// Send exactly what was given (the raw C4 overwrite: a list sent replaces the stored one,
    /// an empty one clears it) instead of the merged update.
    #[arg(long)]
    pub(crate) replace: bool,
    #[command(flatten)]
    pub(crate) body: JsonBody,
}

/// `contact-way list`
#[derive(Debug, Clone, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) range: CreatedRange,
    /// Print bare ids instead of JSON objects.
    #[arg(long)]
    pub(crate) plain: bool,
}

/// A creation-time range.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct CreatedRange {
    /// Only configs created at or after this time (unix seconds or RFC 3339) [default:
    /// 2021-07-10, the oldest the API lists].
    #[arg(long, value_parser = parse_unix_time, value_name = "UNIX|RFC3339")]
    pub(crate) start_time: Option<i64>,
    /// Only configs created at or before this time [default: now].
    #[arg(long, value_parser = parse_unix_time, value_name = "UNIX|RFC3339")]
    pub(crate) end_time: Option<i64>,
}

impl From<CreatedRange> for Created {
    fn from(range: CreatedRange) -> Created {
        Created { start_time: range.start_time, end_time: range.end_time }
    }
}

/// `join-way …`
#[derive(Debug, Subcommand)]
pub(crate) enum JoinWayCommand {
    /// J1 (+ J2 for the QR code of scene 2): create a config; prints {config_id, qr_code}.
    /// Recorded in the ledger first: Join Group configs cannot be listed, so the ledger is the
    /// only place their ids are kept.
    Add(JoinWayAddArgs),
    /// J2: one config.
    Get {
        /// The config's id.
        config_id: String,
    },
    /// J3: change a config. By default a merged update (read, change what was given, write the
    /// whole config back: J3 overwrites, and fields not sent would fall back to their
    /// defaults); --replace sends exactly what was given.
    Update(JoinWayUpdateArgs),
    /// J4: delete configs.
    Delete {
        /// The configs' ids.
        #[arg(required = true)]
        config_ids: Vec<String>,
    },
}

/// Fields of a Join Group config.
#[derive(Debug, Clone, Args)]
pub(crate) struct JoinWayFields {
    /// 1 = group mini-program plug-in, 2 = group QR code.
    #[arg(long, value_name = "1|2")]
    pub(crate) scene: Option<i32>,
    /// Channel state, up to 30 characters (shown as the joiner's state in the group detail).
    #[arg(long)]
    pub(crate) state: Option<String>,
    /// Remark, up to 30 characters (longer is truncated by WeCom).
    #[arg(long)]
    pub(crate) remark: Option<String>,
    /// Create the next group when all are full: 1 (the flag alone, and WeCom's default) or 0.
    #[arg(long, num_args = 0..=1, default_missing_value = "1", value_name = "0|1")]
    pub(crate) auto_create_room: Option<i32>,
    /// Name prefix of auto-created groups, up to 40 characters.
    #[arg(long)]
    pub(crate) room_base_name: Option<String>,
    /// First serial number of auto-created groups.
    #[arg(long)]
    pub(crate) room_base_id: Option<i64>,
    /// Mark the source of customers who join this way (default true).
    #[arg(long, value_name = "true|false")]
    pub(crate) mark_source: Option<bool>,
}

/// `join-way add`
#[derive(Debug, Clone, Args)]
pub(crate) struct JoinWayAddArgs {
    /// A customer group (wr…); repeat for up to 5.
    #[arg(long = "chat", value_name = "CHAT_ID")]
    pub(crate) chat: Vec<String>,
    #[command(flatten)]
    pub(crate) fields: JoinWayFields,
    #[command(flatten)]
    pub(crate) body: JsonBody,
}

/// `join-way update`
#[derive(Debug, Clone, Args)]
pub(crate) struct JoinWayUpdateArgs {
    /// The config's id.
    pub(crate) config_id: String,
    /// The whole group list (replaces the stored one); repeat for several.
    #[arg(long = "chat", value_name = "CHAT_ID")]
    pub(crate) chat: Vec<String>,
    /// Add a group to the stored list (merged update only).
    #[arg(long = "add-chat", value_name = "CHAT_ID")]
    pub(crate) add_chat: Vec<String>,
    /// Remove a group from the stored list (merged update only).
    #[arg(long = "remove-chat", value_name = "CHAT_ID")]
    pub(crate) remove_chat: Vec<String>,
    #[command(flatten)]
    pub(crate) fields: JoinWayFields,
    /// Send exactly what was given (J3 overwrites the whole config: every field not given goes
    /// back to its default) instead of the merged update.
    #[arg(long)]
    pub(crate) replace: bool,
    #[command(flatten)]
    pub(crate) body: JsonBody,
}

/// `inventory`
#[derive(Debug, Clone, Args)]
pub(crate) struct InventoryArgs {
    /// Output format.
    #[arg(long, value_enum, env = "WECOM_FORMAT", default_value_t = Format::Jsonl)]
    pub(crate) format: Format,
    /// Write to this file (complete or not at all: written as FILE.partial, renamed at the end)
    /// instead of stdout.
    #[arg(long, short, env = "WECOM_OUTPUT")]
    pub(crate) output: Option<PathBuf>,
    /// Gets in flight at once.
    #[arg(long, env = "WECOM_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,
    /// Lines per group in the summary (0: all).
    #[arg(long, env = "WECOM_TOP", default_value_t = 20)]
    pub(crate) top: usize,
    #[command(flatten)]
    pub(crate) range: CreatedRange,
}

/// Inventory formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One get_contact_way object per line.
    Jsonl,
    /// A header and one row per config.
    Csv,
}

/// `prune`
#[derive(Debug, Clone, Args)]
pub(crate) struct PruneArgs {
    /// Only configs whose state starts with this text.
    #[arg(long, env = "WECOM_PRUNE_STATE_PREFIX")]
    pub(crate) state_prefix: Option<String>,
    /// Only configs that list this member in `user`.
    #[arg(long, env = "WECOM_PRUNE_USER")]
    pub(crate) user: Option<String>,
    /// Only configs created before this time (unix seconds or RFC 3339).
    #[arg(long, env = "WECOM_PRUNE_CREATED_BEFORE", value_parser = parse_unix_time, value_name = "UNIX|RFC3339")]
    pub(crate) created_before: Option<i64>,
    /// Match every listed config (no filter needed).
    #[arg(long)]
    pub(crate) all: bool,
    /// Delete for real (without it, only print what would be deleted).
    #[arg(long)]
    pub(crate) yes: bool,
    /// Append the deleted configs here [default: wecom-prune-UTCTIME.jsonl, e.g. wecom-prune-20250101T120000Z.jsonl].
    #[arg(long, env = "WECOM_PRUNE_BACKUP")]
    pub(crate) backup: Option<PathBuf>,
    /// Gets and deletes in flight at once.
    #[arg(long, env = "WECOM_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) concurrency: u16,
}

/// `mcp`
#[derive(Debug, Clone, Args)]
pub(crate) struct McpArgs {
    /// Also serve the mock's customer: mock_scan, mock_join, mock_clock, mock_messages (over
    /// the base URL's /__admin routes; for wecom-mock only).
    #[arg(long, env = "WECOM_MOCK_TOOLS", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) mock_tools: bool,
    /// The mock's admin token, sent as the bearer token of the mock tools.
    #[arg(long, env = "WECOM_MOCK_ADMIN_TOKEN", hide_env_values = true)]
    pub(crate) mock_admin_token: Option<String>,
}

pub(crate) const MCP_ABOUT: &str = "\
Serve the commands as tools of the Model Context Protocol over stdio (newline-delimited JSON-RPC),
for AI agents: add/get/list/update/del_contact_way, close_temp_chat, add/get/update/del_join_way,
inventory, prune, ledger_list, ledger_reconcile. Configuration is the CLI's (WECOM_BASE_URL,
WECOM_CORPID, WECOM_SECRET, WECOM_LEDGER, …) and so are the rails: every body is checked before it
is sent, updates are merged unless `replace: true`, every create goes to the ledger first, and
prune is a dry run unless `confirm: true` (then each config is backed up before it is deleted).

stdout carries protocol messages only; warnings go to stderr. With --mock-tools (for wecom-mock)
the agent can also play the customer: mock_scan, mock_join, mock_clock, mock_messages.";

/// `10s`, `500ms`, `1m`; a bare number is seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text).map_err(|err| format!("{err} (e.g. 500ms, 10s, 1m)"))
}

/// Whole seconds from `86400` or `24h`.
fn parse_seconds(text: &str) -> Result<i64, String> {
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    let duration = humantime::parse_duration(text).map_err(|err| format!("{err} (seconds, or e.g. 24h, 7d)"))?;
    i64::try_from(duration.as_secs()).map_err(|err| err.to_string())
}

/// Unix seconds from `1700000000` or `2024-01-01T00:00:00Z`.
fn parse_unix_time(text: &str) -> Result<i64, String> {
    if let Ok(unix) = text.parse::<i64>() {
        return Ok(unix);
    }
    let time = humantime::parse_rfc3339_weak(text)
        .map_err(|err| format!("{err} (unix seconds, or e.g. 2024-01-01T00:00:00Z)"))?;
    let secs = time.duration_since(std::time::UNIX_EPOCH).map_err(|err| err.to_string())?.as_secs();
    i64::try_from(secs).map_err(|err| err.to_string())
}

pub(crate) const LEDGER_ABOUT: &str = "\
The ledger of creates. Every `contact-way add` and `join-way add` is written to it (fsynced)
before the request is sent, and completed with the config_id when the answer comes, or marked
failed when WeCom refuses (then nothing was created). When the answer is lost (a timeout, a reset
connection) the command exits 3 and the entry stays pending.

`reconcile` resolves pending Contact Me entries: it lists the configs created within --slack of
the intent's time, gets each one the ledger does not know, and adopts the only one whose content
equals the intent (or reports that none or several match).

What it cannot recover: Join Group configs cannot be listed by the API, and temp-chat Contact Me
configs are never listed. For those the ledger keeps every id whose answer arrived (for Join
Group it is the only place the ids are kept: `ledger list` is your Join Group inventory) and the
intent of every create whose answer was lost (body and time, so you know a quota unit may be in
use and by which config), but it cannot find a lost id again: `dismiss` such an entry once you
have decided, or `adopt` an id you found another way.

`orphans` lists live Contact Me configs the ledger does not know: quota units nobody tracks.";

/// `ledger …`
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Every entry, one JSON object per line (oldest first).
    List(LedgerListArgs),
    /// Resolve pending entries of this corp: adopt the live config each one created. Exits 3
    /// while some stay unresolved. Join Group and temp-chat intents cannot be resolved (the API
    /// cannot list those configs).
    Reconcile(ReconcileArgs),
    /// Live Contact Me configs the ledger does not know, one per line.
    Orphans(OrphansArgs),
    /// Record that a pending entry created this config (checked with a get first).
    Adopt {
        /// The entry's sequence number.
        seq: u64,
        /// The config it created.
        config_id: String,
    },
    /// Close an entry without an id (for example a Join Group intent that cannot be recovered).
    Dismiss {
        /// The entry's sequence number.
        seq: u64,
        /// Why, for the record.
        #[arg(long, default_value = "dismissed by the operator")]
        note: String,
    },
}

/// `ledger list`
#[derive(Debug, Clone, Args)]
pub(crate) struct LedgerListArgs {
    /// Only entries with this status (repeat for several).
    #[arg(long, value_enum)]
    pub(crate) status: Vec<StatusArg>,
    /// Entries of every corp, not only --corpid's.
    #[arg(long)]
    pub(crate) all_corps: bool,
}

/// `ledger reconcile`
#[derive(Debug, Clone, Args)]
pub(crate) struct ReconcileArgs {
    /// Configs created this long before or after an intent are its candidates (covers the
    /// request timeout and the clock skew between this machine and the server).
    #[arg(long, env = "WECOM_RECONCILE_SLACK", default_value = "5m", value_parser = parse_duration)]
    pub(crate) slack: Duration,
    /// Gets in flight at once.
    #[arg(long, env = "WECOM_CONCURRENCY", default_value_t = 8)]
    pub(crate) concurrency: usize,
}

/// `ledger orphans`
#[derive(Debug, Clone, Args)]
pub(crate) struct OrphansArgs {
    /// Print each orphan's full config (one get each) instead of its id.
    #[arg(long)]
    pub(crate) full: bool,
    #[command(flatten)]
    pub(crate) range: CreatedRange,
}

/// The ledger statuses as the JSON spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum StatusArg {
    Pending,
    Created,
    Failed,
    NotFound,
    Dismissed,
    Deleted,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_and_times_take_numbers_or_words() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_seconds("86400"), Ok(86_400));
        assert_eq!(parse_seconds("1d"), Ok(86_400));
        assert_eq!(parse_unix_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_unix_time("2021-07-09T16:00:00Z"), Ok(wecom_types::limits::LIST_CUTOFF_UNIX));
        assert!(parse_unix_time("yesterday").is_err());
    }
}
