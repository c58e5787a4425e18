//! `holdfast status`: each stream's last run and resume point, each
//! endpoint's success rate, latency percentiles and deprecation notices.

use std::process::ExitCode;

use chrono::Utc;
use holdfast_spec::Env;
use holdfast_store::Store;

use crate::cli::{Cli, StatusArgs};
use crate::context::{load_spec, open_store};

pub(crate) async fn run(cli: &Cli, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    let Some(spec) = load_spec(cli, &env) else {
        return Ok(ExitCode::from(2));
    };
    let store = open_store(cli, Some(&spec), &env).await?;
    println!("streams");
    for stream in &spec.streams {
        let last = store.runs(Some(&stream.name), 1).await?.into_iter().next();
        let state = store.load_state(&stream.name).await?;
        let line = match last {
            None => "never run".to_owned(),
            Some(r) => format!(
                "last run {} {} at {} ({} pages, {} created, {} updated, {} unchanged, {} quarantined){}",
                r.id,
                r.outcome.as_str(),
                r.started_at.format("%Y-%m-%d %H:%M:%S"),
                r.pages,
                r.outcome_counts.created,
                r.outcome_counts.updated,
                r.outcome_counts.unchanged,
                r.quarantined,
                r.error
                    .map(|e| format!("\n      error: {e}"))
                    .unwrap_or_default()
            ),
        };
        println!("  {:<16} {line}", stream.name);
        if let Some(state) = state {
            if let Some(cursor) = state.cursor {
                println!("  {:<16} cursor {cursor}", "");
            }
            if let Some(p) = state.progress {
                println!(
                    "  {:<16} unfinished: {} pages committed; the next sync resumes there",
                    "", p.pages
                );
            }
        }
    }
    let since =
        Utc::now() - chrono::Duration::from_std(args.window).unwrap_or(chrono::Duration::hours(24));
    let stats = store.endpoint_stats(since).await?;
    println!(
        "\nendpoints (last {})",
        humantime::format_duration(args.window)
    );
    if stats.is_empty() {
        println!("  no requests in this window");
    }
    for s in stats {
        println!(
            "  {:<8} {:<40} {:>6} attempts {:>6.1}% ok   p50 {:>6.0}ms  p95 {:>6.0}ms  p99 {:>6.0}ms",
            s.connection,
            s.endpoint,
            s.attempts,
            s.success_rate() * 100.0,
            s.p50.as_secs_f64() * 1000.0,
            s.p95.as_secs_f64() * 1000.0,
            s.p99.as_secs_f64() * 1000.0,
        );
        if s.deprecation.is_some() || s.sunset.is_some() {
            println!(
                "  {:<8} {:<40} DEPRECATED by the API (Deprecation: {}, Sunset: {}): plan the move",
                "",
                "",
                s.deprecation.as_deref().unwrap_or("-"),
                s.sunset.as_deref().unwrap_or("-")
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
