//! The breaker's state machine, shared by every request of a connection.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerPhase {
    /// Requests flow; this many consecutive remote failures so far.
    Closed(u32),
    /// Requests fail fast until this instant.
    Open(Instant),
    /// One probe is in flight; others fail fast until it answers.
    HalfOpen,
}

impl BreakerPhase {
    /// The phase as the breaker gauge shows it: 0 closed, 1 half-open, 2 open.
    pub fn gauge(&self) -> f64 {
        match self {
            BreakerPhase::Closed(_) => 0.0,
            BreakerPhase::HalfOpen => 1.0,
            BreakerPhase::Open(_) => 2.0,
        }
    }
}

/// A connection's circuit breaker. Cheap to clone (clones share state).
#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    cool_down: Duration,
    phase: Arc<Mutex<BreakerPhase>>,
}

impl Breaker {
    /// Opens after `failures` consecutive remote failures, for `cool_down`.
    pub fn new(failures: u32, cool_down: Duration) -> Self {
        Breaker {
            threshold: failures.max(1),
            cool_down,
            phase: Arc::new(Mutex::new(BreakerPhase::Closed(0))),
        }
    }

    /// The current phase (for status and metrics).
    pub fn phase(&self) -> BreakerPhase {
        *self.lock()
    }

    /// May a request go now? When the cool-down is over, the first caller
    /// becomes the probe.
    pub(crate) fn admit(&self) -> Result<(), String> {
        let mut phase = self.lock();
        match *phase {
            BreakerPhase::Closed(_) => Ok(()),
            BreakerPhase::Open(until) if Instant::now() >= until => {
                *phase = BreakerPhase::HalfOpen;
                Ok(())
            }
            BreakerPhase::Open(until) => Err(format!(
                "{} consecutive failures; the breaker is open for another {:.0}s",
                self.threshold,
                until
                    .saturating_duration_since(Instant::now())
                    .as_secs_f64()
                    .ceil()
            )),
            BreakerPhase::HalfOpen => Err(format!(
                "{} consecutive failures; a probe request is deciding whether it is back",
                self.threshold
            )),
        }
    }

    pub(crate) fn succeeded(&self) {
        *self.lock() = BreakerPhase::Closed(0);
    }

    pub(crate) fn failed(&self) {
        let mut phase = self.lock();
        *phase = match *phase {
            BreakerPhase::Closed(n) if n + 1 < self.threshold => BreakerPhase::Closed(n + 1),
            BreakerPhase::Open(until) => BreakerPhase::Open(until),
            _ => {
                tracing::warn!(
                    cool_down_s = self.cool_down.as_secs(),
                    "circuit breaker opened"
                );
                BreakerPhase::Open(Instant::now() + self.cool_down)
            }
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerPhase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }
}
