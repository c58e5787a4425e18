//! `windows:` and `blackout:` as the scheduler and the sync workers apply
//! them: which runs are heavy, when a held slot runs, when a run stops.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use holdfast_spec::{Calendar, Spec};
use holdfast_store::StoreError;
use holdfast_store::prelude::*;

/// A stream's calendar, and whether its runs are heavy whatever its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamCalendar {
    /// Its schedule's windows and blackouts.
    pub calendar: Calendar,
    /// A bulk read or a stream without `incremental:`: every run is a full read.
    pub always_heavy: bool,
}

/// The calendars of the scheduled streams that have windows or blackouts,
/// by stream name (cheap to clone: shared).
#[derive(Debug, Clone, Default)]
pub struct Calendars(Arc<HashMap<String, StreamCalendar>>);

impl Calendars {
    /// The calendar of every stream of `spec` whose `schedule:` has
    /// `windows:` or `blackout:`.
    pub fn from_spec(spec: &Spec) -> Calendars {
        let mut map = HashMap::new();
        for (name, schedule) in spec.schedules() {
            if schedule.calendar.is_empty() {
                continue;
            }
            let always_heavy = spec
                .streams
                .iter()
                .find(|s| s.name == name)
                .is_some_and(|s| s.bulk.is_some() || s.incremental.is_none());
            let calendar = schedule.calendar.clone();
            map.insert(
                name.to_owned(),
                StreamCalendar {
                    calendar,
                    always_heavy,
                },
            );
        }
        Calendars(Arc::new(map))
    }

    /// From calendars by stream name.
    pub(crate) fn from_map(map: HashMap<String, StreamCalendar>) -> Calendars {
        Calendars(Arc::new(map))
    }

    /// `stream`'s calendar, if it has one.
    pub fn get(&self, stream: &str) -> Option<&StreamCalendar> {
        self.0.get(stream)
    }

    /// True when no stream has windows or blackouts.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl StreamCalendar {
    /// Whether `stream`'s next run is heavy: a reconciliation, a full
    /// refresh asked for, a bulk read or a stream without `incremental:`,
    /// or one with no saved cursor yet (its first run reads everything).
    ///
    /// # Errors
    /// The store failed to read the stream's state.
    pub async fn heavy(
        &self,
        store: &dyn Store,
        stream: &str,
        reconcile: bool,
        full_refresh: bool,
    ) -> Result<bool, StoreError> {
        if reconcile || full_refresh || self.always_heavy {
            return Ok(true);
        }
        if !self.calendar.windowed(true) {
            return Ok(false); // the answer changes nothing
        }
        let state = store.load_state(stream).await?;
        Ok(state.and_then(|s| s.cursor).is_none())
    }

    /// When a scheduled run due at `due` may start: `due` itself when it is
    /// allowed then, else the next allowed moment plus `jitter` (unless the
    /// jitter would carry it out again). `None`: never.
    pub fn start(
        &self,
        due: DateTime<Utc>,
        heavy: bool,
        jitter: Duration,
    ) -> Option<DateTime<Utc>> {
        let calendar = &self.calendar;
        let at = calendar.next_allowed(due, heavy)?;
        if at == due {
            return Some(due);
        }
        let jittered = at + chrono::Duration::from_std(jitter).unwrap_or_default();
        if calendar.next_allowed(jittered, heavy) == Some(jittered) {
            Some(jittered)
        } else {
            Some(at)
        }
    }

    /// Where a run that starts at `now` must stop, if anywhere.
    pub fn stop(&self, now: DateTime<Utc>, heavy: bool) -> Option<Stop> {
        let at = self.calendar.allowed_until(now, heavy)?;
        let resumes = self.calendar.next_allowed(at, heavy);
        let why = if self.calendar.blackout_at(at).is_some() {
            format!("a blackout begins ({})", shown(&self.calendar.blackouts))
        } else {
            let window = match self.calendar.window_at(now) {
                Some(w) => w.to_string(),
                None => shown(&self.calendar.windows),
            };
            format!("its window ends ({window})")
        };
        Some(Stop { at, resumes, why })
    }

    /// Why a run due at `now` waits until `until`.
    pub fn held(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> String {
        let why = if self.calendar.blackout_at(now).is_some() {
            format!("in a blackout ({})", shown(&self.calendar.blackouts))
        } else {
            format!(
                "a heavy run outside its windows ({})",
                shown(&self.calendar.windows)
            )
        };
        format!(
            "{why}; waits until {}",
            until.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// Where a run stops, and when it goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// When it stops (after the page being committed then).
    pub at: DateTime<Utc>,
    /// When it may go on; `None`: never (no window left).
    pub resumes: Option<DateTime<Utc>>,
    /// `its window ends (…)`, `a blackout begins`.
    pub why: String,
}

impl Stop {
    /// What the stopped run (a sync, or a reconciliation's scan when
    /// `reconcile`) is recorded with.
    pub fn note(&self, stream: &str, reconcile: bool) -> String {
        let (what, again) = if reconcile {
            ("reconciliation of", "scans again (nothing was deleted)")
        } else {
            ("stream", "resumes from its last committed page")
        };
        let resumes = match self.resumes {
            Some(t) => format!("{again} at {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
            None => "no later time is allowed, so it does not resume".to_owned(),
        };
        format!(
            "{what} `{stream}`: stopped after its last committed page because {} at {}; {resumes}",
            self.why,
            self.at.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

/// `a, b, c`.
fn shown<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
