//! The command line: what the user typed, nothing more.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod import;
mod testing;
pub(crate) use import::{GraphArg, ImportAction, ImportArgs, ImportHarArgs, ImportOpenApiArgs};
pub(crate) use testing::{ChaosAction, ChaosArgs, ChaosRunArgs, RecordArgs, TestArgs};

/// holdfast: integrations that hold up in production.
#[derive(Debug, Parser)]
#[command(name = "holdfast", version, long_about = None)]
pub(crate) struct Cli {
    /// The connector file: `--config` of the command (commands without one leave it empty).
    #[arg(skip)]
    pub(crate) config: PathBuf,

    /// The store URL: `--store` of the command, if it has one and it was given.
    #[arg(skip)]
    pub(crate) store: Option<String>,

    /// The custom sources this binary is built with (`source:` streams).
    #[arg(skip)]
    pub(crate) custom: crate::custom::Registered,

    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `--config` and `--store`, for the commands that read the connector file
/// or the store (and only those: `mock`, `demo`, `bench` and `store
/// migrate` do not offer them).
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// The connector file.
    #[arg(
        long,
        global = true,
        env = "HOLDFAST_CONFIG",
        default_value = "holdfast.yaml"
    )]
    pub(crate) config: PathBuf,

    /// The store URL (`sqlite://FILE`, `postgres://…`); overrides the file's `store:`.
    #[arg(long, global = true, env = "HOLDFAST_STORE")]
    pub(crate) store: Option<String>,
}

impl Cli {
    /// Parses the command line; `config` and `store` are copied up from the
    /// command's own `--config`/`--store`.
    pub(crate) fn parse_args() -> Cli {
        let mut cli = Cli::parse();
        if let Some(target) = cli.command.target() {
            cli.config = target.config.clone();
            cli.store = target.store.clone();
        }
        cli
    }
}

