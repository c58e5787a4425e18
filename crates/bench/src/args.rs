//! The benchmarks' command-line arguments (the binary flattens them into its
//! own commands).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `holdfast bench`: sync throughput and memory, or one of the other measurements.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure instead of syncs.
    #[command(subcommand)]
    pub what: Option<BenchWhat>,
    /// Contacts per throughput run.
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Throughput runs of each contender (medians are reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Records per page.
    #[arg(long, default_value_t = 1000)]
    pub page_size: u64,
    /// Record counts for the memory check (one sync each); `0` to skip it.
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
    pub memory_records: Vec<u64>,
}

/// `holdfast bench-baseline` (hidden): the raw fetch + insert loop `bench` compares against.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The mock's base URL.
    #[arg(long)]
    pub url: String,
    /// The SQLite file to insert into.
    #[arg(long)]
    pub db: PathBuf,
    /// Records per page.
    #[arg(long)]
    pub page_size: u64,
}

/// What `holdfast bench` measures instead of syncs.
#[derive(Debug, Subcommand)]
pub enum BenchWhat {
    /// Webhook ingest (events/s acknowledged durably, ack latency at a fixed
    /// offered load) against a baseline server, and the queue's drain rate.
    Webhooks(WebhookBenchArgs),
    /// The PostgreSQL store against the SQLite one: sync records/s and
    /// no-op queue jobs/s with 1, 2 and 4 workers.
    Store(StoreBenchArgs),
    /// Peak memory of one sync as the number of streams grows.
    Streams(StreamsBenchArgs),
    /// Records/s and peak memory of a bulk export job (one gzipped CSV
    /// file, one JSON Lines file) next to the same records as JSON pages.
    Bulk(BulkBenchArgs),
}

/// `holdfast bench bulk`.
#[derive(Debug, Args)]
pub struct BulkBenchArgs {
    /// Contacts in the export (and in the JSON listing).
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Runs of each contender (medians are reported; peak memory is the highest).
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Records per page of the JSON listing.
    #[arg(long, default_value_t = 1000)]
    pub page_size: u64,
    /// `checkpoint_every` of the bulk stream (records per commit).
    #[arg(long, default_value_t = 1_000)]
    pub checkpoint_every: u64,
}

/// `holdfast bench streams`.
#[derive(Debug, Args)]
pub struct StreamsBenchArgs {
    /// Stream counts to measure (one sync each; one stream alone is always measured first).
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    pub counts: Vec<usize>,
    /// Contacts each stream reads.
    #[arg(long, default_value_t = 2000)]
    pub records: u64,
    /// Records per page.
    #[arg(long, default_value_t = 1000)]
    pub page_size: u64,
    /// `--streams-at-once` of the measured syncs.
    #[arg(long, default_value_t = holdfast_engine::sync::DEFAULT_STREAMS_AT_ONCE)]
    pub streams_at_once: usize,
}

/// `holdfast bench store`.
#[derive(Debug, Args)]
pub struct StoreBenchArgs {
    /// The PostgreSQL database to measure in (fresh schemas, dropped after).
    #[arg(
        long,
        env = "HOLDFAST_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub postgres: String,
    /// Contacts per sync run; `0` skips the sync comparison.
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Records per page.
    #[arg(long, default_value_t = 1000)]
    pub page_size: u64,
    /// Runs of each contender (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// No-op jobs per queue run.
    #[arg(long, default_value_t = 50_000)]
    pub jobs: usize,
    /// Worker counts to measure the queue with.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    pub workers: Vec<usize>,
    /// Jobs claimed per batch.
    #[arg(long, default_value_t = 256)]
    pub batch: u32,
}

/// `holdfast bench webhooks`.
#[derive(Debug, Args)]
pub struct WebhookBenchArgs {
    /// Events sent closed-loop to measure throughput.
    #[arg(long, default_value_t = 40_000)]
    pub events: usize,
    /// Concurrent senders in the throughput phase (vendors deliver over many connections).
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Events per second offered in the latency phase.
    #[arg(long, default_value_t = 5000)]
    pub rate: u64,
    /// Length of the latency phase, in seconds.
    #[arg(long, default_value_t = 4.0)]
    pub seconds: f64,
    /// Runs of each server (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Jobs queued for the queue drain measurement.
    #[arg(long, default_value_t = 50_000)]
    pub queue_jobs: usize,
}

/// `holdfast bench-webhook-baseline` (hidden): the webhook server `bench webhooks` compares against.
#[derive(Debug, Args)]
pub struct WebhookBaselineArgs {
    /// The SQLite file to insert into.
    #[arg(long)]
    pub db: PathBuf,
}
