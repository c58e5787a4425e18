//! `holdfast store migrate --from URL --to URL`: copies a store's content
//! (stream tables with all metadata, stream states, shapes, runs,
//! quarantine, sealed secrets and OAuth2 tokens) into another store, page by
//! page, with idempotent upserts.
//!
//! The target must hold no stream table, stream state or run, unless it
//! holds a migration from the same source that did not finish (a crash):
//! then the copy starts again and upserts over what is there. Not copied:
//! the request log, drift history, jobs, webhook rejection counters, named
//! leases and rate budgets.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{Duration, Utc};
use holdfast_store::prelude::*;
use holdfast_store::redact_url;
use serde_json::Value;

use crate::backend::OpenStore;
use crate::cli::StoreMigrateArgs;

/// The named lease marking an unfinished migration in the target.
const MARKER: &str = "holdfast:store-migrate";

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
    let batch = args.batch.clamp(1, 50_000);
    let holder = format!("from {}", redact_url(&args.from));
    let now = Utc::now();
    let resuming = to
        .leases()
        .await?
        .iter()
        .any(|l| l.name == MARKER && l.holder == holder);
    let target = to
        .inventory()
        .await
        .context("listing what the target holds")?;
    let target_runs = to.runs(None, 1).await?;
    if !resuming && (!target.is_empty() || !target_runs.is_empty()) {
        let mut what = Vec::new();
        if !target.tables.is_empty() {
            let names: Vec<String> = target
                .tables
                .iter()
                .map(|t| format!("`{}`", t.name))
                .collect();
            what.push(format!("stream tables {}", names.join(", ")));
        }
        if !target.states.is_empty() {
            let names: Vec<String> = target
                .states
                .iter()
                .map(|s| format!("`{}`", s.stream))
                .collect();
            what.push(format!("the state of {}", names.join(", ")));
        }
        if what.is_empty() {
            what.push("run history".to_owned());
        }
        errln!(
            "error: the target store `{}` is not empty: it holds {}\n  = help: migrate into an \
             empty database (for PostgreSQL, a new schema: add `?schema=NEW_NAME` to the URL), \
             or drop what is there first; a target is never merged into",
            redact_url(&args.to),
            what.join(" and ")
        );
        return Ok(ExitCode::from(2));
    }
    if !to
        .acquire_lease(MARKER, &holder, now + Duration::days(36_500), now)
        .await?
    {
        errln!(
            "error: the target store `{}` holds an unfinished migration from another source; \
             finish that one first",
            redact_url(&args.to)
        );
        return Ok(ExitCode::from(2));
    }
    if resuming {
        outln!(
            "resuming an unfinished migration from {}",
            redact_url(&args.from)
        );
    }
    // Runs first: quarantine rows refer to them.
    let mut runs = 0u64;
    let mut after = None;
    loop {
        let page = from.export_runs(after, batch).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        to.import_runs(&page).await?;
        runs += page.len() as u64;
    }
    outln!("runs: {runs}");
    let source = from
        .inventory()
        .await
        .context("listing what the source holds")?;
    let mut records = 0u64;
    for table in &source.tables {
        to.prepare_table(table)
            .await
            .with_context(|| format!("creating table `{}` in the target", table.name))?;
        let copied = copy_table(&**from, &**to, table, batch).await?;
        outln!(
            "table {}: {}",
            table.name,
            crate::plural::count(copied, "record")
        );
        records += copied;
    }
    let mut quarantined = 0u64;
    let mut after = None;
    loop {
        let page = from.export_quarantine(after, batch).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        to.import_quarantine(&page).await?;
        quarantined += page.len() as u64;
    }
    outln!("quarantine: {}", crate::plural::count(quarantined, "row"));
    for shape in &source.shapes {
        to.save_shape(&shape.stream, &shape.shape, shape.updated_at)
            .await?;
    }
    let secrets = from.secrets().await?;
    for s in &secrets {
        to.put_secret(&s.name, &s.sealed, s.updated_at).await?;
    }
    let tokens = from.tokens().await?;
    for t in &tokens {
        to.save_token(&t.connection, &t.sealed, &t.status, t.updated_at)
            .await?;
    }
    // States last: a stream resumes in the target only once its records are there.
    for state in &source.states {
        to.save_state(&state.stream, &state.state, state.updated_at)
            .await
            .with_context(|| format!("copying the state of `{}`", state.stream))?;
    }
    to.release_lease(MARKER, &holder).await?;
    use crate::plural::count;
    outln!(
        "copied {} in {}, {}, {}, {} in {:.1} s ({}, {}, {})",
        count(records, "record"),
        count(source.tables.len(), "table"),
        count(source.states.len(), "state"),
        count(secrets.len(), "secret"),
        count(tokens.len(), "token"),
        started.elapsed().as_secs_f64(),
        count(runs, "run"),
        count(quarantined, "quarantine row"),
        count(source.shapes.len(), "shape"),
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies one table page by page (memory stays flat whatever its size).
async fn copy_table(
    from: &dyn Store,
    to: &dyn Store,
    table: &holdfast_store::TableSpec,
    batch: u32,
) -> anyhow::Result<u64> {
    let mut after: Option<Vec<Value>> = None;
    let mut copied = 0u64;
    loop {
        let page = from
            .export_records(table, after.as_deref(), batch)
            .await
            .with_context(|| format!("reading `{}` from the source", table.name))?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        to.import_records(table, &page)
            .await
            .with_context(|| format!("writing `{}` into the target", table.name))?;
        copied += page.len() as u64;
    }
    Ok(copied)
}
