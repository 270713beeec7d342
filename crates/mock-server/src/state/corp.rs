//! One corp at run time: its state behind a lock, its id source, its tokens' epoch, its journal
//! and its traffic counters. [`Corp::write`] is the only way a corp changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use rand::Rng;
use rand::rngs::StdRng;

use super::clock::wall_now;
use crate::core::model::{ConfigId, CorpState, Event, Message};
use crate::core::notices::Notice;
use crate::durability::Unavailable;
use crate::durability::journal::Journal;
use crate::net::callbacks;
use crate::traffic::CorpTraffic;

/// One corp: its state behind a lock, its id source and its tokens.
pub(crate) struct Corp {
    pub state: RwLock<CorpState>,
    pub(super) rng: Mutex<StdRng>,
    /// Tokens verified under another epoch are verified again (a revocation bumps it).
    pub(super) epoch: AtomicU64,
    /// Where every change goes before it is answered (none in memory).
    pub(super) journal: Option<Arc<Journal>>,
    /// The seq of the last journal record this corp reflects; changed under the write lock.
    pub(super) applied_seq: AtomicU64,
    /// Replaced or removed: a change that still reaches it is not journaled (it is as if it
    /// happened just before the replacement, which wipes it anyway).
    pub(super) retired: AtomicBool,
    /// Rate-limit windows and the hygiene counters; they start over with the corp.
    pub(crate) traffic: CorpTraffic,
    /// The server's count of configs over every corp, kept by this corp's writes.
    pub(super) total_configs: Arc<AtomicU64>,
    /// A tenant's corp (it may expire).
    pub(super) is_tenant: bool,
    /// When the last call (WeCom or admin) reached this corp: wall seconds since the server
    /// started.
    pub(super) last_call: AtomicU64,
}

impl Corp {
    /// Runs a command: checks it against the state and applies its events, under the write
    /// lock. Temp chats that are due end first. With a data dir the events are journaled before
    /// they are applied; when the journal cannot take them the command is refused unchanged.
    pub(crate) fn write<R, E: From<Unavailable>>(
        &self,
        command: impl FnOnce(&CorpState, i64, &mut StdRng) -> Result<(R, Vec<Event>), E>,
    ) -> Result<R, E> {
        let mut state = self.state.write();
        let now = state.now_at(wall_now());
        let due = state.due_expirations(now);
        self.commit(&mut state, due)?;
        let mut rng = self.rng.lock();
        let (reply, events) = command(&state, now, &mut rng)?;
        self.commit(&mut state, events)?;
        Ok(reply)
    }

    /// Journals (enqueues, no I/O) then applies one write's events; called under the write lock.
    fn commit(&self, state: &mut CorpState, events: Vec<Event>) -> Result<(), Unavailable> {
        if events.is_empty() {
            return Ok(());
        }
        let retired = self.retired.load(Ordering::Acquire);
        if let Some(journal) = &self.journal
            && !retired
        {
            let corpid = &state.corpid;
            let seq = journal.append_events(corpid, &events)?;
            self.applied_seq.store(seq, Ordering::Release);
        }
        let before = configs(state);
        for event in events {
            state.apply(event);
        }
        // A retired corp's configs were taken off the count when it was retired.
        if !retired {
            let after = configs(state);
            if after > before {
                self.total_configs.fetch_add(after - before, Ordering::AcqRel);
            } else if before > after {
                self.total_configs.fetch_sub(before - after, Ordering::AcqRel);
            }
        }
        Ok(())
    }

    /// Reads the state at its current instant (ending due temp chats first, so a read never
    /// sees a chat that should be over).
    pub(crate) fn read<R>(&self, query: impl FnOnce(&CorpState, i64) -> R) -> R {
        self.read_at(wall_now(), query)
    }

