//! The queue's workers as a server runs them: event and action workers,
//! sync workers and the scheduler. Every call into the engine's worker and
//! schedule API is in this file.

use std::sync::Arc;

use holdfast_engine::Sources;
use holdfast_engine::schedule::{ScheduledStream, Scheduler, SyncWorker, SyncWorkerConfig};
use holdfast_engine::worker::{AckClock, Worker, WorkerConfig, release_dead_claims, worker_id};
use holdfast_spec::Spec;
use holdfast_store::prelude::*;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::error::ServerError;
use crate::tasks::Tasks;

/// Most sync workers one process runs.
const MAX_SYNC_WORKERS: usize = 8;

/// The workers of one server, built and ready to spawn.
pub(crate) struct Crew {
    /// Event and action workers (one is built even for `--workers 0`: it
    /// prepares the tables; none runs then).
    workers: Vec<Worker>,
    /// How many of `workers` run.
    running: usize,
    scheduler: Scheduler,
    sync_workers: Vec<SyncWorker>,
    sync_wake: Arc<Notify>,
    /// Woken after each intake commit: wakes one idle worker.
    pub(crate) wake: Arc<Notify>,
    /// Marked at each intake commit: workers keep transactions short meanwhile.
    pub(crate) acks: Arc<AckClock>,
    /// Jobs released at start from workers of this host that are gone.
    pub(crate) released: u64,
}

impl Crew {
    /// Builds `running` workers (at least one is built), prepares the
    /// tables events write to, releases the claims of this host's dead
    /// processes, and plans the schedules: one sync worker per scheduled
    /// stream (at least 1, at most 8) when `running > 0`.
    pub(crate) async fn prepare(
        spec: &Spec,
        store: &Arc<dyn Store>,
        source: &Arc<Sources>,
        running: usize,
    ) -> Result<Crew, ServerError> {
        // one waker for all workers: each enqueue wakes one idle worker
        let wake = Arc::new(Notify::new());
        let acks = Arc::new(AckClock::default());
        let mut workers = Vec::new();
        for i in 0..running.max(1) {
            let config = WorkerConfig {
                id: worker_id(i),
                ..WorkerConfig::default()
            };
            let worker = Worker::new(store.clone(), source.clone(), config)?
                .with_waker(wake.clone())
                .with_ack_clock(acks.clone());
            workers.push(worker);
        }
        if let Some(first) = workers.first() {
            first.prepare().await?;
        }
        // a previous serve on this host killed mid-batch: its jobs go again now
        let released = release_dead_claims(&**store).await?;
        let scheduler = Scheduler::from_spec(store.clone(), spec).map_err(ServerError::Schedule)?;
        let sync_wake = Arc::new(Notify::new());
        let syncs = if running > 0 {
            scheduler.streams().count().clamp(1, MAX_SYNC_WORKERS)
        } else {
            0
        };
        let first_id = running.max(1);
        let source: Arc<dyn holdfast_engine::Source> = source.clone();
        let calendars = scheduler.calendars();
        let sync_workers = (0..syncs)
            .map(|i| {
                let config = SyncWorkerConfig {
                    id: worker_id(first_id + i),
                    ..SyncWorkerConfig::default()
                };
                SyncWorker::new(store.clone(), source.clone(), config)
                    .with_waker(sync_wake.clone())
                    .with_calendars(calendars.clone())
            })
            .collect();
        Ok(Crew {
            workers,
            running,
            scheduler,
            sync_workers,
            sync_wake,
            wake,
            acks,
            released,
        })
    }

    /// The scheduled streams.
    pub(crate) fn schedules(&self) -> impl Iterator<Item = &ScheduledStream> {
        self.scheduler.streams()
    }

    /// Spawns every worker and the scheduler into `tasks`; each stops on
    /// `stop` (a running sync commits its page, gives its job and its
    /// stream lease back).
    pub(crate) fn spawn(self, tasks: &mut Tasks, stop: &CancellationToken) {
        for (i, worker) in self.workers.into_iter().take(self.running).enumerate() {
            let stop = stop.clone();
            tasks.spawn_quiet(format!("worker {i}"), async move {
                worker.run(stop.cancelled_owned()).await;
            });
        }
        for (i, worker) in self.sync_workers.into_iter().enumerate() {
            let stop = stop.clone();
            tasks.spawn_quiet(format!("sync worker {i}"), async move {
                worker.run(stop).await;
            });
        }
        if !self.scheduler.is_empty() {
            let scheduler = self.scheduler.with_waker(self.sync_wake);
            tasks.spawn_quiet("scheduler", scheduler.run(stop.clone()));
        }
    }
}

/// The name this process holds the alert lease under.
pub(crate) fn alerts_holder() -> String {
    format!("{}:alerts", worker_id(0))
}
