//! Schedules: when `holdfast serve` syncs each stream, and the workers that
//! run those syncs.
//!
//! A schedule is a series of slots (every multiple of `every:` since the Unix
//! epoch, or the times of a `cron:` expression in a time zone). For each
//! slot, the [`Scheduler`] enqueues one sync job in the durable queue, with
//! the unique key `sync:{stream}:{slot}` and `run_at` = slot + a jitter that
//! is the same in every process (a hash of the stream and the slot, below
//! the schedule's `jitter:`). Every process sharing the store may schedule:
//! the key makes the slot one job. Only a stream's latest slot is ever
//! enqueued, so a process that was down for N slots runs the stream once.
//!
//! A [`SyncWorker`] (in the [`queue`](crate::queue) room) claims
//! sync jobs and runs each under the named lease `stream:{name}` (renewed
//! while it runs), so a stream never runs twice at once, even on two
//! machines; a job whose stream is busy waits for it. A shutdown stops the
//! run after its current page commits, records it as interrupted, puts the
//! job back and gives the lease up: the next worker resumes the run from
//! its last committed page.
//!
//! A schedule's `windows:` and `blackout:` ([`Calendars`]) move a slot's
//! `run_at` to the next moment its run may start (heavy runs inside a
//! window, nothing in a blackout; the unique key stays the slot's), and the
//! sync worker holds a job claimed outside them and stops a run at its
//! window's end (or a blackout's start) after the page being committed,
//! putting the job back for the next window: the run resumes from its last
//! committed page then.

mod scheduler;
mod slots;

pub use crate::calendar::{Calendars, Clock, Stop, StreamCalendar};
pub use scheduler::{ScheduleError, ScheduledStream, Scheduler};
pub use slots::{Slots, SlotsError};
/// What stops a [`Scheduler`] and a sync worker (re-exported for callers).
pub use tokio_util::sync::CancellationToken;

// Former paths, kept for callers: the sync worker lives in `queue`, the
// stream lease in `sync`.
pub use crate::queue::{SyncJobOutcome, SyncWorker, SyncWorkerConfig};
pub use crate::sync::{StreamBusy, stream_lease, with_stream_lease};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod windows_tests;
