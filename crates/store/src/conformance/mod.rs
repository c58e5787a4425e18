//! The test suite every [`Store`](crate::Store) backend must pass.
//!
//! A backend's `tests/conformance.rs` is one call:
//!
//! ```ignore
//! holdfast_store::store_conformance!(fresh_store);
//! ```
//!
//! where `fresh_store` is an `async fn() -> (Box<dyn Store>, Guard)` giving an
//! empty store per test (the guard keeps its temp dir or schema alive). Each
//! case becomes its own `#[tokio::test]` (the copy cases get two stores).
//! One file per topic.
//!
//! The [`JobQueue`](crate::JobQueue) and webhook event cases are a second
//! suite, in the backend's `tests/queue_conformance.rs`:
//!
//! ```ignore
//! holdfast_store::queue_conformance!(fresh_queue);
//! ```
//!
//! with `fresh_queue` an `async fn() -> (Box<dyn Store>, Guard)`.

pub mod changes;
pub mod checkpoint;
pub mod columns;
pub mod coordination;
pub mod copy;
pub mod drift;
pub mod events;
pub mod export;
pub mod lease;
pub mod listing;
pub mod parents;
pub mod quarantine;
pub mod queue;
pub mod reconcile;
pub mod requests;
pub mod runs;
pub mod secrets;
pub mod tokens;
pub mod upsert;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::prelude::*;
use crate::{PageCommit, PageOutcome, RecordRow, RunId, StreamState, TableSpec};

/// Emits one `#[tokio::test]` per conformance case, each on a fresh store from `$factory`.
#[macro_export]
macro_rules! store_conformance {
    ($factory:path) => {
        $crate::store_conformance!(@cases $factory;
            upsert::counts_created_updated_unchanged,
            upsert::reapplying_a_page_changes_nothing,
            upsert::composite_keys_keep_types,
            upsert::rejects_object_keys,
            checkpoint::state_commits_with_the_page,
            checkpoint::state_roundtrip_and_reset,
            checkpoint::table_with_other_key_is_refused,
            runs::counters_and_outcomes,
            runs::running_runs_become_interrupted,
            runs::a_dead_holder_reads_as_interrupted,
            runs::an_expired_lease_reads_as_interrupted,
            parents::walks_in_key_order_after_a_key,
            listing::lists_by_key_change_time_and_tombstone,
            reconcile::tombstones_count_and_a_sighting_restores,
            reconcile::deletions_keep_the_rows_content,
            reconcile::sweep_spares_seen_rows_and_refuses_beyond_limits,
            reconcile::reconciliations_are_kept_newest_first,
            reconcile::touched_keys_are_seen_and_the_rest_counted,
            changes::changes_come_in_commit_order_once_each,
            quarantine::kept_with_reason_and_payload,
            quarantine::deduplicated_and_resolved,
            columns::mapped_columns_are_typed_and_additive,
            drift::shapes_and_drift_are_kept,
            requests::kept_per_run_and_summarised_per_endpoint,
            requests::failures_grouped_by_class,
            secrets::kept_replaced_and_deleted,
            tokens::kept_replaced_and_listed,
            coordination::named_lease_is_exclusive_until_it_ends,
            coordination::concurrent_acquires_have_one_winner,
            coordination::rate_budget_allows_burst_then_spaces,
            coordination::concurrent_reservations_get_distinct_slots,
            coordination::alerts_are_kept_by_rule_and_subject,
            coordination::write_probe_leaves_nothing,
            export::exported_rows_import_verbatim,
            export::quarantine_exports_and_imports_by_id,
        );
        $crate::store_conformance!(@pairs $factory;
            copy::copy_store_copies_everything,
            copy::copy_store_refuses_a_filled_target_and_resumes_its_own,
        );
    };
    (@pairs $factory:path; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (from, _from_guard) = $factory().await;
                let (to, _to_guard) = $factory().await;
                $crate::conformance::$module::$case(&*from, &*to).await;
            }
        )+
    };
    (@cases $factory:path; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $factory().await;
                $crate::conformance::$module::$case(&*store).await;
            }
        )+
    };
}

/// Emits one `#[tokio::test]` per job queue and webhook event case, each on
/// a fresh store from `$factory` (an `async fn() -> (Box<dyn Store>, Guard)`).
#[macro_export]
macro_rules! queue_conformance {
    ($factory:path) => {
        $crate::store_conformance!(@cases $factory;
            queue::enqueue_dedups_by_unique_key,
            queue::claim_order_is_priority_then_run_at,
            queue::future_jobs_wait_for_run_at,
            queue::finish_sets_state_error_and_result,
            queue::finish_many_is_finish_for_each,
            queue::requeue_one_and_all_dead,
            queue::stats_count_and_oldest,
            queue::prune_deletes_old_done_jobs,
            queue::jobs_listed_newest_first,
            queue::rejections_are_counted,
            lease::expired_lease_is_reclaimed,
            lease::extended_lease_holds_the_job,
            lease::dead_workers_claims_are_released,
            events::out_of_order_versions_end_on_newest,
            events::equal_version_is_stale,
            events::delete_then_older_update_stays_deleted,
            events::delete_of_unknown_key_then_older_create_stays_deleted,
            events::newer_update_after_delete_resurrects,
            events::same_key_in_one_batch_applies_in_order,
            events::lost_lease_writes_nothing,
            events::unversioned_events_always_apply,
            events::sync_keeps_version_and_tombstone,
            events::sync_keeps_an_unversioned_webhook_tombstone,
            events::issue_13_versions_of_two_kinds_are_refused,
        );
    };
}

/// A fixed instant plus `secs` seconds: tests own the clock.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .unwrap_or_default()
}

/// A one-column-key table named `name`.
pub fn table(name: &str) -> TableSpec {
    TableSpec::new(name, vec!["id".to_owned()])
}

/// A record row with key `id` and JSON `raw`.
pub fn row(id: i64, raw: Value) -> RecordRow {
    RecordRow::new(vec![Value::from(id)], raw.to_string())
}

/// Commits `rows` as one page of `stream` with `state`.
pub async fn commit(
    store: &dyn Store,
    run: RunId,
    stream: &str,
    table: &TableSpec,
    rows: &[RecordRow],
    state: &StreamState,
    now: DateTime<Utc>,
) -> PageOutcome {
    store
        .commit_page(PageCommit {
            run,
            stream,
            table,
            records: rows,
            tombstones: &[],
            deletions: &[],
            quarantined: &[],
            requests: &[],
            resolved: &[],
            shape: None,
            drift: &[],
            state,
            now,
        })
        .await
        .expect("commit_page")
}
