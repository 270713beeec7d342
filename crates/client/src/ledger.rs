//! The config_id ledger (feature `ledger`): every create, written down before it is sent.
//!
//! A Contact Me or Join Group config made through the API never shows in the admin console; its
//! `config_id` is the only key to it, and a lost id is one unit of the shared 500 000 quota gone
//! for good. With a ledger ([`ClientBuilder::ledger`](crate::ClientBuilder::ledger)), each
//! `add_contact_way` / `add_join_way` is committed to a local file (fsynced) as an **intent**
//! (the API, the body as sent, the corp, the base URL, the time) before the request leaves, and
//! completed when the answer comes:
//!
//! | answer | entry |
//! |---|---|
//! | success | `created`, with the `config_id` (and `qr_code`) |
//! | a WeCom errcode, or never sent (connection refused, validation) | `failed`: certain, nothing was created |
//! | lost (timeout, reset connection: [`Delivery::MaybeSent`](crate::Delivery::MaybeSent)), a gateway error, an answer that does not decode, or the process died | stays `pending`: the config may exist |
//!
//! [`Client::reconcile_ledger`](crate::Client::reconcile_ledger) resolves pending Contact Me
//! intents by listing the configs created around the intent's time and adopting the one whose
//! content equals it. **Join Group configs cannot be listed** (the API has no list), and temp
//! Contact Me configs are never listed: for those the ledger keeps the intent (so you know a
//! unit may be in use, and by what), and the id when the answer came, but it cannot find a lost
//! id again.
//!
//! The store is [`redb`] (pure Rust, crash-safe: a committed transaction survives a killed
//! process and a power cut). One process holds the file at a time; a second one gets
//! [`LedgerError::InUse`].
//!
//! ```no_run
//! use wecom_client::Client;
//! use wecom_types::api::{AddContactWay, Scene};
//!
//! # async fn example() -> Result<(), wecom_client::Error> {
//! let client = Client::builder("wwmock0000000001", "mock-secret").ledger("creates.redb").build()?;
//! client.add_contact_way(&AddContactWay::single("zhangsan", Scene::QR_CODE)).await?;
//! let entries = client.ledger().expect("configured").entries().expect("the ledger reads");
//! assert!(entries.iter().any(|entry| entry.config_id.is_some()));
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use redb::{Database, Durability, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use wecom_types::Api;

/// Entries by sequence number, as JSON.
const ENTRIES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("entries");
/// The entry that holds a config id.
const BY_CONFIG_ID: TableDefinition<'_, &str, u64> = TableDefinition::new("by_config_id");
/// `format_version`.
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
/// The layout of the tables above; a newer file is refused rather than misread.
const FORMAT_VERSION: u64 = 1;
/// The ledger is small: keep redb's page cache small too.
const CACHE_BYTES: usize = 4 * 1024 * 1024;

/// What can go wrong with the ledger file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// Another process has the file open.
    #[error("the ledger {} is in use by another process", path.display())]
    InUse {
        /// The file.
        path: PathBuf,
    },
    /// The folder for the file could not be made.
    #[error("cannot create the folder of the ledger {}: {source}", path.display())]
    Folder {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file was written by a newer version of this crate.
    #[error("the ledger {} has format {found}; this version reads up to {FORMAT_VERSION}", path.display())]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// Its format version.
        found: u64,
    },
    /// The store failed (I/O, a full disk, a damaged file).
    #[error("ledger store: {0}")]
    Store(#[source] Box<redb::Error>),
    /// An entry could not be encoded or decoded.
    #[error("ledger entry {seq}: {source}")]
    Entry {
        /// Its sequence number.
        seq: u64,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
    /// No entry has this sequence number.
    #[error("the ledger has no entry {0}")]
    UnknownEntry(u64),
    /// The blocking task that wrote the file did not finish.
    #[error("the ledger task failed: {0}")]
    Task(String),
}

macro_rules! store_errors {
    ($($ty:ty),*) => {$(
        impl From<$ty> for LedgerError {
            fn from(err: $ty) -> Self {
                LedgerError::Store(Box::new(err.into()))
            }
        }
    )*};
}
store_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Sent (or about to be), no answer recorded: the config may exist.
    Pending,
    /// The config exists (or existed until deleted by someone else): `config_id` is set.
    Created,
    /// Certainly not created: WeCom answered an errcode, or the request never left.
    Failed,
    /// A reconcile found no live config that matches the intent.
    NotFound,
    /// Closed by the operator without an id (for example a Join Group intent that cannot be
    /// recovered).
    Dismissed,
    /// Created, then deleted through a client or command that had this ledger.
    Deleted,
}

/// Who settled an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResolvedBy {
    /// The API's answer.
    Answer,
    /// [`Client::reconcile_ledger`](crate::Client::reconcile_ledger).
    Reconcile,
    /// A person (`adopt`, `dismiss`).
    Operator,
}

