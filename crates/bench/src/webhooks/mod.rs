//! `holdfast bench webhooks`: webhook ingest measured against a baseline
//! doing the same I/O in the same run, plus the queue's drain rate.
//!
//! Both servers run as child processes on loopback and receive the same
//! pre-signed Standard Webhooks requests from a load generator in this
//! process:
//! - **holdfast**: `holdfast serve` (verify, durably queue with group
//!   commit, answer; its worker applies events to the stream table meanwhile);
//! - **baseline**: a plain axum handler that verifies the same signature and
//!   inserts each event into SQLite in its own transaction before answering
//!   (the straightforward way to "ack only after it is durable").
//!
//! Two phases per server: **throughput** (a closed loop of `concurrency`
//! senders, events acknowledged per second) and **latency** (an open loop
//! offering `rate` events/s; each latency is measured from the request's
//! scheduled send time, so a stalled server cannot hide its queueing).
//! Then **queue**: jobs already queued, claimed, applied and completed by
//! one worker, in jobs per second.

mod baseline;
mod load;
mod measure;

pub use baseline::baseline;
pub(crate) use measure::run;
