//! `holdfast bench`: what holdfast costs, measured against raw baselines
//! doing the same I/O in the same run.
//!
//! - [`run`] with no measurement named: sync throughput and peak memory
//!   against a plain fetch + insert loop (`holdfast bench-baseline`), and
//!   the price of a JSON Schema and a `map:` per record;
//! - `bench webhooks`: webhook ingest against a plain verify + insert server
//!   (`holdfast bench-webhook-baseline`), and the queue's drain rate;
//! - `bench store`: the PostgreSQL store against the SQLite one;
//! - `bench streams`: peak memory as the number of streams grows;
//! - `bench bulk`: a bulk export job (gzipped CSV, JSON Lines) against JSON pages.
//!
//! The contenders are child processes of the running binary (so each has its
//! own peak memory): the binary must offer `sync`, `serve` and the two
//! hidden baseline commands, which call [`sync_baseline`] and
//! [`webhook_baseline`]. Report lines go to the binary's writer ([`Report`]).
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

#[macro_use]
mod report;

mod args;
mod bulk;
mod contenders;
mod stats;
mod store;
mod streams;
mod sync;
mod webhooks;

use std::process::ExitCode;

pub use args::{
    BaselineArgs, BenchArgs, BenchWhat, BulkBenchArgs, StoreBenchArgs, StreamsBenchArgs,
    WebhookBaselineArgs, WebhookBenchArgs,
};
pub use report::Report;
pub use stats::peak_rss_bytes;
pub use sync::baseline as sync_baseline;
pub use webhooks::baseline as webhook_baseline;

/// `holdfast bench`: the measurement `args` names (sync throughput when none).
///
/// # Errors
/// A contender that fails, loses work or cannot be started.
pub async fn run(args: &BenchArgs, report: Report) -> anyhow::Result<ExitCode> {
    match &args.what {
        Some(BenchWhat::Webhooks(w)) => webhooks::run(w, report).await,
        Some(BenchWhat::Store(s)) => store::run(s, report).await,
        Some(BenchWhat::Streams(s)) => streams::run(s, report).await,
        Some(BenchWhat::Bulk(b)) => bulk::run(b, report).await,
        None => sync::run(args, report).await,
    }
}
