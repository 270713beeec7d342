//! The progress line: operations done, the rate over the last second, and the time left, on
//! stderr once a second (rewritten in place on a terminal, one line each otherwise).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Shared, Stop};

/// A running progress line.
pub(crate) struct Progress {
    task: tokio::task::JoinHandle<()>,
}

pub(crate) fn spawn(shared: Arc<Shared>, stop: Stop) -> Progress {
    let task = tokio::spawn(async move {
        let started = Instant::now();
        let tty = std::io::stderr().is_terminal();
        let mut last = 0;
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        ticker.tick().await;
        while !shared.stop.load(Ordering::Relaxed) {
            ticker.tick().await;
            let done = shared.done.load(Ordering::Relaxed);
            let elapsed = started.elapsed().as_secs_f64();
            let goal = match stop {
                Stop::After(d) => format!("{elapsed:.0}/{:.0} s", d.as_secs_f64()),
                Stop::Requests(n) => format!("{done}/{n} ops, {elapsed:.0} s"),
            };
            let line = format!("[{goal}] {done} ops, {} ops/s", done - last);
            last = done;
            let mut err = std::io::stderr().lock();
            let _ = if tty { write!(err, "\r{line}\x1b[K") } else { writeln!(err, "{line}") };
            let _ = err.flush();
        }
    });
    Progress { task }
}

impl Progress {
    /// Ends the line (the workers have stopped).
    pub(crate) async fn finish(self) {
        self.task.abort();
        let _ = self.task.await;
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
    }
}
