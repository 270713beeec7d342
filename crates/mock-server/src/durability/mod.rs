//! Durability with `--data-dir`: every change is in the journal before its answer is sent.
//!
//! The flow of one write (see `ARCHITECTURE.md`): under the corp's write lock `Corp::write`
//! encodes the events and enqueues them ([`journal::Journal::append`], no I/O), applies them and
//! releases the lock; the HTTP layer then awaits the record's group commit before it answers
//! ([`track`] notes which record a request made). A background compactor rotates the journal,
//! copies each corp under its read lock and writes a snapshot; start-up loads the newest
//! snapshot and replays the journal after it ([`recover`]).

mod binary;
mod compactor;
mod data_dir;
mod error;
mod frame;
pub(crate) mod journal;
mod layout;
pub(crate) mod record;
pub(crate) mod recover;
mod track;

pub(crate) use compactor::{CompactorParts, Freeze, Frozen, Store, files_bytes};
pub use data_dir::{DEFAULT_COMPACT_BYTES, DataDir, FsyncPolicy};
pub use error::OpenError;
pub(crate) use error::Unavailable;
pub(crate) use track::{track, track_async};
