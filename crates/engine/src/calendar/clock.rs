//! The wall clock the scheduler and the sync workers read.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest a [`Clock::sleep_until`] sleeps before reading the clock
/// again (it follows wall clock changes).
const LOOK_AGAIN: Duration = Duration::from_secs(5);

/// The system's wall clock, or one set to another time that runs on from
/// there at the same pace (for tests: "it is Monday 21:59:58 now").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: chrono::Duration,
}

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `t` now and runs on from there.
    pub fn starting_at(t: DateTime<Utc>) -> Clock {
        Clock {
            offset: t - Utc::now(),
        }
    }

    /// The time it reads.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// Returns once the clock reads `at` or later.
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        loop {
            let Ok(left) = (at - self.now()).to_std() else {
                return;
            };
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(LOOK_AGAIN)).await;
        }
    }
}
