//! The server `bench webhooks` compares against: verify the signature,
//! insert the event in its own transaction, answer.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use holdfast_webhook::{Scheme, Verifier};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::load::SECRET;
use crate::args::WebhookBaselineArgs;
use crate::report::Report;

/// `holdfast bench-webhook-baseline`: verify, insert in its own transaction, answer.
///
/// # Errors
/// The SQLite file or the listener failing.
pub async fn baseline(args: &WebhookBaselineArgs, report: Report) -> anyhow::Result<ExitCode> {
    let options = SqliteConnectOptions::new()
        .filename(&args.db)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&pool)
        .await?;
    let verifier = Arc::new(Verifier::new(
        Scheme::StandardWebhooks,
        vec![SECRET.to_owned()],
        Duration::from_secs(300),
    )?);
    let app = axum::Router::new()
        .route(
            "/hooks",
            axum::routing::post(
                |State((pool, verifier)): State<(sqlx::SqlitePool, Arc<Verifier>)>,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let Ok(v) = verifier.verify(&headers, &body, SystemTime::now()) else {
                        return StatusCode::UNAUTHORIZED;
                    };
                    let inserted =
                        sqlx::query("INSERT OR IGNORE INTO events (id, body) VALUES (?, ?)")
                            .bind(v.event_id.unwrap_or_default())
                            .bind(String::from_utf8_lossy(&body).into_owned())
                            .execute(&pool)
                            .await;
                    match inserted {
                        Ok(_) => StatusCode::OK,
                        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
                    }
                },
            ),
        )
        .with_state((pool, verifier));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    say!(report, "listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(ExitCode::SUCCESS)
}
