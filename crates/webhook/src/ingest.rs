//! Group commit: many requests, one transaction.
//!
//! Each webhook request must be durably queued before it is answered. One
//! transaction per request would cap ingest at the disk's commit rate; here
//! every request hands its job to one writer task, which commits whatever
//! has gathered while the previous commit ran in a single transaction and
//! then answers each request. Under load batches grow; when idle a request
//! commits alone, at once.

use std::sync::Arc;

use chrono::Utc;
use holdfast_engine::worker::AckClock;
use holdfast_store::{Enqueued, JobQueue, NewJob};
use tokio::sync::{Notify, mpsc, oneshot};

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
}

struct Pending {
    job: NewJob,
    done: oneshot::Sender<Result<Enqueued, IngestError>>,
}

impl Ingest {
    /// Starts the writer on `queue`; `wake` is notified after each commit
    /// (so an idle worker picks the jobs up at once).
    pub fn start(queue: Arc<dyn JobQueue>, wake: Arc<Notify>) -> Ingest {
        Ingest::start_with_clock(queue, wake, Arc::new(AckClock::default()))
    }

    /// As [`Ingest::start`], marking `acks` at each commit (workers given the
    /// same clock keep their transactions short meanwhile).
    pub fn start_with_clock(
        queue: Arc<dyn JobQueue>,
        wake: Arc<Notify>,
        acks: Arc<AckClock>,
    ) -> Ingest {
        let (tx, rx) = mpsc::channel(BACKLOG);
        tokio::spawn(write_loop(queue, wake, acks, rx));
        Ingest { tx }
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
}

async fn write_loop(
    queue: Arc<dyn JobQueue>,
    wake: Arc<Notify>,
    acks: Arc<AckClock>,
    mut rx: mpsc::Receiver<Pending>,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (jobs, answers): (Vec<NewJob>, Vec<_>) =
            batch.drain(..).map(|p| (p.job, p.done)).unzip();
        match queue.enqueue(&jobs, Utc::now()).await {
            Ok(outcomes) => {
                acks.mark();
                for (answer, outcome) in answers.into_iter().zip(outcomes) {
                    let _ = answer.send(Ok(outcome));
                }
                wake.notify_one();
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
