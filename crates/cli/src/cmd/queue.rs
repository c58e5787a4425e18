//! `holdfast queue`: the durable job queue at a glance (depth per kind and
//! state, the oldest waiting job, dead letters with their last error,
//! rejected webhook requests); `holdfast queue retry ID|--dead` requeues.

use std::process::ExitCode;

use chrono::Utc;
use holdfast_spec::Env;
use holdfast_store::{JobFilter, JobId, JobState, Requeue};

use crate::cli::{Cli, QueueAction, QueueArgs};
use crate::context::{open_store, open_store_to_read};

pub(crate) async fn run(cli: &Cli, args: &QueueArgs) -> anyhow::Result<ExitCode> {
    let store = match &args.action {
        Some(QueueAction::Retry { .. }) => {
            let env = Env::from_process();
            let spec = holdfast_spec::load(&cli.config, &env).ok();
            open_store(cli, spec.as_ref(), &env).await?
        }
        None => open_store_to_read(cli).await?,
    };
    if let Some(QueueAction::Retry { id, dead }) = &args.action {
        let which = match (id, dead) {
            (Some(id), _) => Requeue::Job(JobId(*id)),
            (None, true) => Requeue::Dead,
            (None, false) => {
                errln!(
                    "error: say which jobs: `holdfast queue retry ID` or `holdfast queue retry --dead`"
                );
                return Ok(ExitCode::from(2));
            }
        };
        let n = store.requeue(which, Utc::now()).await?;
        match (id, n) {
            (Some(id), 0) => {
                errln!(
                    "error: job #{id} is not in the queue, or is running now; see `holdfast queue`"
                );
                store.close().await;
                return Ok(ExitCode::from(1));
            }
            (Some(id), _) => outln!("job #{id} is ready to run again"),
            (None, 1) => outln!("1 dead job is ready to run again"),
            (None, n) => outln!("{n} dead jobs are ready to run again"),
        }
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let now = Utc::now();
    let stats = store.queue_stats(now).await?;
    let dead = store
        .jobs(JobFilter {
            state: Some(JobState::Dead),
            kind: None,
            limit: args.limit,
        })
        .await?;
    let rejections = store.rejections().await?;
    if args.json {
        outln!(
            "{}",
            holdfast_server::api::views::queue_json(&stats, &dead, &rejections, now)
        );
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    if stats.depth.is_empty() {
        outln!("the queue is empty");
    } else {
        outln!("{:<10} {:<8} {:>9}  oldest", "kind", "state", "jobs");
        for d in &stats.depth {
            let oldest = d
                .oldest
                .map(|t| format!("{} ago", age(now - t)))
                .unwrap_or_default();
            outln!(
                "{:<10} {:<8} {:>9}  {oldest}",
                d.kind,
                d.state.as_str(),
                d.count
            );
        }
    }
    if let Some(o) = &stats.oldest_ready {
        outln!(
            "oldest waiting job: #{} due {} ago",
            o.id.0,
            age(now - o.run_at)
        );
    }
    if !dead.is_empty() {
        outln!("\ndead letters (newest first; `holdfast queue retry ID` or `--dead` after a fix):");
        for j in &dead {
            outln!(
                "  #{} {} {} after {}, {}: {}",
                j.id.0,
                j.kind,
                j.name,
                crate::plural::count(j.attempts, "attempt"),
                j.updated_at.format("%Y-%m-%d %H:%M:%S"),
                j.last_error.as_deref().unwrap_or("")
            );
        }
    }
    if !rejections.is_empty() {
        outln!(
            "\nrejected webhook requests (a spike of bad_signature means the vendor changed the key):"
        );
        for r in &rejections {
            outln!(
                "  {:<20} {:<14} {:>8}  last {}",
                r.webhook,
                r.reason,
                r.count,
                r.last_at.format("%Y-%m-%d %H:%M:%S")
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn age(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {}s", secs / 60, secs % 60),
        _ => format!("{}h {}m", secs / 3600, (secs % 3600) / 60),
    }
}
