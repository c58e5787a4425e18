//! A fresh schema per test on the PostgreSQL at `HOLDFAST_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards.
//!
//! Schemas are named `hf_test_<unix seconds>_<random>`; each test process
//! first drops those left over (older than an hour) by runs that crashed.

#![allow(dead_code, unreachable_pub)]

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use holdfast_store_postgres::PgStore;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::OnceCell;

/// Where the tests' server is.
pub fn url() -> String {
    std::env::var("HOLDFAST_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Drops the schema of a test when the test ends (best effort).
pub struct SchemaGuard {
    schema: String,
}

impl SchemaGuard {
    /// A guard for `schema` (made by [`schema_name`] or derived from one).
    pub fn new(schema: String) -> SchemaGuard {
        SchemaGuard { schema }
    }

    /// The schema's name.
    pub fn schema(&self) -> &str {
        &self.schema
    }
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&url()).await {
                    // The test's own connections may sit in a transaction
                    // whose rollback waits for the (blocked) test runtime.
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = $1",
                    )
                    .bind(&schema)
                    .execute(&mut conn)
                    .await;
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {schema} CASCADE"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// A new, unique schema name.
pub fn schema_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let random =
        RandomState::new().hash_one((std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    format!("hf_test_{secs}_{:012x}", random & 0xffff_ffff_ffff)
}

/// A connection to the test server, or a panic that says how to start it.
pub async fn connect() -> PgConnection {
    let url = url();
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => not_reachable(&url, &e.to_string()),
        Err(_) => not_reachable(&url, "timed out after 10 s"),
    }
}

fn not_reachable(url: &str, why: &str) -> ! {
    panic!(
        "\n\nPostgreSQL not reachable at {url} ({why}).\n\
         The PostgreSQL store tests need a server: start it with \
         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
         (or point HOLDFAST_TEST_POSTGRES_URL at one; database `test` must exist: \
         `createdb -h 127.0.0.1 -U postgres test`).\n\n"
    )
}

/// Drops `hf_test_*` schemas older than an hour, once per test process.
async fn drop_stale_schemas() {
    static DONE: OnceCell<()> = OnceCell::const_new();
    DONE.get_or_init(|| async {
        let mut conn = connect().await;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'hf\\_test\\_%'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        for name in names {
            let created = name
                .split('_')
                .nth(2)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            if now.saturating_sub(created) > 3600 {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .execute(&mut conn)
                .await;
            }
        }
        let _ = conn.close().await;
    })
    .await;
}

/// A store on a fresh schema, and the guard that drops it.
pub async fn fresh() -> (PgStore, SchemaGuard) {
    drop_stale_schemas().await;
    let schema = schema_name();
    let guard = SchemaGuard {
        schema: schema.clone(),
    };
    let store = open_in(&schema, 4).await;
    (store, guard)
}

/// Opens a store on `schema` with `pool_max` connections.
pub async fn open_in(schema: &str, pool_max: u32) -> PgStore {
    let url = url();
    // Fail loudly (with the fix) when the server is down, before PgStore's own error.
    let conn = connect().await;
    let _ = conn.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    PgStore::open(&format!(
        "{url}{sep}schema={schema}&pool_max={pool_max}&application_name={schema}"
    ))
    .await
    .unwrap_or_else(|e| panic!("opening the PostgreSQL store in schema {schema}: {e}"))
}
