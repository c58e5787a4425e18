//! The in-flight bound and its AIMD controller.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection's in-flight bound. Cheap to clone (clones share it).
#[derive(Debug, Clone)]
pub struct InFlight {
    permits: Arc<Semaphore>,
    control: Arc<Mutex<Control>>,
}

#[derive(Debug)]
struct Control {
    limit: u32,
    max: u32,
    adaptive: bool,
    /// Permits to drop as they come back (after a decrease).
    debt: u32,
    /// Clean answers since the limit last changed.
    clean: u32,
    /// Typical latency at low load (a slow-moving average).
    baseline: Option<Duration>,
}

impl InFlight {
    /// At most `max` in flight, always.
    pub fn fixed(max: u32) -> Self {
        Self::new(max.max(1), max.max(1), false)
    }

    /// Starts at 1 and adapts between 1 and `max`.
    pub fn adaptive(max: u32) -> Self {
        Self::new(1, max.max(1), true)
    }

    fn new(limit: u32, max: u32, adaptive: bool) -> Self {
        InFlight {
            permits: Arc::new(Semaphore::new(limit as usize)),
            control: Arc::new(Mutex::new(Control {
                limit,
                max,
                adaptive,
                debt: 0,
                clean: 0,
                baseline: None,
            })),
        }
    }

    /// The current bound.
    pub fn limit(&self) -> u32 {
        self.lock().limit
    }

    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }

    pub(crate) fn release(
        &self,
        permit: Option<OwnedSemaphorePermit>,
        overloaded: bool,
        latency: Duration,
    ) {
        let mut c = self.lock();
        if c.adaptive {
            c.observe(&self.permits, overloaded, latency);
        }
        if let Some(permit) = permit {
            if c.debt > 0 {
                c.debt -= 1;
                permit.forget();
            } else {
                drop(permit);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Control {
    fn observe(&mut self, permits: &Semaphore, overloaded: bool, latency: Duration) {
        let slow = self
            .baseline
            .is_some_and(|b| latency > b * 2 + Duration::from_millis(5));
        if overloaded || slow {
            let lower = (self.limit / 2).max(1);
            // Idle permits go now; the ones in use go as they come back.
            let excess = (self.limit - lower) as usize;
            self.debt += (excess - permits.forget_permits(excess)) as u32;
            if self.limit != lower {
                tracing::debug!(
                    from = self.limit,
                    to = lower,
                    overloaded,
                    "concurrency decreased"
                );
            }
            self.limit = lower;
            self.clean = 0;
            return;
        }
        self.baseline = Some(match self.baseline {
            None => latency,
            Some(b) => (b * 9 + latency) / 10,
        });
        self.clean += 1;
        if self.clean >= self.limit && self.limit < self.max {
            self.clean = 0;
            if self.debt > 0 {
                self.debt -= 1;
            } else {
                permits.add_permits(1);
            }
            self.limit += 1;
        }
    }
}
