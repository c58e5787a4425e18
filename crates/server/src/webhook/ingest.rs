//! Group commit: many requests, one transaction.
//!
//! Each webhook request must be durably queued before it is answered. One
//! transaction per request would cap ingest at the disk's commit rate; here
//! every request hands its job to one writer task, which commits whatever
//! has gathered while the previous commit ran in a single transaction and
//! then answers each request. Under load batches grow; when idle a request
//! commits alone, at once. At a stop the writer refuses new jobs, commits
//! every one already handed to it, and reports how many it committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use holdfast_engine::worker::AckClock;
use holdfast_store::prelude::*;
use holdfast_store::{Enqueued, NewJob};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Requests waiting for the writer before new ones are refused (503).
const BACKLOG: usize = 16_384;

/// Why a job could not be queued; the request gets 503 and the vendor retries.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// The store refused the batch.
    #[error("the queue could not be written: {0}")]
    Store(String),
    /// Too many requests are waiting for the writer.
    #[error("the queue is falling behind ({BACKLOG} requests waiting); try again shortly")]
    Overloaded,
    /// The writer stopped (shutting down).
    #[error("the receiver is shutting down")]
    Closed,
}

/// Hands jobs to the writer task; cheap to clone.
#[derive(Debug, Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Pending>,
    committed: Arc<AtomicU64>,
}

/// The writer: commits what [`Ingest`] hands it, until stopped.
pub struct IngestWriter {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    acks: Arc<AckClock>,
    rx: mpsc::Receiver<Pending>,
    committed: Arc<AtomicU64>,
}

impl std::fmt::Debug for IngestWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestWriter").finish_non_exhaustive()
    }
}

/// What the writer did once stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Jobs committed (new or already queued) since the writer started.
    pub committed: u64,
    /// Of those, the jobs handed over before the stop and committed after it.
    pub drained: u64,
}

struct Pending {
    job: NewJob,
    done: oneshot::Sender<Result<Enqueued, IngestError>>,
}

impl Ingest {
    /// An intake on `queue` and its writer (run it, e.g. as a task); `wake`
    /// is notified after each commit (so an idle worker picks the jobs up at
    /// once) and `acks` marked (workers given the same clock keep their
    /// transactions short meanwhile).
    pub fn new(
        store: Arc<dyn Store>,
        wake: Arc<Notify>,
        acks: Arc<AckClock>,
    ) -> (Ingest, IngestWriter) {
        let (tx, rx) = mpsc::channel(BACKLOG);
        let committed = Arc::new(AtomicU64::new(0));
        let writer = IngestWriter {
            store,
            wake,
            acks,
            rx,
            committed: committed.clone(),
        };
        (Ingest { tx, committed }, writer)
    }

    /// Queues `job`; returns once it is committed (or was already there).
    ///
    /// # Errors
    /// The store failed, the writer is overloaded, or it stopped.
    pub async fn enqueue(&self, job: NewJob) -> Result<Enqueued, IngestError> {
        let (done, answer) = oneshot::channel();
        self.tx
            .try_send(Pending { job, done })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => IngestError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => IngestError::Closed,
            })?;
        answer.await.map_err(|_| IngestError::Closed)?
    }

    /// Jobs committed so far.
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Relaxed)
    }
}

impl IngestWriter {
    /// Commits batches until `stop` is cancelled (or every [`Ingest`] is
    /// dropped); then refuses new jobs ([`IngestError::Closed`]), commits
    /// the ones handed over already, and reports.
    pub async fn run(mut self, stop: CancellationToken) -> IngestReport {
        let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
        let mut stopped_at = None;
        loop {
            let received = if stopped_at.is_some() {
                self.rx.recv_many(&mut batch, MAX_BATCH).await
            } else {
                tokio::select! {
                    n = self.rx.recv_many(&mut batch, MAX_BATCH) => n,
                    () = stop.cancelled() => {
                        self.rx.close();
                        stopped_at = Some(self.committed.load(Ordering::Relaxed));
                        continue;
                    }
                }
            };
            if received == 0 {
                break;
            }
            self.commit(&mut batch).await;
        }
        let committed = self.committed.load(Ordering::Relaxed);
        IngestReport {
            committed,
            drained: committed - stopped_at.unwrap_or(committed),
        }
    }

    async fn commit(&self, batch: &mut Vec<Pending>) {
        let (jobs, answers): (Vec<NewJob>, Vec<_>) =
            batch.drain(..).map(|p| (p.job, p.done)).unzip();
        match self.store.enqueue(&jobs, Utc::now()).await {
            Ok(outcomes) => {
                self.acks.mark();
                self.committed
                    .fetch_add(outcomes.len() as u64, Ordering::Relaxed);
                for (answer, outcome) in answers.into_iter().zip(outcomes) {
                    let _ = answer.send(Ok(outcome));
                }
                self.wake.notify_one();
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = jobs.len(), "webhook events could not be queued");
                let message = e.to_string();
                for answer in answers {
                    let _ = answer.send(Err(IngestError::Store(message.clone())));
                }
            }
        }
    }
}
