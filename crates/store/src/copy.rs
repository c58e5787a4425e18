//! Copying a store's content into another store, whatever their backends
//! (`holdfast store migrate`): stream tables with all their metadata,
//! stream states, shapes, runs, quarantine, sealed secrets and OAuth2
//! tokens, page by page, with idempotent upserts.
//!
//! The target must hold no stream table, stream state or run, unless it
//! holds a copy from the same source that did not finish (a crash): then
//! the copy starts again and upserts over what is there. A named lease in
//! the target ([`COPY_MARKER`]) marks a copy in progress. Not copied: the
//! request log, drift history, jobs, webhook rejection counters, named
//! leases and rate budgets.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::{Inventory, Store, StoreError, TableSpec};

/// The named lease marking an unfinished copy in the target; its holder
/// names the source.
pub const COPY_MARKER: &str = "holdfast:store-migrate";

/// How [`copy_store`] runs.
#[derive(Debug, Clone, Copy)]
pub struct CopyOptions<'a> {
    /// The source as messages show it (without a password, see
    /// [`redact_url`](crate::redact_url)): it names the copy, so a copy
    /// that did not finish is resumed only from the same source.
    pub source: &'a str,
    /// Rows per page read and written (clamped to 1..=50 000).
    pub batch: u32,
    /// The copy's clock.
    pub now: DateTime<Utc>,
}

/// A step of the copy, as it is done (for progress lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyStep<'a> {
    /// The target holds an unfinished copy from the same source: it starts again.
    Resuming,
    /// Every run is copied (this many).
    Runs(u64),
    /// A stream table is copied (its name and its records).
    Table(&'a str, u64),
    /// Every quarantine row is copied (this many).
    Quarantine(u64),
}

/// What [`copy_store`] copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Runs.
    pub runs: u64,
    /// Stream tables.
    pub tables: u64,
    /// Records of all stream tables.
    pub records: u64,
    /// Quarantine rows (open and resolved).
    pub quarantined: u64,
    /// Stream states.
    pub states: u64,
    /// Response shapes.
    pub shapes: u64,
    /// Sealed secrets.
    pub secrets: u64,
    /// OAuth2 token states.
    pub tokens: u64,
}

