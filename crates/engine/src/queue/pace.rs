//! How many jobs a worker claims at once: it grows with a backlog, shrinks
//! when the queue has caught up, and stays small while webhook requests are
//! being acknowledged (an [`AckClock`] says when).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When the webhook receiver last committed a batch of acknowledged events.
/// Workers keep their write transactions short while it is busy, so acks
/// (a vendor waiting on an open request) go before applying (which can wait).
#[derive(Debug)]
pub struct AckClock {
    started: Instant,
    last_ms: AtomicU64,
}

impl Default for AckClock {
    fn default() -> Self {
        AckClock {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl AckClock {
    /// How recently an ack commit counts as "busy".
    const BUSY_FOR: Duration = Duration::from_millis(100);

    /// Records an ack commit now.
    pub fn mark(&self) {
        let ms = self.started.elapsed().as_millis() as u64 + 1;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// True when acks committed within the last 100 ms.
    pub fn busy(&self) -> bool {
        let last = self.last_ms.load(Ordering::Relaxed);
        last > 0
            && (self.started.elapsed().as_millis() as u64 + 1).saturating_sub(last)
                < Self::BUSY_FOR.as_millis() as u64
    }
}

/// The batch a worker starts with and returns to when it has caught up.
pub(crate) const MIN_BATCH: u32 = 16;

/// A worker's current batch size, between [`MIN_BATCH`] and its largest.
#[derive(Debug)]
pub(crate) struct Batch {
    now: AtomicU32,
    max: u32,
}

impl Batch {
    /// Starts at [`MIN_BATCH`] (or `max`, when smaller), never above `max`.
    pub(crate) fn new(max: u32) -> Self {
        Batch {
            now: AtomicU32::new(MIN_BATCH),
            max: max.max(1),
        }
    }

    /// How many jobs to claim next.
    pub(crate) fn size(&self) -> u32 {
        self.now.load(Ordering::Relaxed).clamp(1, self.max)
    }

    /// Doubles the batch after a full claim (a backlog), halves it after a
    /// short one, and keeps it at the minimum while webhook requests are
    /// being acknowledged (they wait for the same write lock).
    pub(crate) fn adapt(&self, claimed: usize, acks: Option<&AckClock>) {
        let now = self.size();
        let next = if acks.is_some_and(AckClock::busy) {
            MIN_BATCH
        } else if claimed as u64 >= u64::from(now) {
            now.saturating_mul(2)
        } else {
            (now / 2).max(MIN_BATCH)
        };
        self.now.store(next.min(self.max), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backlog_doubles_the_batch_and_a_short_claim_halves_it() {
        let batch = Batch::new(256);
        assert_eq!(batch.size(), MIN_BATCH);
        batch.adapt(16, None);
        assert_eq!(batch.size(), 32);
        batch.adapt(32, None);
        assert_eq!(batch.size(), 64);
        batch.adapt(3, None);
        assert_eq!(batch.size(), 32);
        let acks = AckClock::default();
        acks.mark();
        batch.adapt(32, Some(&acks));
        assert_eq!(batch.size(), MIN_BATCH, "acks go first");
        assert_eq!(Batch::new(4).size(), 4, "never above the largest");
    }
}
