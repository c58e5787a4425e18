//! The one supervised set of a server's background tasks: each has a name,
//! lives in one `JoinSet` (nothing is spawned and forgotten), and stops on
//! a `CancellationToken`. A task that panics, or ends before the stop, is
//! logged when it happens.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use tokio::task::{Id, JoinError, JoinSet};

use crate::webhook::IngestReport;

/// What a task hands back when it ends.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Nothing to report.
    Quietly,
    /// The intake's writer, with what it committed.
    Ingest(IngestReport),
    /// The rejection counter, with what its last flush wrote.
    Flushed(u64),
}

/// Every background task of one server.
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    set: JoinSet<Ended>,
    names: HashMap<Id, String>,
    done: HashSet<Id>,
    stopping: bool,
    /// What the finished tasks reported.
    pub(crate) totals: Totals,
}

/// What the finished tasks reported, summed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    /// Tasks that ended.
    pub(crate) ended: usize,
    /// Of those, tasks that panicked.
    pub(crate) failed: usize,
    /// The intake's report, once its writer ended.
    pub(crate) ingest: Option<IngestReport>,
    /// Rejected requests written by the last flush.
    pub(crate) flushed: u64,
}

impl Tasks {
    /// Spawns `task` into the set under `name`; its id.
    pub(crate) fn spawn<F>(&mut self, name: impl Into<String>, task: F) -> Id
    where
        F: Future<Output = Ended> + Send + 'static,
    {
        let id = self.set.spawn(task).id();
        self.names.insert(id, name.into());
        id
    }

    /// Spawns `task`, which reports nothing, under `name`.
    pub(crate) fn spawn_quiet<F>(&mut self, name: impl Into<String>, task: F) -> Id
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn(name, async move {
            task.await;
            Ended::Quietly
        })
    }

    /// How many tasks are still running.
    pub(crate) fn running(&self) -> usize {
        self.set.len()
    }

    /// Waits for the next task to end and records it; `false` when none is
    /// left. Cancel-safe.
    pub(crate) async fn next(&mut self) -> bool {
        match self.set.join_next_with_id().await {
            Some(ended) => {
                self.record(ended);
                true
            }
            None => false,
        }
    }

    /// From now on, tasks ending are expected (not logged as early).
    pub(crate) fn stopping(&mut self) {
        self.stopping = true;
    }

    /// Waits until the task `id` has ended, recording any other that ends
    /// meanwhile.
    pub(crate) async fn wait_for(&mut self, id: Id) {
        while !self.done.contains(&id) && self.next().await {}
    }

    /// Waits for every task to end.
    pub(crate) async fn join_all(&mut self) {
        while self.next().await {}
    }

    fn record(&mut self, ended: Result<(Id, Ended), JoinError>) {
        self.totals.ended += 1;
        let id = match &ended {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        self.done.insert(id);
        let name = self
            .names
            .remove(&id)
            .unwrap_or_else(|| "a task".to_owned());
        match ended {
            Ok((_, report)) => {
                if !self.stopping {
                    tracing::warn!(task = name, "a background task ended before the stop");
                }
                match report {
                    Ended::Quietly => {}
                    Ended::Ingest(r) => self.totals.ingest = Some(r),
                    Ended::Flushed(n) => self.totals.flushed += n,
                }
            }
            Err(e) => {
                self.totals.failed += 1;
                tracing::error!(task = name, error = %e, "a background task failed");
            }
        }
    }
}