/// Why [`copy_store`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// The target holds data and no unfinished copy from this source.
    #[error("the target store is not empty: it holds {holds}")]
    TargetNotEmpty {
        /// What it holds, in words (``stream tables `contacts` and the state of `deals` ``).
        holds: String,
    },
    /// The target holds an unfinished copy from another source.
    #[error("the target store holds an unfinished migration from another source")]
    OtherCopyUnfinished,
    /// A store failed while doing `step`.
    #[error("{step}")]
    Step {
        /// What the copy was doing (e.g. ``writing `contacts` into the target``).
        step: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies everything [`from`](copy_store) holds into `to`, reporting each
/// step to `progress`: runs first (quarantine rows refer to them), then
/// each stream table page by page, quarantine, shapes, secrets and tokens,
/// and stream states last (a stream resumes in the target only once its
/// records are there). Memory stays flat whatever the tables' sizes.
///
/// # Errors
/// [`CopyError::TargetNotEmpty`] or [`CopyError::OtherCopyUnfinished`]
/// before anything is written; a store's error otherwise (the copy can be
/// run again: it resumes).
pub async fn copy_store(
    from: &dyn Store,
    to: &dyn Store,
    options: CopyOptions<'_>,
    progress: &mut (dyn FnMut(CopyStep<'_>) + Send),
) -> Result<CopyReport, CopyError> {
    let batch = options.batch.clamp(1, 50_000);
    let holder = format!("from {}", options.source);
    let now = options.now;
    let resuming = to
        .leases()
        .await?
        .iter()
        .any(|l| l.name == COPY_MARKER && l.holder == holder);
    let target = to
        .inventory()
        .await
        .map_err(step("listing what the target holds"))?;
    let target_runs = to.runs(None, 1).await?;
    if !resuming && (!target.is_empty() || !target_runs.is_empty()) {
        return Err(CopyError::TargetNotEmpty {
            holds: holdings(&target),
        });
    }
    if !to
        .acquire_lease(COPY_MARKER, &holder, now + Duration::days(36_500), now)
        .await?
    {
        return Err(CopyError::OtherCopyUnfinished);
    }
    if resuming {
        progress(CopyStep::Resuming);
    }
    let mut report = CopyReport::default();
    let mut after = None;
    loop {
        let page = from.export_runs(after, batch).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        to.import_runs(&page).await?;
        report.runs += page.len() as u64;
    }
    progress(CopyStep::Runs(report.runs));
    let source = from
        .inventory()
        .await
        .map_err(step("listing what the source holds"))?;
    for table in &source.tables {
        to.prepare_table(table).await.map_err(step(format!(
            "creating table `{}` in the target",
            table.name
        )))?;
        let copied = copy_table(from, to, table, batch).await?;
        progress(CopyStep::Table(&table.name, copied));
        report.records += copied;
    }
    report.tables = source.tables.len() as u64;
    let mut after = None;
    loop {
        let page = from.export_quarantine(after, batch).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        to.import_quarantine(&page).await?;
        report.quarantined += page.len() as u64;
    }
    progress(CopyStep::Quarantine(report.quarantined));
    for shape in &source.shapes {
        to.save_shape(&shape.stream, &shape.shape, shape.updated_at)
            .await?;
    }
    report.shapes = source.shapes.len() as u64;
    let secrets = from.secrets().await?;
    for s in &secrets {
        to.put_secret(&s.name, &s.sealed, s.updated_at).await?;
    }
    report.secrets = secrets.len() as u64;
    let tokens = from.tokens().await?;
    for t in &tokens {
        to.save_token(&t.connection, &t.sealed, &t.status, t.updated_at)
            .await?;
    }
    report.tokens = tokens.len() as u64;
    for state in &source.states {
        to.save_state(&state.stream, &state.state, state.updated_at)
            .await
            .map_err(step(format!("copying the state of `{}`", state.stream)))?;
    }
    report.states = source.states.len() as u64;
    to.release_lease(COPY_MARKER, &holder).await?;
    Ok(report)
}

/// Copies one table page by page; how many records.
async fn copy_table(
    from: &dyn Store,
    to: &dyn Store,
    table: &TableSpec,
    batch: u32,
) -> Result<u64, CopyError> {
    let mut after: Option<Vec<Value>> = None;
    let mut copied = 0u64;
    loop {
        let page = from
            .export_records(table, after.as_deref(), batch)
            .await
            .map_err(step(format!("reading `{}` from the source", table.name)))?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        to.import_records(table, &page)
            .await
            .map_err(step(format!("writing `{}` into the target", table.name)))?;
        copied += page.len() as u64;
    }
    Ok(copied)
}

/// What a non-empty target holds, in words.
fn holdings(target: &Inventory) -> String {
    let names = |items: Vec<&str>| {
        items
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut what = Vec::new();
    if !target.tables.is_empty() {
        let tables = target.tables.iter().map(|t| t.name.as_str()).collect();
        what.push(format!("stream tables {}", names(tables)));
    }
    if !target.states.is_empty() {
        let states = target.states.iter().map(|s| s.stream.as_str()).collect();
        what.push(format!("the state of {}", names(states)));
    }
    if what.is_empty() {
        what.push("run history".to_owned());
    }
    what.join(" and ")
}

/// A store error met while doing `step`.
fn step(step: impl Into<String>) -> impl FnOnce(StoreError) -> CopyError {
    let step = step.into();
    move |source| CopyError::Step { step, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_name_tables_then_states() {
        let mut inventory = Inventory::default();
        assert_eq!(holdings(&inventory), "run history");
        inventory
            .tables
            .push(TableSpec::new("contacts", vec!["id".into()]));
        inventory
            .tables
            .push(TableSpec::new("deals", vec!["id".into()]));
        assert_eq!(holdings(&inventory), "stream tables `contacts`, `deals`");
    }
}
