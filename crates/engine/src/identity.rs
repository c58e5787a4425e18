//! Who a worker is, and whether the process behind a worker id still lives.
//!
//! A worker id is `{host}/{pid}/{n}`: a later process on the same host can
//! tell from it whether the claimant of a job (or the holder of a stream's
//! lease) is gone, and take its work over at once instead of waiting for
//! its lease to end. Used by the queue's workers and by the stream lease.

use chrono::Utc;
use holdfast_store::StoreError;
use holdfast_store::prelude::*;

/// The id of this process's `n`th worker: `{host}/{pid}/{n}`, so a later
/// process on the same host can tell whether the claimant is still alive.
pub fn worker_id(n: usize) -> String {
    format!("{}/{}/{n}", host_name(), std::process::id())
}

/// Makes the jobs claimed by workers of this host whose process is gone (a
/// `kill -9`, a crash) ready again at once, instead of after their leases;
/// returns how many. Claims of other hosts, and of live processes, are left
/// to their leases.
///
/// # Errors
/// The store failed.
pub async fn release_dead_claims(queue: &dyn JobQueue) -> Result<u64, StoreError> {
    let mut released = 0;
    for worker in queue.claimants().await? {
        if !worker_gone(&worker) {
            continue;
        }
        let n = queue.release_claims(&worker, Utc::now()).await?;
        if n > 0 {
            tracing::info!(
                worker,
                jobs = n,
                "released the jobs of a worker that is gone"
            );
        }
        released += n;
    }
    Ok(released)
}

/// Whether `worker` (an id made by [`worker_id`]) names a process of this
/// host that no longer exists. Other hosts' workers, and live ones, are not
/// known to be gone.
pub fn worker_gone(worker: &str) -> bool {
    let mut parts = worker.rsplitn(3, '/');
    let (_n, pid, on) = (parts.next(), parts.next(), parts.next());
    let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    on == Some(host_name().as_str()) && pid != std::process::id() && !process_alive(pid)
}

/// This machine's name (Linux), else `$HOSTNAME`, else `localhost`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace('/', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether process `pid` exists and has not exited; `true` where that
/// cannot be told (no `/proc`). A zombie (killed, not yet reaped by its
/// parent: state `Z`, or `X` while being reaped) is gone: it runs nothing
/// and will never renew a lease.
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Ok(stat) => !matches!(stat_state(&stat), Some('Z' | 'X' | 'x')),
        // gone, or vanished between the look and the read
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        // there but unreadable (another user's process under hidepid): alive
        Err(_) => proc.join(pid.to_string()).exists(),
    }
}

/// The state letter of a `/proc/<pid>/stat` line: the field after the
/// command name, which is in parentheses and may itself hold `)` and spaces.
fn stat_state(stat: &str) -> Option<char> {
    let (_, after) = stat.rsplit_once(')')?;
    after.trim_start().chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_follows_the_last_parenthesis() {
        assert_eq!(stat_state("42 (holdfast) S 1 42 42 0"), Some('S'));
        assert_eq!(stat_state("42 (a) Z (b)) Z 1 42"), Some('Z'));
        assert_eq!(stat_state("42 (sleep) R"), Some('R'));
        assert_eq!(stat_state("garbage"), None);
    }
}
