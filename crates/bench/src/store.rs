//! `holdfast bench store`: the PostgreSQL store against the embedded SQLite
//! one, the same work in the same run.
//!
//! - **Sync throughput**: `holdfast sync` of one cursor-paginated stream from
//!   the mock into each store (a child process per run, order alternating).
//! - **Queue throughput**: no-op jobs through each store's queue with 1, 2
//!   and 4 workers (tasks of this process, each claiming a batch under a
//!   lease and finishing it in one call, as `serve`'s workers do); the jobs
//!   are enqueued first, the clock runs from the first claim to the last finish.
//!
//! Each PostgreSQL run gets its own fresh schema, dropped afterwards.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use holdfast_store::{Claim, Finish, JobQueue, NewJob, redact_url};
use holdfast_store_postgres::PgStore;
use holdfast_store_sqlite::SqliteStore;

use crate::args::StoreBenchArgs;
use crate::contenders::{check_count, run_holdfast, sqlite, start_mock, tempfile_dir};
use crate::report::Report;
use crate::stats::median;

/// `holdfast bench store`: sync and queue throughput on PostgreSQL and on SQLite.
///
/// # Errors
/// PostgreSQL out of reach, or a run that fails or loses work.
pub(crate) async fn run(args: &StoreBenchArgs, report: Report) -> anyhow::Result<ExitCode> {
    let dir = tempfile_dir()?;
    let pg = Schemas::connect(&args.postgres).await?;
    say!(
        report,
        "bench store: PostgreSQL {} against SQLite; {} runs each",
        redact_url(&args.postgres),
        args.runs
    );
    if args.records > 0 {
        let mock = start_mock(args.records).await?;
        let (mut on_pg, mut on_sqlite) = (Vec::new(), Vec::new());
        for i in 0..args.runs {
            for k in 0..2 {
                if (i + k) % 2 == 0 {
                    let url = pg.fresh(&format!("sync{i}")).await?;
                    let s = run_holdfast(
                        &mock.url(),
                        args.page_size,
                        &dir,
                        &format!("pg{i}"),
                        "",
                        &url,
                    )
                    .await?;
                    check_count(s, args.records, "holdfast on PostgreSQL")?;
                    on_pg.push(s.rate());
                } else {
                    let url = sqlite(&dir, &format!("sqlite{i}"));
                    let s = run_holdfast(
                        &mock.url(),
                        args.page_size,
                        &dir,
                        &format!("sq{i}"),
                        "",
                        &url,
                    )
                    .await?;
                    check_count(s, args.records, "holdfast on SQLite")?;
                    on_sqlite.push(s.rate());
                }
            }
            say!(
                report,
                "  sync run {}: PostgreSQL {:>9.0} records/s   SQLite {:>9.0} records/s",
                i + 1,
                on_pg[i],
                on_sqlite[i]
            );
        }
        mock.shutdown().await;
        let (p, s) = (median(on_pg), median(on_sqlite));
        say!(
            report,
            "median sync ({} records, pages of {}): PostgreSQL {p:.0} records/s, SQLite {s:.0} records/s, ratio {:.2}",
            args.records,
            args.page_size,
            p / s
        );
    }
    for &workers in &args.workers {
        let (mut on_pg, mut on_sqlite) = (Vec::new(), Vec::new());
        for i in 0..args.runs {
            let url = pg.fresh(&format!("queue{workers}x{i}")).await?;
            on_pg.push(queue_run(Backend::Postgres, &url, args.jobs, workers, args.batch).await?);
            let url = sqlite(&dir, &format!("queue{workers}x{i}"));
            on_sqlite.push(queue_run(Backend::Sqlite, &url, args.jobs, workers, args.batch).await?);
        }
        let (p, s) = (median(on_pg), median(on_sqlite));
        say!(
            report,
            "median queue, {workers} worker(s), {} no-op jobs, batches of {}: PostgreSQL {p:.0} jobs/s, SQLite {s:.0} jobs/s",
            args.jobs,
            args.batch
        );
    }
    pg.drop_all().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(ExitCode::SUCCESS)
}