/// One create, from intent to outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Sequence number, from 1, in the order the intents were recorded.
    pub seq: u64,
    /// `add_contact_way` or `add_join_way`.
    pub api: String,
    /// The corp.
    pub corpid: String,
    /// The service it was sent to.
    pub base_url: String,
    /// The request body exactly as sent.
    pub body: serde_json::Value,
    /// When the intent was recorded (unix seconds, this machine's clock).
    pub intent_at: i64,
    /// Where it stands.
    pub status: Status,
    /// The config's id, once known.
    #[serde(default)]
    pub config_id: Option<String>,
    /// The QR code URL, when the answer had one.
    #[serde(default)]
    pub qr_code: Option<String>,
    /// The errcode of a failed create.
    #[serde(default)]
    pub errcode: Option<i32>,
    /// Why it failed, or the operator's note.
    #[serde(default)]
    pub error: Option<String>,
    /// When the status last changed from pending.
    #[serde(default)]
    pub resolved_at: Option<i64>,
    /// Who settled it.
    #[serde(default)]
    pub resolved_by: Option<ResolvedBy>,
    /// When it was deleted.
    #[serde(default)]
    pub deleted_at: Option<i64>,
}

impl Entry {
    /// The API of the create.
    pub fn api(&self) -> Option<Api> {
        Api::ALL.into_iter().find(|api| api.short_name() == self.api)
    }

    /// `true` while the config may exist without its id being known.
    pub fn is_pending(&self) -> bool {
        self.status == Status::Pending
    }
}

/// The ledger file. Cheap to clone: clones share the open file.
#[derive(Clone)]
pub struct Ledger {
    db: Arc<Database>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Now, in unix seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

impl Ledger {
    /// Opens the ledger at `path`, creating it (and its folder) when it does not exist.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("wecom-ledger-doc-{}", std::process::id()));
    /// let ledger = wecom_client::ledger::Ledger::open(dir.join("ledger.redb"))?;
    /// assert!(ledger.entries()?.is_empty());
    /// # drop(ledger); std::fs::remove_dir_all(dir).ok();
    /// # Ok::<(), wecom_client::ledger::LedgerError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| LedgerError::Folder { path: path.clone(), source })?;
        }
        let db =
            redb::Builder::new().set_cache_size(CACHE_BYTES).create_with_file_format_v3(true).create(&path).map_err(
                |err| match err {
                    redb::DatabaseError::DatabaseAlreadyOpen => LedgerError::InUse { path: path.clone() },
                    other => other.into(),
                },
            )?;
        let txn = begin_write(&db)?;
        {
            let mut meta = txn.open_table(META)?;
            let found = meta.get("format_version")?.map(|guard| guard.value());
            match found {
                Some(found) if found > FORMAT_VERSION => return Err(LedgerError::NewerFormat { path, found }),
                Some(_) => {}
                None => {
                    meta.insert("format_version", FORMAT_VERSION)?;
                }
            }
            txn.open_table(ENTRIES)?;
            txn.open_table(BY_CONFIG_ID)?;
        }
        txn.commit()?;
        Ok(Ledger { db: Arc::new(db), path: Arc::new(path) })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the intent of a create and returns its sequence number; when this returns, the
    /// intent is on disk.
    pub fn record_intent(
        &self,
        api: Api,
        corpid: &str,
        base_url: &str,
        body: serde_json::Value,
    ) -> Result<u64, LedgerError> {
        let txn = begin_write(&self.db)?;
        let seq = {
            let mut entries = txn.open_table(ENTRIES)?;
            let seq = entries.last()?.map_or(1, |(key, _)| key.value() + 1);
            let entry = Entry {
                seq,
                api: api.short_name().to_owned(),
                corpid: corpid.to_owned(),
                base_url: base_url.to_owned(),
                body,
                intent_at: unix_now(),
                status: Status::Pending,
                config_id: None,
                qr_code: None,
                errcode: None,
                error: None,
                resolved_at: None,
                resolved_by: None,
                deleted_at: None,
            };
            entries.insert(seq, encode(&entry)?.as_slice())?;
            seq
        };
        txn.commit()?;
        Ok(seq)
    }