    /// [`Corp::read`] for a call that read the wall clock at `wall` (a [`wall_now`]) already.
    /// When a temp chat is due, the chats end and the state is read as [`Corp::read`] always
    /// did (the wall clock read again).
    pub(crate) fn read_at<R>(&self, wall: i64, query: impl FnOnce(&CorpState, i64) -> R) -> R {
        {
            let state = self.state.read();
            let now = state.now_at(wall);
            if state.next_due().is_none_or(|due| due > now) {
                return query(&state, now);
            }
        }
        self.expire_due();
        let state = self.state.read();
        let now = state.now_at(wall_now());
        query(&state, now)
    }

    /// Ends every temp chat that is due; returns how many ended.
    pub(crate) fn expire_due(&self) -> usize {
        let mut state = self.state.write();
        let events = state.due_expirations(state.now_at(wall_now()));
        let n = events.len();
        // With a failed journal the chats stay until a restart rather than end unrecorded.
        if self.commit(&mut state, events).is_ok() { n } else { 0 }
    }

    /// The seq of the last journal record this corp reflects, and a copy of its state: what a
    /// snapshot holds of it.
    pub(crate) fn image(&self) -> (u64, CorpState) {
        let state = self.state.read();
        (self.applied_seq.load(Ordering::Acquire), state.clone())
    }

    /// Resolves once every change made to this corp so far meets the fsync policy (at once in
    /// memory): what is announced about a change, such as a callback, must not get ahead of
    /// the journal. `Err` when the journal failed first.
    fn settled(&self) -> impl std::future::Future<Output = Result<(), Unavailable>> + Send + 'static {
        let pending = self.journal.as_ref().map(|journal| (Arc::clone(journal), journal.last_lsn()));
        async move {
            match pending {
                Some((journal, lsn)) => journal.wait(lsn).await,
                None => Ok(()),
            }
        }
    }

    /// Records a message (a callback delivery's outcome) as one more change.
    pub(crate) fn record(&self, message: Message) {
        // Only a failed journal refuses this; the delivery itself has happened either way.
        let change = |_: &CorpState, _, _: &mut StdRng| Ok(((), vec![Event::MessageRecorded { message }]));
        if let Err(Unavailable) = self.write(change) {
            tracing::warn!("a callback delivery could not be recorded: the journal failed");
        }
    }

    /// Sends the notices of a committed change in the background, in order, and records each
    /// outcome. Returns at once.
    pub(crate) fn announce(self: &Arc<Self>, notices: Vec<Notice>) {
        if notices.is_empty() {
            return;
        }
        let corp = Arc::clone(self);
        let settled = corp.settled();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if settled.await.is_err() {
                        // The change may not survive a restart: announcing it could tell the
                        // receiver about a customer the mock then forgets.
                        tracing::warn!("callbacks not sent: the journal failed before the change was durable");
                        return;
                    }
                    for notice in notices {
                        let message = callbacks::deliver(&notice).await;
                        corp.record(message);
                    }
                });
            }
            Err(_) => {
                for notice in notices {
                    let reason = Some("no async runtime to send from".to_owned());
                    self.record(callbacks::outcome(&notice, None, 0, reason));
                }
            }
        }
    }

    /// Notes a call reaching this corp at `now` (wall seconds since the server started).
    pub(crate) fn touch(&self, now: u64) {
        // Read first: most calls of a busy corp fall in the second already noted, and a load
        // does not take the cache line from the other cores.
        if self.last_call.load(Ordering::Relaxed) != now {
            self.last_call.store(now, Ordering::Relaxed);
        }
    }

    /// A fresh config id, unique in this corp.
    pub(crate) fn new_config_id(state: &CorpState, rng: &mut StdRng) -> ConfigId {
        loop {
            let id: ConfigId = rng.random();
            if id != 0 && !state.contact_ways.contains_key(&id) && !state.join_ways.contains_key(&id) {
                return id;
            }
        }
    }
}

/// Contact Me and Join Group configs of a corp (what `--max-total-configs` counts).
pub(super) fn configs(state: &CorpState) -> u64 {
    (state.contact_ways.values().len() + state.join_ways.len()) as u64
}