/// Enqueues `jobs` no-op jobs into the store at `url`, then drains them with
/// `workers` tasks: jobs per second.
async fn queue_run(
    backend: Backend,
    url: &str,
    jobs: usize,
    workers: usize,
    batch: u32,
) -> anyhow::Result<f64> {
    let store = backend.open(url).await?;
    let queue = store.queue();
    let now = Utc::now();
    let new: Vec<NewJob> = (0..jobs)
        .map(|i| NewJob {
            kind: "noop".to_owned(),
            name: format!("job{i}"),
            payload: "{}".to_owned(),
            unique_key: None,
            priority: 0,
            max_attempts: 3,
            run_at: now,
        })
        .collect();
    for chunk in new.chunks(1000) {
        queue.enqueue(chunk, Utc::now()).await?;
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..workers {
        let queue = queue.clone();
        tasks.spawn(async move { drain(&*queue, &format!("bench/{w}"), batch).await });
    }
    let mut done = 0u64;
    while let Some(joined) = tasks.join_next().await {
        done += joined.context("a bench worker panicked")??;
    }
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    if done != jobs as u64 {
        anyhow::bail!("the queue finished {done} jobs, expected {jobs}");
    }
    Ok(done as f64 / seconds.max(1e-9))
}

/// Claims and finishes batches until none is left: how many it finished.
async fn drain(queue: &dyn JobQueue, worker: &str, batch: u32) -> anyhow::Result<u64> {
    let mut done = 0;
    loop {
        let claimed = queue
            .claim(Claim {
                worker,
                kinds: &["noop"],
                limit: batch,
                lease: Duration::from_secs(60),
                now: Utc::now(),
            })
            .await?;
        if claimed.is_empty() {
            return Ok(done);
        }
        let finishes: Vec<_> = claimed
            .iter()
            .map(|j| (j.lease(), Finish::Done { result: None }))
            .collect();
        let finished = queue.finish_many(&finishes, Utc::now()).await?;
        done += finished.iter().filter(|f| **f).count() as u64;
    }
}

/// The two stores measured.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Postgres,
    Sqlite,
}

/// An open store of either backend.
enum Opened {
    Postgres(Arc<PgStore>),
    Sqlite(Arc<SqliteStore>),
}

impl Backend {
    /// Opens (creating and migrating) the store at `url`.
    async fn open(self, url: &str) -> anyhow::Result<Opened> {
        Ok(match self {
            Backend::Postgres => Opened::Postgres(Arc::new(PgStore::open(url).await?)),
            Backend::Sqlite => Opened::Sqlite(Arc::new(SqliteStore::open(url).await?)),
        })
    }
}

impl Opened {
    /// The store's queue, shareable with tasks.
    fn queue(&self) -> Arc<dyn JobQueue> {
        match self {
            Opened::Postgres(s) => s.clone(),
            Opened::Sqlite(s) => s.clone(),
        }
    }

    /// Closes the connection pool.
    async fn close(&self) {
        match self {
            Opened::Postgres(s) => s.close().await,
            Opened::Sqlite(s) => s.close().await,
        }
    }
}

/// Fresh schemas in one PostgreSQL database, each reached by a URL whose
/// connections use it as their search path.
struct Schemas {
    base: String,
    admin: sqlx::PgPool,
    made: tokio::sync::Mutex<Vec<String>>,
}

impl Schemas {
    async fn connect(url: &str) -> anyhow::Result<Schemas> {
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .with_context(|| {
                format!(
                    "connecting to PostgreSQL at {} (is it running? pass --postgres URL)",
                    redact_url(url)
                )
            })?;
        Ok(Schemas {
            base: url.to_owned(),
            admin,
            made: tokio::sync::Mutex::new(Vec::new()),
        })
    }

    /// A new empty schema named after `what`: the store URL that uses it.
    async fn fresh(&self, what: &str) -> anyhow::Result<String> {
        let name = format!("hf_bench_{}_{what}", std::process::id());
        for sql in [
            format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
            format!("CREATE SCHEMA \"{name}\""),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&self.admin)
                .await
                .with_context(|| format!("creating schema {name}"))?;
        }
        self.made.lock().await.push(name.clone());
        let sep = if self.base.contains('?') { '&' } else { '?' };
        Ok(format!("{}{sep}schema={name}", self.base))
    }

    async fn drop_all(&self) {
        for name in self.made.lock().await.drain(..) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
            )))
            .execute(&self.admin)
            .await;
        }
    }
}