impl Command {
    /// The command's `--config`/`--store`, when it has them.
    fn target(&self) -> Option<&Target> {
        Some(match self {
            Command::Check(a) => &a.target,
            Command::Sync(a) => &a.target,
            Command::Reconcile(a) => &a.target,
            Command::Record(a) => &a.target,
            Command::Test(a) => &a.target,
            Command::Chaos(ChaosArgs {
                action: Some(ChaosAction::Run(a)),
                ..
            }) => &a.target,
            Command::Chaos(_) => return None,
            Command::Runs(a) => &a.target,
            Command::Status(a) => &a.target,
            Command::Quarantine(a) => &a.target,
            Command::Drift(a) => &a.target,
            Command::Alerts(a) => &a.target,
            Command::Explain(a) => &a.target,
            Command::Describe(a) => &a.target,
            Command::Schema(a) => &a.target,
            Command::Serve(a) => &a.target,
            Command::Act(a) => &a.target,
            Command::Queue(a) => &a.target,
            Command::Secrets(a) => &a.target,
            Command::Store(_)
            | Command::Import(_)
            | Command::Mock(_)
            | Command::Demo(_)
            | Command::Bench(_)
            | Command::BenchBaseline(_)
            | Command::BenchWebhookBaseline(_) => return None,
        })
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate the connector file and test each connection; `--sample`
    /// also tries each stream's map on its first page.
    Check(CheckArgs),
    /// Run syncs now (all streams, or the ones named); resumable.
    Sync(SyncArgs),
    /// The safety net: scan streams with `reconcile:` in full and diff them
    /// against their tables; deletes only on a complete scan within `max_delete`.
    Reconcile(ReconcileArgs),
    /// Run streams against the real API and write every request and answer
    /// (secrets, cookies and tokens hidden) to a HAR cassette.
    Record(RecordArgs),
    /// Contract tests: replay cassettes offline through the engine; records,
    /// quarantine, drift and requests the cassette does not hold, per stream.
    Test(TestArgs),
    /// A proxy injecting production's failures into any API (`--target URL
    /// --profile NAME`); `chaos run STREAM` prints a report card; `chaos profiles`.
    Chaos(ChaosArgs),
    /// A connector from a browser capture (`import har FILE`) or an OpenAPI
    /// document (`import openapi FILE`); a comment at every guess.
    Import(ImportArgs),
    /// Recent runs: stream, start, duration, pages, record counts, outcome.
    Runs(RunsArgs),
    /// Health at a glance: each stream's last run, each endpoint's success
    /// rate, latency percentiles and deprecation notices.
    Status(StatusArgs),
    /// Records kept out of stream tables, with every violation; `retry` after a fix.
    Quarantine(QuarantineArgs),
    /// Changes seen in the APIs' response shapes.
    Drift(DriftArgs),
    /// Every alert rule of the file evaluated now against the store: firing or ok, and why.
    Alerts(AlertsArgs),
    /// One record: raw payload, mapped columns and where each came from, who wrote it, and why.
    Explain(ExplainArgs),
    /// A runbook in Markdown for a connection, a stream or all: endpoints,
    /// pagination, auth and how it is renewed, limits, schedules, alerts,
    /// dependencies; recent health, failure modes and drift with what to do.
    Describe(DescribeArgs),
    /// Schema tools: `holdfast schema infer STREAM`.
    Schema(SchemaArgs),
    /// Receive webhooks and work the durable queue (events, actions) until stopped.
    Serve(ServeArgs),
    /// Queue an outbound action (an idempotent write) and perform it now.
    Act(ActArgs),
    /// The durable job queue: depth per state, the oldest job, dead letters,
    /// rejected webhook requests; `queue retry` requeues.
    Queue(QueueArgs),
    /// Encrypted secrets for `{{ secret.NAME }}`: `secrets set NAME` (value on stdin), `list`, `delete`.
    Secrets(SecretsArgs),
    /// The store itself: `store migrate --from URL --to URL` copies one store into another.
    #[command(subcommand)]
    Store(StoreAction),
    /// Serve the built-in fake CRM API on 127.0.0.1.
    Mock(MockArgs),
    /// Start the mock API, sync the example connector into a SQLite file, show the result.
    Demo(DemoArgs),
    /// Measure sync throughput and memory against a raw baseline doing the same I/O.
    Bench(holdfast_bench::BenchArgs),
    /// The raw baseline `bench` compares against (a plain fetch + insert loop).
    #[command(hide = true)]
    BenchBaseline(holdfast_bench::BaselineArgs),
    /// The webhook server `bench webhooks` compares against (verify, one insert per request).
    #[command(hide = true)]
    BenchWebhookBaseline(holdfast_bench::WebhookBaselineArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Streams to sync (default: all, parents before children).
    pub(crate) streams: Vec<String>,
    /// Ignore saved cursors and resume points; read everything again.
    #[arg(long)]
    pub(crate) full_refresh: bool,
    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Most streams synced at once (streams that do not depend on each other).
    #[arg(long, default_value_t = crate::cmd::sync::DEFAULT_STREAMS_AT_ONCE,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub(crate) streams_at_once: usize,
}

#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Streams to reconcile (default: every stream with `reconcile:`).
    pub(crate) streams: Vec<String>,
    /// Scan and count, delete nothing (records fetched or changed are still applied, as a sync would).
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print `{"streams": [...]}` on stdout, one object per reconciliation.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunsArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Print `{"runs": [...]}` (or `{"requests": [...]}`) on stdout, as `GET /api/runs` answers.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only runs of this stream.
    #[arg(long)]
    pub(crate) stream: Option<String>,
    /// How many runs (or requests, with --requests).
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: u32,
    /// Show every HTTP attempt of this run instead.
    #[arg(long, value_name = "RUN")]
    pub(crate) requests: Option<i64>,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Print one JSON object on stdout: `streams`, `connections`, `endpoints`, `queue`.
    #[arg(long)]
    pub(crate) json: bool,
    /// The window for endpoint statistics, e.g. `24h`, `30m`.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub(crate) window: std::time::Duration,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct QuarantineArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Print `{"quarantine": [...]}` on stdout, each record with its `stream` and `key`.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(subcommand)]
    pub(crate) action: Option<QuarantineAction>,
    /// Only records of this stream.
    pub(crate) stream: Option<String>,
    /// How many records.
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: u32,
}

#[derive(Debug, Subcommand)]
pub(crate) enum QuarantineAction {
    /// Re-check quarantined records against the current schema and map;
    /// the ones that now pass move into their table.
    Retry {
        /// Only this stream (default: every stream).
        stream: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Also read the first page of each stream (or of the ones named) and
    /// report `map:` paths that match nothing in it (exit code 1).
    #[arg(long)]
    pub(crate) sample: bool,
    /// With `--sample`: only these streams.
    #[arg(requires = "sample")]
    pub(crate) streams: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Print `{"drift": [...]}` on stdout, as `GET /api/drift` answers.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only this stream.
    pub(crate) stream: Option<String>,
    /// How many events.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: u32,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The stream.
    pub(crate) stream: String,
    /// The record's primary key (one value per key column).
    #[arg(required = true)]
    pub(crate) id: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// A connection or a stream (default: every connection and stream).
    pub(crate) name: Option<String>,
    /// Write the runbook to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// The window for failure modes and endpoint health, e.g. `7d`, `24h`.
    #[arg(long, default_value = "7d", value_parser = positive_duration)]
    pub(crate) window: std::time::Duration,
    /// Recent runs shown per stream.
    #[arg(long, default_value_t = 5)]
    pub(crate) runs: u32,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(subcommand)]
    pub(crate) action: SchemaAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SchemaAction {
    /// Sample the live API and write a starting JSON Schema for a stream.
    Infer {
        /// The stream.
        stream: String,
        /// Pages to sample.
        #[arg(long, default_value_t = 5)]
        pages: u32,
        /// Where to write it (default: schemas/STREAM.json next to the connector file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct MockArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8900)]
    pub(crate) port: u16,
    /// Number of contacts.
    #[arg(long, default_value_t = 1000)]
    pub(crate) records: u64,
    /// Seed for the generated data.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Delay added to every data response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub(crate) latency_ms: u64,
    /// Require this bearer token on data endpoints.
    #[arg(long)]
    pub(crate) require_bearer: Option<String>,
    /// Act as a portal: data endpoints need a session from the login form at
    /// `/login` (with a CSRF token) for `USER:PASSWORD`; without one they
    /// redirect to `/login`.
    #[arg(long, value_name = "USER:PASSWORD", conflicts_with = "require_bearer")]
    pub(crate) require_login: Option<String>,
    /// With `--require-login`: data requests a session serves before it expires.
    #[arg(long, default_value_t = 50, requires = "require_login")]
    pub(crate) session_requests: u64,
    /// Inject faults: a preset (`flaky`, `mixed`, `down30`, `lying`) or rates
    /// like `429=10%,500=20%,slow=5%,html=3%,error_body=2%,retry_after=2s`.
    #[arg(long)]
    pub(crate) faults: Option<String>,
    /// The mock's own rate limit, e.g. `50/1s`: requests over it get 429 and are counted.
    #[arg(long)]
    pub(crate) rate_limit: Option<String>,
    /// Serve every Nth contact deliberately bad (null email, a string where a
    /// number is due, no id, a renamed field, an impossible date), in turn.
    #[arg(long, default_value_t = 0)]
    pub(crate) bad_every: u64,
    /// `POST /v2/notes`: answer the first request of each idempotency key only
    /// after this many milliseconds (the note is created at once), to test
    /// retries after a timeout.
    #[arg(long, default_value_t = 0)]
    pub(crate) slow_first_write_ms: u64,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The SQLite file to sync into.
    #[arg(long, default_value = "holdfast-demo.db")]
    pub(crate) db: PathBuf,
    /// The store to sync into as a URL (`sqlite://FILE`), instead of `--db`.
    #[arg(long, conflicts_with = "db", value_name = "URL")]
    pub(crate) store: Option<String>,
    /// Contacts the mock API serves.
    #[arg(long, default_value_t = 2000)]
    pub(crate) records: u64,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Address to listen on (port 0 picks a free one; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: std::net::SocketAddr,
    /// Worker tasks claiming jobs from the queue. 0: none (this process
    /// receives webhooks, schedules, serves the API and evaluates alerts;
    /// other processes on the same store work the queue).
    #[arg(long, default_value_t = 1)]
    pub(crate) workers: usize,
    /// How long finished jobs are kept: their unique keys deduplicate
    /// redelivered webhook events and repeated actions for this long.
    #[arg(long, default_value = "7d", value_parser = humantime::parse_duration)]
    pub(crate) keep_done: std::time::Duration,
    /// How often the file's `alerts:` rules are evaluated (by one process
    /// per store at a time).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub(crate) alerts_every: std::time::Duration,
    /// Time a client has to send a request's headers, counted from the
    /// connection (or, kept alive, from the previous answer); slower
    /// connections are closed (slow-loris clients cannot hold them).
    #[arg(long, default_value = "10s", value_parser = positive_duration)]
    pub(crate) header_timeout: std::time::Duration,
    /// Time to read a request's body and answer it once its headers are
    /// in; a slower request gets 408 and its connection is closed.
    #[arg(long, default_value = "30s", value_parser = positive_duration)]
    pub(crate) request_timeout: std::time::Duration,
    /// Connections served at once; further ones wait to be accepted until
    /// one closes.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_connections: u32,
    /// Largest request body on the admin API and `/api/actions/…` (413
    /// above it); each webhook has its own `max_body:`. `512kb`, `1mb`, or bytes.
    #[arg(long, default_value = "1mb", value_parser = byte_size)]
    pub(crate) max_api_body: usize,
}

/// A duration over zero (`10s`, `1m`).
fn positive_duration(text: &str) -> Result<std::time::Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err("must be more than zero, e.g. `10s`".to_owned()),
        Err(e) => Err(format!("{e}; write e.g. `10s` or `1m`")),
    }
}

/// A size in bytes, with an optional `kb` or `mb` unit (1024-based).
fn byte_size(text: &str) -> Result<usize, String> {
    let lower = text.trim().to_ascii_lowercase();
    let end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(end);
    let factor: usize = match unit.trim() {
        "" | "b" => 1,
        "kb" | "k" | "kib" => 1 << 10,
        "mb" | "m" | "mib" => 1 << 20,
        _ => {
            return Err(format!(
                "unknown unit `{unit}`; write e.g. `512kb` or `1mb`"
            ));
        }
    };
    number
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .and_then(|n| n.checked_mul(factor))
        .filter(|b| *b <= 1 << 30)
        .ok_or_else(|| format!("`{text}` is not a size from 1 byte to 1gb, e.g. `1mb`"))
}

#[derive(Debug, Args)]
pub(crate) struct AlertsArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Print the findings as one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ActArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The action's name under `actions:`.
    pub(crate) action: String,
    /// The action's input: JSON text, `@FILE` to read a file, or `-` for stdin.
    #[arg(long)]
    pub(crate) input: String,
    /// Only queue it (a running `holdfast serve` performs it).
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// Print the outcome as one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct QueueArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(subcommand)]
    pub(crate) action: Option<QueueAction>,
    /// How many dead or recent jobs to list.
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: u32,
    /// Print as one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum QueueAction {
    /// Make a job (or every dead job) ready to run again now.
    Retry {
        /// The job's id (`holdfast queue` lists dead jobs with theirs).
        id: Option<i64>,
        /// Every dead job.
        #[arg(long, conflicts_with = "id")]
        dead: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StoreAction {
    /// Copy records (with all metadata), stream states, runs, quarantine,
    /// secrets and tokens into an empty store, e.g. SQLite to PostgreSQL.
    Migrate(StoreMigrateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct StoreMigrateArgs {
    /// The store to copy from (`sqlite://holdfast.db`, `postgres://…`).
    #[arg(long)]
    pub(crate) from: String,
    /// The store to copy into; must be empty (or hold an unfinished migration from `--from`).
    #[arg(long)]
    pub(crate) to: String,
    /// Records per page read and written.
    #[arg(long, default_value_t = 1000)]
    pub(crate) batch: u32,
}

#[derive(Debug, Args)]
pub(crate) struct SecretsArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(subcommand)]
    pub(crate) action: SecretsAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsAction {
    /// Store secret NAME, encrypted; the value is read from stdin (never the
    /// command line). Creates the key file when there is no key yet.
    Set {
        /// The secret's name, as templates read it (`{{ secret.NAME }}`).
        name: String,
    },
    /// The stored secrets' names and when each was set (never their values).
    List,
    /// Delete secret NAME.
    Delete {
        /// The secret's name.
        name: String,
    },
}
