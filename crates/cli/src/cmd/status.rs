//! `holdfast status`: each stream's last run and resume point, each
//! connection's auth type and OAuth2 token health, each endpoint's success rate, latency percentiles and deprecation notices,
//! and the queue's depth, dead letters and refused webhook requests.

use std::process::ExitCode;

use chrono::Utc;
use holdfast_spec::Env;
use holdfast_store::JobState;
use holdfast_store::prelude::*;

use crate::cli::{Cli, StatusArgs};
use crate::context::{load_spec_from, open_store_to_read};
use crate::plural::count;

pub(crate) async fn run(cli: &Cli, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let store = open_store_to_read(cli).await?;
    let Some(spec) = load_spec_from(cli, &mut env, &store).await else {
        store.close().await;
        return Ok(ExitCode::from(2));
    };
    if args.json {
        let status = status_json(&spec, &*store, args.window).await;
        store.close().await;
        outln!("{}", status?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("streams");
    // declarative and custom (`source:`) streams, in file order
    for name in spec.stream_names() {
        let last = store.runs(Some(name), 1).await?.into_iter().next();
        let state = store.load_state(name).await?;
        let line = match last {
            None => "never run".to_owned(),
            Some(r) => format!(
                "last run {} {} at {} ({}, {} created, {} updated, {} unchanged, {} quarantined){}",
                r.id,
                r.outcome.as_str(),
                r.started_at.format("%Y-%m-%d %H:%M:%S"),
                count(r.pages, "page"),
                r.outcome_counts.created,
                r.outcome_counts.updated,
                r.outcome_counts.unchanged,
                r.quarantined,
                r.error
                    .map(|e| format!("\n      error: {e}"))
                    .unwrap_or_default()
            ),
        };
        outln!("  {name:<16} {line}");
        if let Some(r) = store.reconciliations(Some(name), 1).await?.first() {
            outln!(
                "  {:<16} last reconciliation (run {}) {} at {}: upstream {}, local {}, fetched {}, \
                 changed {}, missing {}, deleted {}{}",
                "",
                r.run,
                r.outcome.as_str().replace('_', " "),
                r.finished_at.format("%Y-%m-%d %H:%M:%S"),
                r.upstream,
                r.local,
                r.fetched,
                r.changed,
                r.missing,
                r.deleted,
                r.reason
                    .as_ref()
                    .map(|e| format!("\n      {e}"))
                    .unwrap_or_default()
            );
        }
        if let Some(state) = state {
            if let Some(cursor) = state.cursor {
                outln!("  {:<16} cursor {cursor}", "");
            }
            if let Some(p) = state.progress {
                outln!(
                    "  {:<16} unfinished: {} committed; the next sync resumes there",
                    "",
                    count(p.pages, "page")
                );
            }
        }
    }
    connections(&spec, &*store).await?;
    let since =
        Utc::now() - chrono::Duration::from_std(args.window).unwrap_or(chrono::Duration::hours(24));
    let stats = store.endpoint_stats(since).await?;
    outln!(
        "\nendpoints (last {})",
        humantime::format_duration(args.window)
    );
    if stats.is_empty() {
        outln!("  no requests in this window");
    }
    for s in stats {
        outln!(
            "  {:<8} {:<40} {:>15} {:>6.1}% ok   p50 {:>6.0}ms  p95 {:>6.0}ms  p99 {:>6.0}ms",
            s.connection,
            s.endpoint,
            count(s.attempts, "attempt"),
            s.success_rate() * 100.0,
            s.p50.as_secs_f64() * 1000.0,
            s.p95.as_secs_f64() * 1000.0,
            s.p99.as_secs_f64() * 1000.0,
        );
        if s.deprecation.is_some() || s.sunset.is_some() {
            outln!(
                "  {:<8} {:<40} DEPRECATED by the API (Deprecation: {}, Sunset: {}): plan the move",
                "",
                "",
                s.deprecation.as_deref().unwrap_or("-"),
                s.sunset.as_deref().unwrap_or("-")
            );
        }
    }
    queue_summary(&*store).await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Each connection's auth type and, for OAuth2, its token's health (never a
/// token); for a session, its last login.
async fn connections(spec: &holdfast_spec::Spec, store: &dyn Store) -> anyhow::Result<()> {
    let tokens = store.tokens().await?;
    let now = Utc::now();
    outln!("\nconnections");
    for (name, conn) in &spec.connections {
        let kind = match conn.auth {
            holdfast_spec::Auth::None => "no auth",
            holdfast_spec::Auth::ApiKey { .. } => "api_key",
            holdfast_spec::Auth::Basic { .. } => "basic",
            holdfast_spec::Auth::Bearer { .. } => "bearer",
            holdfast_spec::Auth::OAuth2(_) => "oauth2",
            holdfast_spec::Auth::Session(_) => "session",
        };
        if kind == "session" {
            let saved = tokens.iter().find(|t| &t.connection == name);
            let line = match saved.map(|t| &t.status) {
                Some(st) => format!(
                    "last login {} at {}, {} consecutive login failures",
                    match st.last_outcome.as_deref() {
                        Some("ok") => "ok",
                        Some(_) => "FAILED",
                        None => "-",
                    },
                    st.last_refresh_at
                        .map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| "-".to_owned()),
                    st.consecutive_failures
                ),
                None => "not logged in yet".to_owned(),
            };
            outln!("  {name:<16} session, {line}");
            continue;
        }
        if kind != "oauth2" {
            outln!("  {name:<16} {kind}");
            continue;
        }
        let Some(t) = tokens.iter().find(|t| &t.connection == name) else {
            outln!("  {name:<16} oauth2, no token yet");
            continue;
        };
        let st = &t.status;
        let expiry = match st.expires_at {
            _ if st.needs_reauth => "no valid token".to_owned(),
            None => "token expiry unknown".to_owned(),
            Some(at) if at <= now => "token expired".to_owned(),
            Some(at) => format!(
                "token expires in {}",
                humantime::format_duration(std::time::Duration::from_secs(
                    (at - now).num_seconds().max(0).unsigned_abs()
                ))
            ),
        };
        let last = match (&st.last_outcome, st.last_refresh_at) {
            (Some(outcome), Some(at)) => format!(
                "last refresh {outcome} at {}",
                at.format("%Y-%m-%d %H:%M:%S")
            ),
            _ => "never refreshed".to_owned(),
        };
        let reauth = if st.needs_reauth {
            ", NEEDS RE-AUTHORIZATION (needs re-authorization: set a new refresh token with `holdfast secrets set`)"
        } else {
            ""
        };
        outln!(
            "  {name:<16} oauth2, {expiry}, {last}, {} consecutive auth failures{reauth}",
            st.consecutive_failures
        );
    }
    Ok(())
}

/// The queue in three lines: jobs waiting, dead letters, refused webhook requests.
async fn queue_summary(store: &dyn Store) -> anyhow::Result<()> {
    let now = Utc::now();
    let stats = store.queue_stats(now).await?;
    let rejections = store.rejections().await?;
    if stats.depth.is_empty() && rejections.is_empty() {
        return Ok(());
    }
    let count = |state: JobState| -> u64 {
        stats
            .depth
            .iter()
            .filter(|d| d.state == state)
            .map(|d| d.count)
            .sum()
    };
    outln!(
        "
queue (details: holdfast queue)"
    );
    let waiting = stats
        .oldest_ready
        .as_ref()
        .map(|o| {
            format!(
                ", the oldest due {}s ago",
                (now - o.run_at).num_seconds().max(0)
            )
        })
        .unwrap_or_default();
    outln!(
        "  {} ready{waiting}, {} running, {} done, {} dead",
        count(JobState::Ready),
        count(JobState::Running),
        count(JobState::Done),
        count(JobState::Dead)
    );
    for r in rejections {
        outln!(
            "  webhook {:<16} {} refused ({}), last {}",
            r.webhook,
            crate::plural::count(r.count, "request"),
            r.reason,
            r.last_at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    Ok(())
}

/// `holdfast status --json`: `streams` (each with its `last_run`, `cursor`
/// and the pages an unfinished run committed), `connections`, `endpoints`
/// (over `window`) and `queue` (as `holdfast queue --json`).
async fn status_json(
    spec: &holdfast_spec::Spec,
    store: &dyn Store,
    window: std::time::Duration,
) -> anyhow::Result<serde_json::Value> {
    use holdfast_server::api::views::{connections_json, reconciliation_json, run_json, time};
    use serde_json::json;
    let mut streams = Vec::new();
    for name in spec.stream_names() {
        let last = store.runs(Some(name), 1).await?;
        let state = store.load_state(name).await?.unwrap_or_default();
        let reconciled = store.reconciliations(Some(name), 1).await?;
        streams.push(json!({
            "name": name,
            "last_run": last.first().map(run_json),
            "last_reconciliation": reconciled.first().map(reconciliation_json),
            "cursor": state.cursor,
            "unfinished_pages": state.progress.map(|p| p.pages),
        }));
    }
    let tokens = store.tokens().await?;
    let since =
        Utc::now() - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::hours(24));
    let endpoints: Vec<_> = store
        .endpoint_stats(since)
        .await?
        .iter()
        .map(|s| {
            json!({
                "connection": s.connection,
                "endpoint": s.endpoint,
                "attempts": s.attempts,
                "success_rate": s.success_rate(),
                "p50_ms": s.p50.as_secs_f64() * 1000.0,
                "p95_ms": s.p95.as_secs_f64() * 1000.0,
                "p99_ms": s.p99.as_secs_f64() * 1000.0,
                "deprecation": s.deprecation,
                "sunset": s.sunset,
            })
        })
        .collect();
    let now = Utc::now();
    let stats = store.queue_stats(now).await?;
    let dead = store
        .jobs(holdfast_store::JobFilter {
            state: Some(JobState::Dead),
            kind: None,
            limit: 20,
        })
        .await?;
    let rejections = store.rejections().await?;
    Ok(json!({
        "at": time(now),
        "window_seconds": window.as_secs(),
        "streams": streams,
        "connections": connections_json(spec, &tokens),
        "endpoints": endpoints,
        "queue": holdfast_server::api::views::queue_json(&stats, &dead, &rejections, now),
    }))
}
