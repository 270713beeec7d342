//! What the machine says about a process: CPU time and resident memory.
//!
//! The load tool's own CPU comes from `getrusage(RUSAGE_SELF)` (user + system time of all its
//! threads, microsecond resolution). Another process (the target) is read from `/proc/PID/stat`
//! (user + system time in clock ticks of 10 ms: good to 1 % over a run of a few seconds) and
//! `/proc/PID/status` (`VmRSS`, `VmHWM`).

use std::time::Duration;

use serde::Serialize;

/// User and system CPU time consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CpuTime {
    /// Seconds in user mode.
    pub user_s: f64,
    /// Seconds in the kernel on the process's behalf.
    pub sys_s: f64,
}

impl CpuTime {
    /// User plus system.
    pub fn total_s(&self) -> f64 {
        self.user_s + self.sys_s
    }

    /// The time spent between two readings.
    pub fn since(&self, earlier: &CpuTime) -> CpuTime {
        CpuTime { user_s: self.user_s - earlier.user_s, sys_s: self.sys_s - earlier.sys_s }
    }
}

/// This process's CPU time so far (all threads).
pub fn self_cpu() -> CpuTime {
    use nix::sys::resource::{UsageWho, getrusage};
    let secs = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(usage) => CpuTime { user_s: secs(usage.user_time()), sys_s: secs(usage.system_time()) },
        // getrusage(RUSAGE_SELF) cannot fail on Linux; a zero reading shows up as 0 % in reports.
        Err(_) => CpuTime::default(),
    }
}

/// Clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on every Linux architecture we
/// run on).
const USER_HZ: f64 = 100.0;

/// Another process's CPU time so far, from `/proc/PID/stat`.
pub fn process_cpu(pid: u32) -> Option<CpuTime> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat)
}

/// Fields 14 and 15 (utime, stime) of a `/proc/PID/stat` line. The command name (field 2) may
/// hold spaces and parentheses, so counting starts after its last `)`.
fn parse_stat(stat: &str) -> Option<CpuTime> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th field of `rest`.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(CpuTime { user_s: utime as f64 / USER_HZ, sys_s: stime as f64 / USER_HZ })
}

/// Resident memory of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// Resident set size now, KiB.
    pub rss_kib: u64,
    /// Highest resident set size so far, KiB.
    pub peak_rss_kib: u64,
}

impl Memory {
    /// RSS in MiB.
    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }
}

/// A process's resident memory, from `/proc/PID/status`.
pub fn process_memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status(&status)
}

fn parse_status(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some(Memory { rss_kib: field("VmRSS:")?, peak_rss_kib: field("VmHWM:")? })
}

/// How many CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The load average line of `/proc/loadavg` (1, 5 and 15 minutes), to note beside figures.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().ok());
    Some([parts.next()??, parts.next()??, parts.next()??])
}

/// A duration as fractional seconds, for reports.
pub fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let line = "4242 (wecom mock) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 1 2 3";
        assert_eq!(parse_stat(line), Some(CpuTime { user_s: 2.5, sys_s: 0.75 }));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn status_gives_rss_and_peak() {
        let status = "Name:\twecom-mock\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
        assert_eq!(parse_status(status), Some(Memory { rss_kib: 102_400, peak_rss_kib: 204_800 }));
        assert_eq!(parse_status("Name: x\n"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let me = std::process::id();
        assert!(process_memory(me).is_some_and(|m| m.rss_kib > 0));
        assert!(process_cpu(me).is_some());
        assert!(self_cpu().total_s() >= 0.0);
    }
}
