//! `holdfast store migrate --from URL --to URL`: opens both stores, copies
//! one into the other with [`holdfast_store::copy_store`] (what is copied,
//! and how an unfinished copy resumes, is documented there), and prints.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use holdfast_store::{CopyError, CopyOptions, CopyStep, copy_store, redact_url};

use crate::backend::OpenStore;
use crate::cli::StoreMigrateArgs;
use crate::plural::count;

pub(crate) async fn run(args: &StoreMigrateArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let from = OpenStore::open(&args.from)
        .await
        .with_context(|| format!("opening the source store `{}`", redact_url(&args.from)))?;
    let to = OpenStore::open(&args.to)
        .await
        .with_context(|| format!("opening the target store `{}`", redact_url(&args.to)))?;
    let result = migrate(&from, &to, args, started).await;
    from.close().await;
    to.close().await;
    result
}

async fn migrate(
    from: &OpenStore,
    to: &OpenStore,
    args: &StoreMigrateArgs,
    started: Instant,
) -> anyhow::Result<ExitCode> {
    let source = redact_url(&args.from);
    let options = CopyOptions {
        source: &source,
        batch: args.batch,
        now: Utc::now(),
    };
    let mut progress = |step: CopyStep<'_>| match step {
        CopyStep::Resuming => outln!("resuming an unfinished migration from {source}"),
        CopyStep::Runs(n) => outln!("runs: {n}"),
        CopyStep::Table(name, n) => outln!("table {name}: {}", count(n, "record")),
        CopyStep::Quarantine(n) => outln!("quarantine: {}", count(n, "row")),
    };
    let report = match copy_store(&**from, &**to, options, &mut progress).await {
        Ok(report) => report,
        Err(CopyError::TargetNotEmpty { holds }) => {
            errln!(
                "error: the target store `{}` is not empty: it holds {holds}\n  = help: migrate \
                 into an empty database (for PostgreSQL, a new schema: add `?schema=NEW_NAME` to \
                 the URL), or drop what is there first; a target is never merged into",
                redact_url(&args.to),
            );
            return Ok(ExitCode::from(2));
        }
        Err(CopyError::OtherCopyUnfinished) => {
            errln!(
                "error: the target store `{}` holds an unfinished migration from another source; \
                 finish that one first",
                redact_url(&args.to)
            );
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    outln!(
        "copied {} in {}, {}, {}, {} in {:.1} s ({}, {}, {})",
        count(report.records, "record"),
        count(report.tables, "table"),
        count(report.states, "state"),
        count(report.secrets, "secret"),
        count(report.tokens, "token"),
        started.elapsed().as_secs_f64(),
        count(report.runs, "run"),
        count(report.quarantined, "quarantine row"),
        count(report.shapes, "shape"),
    );
    Ok(ExitCode::SUCCESS)
}
