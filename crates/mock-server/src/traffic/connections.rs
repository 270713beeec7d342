//! What the connection limits did: connections open now, those closed by each timeout and those
//! refused by `--max-connections`. Atomics only; the accept loop and each connection's reader
//! count here, `/metrics` and the dashboard read it.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::metrics::header;

/// The timeout that closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timeout {
    /// `--header-timeout`: a request head did not arrive in time.
    Header,
    /// `--idle-timeout`: a keep-alive connection had no request for that long.
    Idle,
    /// `--body-timeout`: a request body did not arrive in time (answered 408).
    Body,
}

impl Timeout {
    /// Every timeout, in the order of the counters.
    const ALL: [Timeout; 3] = [Timeout::Header, Timeout::Idle, Timeout::Body];

    /// The `reason` label and the flag's name.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Timeout::Header => "header_timeout",
            Timeout::Idle => "idle_timeout",
            Timeout::Body => "body_timeout",
        }
    }
}

/// The server's connection counters.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    open: AtomicU64,
    closed: [AtomicU64; Timeout::ALL.len()],
    refused: AtomicU64,
}

/// Counts one open connection for as long as it lives.
#[derive(Debug)]
pub(crate) struct OpenConnection {
    connections: Arc<Connections>,
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.connections.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connections {
    /// Connections open now.
    pub(crate) fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Takes a place for a new connection when fewer than `max` are open; `None` when the
    /// server is full (counted as refused).
    pub(crate) fn admit(self: &Arc<Self>, max: usize) -> Option<OpenConnection> {
        let max = u64::try_from(max).unwrap_or(u64::MAX);
        // Only the accept loop adds, so a load then an add cannot overshoot; closes only lower it.
        if self.open.load(Ordering::Relaxed) >= max {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        Some(OpenConnection { connections: Arc::clone(self) })
    }

    /// Counts a connection closed by `timeout`.
    pub(crate) fn closed_by(&self, timeout: Timeout) {
        let slot = Timeout::ALL.iter().position(|t| *t == timeout).unwrap_or(0);
        self.closed[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// Connections closed by `timeout` so far.
    pub(crate) fn closed(&self, timeout: Timeout) -> u64 {
        let slot = Timeout::ALL.iter().position(|t| *t == timeout).unwrap_or(0);
        self.closed[slot].load(Ordering::Relaxed)
    }

    /// Connections refused by the cap so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The Prometheus series (`--max-connections` itself is `wecom_mock_limit`'s).
    pub(crate) fn render(&self, out: &mut String) {
        header(out, "wecom_mock_connections_open", "gauge", "Client connections open now.");
        let _ = writeln!(out, "wecom_mock_connections_open {}", self.open());
        header(
            out,
            "wecom_mock_connections_closed_total",
            "counter",
            "Connections closed by a timeout: header_timeout, idle_timeout or body_timeout.",
        );
        for timeout in Timeout::ALL {
            let _ = writeln!(
                out,
                "wecom_mock_connections_closed_total{{reason=\"{}\"}} {}",
                timeout.name(),
                self.closed(timeout)
            );
        }
        header(
            out,
            "wecom_mock_connections_refused_total",
            "counter",
            "Connections refused (503 too_many_connections) because --max-connections were open.",
        );
        let _ = writeln!(out, "wecom_mock_connections_refused_total {}", self.refused());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_taken_while_the_guard_lives_and_refused_at_the_cap() {
        let connections = Arc::new(Connections::default());
        let first = connections.admit(2);
        let second = connections.admit(2);
        assert!(first.is_some() && second.is_some());
        assert_eq!(connections.open(), 2);
        assert!(connections.admit(2).is_none());
        assert_eq!(connections.refused(), 1);
        drop(first);
        assert_eq!(connections.open(), 1);
        assert!(connections.admit(2).is_some(), "a closed connection frees its place");
    }

    #[test]
    fn each_timeout_has_its_own_counter_and_label() {
        let connections = Connections::default();
        connections.closed_by(Timeout::Idle);
        connections.closed_by(Timeout::Idle);
        connections.closed_by(Timeout::Body);
        let mut out = String::new();
        connections.render(&mut out);
        for line in [
            "wecom_mock_connections_closed_total{reason=\"header_timeout\"} 0",
            "wecom_mock_connections_closed_total{reason=\"idle_timeout\"} 2",
            "wecom_mock_connections_closed_total{reason=\"body_timeout\"} 1",
            "wecom_mock_connections_open 0",
            "wecom_mock_connections_refused_total 0",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }
}
