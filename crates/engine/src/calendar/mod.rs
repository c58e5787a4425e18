//! When scheduled runs may run: a schedule's `windows:` and `blackout:` as
//! the scheduler and the sync workers apply them, and the clock they read.
//! Used by both `schedule` and `queue`,
//! it depends on neither (public through `schedule`).

mod clock;
mod streams;

pub use clock::Clock;
pub use streams::{Calendars, Stop, StreamCalendar};