    /// Completes an entry with the id of the config it created.
    pub fn complete(
        &self,
        seq: u64,
        config_id: &str,
        qr_code: Option<&str>,
        by: ResolvedBy,
    ) -> Result<Entry, LedgerError> {
        self.update(seq, |entry| {
            entry.status = Status::Created;
            entry.config_id = Some(config_id.to_owned());
            if qr_code.is_some() {
                entry.qr_code = qr_code.map(str::to_owned);
            }
            entry.errcode = None;
            entry.error = None;
            entry.resolved_by = Some(by);
        })
    }

    /// Marks an entry as certainly not created.
    pub fn fail(&self, seq: u64, errcode: Option<i32>, error: &str) -> Result<Entry, LedgerError> {
        self.update(seq, |entry| {
            entry.status = Status::Failed;
            entry.errcode = errcode;
            entry.error = Some(error.to_owned());
            entry.resolved_by = Some(ResolvedBy::Answer);
        })
    }

    /// Marks a pending entry as matched by no live config.
    pub fn mark_not_found(&self, seq: u64) -> Result<Entry, LedgerError> {
        self.update(seq, |entry| {
            entry.status = Status::NotFound;
            entry.resolved_by = Some(ResolvedBy::Reconcile);
        })
    }

    /// Closes an entry without an id, with the operator's note.
    pub fn dismiss(&self, seq: u64, note: &str) -> Result<Entry, LedgerError> {
        self.update(seq, |entry| {
            entry.status = Status::Dismissed;
            entry.error = Some(note.to_owned());
            entry.resolved_by = Some(ResolvedBy::Operator);
        })
    }

    /// Marks the entry that created `config_id` as deleted; `None` when the ledger never knew
    /// the id.
    pub fn mark_deleted(&self, config_id: &str) -> Result<Option<Entry>, LedgerError> {
        let Some(seq) = self.seq_of(config_id)? else {
            return Ok(None);
        };
        self.update(seq, |entry| {
            entry.status = Status::Deleted;
            entry.deleted_at = Some(unix_now());
        })
        .map(Some)
    }

    /// The entry that holds `config_id`.
    pub fn seq_of(&self, config_id: &str) -> Result<Option<u64>, LedgerError> {
        let txn = self.db.begin_read()?;
        let index = txn.open_table(BY_CONFIG_ID)?;
        Ok(index.get(config_id)?.map(|guard| guard.value()))
    }

