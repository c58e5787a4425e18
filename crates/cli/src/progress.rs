//! Showing a sync as it goes: a live line per stream on a terminal, plain
//! lines otherwise.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use holdfast_engine::SyncError;
use holdfast_engine::sync::{NotStarted, Observer, RunSummary};
use holdfast_store::PageOutcome;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::plural::count;

/// Reports stream starts, pages and ends on stderr.
pub(crate) struct Progress {
    live: bool,
    bars: MultiProgress,
    streams: Mutex<HashMap<String, (ProgressBar, u64)>>,
    /// The store's URL (password hidden), named when it fails.
    store: String,
}

impl Progress {
    /// Live bars when stderr is a terminal; `store` is named in store errors.
    pub(crate) fn new(store: &str) -> Self {
        Progress {
            live: std::io::stderr().is_terminal(),
            bars: MultiProgress::new(),
            streams: Mutex::new(HashMap::new()),
            store: store.to_owned(),
        }
    }
}

impl Observer for Progress {
    fn started(&self, stream: &str, resumed: bool) {
        let how = if resumed {
            " (resuming the interrupted run)"
        } else {
            ""
        };
        if !self.live {
            errln!("sync {stream}: started{how}");
            return;
        }
        let bar = self.bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:.bold} {human_pos} records, {msg} [{elapsed}, {per_sec}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(format!("{stream}{how}"));
        bar.enable_steady_tick(Duration::from_millis(120));
        self.lock().insert(stream.to_owned(), (bar, 0));
    }

    fn page(&self, stream: &str, records: usize, _outcome: PageOutcome, quarantined: usize) {
        if let Some((bar, pages)) = self.lock().get_mut(stream) {
            *pages += 1;
            bar.inc((records + quarantined) as u64);
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} ({:.0} pages/s)",
                count(*pages, "page"),
                *pages as f64 / secs
            ));
        }
    }

    fn warning(&self, stream: &str, message: &str) {
        let line = format!("sync {stream}: warning: {message}");
        if self.live && self.lock().contains_key(stream) {
            let _ = self.bars.println(line);
        } else {
            errln!("{line}");
        }
    }

    fn finished(&self, stream: &str, result: &Result<RunSummary, SyncError>) {
        let line = match result {
            Ok(s) => format!("sync {stream}: {}", describe(s)),
            Err(SyncError::Interrupted { .. }) => {
                format!("sync {stream}: interrupted after its last committed page")
            }
            Err(e) if e.is_store() => {
                format!("sync {stream}: failed: {e} (store `{}`)", self.store)
            }
            Err(e) => format!("sync {stream}: failed: {e}"),
        };
        match self.lock().remove(stream) {
            Some((bar, _)) => {
                bar.finish_and_clear();
                let _ = self.bars.println(line);
            }
            None => errln!("{line}"),
        }
    }

    fn not_started(&self, stream: &str, why: &NotStarted) {
        match why {
            NotStarted::Lease { .. } => errln!("sync {stream}: failed: {why}"),
            _ => errln!("sync {stream}: {why}"),
        }
    }

    fn shows_failures(&self) -> bool {
        true
    }
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ProgressBar, u64)>> {
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// "1,000 records (1,000 created, …) in 10 pages, 0.4s, 25,000 records/s",
/// then what the run should not pass over in silence (drift, skipped
/// answers, a run that stored nothing).
pub(crate) fn describe(s: &RunSummary) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-6);
    let mut line = format!(
        "{} ({} created, {} updated, {} unchanged, {} quarantined) in {}, {:.2}s, {:.0} records/s",
        count(s.records(), "record"),
        s.counts.created,
        s.counts.updated,
        s.counts.unchanged,
        s.quarantined,
        count(s.pages, "page"),
        secs,
        s.records() as f64 / secs
    );
    if s.counts.deleted > 0 || s.counts.restored > 0 {
        line += &format!(
            "; {} marked deleted, {} deleted before seen again (restored)",
            count(s.counts.deleted, "record"),
            s.counts.restored
        );
    }
    if s.drift > 0 {
        line += &format!(
            "; the response shape changed ({}: see `holdfast drift`)",
            count(s.drift, "drift event")
        );
    }
    if s.skipped > 0 {
        let verb = if s.skipped == 1 { "was" } else { "were" };
        line += &format!(
            "; {} {verb} skipped by an `errors:` rule (`action: skip`), each ending its chain",
            count(s.skipped, "answer")
        );
    }
    if s.quarantined > 0 && s.records() == s.quarantined {
        line += &format!(
            "; every record read was quarantined, none stored: see `holdfast quarantine {}`",
            s.stream
        );
    }
    line
}

/// The process's peak resident memory in bytes (Linux), if known: what
/// `sync --json` reports for the benchmarks.
pub(crate) use holdfast_bench::peak_rss_bytes;
