//! Which journal record a request wrote, so its answer waits for that record's commit.

use std::cell::Cell;

tokio::task_local! {
    /// The highest journal LSN written while serving the current request.
    static REQUEST_LSN: Cell<u64>;
}

std::thread_local! {
    /// The highest journal LSN written by the synchronous part of a request running on this
    /// thread; `None` outside [`track`]. A plain thread-local, not a task-local scope: the part
    /// cannot yield, so no other task runs on the thread meanwhile, and tokio's
    /// `sync_scope` (swapping the value in and out of a `RefCell`) was about 170 instructions
    /// of every call (docs/PERFORMANCE.md).
    static SYNC_LSN: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs a request's synchronous part and returns the last journal record it wrote, which the
/// answer has to wait for. The handlers stay synchronous (and shared with the embedding API);
/// the LSN travels beside them instead of through every signature.
pub(crate) fn track<R>(serve: impl FnOnce() -> R) -> (R, u64) {
    /// Puts back what an enclosing `track` had seen, also when `serve` panics.
    struct Enclosing(Option<u64>);
    impl Drop for Enclosing {
        fn drop(&mut self) {
            SYNC_LSN.set(self.0);
        }
    }
    let enclosing = Enclosing(SYNC_LSN.replace(Some(0)));
    let answer = serve();
    let lsn = SYNC_LSN.get().unwrap_or(0);
    drop(enclosing);
    (answer, lsn)
}

/// [`track`] for an asynchronous request (an admin route that waits on the network).
pub(crate) async fn track_async<R>(serve: impl std::future::Future<Output = R>) -> (R, u64) {
    REQUEST_LSN
        .scope(Cell::new(0), async {
            let answer = serve.await;
            (answer, REQUEST_LSN.with(Cell::get))
        })
        .await
}

/// Notes a record written for the current request: the innermost [`track`] on this thread
/// if there is one, else the [`track_async`] scope of the task, else nobody. `true` when a
/// request noted it (it will wait for the record before answering).
pub(super) fn note_lsn(lsn: u64) -> bool {
    let noted = SYNC_LSN.with(|cell| cell.get().map(|seen| cell.set(Some(seen.max(lsn)))).is_some());
    noted || REQUEST_LSN.try_with(|cell| cell.set(cell.get().max(lsn))).is_ok()
}

#[cfg(test)]
mod tests {
    use super::{note_lsn, track};

    #[test]
    fn track_returns_the_highest_lsn_written_inside_it_and_nothing_from_outside() {
        assert!(!note_lsn(99), "outside every track nobody waits for it");
        let ((), lsn) = track(|| {
            assert!(note_lsn(5));
            note_lsn(3);
        });
        assert_eq!(lsn, 5);
        assert_eq!(track(|| ()).1, 0, "a write outside every track is nobody's");
    }

    #[test]
    fn an_inner_track_keeps_its_writes_from_the_enclosing_one() {
        let (inner, outer) = track(|| {
            note_lsn(2);
            let (_, inner) = track(|| note_lsn(7));
            note_lsn(4);
            inner
        });
        assert_eq!((inner, outer), (7, 4));
    }

    #[test]
    fn a_panicking_track_leaves_the_thread_outside_every_track() {
        let caught = std::panic::catch_unwind(|| track(|| panic!("the handler failed")));
        assert!(caught.is_err());
        note_lsn(9);
        assert_eq!(track(|| ()).1, 0);
    }
}
