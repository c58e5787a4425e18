//! A page's records turned into rows: checked against the stream's rules,
//! split into live rows, tombstones (`deleted_when:`) and quarantine.

use holdfast_records::Shape;
use holdfast_store::{QuarantinedRecord, RecordRow};
use serde_json::Value;

/// A page turned into rows, ready to commit.
pub(super) struct Prepared {
    pub(super) rows: Vec<RecordRow>,
    /// Records `deleted_when:` marks deleted: written as tombstones.
    pub(super) tombstones: Vec<RecordRow>,
    /// A tombstone endpoint's records (`deletes:`): their keys are marked deleted.
    pub(super) deletions: Vec<RecordRow>,
    pub(super) quarantined: Vec<QuarantinedRecord>,
    /// The shape of every record of the page, valid or not (drift is reported from it).
    pub(super) shape: Shape,
    /// The shape the known one grows by: every record, or under
    /// `contract: freeze` only the accepted ones (a rejected new field must
    /// stay new).
    /// `None`: the same as `shape` (nothing is rejected for being new).
    pub(super) accepted: Option<Shape>,
    /// The page was shorter than asked yet not the last: `(asked, got)`.
    pub(super) capped: Option<(u64, u64)>,
    /// Per mapped column: its path found a value in some record of the page.
    pub(super) matched: Vec<bool>,
    /// The last page of a stream without a parent: the run's last page.
    pub(super) last: bool,
}

/// Records to rows: checked against the stream's rules (key, schema,
/// contract, map) and written once as JSON; invalid records go to quarantine
/// with every violation. Every record also feeds the page's shape.
pub(super) fn prepare_rows(
    records: Vec<Value>,
    key: &[String],
    rules: &holdfast_records::RecordRules,
    known: Option<&Shape>,
) -> Prepared {
    let frozen = rules.contract == holdfast_spec::Contract::Freeze;
    let mut rows = Vec::with_capacity(records.len());
    let mut tombstones = Vec::new();
    let mut deletions = Vec::new();
    let mut quarantined = Vec::new();
    let mut matched = vec![false; rules.columns().len()];
    let mut shape = Shape::default();
    let mut accepted = Shape::default();
    for record in records {
        shape.observe(&record);
        let raw = serde_json::to_string(&record).unwrap_or_default();
        match rules.check_noting(&record, key, known, &mut matched) {
            Ok(checked) => {
                if frozen {
                    accepted.observe(&record);
                }
                let row = RecordRow {
                    key: checked.key,
                    raw,
                    values: checked.values,
                };
                match (rules.deletes_only, checked.deleted) {
                    (true, _) => deletions.push(row),
                    (false, true) => tombstones.push(row),
                    (false, false) => rows.push(row),
                }
            }
            Err(violations) => {
                let reason = holdfast_records::summarize(&violations);
                tracing::info!(%reason, "record quarantined");
                quarantined.push(QuarantinedRecord {
                    reason,
                    raw,
                    violations,
                });
            }
        }
    }
    Prepared {
        rows,
        tombstones,
        deletions,
        quarantined,
        shape,
        accepted: frozen.then_some(accepted),
        capped: None,
        matched,
        last: false,
    }
}