    /// One entry.
    pub fn entry(&self, seq: u64) -> Result<Option<Entry>, LedgerError> {
        let txn = self.db.begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        entries.get(seq)?.map(|guard| decode(seq, guard.value())).transpose()
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<Entry>, LedgerError> {
        let txn = self.db.begin_read()?;
        let entries = txn.open_table(ENTRIES)?;
        let mut all = Vec::new();
        for item in entries.iter()? {
            let (seq, bytes) = item?;
            all.push(decode(seq.value(), bytes.value())?);
        }
        Ok(all)
    }

    /// Changes one entry in one committed transaction, keeping the id index in step.
    fn update(&self, seq: u64, change: impl FnOnce(&mut Entry)) -> Result<Entry, LedgerError> {
        let txn = begin_write(&self.db)?;
        let entry = {
            let mut entries = txn.open_table(ENTRIES)?;
            let mut entry = match entries.get(seq)? {
                Some(guard) => decode(seq, guard.value())?,
                None => return Err(LedgerError::UnknownEntry(seq)),
            };
            let was_pending = entry.is_pending();
            change(&mut entry);
            if was_pending && !entry.is_pending() {
                entry.resolved_at = Some(unix_now());
            }
            entries.insert(seq, encode(&entry)?.as_slice())?;
            if let Some(config_id) = &entry.config_id {
                txn.open_table(BY_CONFIG_ID)?.insert(config_id.as_str(), seq)?;
            }
            entry
        };
        txn.commit()?;
        Ok(entry)
    }
}

fn begin_write(db: &Database) -> Result<redb::WriteTransaction, LedgerError> {
    let mut txn = db.begin_write()?;
    // The point of the ledger: a returned commit is on disk.
    txn.set_durability(Durability::Immediate);
    Ok(txn)
}

fn encode(entry: &Entry) -> Result<Vec<u8>, LedgerError> {
    serde_json::to_vec(entry).map_err(|source| LedgerError::Entry { seq: entry.seq, source })
}

fn decode(seq: u64, bytes: &[u8]) -> Result<Entry, LedgerError> {
    serde_json::from_slice(bytes).map_err(|source| LedgerError::Entry { seq, source })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("wecom-ledger-{name}-{}", std::process::id()));
            std::fs::remove_dir_all(&dir).ok();
            Scratch(dir)
        }
        fn file(&self) -> PathBuf {
            self.0.join("nested").join("ledger.redb")
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    fn intent(ledger: &Ledger) -> u64 {
        ledger
            .record_intent(Api::AddContactWay, "ww1", "http://mock", json!({"type": 1, "scene": 2, "user": ["a"]}))
            .expect("recorded")
    }

    #[test]
    fn an_intent_is_pending_until_it_is_settled() {
        let scratch = Scratch::new("pending");
        let ledger = Ledger::open(scratch.file()).expect("opens");
        let seq = intent(&ledger);
        let entry = ledger.entry(seq).expect("reads").expect("exists");
        assert_eq!((entry.seq, entry.status, entry.api()), (1, Status::Pending, Some(Api::AddContactWay)));
        assert_eq!(entry.body["user"], json!(["a"]));
        assert_eq!(entry.resolved_at, None);

        let done = ledger.complete(seq, "cfg1", Some("http://qr"), ResolvedBy::Answer).expect("completes");
        assert_eq!((done.status, done.config_id.as_deref()), (Status::Created, Some("cfg1")));
        assert!(done.resolved_at.is_some());
        assert_eq!(ledger.seq_of("cfg1").expect("reads"), Some(seq));
    }

    #[test]
    fn sequence_numbers_grow_and_survive_a_reopen() {
        let scratch = Scratch::new("reopen");
        {
            let ledger = Ledger::open(scratch.file()).expect("opens");
            assert_eq!(intent(&ledger), 1);
            assert_eq!(intent(&ledger), 2);
            ledger.fail(2, Some(40058), "invalid parameter").expect("fails");
        }
        let ledger = Ledger::open(scratch.file()).expect("opens again");
        assert_eq!(intent(&ledger), 3);
        let statuses: Vec<Status> = ledger.entries().expect("reads").iter().map(|entry| entry.status).collect();
        assert_eq!(statuses, [Status::Pending, Status::Failed, Status::Pending]);
    }

    #[test]
    fn a_second_opener_is_told_the_file_is_in_use() {
        let scratch = Scratch::new("in-use");
        let _first = Ledger::open(scratch.file()).expect("opens");
        let second = Ledger::open(scratch.file()).expect_err("locked");
        assert!(matches!(second, LedgerError::InUse { .. }), "{second}");
    }

    #[test]
    fn deleting_a_known_id_marks_its_entry_and_an_unknown_id_is_none() {
        let scratch = Scratch::new("deleted");
        let ledger = Ledger::open(scratch.file()).expect("opens");
        let seq = intent(&ledger);
        ledger.complete(seq, "cfg1", None, ResolvedBy::Answer).expect("completes");
        let deleted = ledger.mark_deleted("cfg1").expect("marks").expect("known");
        assert_eq!(deleted.status, Status::Deleted);
        assert!(deleted.deleted_at.is_some());
        assert_eq!(ledger.mark_deleted("other").expect("looks up"), None);
    }

    #[test]
    fn an_unknown_entry_is_an_error() {
        let scratch = Scratch::new("unknown");
        let ledger = Ledger::open(scratch.file()).expect("opens");
        assert!(matches!(ledger.dismiss(7, "x"), Err(LedgerError::UnknownEntry(7))));
    }
}
