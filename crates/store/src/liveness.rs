//! Whether a run marked `running` still has a process behind it.
//!
//! A run holds a lease: its holder (host, pid and the pid's start) and a
//! `lease_until`, renewed at each page commit and by a heartbeat while a
//! long page is read. A `running` run whose lease has expired, or whose
//! holder is a process of this host that is gone, is interrupted: it ended
//! at its last committed page (or its start). Readers see that at once
//! ([`settle`]); the next run of the stream records it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{RunOutcome, RunRow};

/// How long a run's lease holds without renewal. A sync renews it at each
/// page commit and every [`RUN_HEARTBEAT`] while a page is read, so only a
/// process that is gone (or frozen for this long) lets it lapse; on another
/// host, that is how long a killed run may still show `running`.
pub const RUN_LEASE: Duration = Duration::from_secs(60);

/// How often a running sync renews its lease between page commits.
pub const RUN_HEARTBEAT: Duration = Duration::from_secs(15);

/// The error recorded on a run whose process ended before it finished.
pub const GONE: &str = "the process ended before the run finished";

/// The process that runs a run: `PID@HOST`, then `#START` when the pid's
/// start is known (boot and start time, so a reused pid is told apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunHolder {
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The boot id and the process's start time, when known (Linux).
    pub start: Option<String>,
}

impl RunHolder {
    /// This process.
    pub fn this_process() -> RunHolder {
        let pid = std::process::id();
        RunHolder {
            host: host_name(),
            pid,
            start: process_start(pid),
        }
    }

    /// Reads a holder as stored (`PID@HOST#START`); `None` when malformed.
    pub fn parse(text: &str) -> Option<RunHolder> {
        let (pid, rest) = text.split_once('@')?;
        let (host, start) = match rest.split_once('#') {
            Some((host, start)) => (host, Some(start.to_owned())),
            None => (rest, None),
        };
        Some(RunHolder {
            host: host.to_owned(),
            pid: pid.parse().ok()?,
            start,
        })
    }

    /// Whether this holder is a process of this host that no longer runs
    /// (no such pid, a zombie, or the pid now belongs to a process started
    /// later). A holder on another host, or where that cannot be told, is
    /// not known to be gone: its lease decides.
    pub fn is_gone(&self) -> bool {
        if self.host != host_name() || self.pid == std::process::id() {
            return false;
        }
        if !std::path::Path::new("/proc/self/stat").exists() {
            return false;
        }
        match stat(self.pid) {
            None => true,
            Some(fields) if fields.state == 'Z' || fields.state == 'X' => true,
            Some(_) => match (&self.start, process_start(self.pid)) {
                (Some(then), Some(now)) => then != &now,
                _ => false,
            },
        }
    }
}

impl std::fmt::Display for RunHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.pid, self.host)?;
        if let Some(start) = &self.start {
            write!(f, "#{start}")?;
        }
        Ok(())
    }
}

/// A `running` run as it stands at `now`: interrupted, ending at its last
/// committed page (or its start), when its lease has expired or its holder
/// is gone. Other runs are returned as they are.
pub fn settle(mut run: RunRow, now: DateTime<Utc>) -> RunRow {
    if run.outcome != RunOutcome::Running {
        return run;
    }
    let expired = run.lease_until.is_some_and(|until| until < now);
    let gone = run
        .holder
        .as_deref()
        .and_then(RunHolder::parse)
        .is_some_and(|h| h.is_gone());
    if expired || gone {
        run.outcome = RunOutcome::Interrupted;
        run.finished_at = Some(run.last_page_at.unwrap_or(run.started_at));
        run.error = Some(GONE.to_owned());
    }
    run
}

/// `lease_until` for a lease taken or renewed at `now`.
pub fn lease_until(now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::from_std(RUN_LEASE).unwrap_or(chrono::Duration::minutes(1))
}

/// The host's name (Linux: the kernel's; else `HOSTNAME`), `localhost` when unknown.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
        .replace(['@', '#'], "_")
}

/// `BOOT_ID:STARTTIME` of `pid` (Linux), to tell a reused pid apart.
fn process_start(pid: u32) -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(format!("{}:{}", boot.trim(), stat(pid)?.start))
}

/// The two fields of `/proc/PID/stat` used here.
struct Stat {
    state: char,
    start: String,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state …`: comm may hold spaces and parentheses
    let after = &text[text.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // starttime is field 22 of the whole line, the 20th after comm
    let start = fields.nth(18)?.to_owned();
    Some(Stat { state, start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_read_back() {
        let me = RunHolder::this_process();
        assert_eq!(RunHolder::parse(&me.to_string()), Some(me.clone()));
        assert!(!me.is_gone(), "this process runs");
        let bare = RunHolder::parse("12@host").expect("no start");
        assert_eq!(
            (bare.pid, bare.host.as_str(), bare.start),
            (12, "host", None)
        );
        assert_eq!(RunHolder::parse("x@host"), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_reused_pid_is_gone() {
        let parent = RunHolder {
            pid: std::os::unix::process::parent_id(),
            ..RunHolder::this_process()
        };
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        let live = RunHolder {
            start: process_start(parent.pid),
            ..parent.clone()
        };
        assert!(!live.is_gone(), "the parent runs");
        let reused = RunHolder {
            start: Some("another-boot:1".to_owned()),
            ..parent
        };
        assert!(reused.is_gone(), "same pid, another process");
    }
}
