//! Informal queue throughput on the PostgreSQL store: enqueue N no-op jobs,
//! then W workers claim B at a time and finish each, in a throwaway schema.
//!
//! ```text
//! cargo run -p holdfast-store-postgres --example queue_throughput -- 10000 8 50 1
//! ```
//!
//! Uses `HOLDFAST_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).

use std::time::{Duration, Instant};

use chrono::Utc;
use holdfast_store::prelude::*;
use holdfast_store::{Claim, Finish, NewJob};
use holdfast_store_postgres::PgStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let jobs = args.first().copied().unwrap_or(10_000);
    let workers = args.get(1).copied().unwrap_or(8);
    let batch = args.get(2).copied().unwrap_or(50);
    // 1: finish a claimed batch with one `finish_many`; 0: one `finish` a job.
    let many = args.get(3).copied().unwrap_or(1) == 1;
    let url = std::env::var("HOLDFAST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("hf_test_{}_bench", Utc::now().timestamp());
    let store = PgStore::open(&format!("{url}?schema={schema}&pool_max={}", workers + 1)).await?;

    let started = Instant::now();
    for chunk in (0..jobs).collect::<Vec<_>>().chunks(1000) {
        let batch: Vec<NewJob> = chunk
            .iter()
            .map(|i| NewJob {
                kind: "noop".into(),
                name: format!("n{i}"),
                payload: "{}".into(),
                unique_key: Some(format!("k{i}")),
                priority: 0,
                max_attempts: 3,
                run_at: Utc::now(),
            })
            .collect();
        store.enqueue(&batch, Utc::now()).await?;
    }
    let enqueued = started.elapsed();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let worker = format!("w{w}");
            let mut done = 0usize;
            loop {
                let claimed = store
                    .claim(Claim {
                        worker: &worker,
                        kinds: &[],
                        limit: batch as u32,
                        lease: Duration::from_secs(60),
                        now: Utc::now(),
                    })
                    .await?;
                if claimed.is_empty() {
                    return Ok::<usize, holdfast_store::StoreError>(done);
                }
                if many {
                    let finishes: Vec<_> = claimed
                        .iter()
                        .map(|j| (j.lease(), Finish::Done { result: None }))
                        .collect();
                    store.finish_many(&finishes, Utc::now()).await?;
                    done += claimed.len();
                } else {
                    for job in claimed {
                        store
                            .finish(job.lease(), Finish::Done { result: None }, Utc::now())
                            .await?;
                        done += 1;
                    }
                }
            }
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await??;
    }
    let worked = started.elapsed();
    println!(
        "enqueue: {jobs} jobs in {:.2?} ({:.0}/s); claim+finish: {total} jobs in {:.2?} ({:.0}/s) \
         with {workers} workers claiming {batch} at a time, finish_many: {many}",
        enqueued,
        jobs as f64 / enqueued.as_secs_f64(),
        worked,
        total as f64 / worked.as_secs_f64()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(store.pool())
        .await?;
    Ok(())
}
