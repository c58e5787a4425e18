//! Drift: what changed between the last known shape of a stream and a new page's shape.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::path::{Seg, split_path};
use super::{FieldShape, JsonType, Shape};

/// A field is reported removed only when the new shape holds at least this many parent
/// objects (records, for a top-level field): a smaller page says too little.
pub const MIN_OBJECTS_FOR_REMOVAL: u64 = 5;

/// One change in the structure of records (or of pages).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Drift {
    /// What kind of change.
    pub kind: DriftKind,
    /// The field path (see [`Shape`]); `""` for the record itself or the page.
    pub path: String,
    /// What was known: a type list such as `string | null`, `absent`, or `asked N`.
    pub before: String,
    /// What is seen now, in the same terms.
    pub after: String,
    /// A short example of the new value (of the old one for a removal).
    pub example: Option<Value>,
}

/// The kinds of [`Drift`]. Serialized in `snake_case`.
///
/// There is no "became non-nullable": a page without `null`s at a path is too common to
/// mean anything, so it would only make noise.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DriftKind {
    /// A path never seen before (its children are not listed separately).
    FieldAdded,
    /// A member present in every known parent object is absent from every new one.
    FieldRemoved,
    /// A type not known at the path: `string → object`, `object → array`, …
    TypeChanged,
    /// `null` seen at a path that was never `null`.
    BecameNullable,
    /// The API returned fewer records than asked while saying more pages follow.
    PageSizeCapped,
    /// A `map:` path matched nothing (or only nulls) in every record read.
    MapEmpty,
}

impl DriftKind {
    /// The `snake_case` name, e.g. for a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FieldAdded => "field_added",
            Self::FieldRemoved => "field_removed",
            Self::TypeChanged => "type_changed",
            Self::BecameNullable => "became_nullable",
            Self::PageSizeCapped => "page_size_capped",
            Self::MapEmpty => "map_empty",
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Drift {
    /// The drift for a `map:` path (`path`, of `column`) that found no value
    /// in any of `records` records: before `column NAME`, after `nothing in N records`.
    pub fn map_empty(path: &str, column: &str, records: u64) -> Drift {
        Drift {
            kind: DriftKind::MapEmpty,
            path: path.to_owned(),
            before: format!("column `{column}`"),
            after: format!(
                "nothing in {records} record{}",
                if records == 1 { "" } else { "s" }
            ),
            example: None,
        }
    }

    /// The drift for a page-size cap found by [`page_capped`]: path `""`, before `asked N`,
    /// after `got M`.
    pub fn page_size_capped(asked: u64, got: u64) -> Drift {
        Drift {
            kind: DriftKind::PageSizeCapped,
            path: String::new(),
            before: format!("asked {asked}"),
            after: format!("got {got}"),
            example: None,
        }
    }
}

impl fmt::Display for Drift {
    /// One line, e.g. ``field `amount` changed type: string → object``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, before, after) = (&self.path, &self.before, &self.after);
        let subject = if what.is_empty() {
            "the record".to_owned()
        } else {
            format!("field `{what}`")
        };
        match self.kind {
            DriftKind::FieldAdded => write!(f, "{subject} added: {after}"),
            DriftKind::FieldRemoved => write!(f, "{subject} removed (was {before})"),
            DriftKind::TypeChanged => write!(f, "{subject} changed type: {before} → {after}"),
            DriftKind::BecameNullable => write!(f, "{subject} became nullable: {before} → {after}"),
            DriftKind::PageSizeCapped => write!(f, "page size capped: {before}, {after}"),
            DriftKind::MapEmpty => write!(f, "map path `{what}` ({before}) matched {after}"),
        }
    }
}

/// Whether the API now caps its page size: it returned fewer records than `asked` (`got`)
/// yet said another page follows (`had_next`). A short last page is not a cap.
pub fn page_capped(asked: u64, got: u64, had_next: bool) -> bool {
    had_next && got < asked
}

impl Shape {
    /// What changed from `known` (the stream's last known shape) to `self` (a new page's).
    ///
    /// Rules, in path order (a parent before its children):
    /// - **No baseline, no drift**: an empty `known` (0 records) gives nothing.
    /// - [`FieldAdded`](DriftKind::FieldAdded): a path present now, never present before
    ///   (only `null` counts as present). Paths under an added path are implied and omitted;
    ///   under a type change (`string → object`) they are listed.
    /// - [`TypeChanged`](DriftKind::TypeChanged): a non-null type now that was never seen at
    ///   the path, `integer` and `number` counting as one. `before`/`after` list the non-null
    ///   types. A path only ever seen as `null` has no known type, so its first type is not drift.
    /// - [`BecameNullable`](DriftKind::BecameNullable): `null` now, never before.
    /// - [`FieldRemoved`](DriftKind::FieldRemoved): an object member present in *every* known
    ///   parent object (`seen == parent.objects`) and in none of the new ones, when the new
    ///   shape has at least [`MIN_OBJECTS_FOR_REMOVAL`] parent objects, so optional fields and
    ///   small pages do not flap. Array items (`[]`) are never "removed" (arrays may be empty).
    ///
    /// Merge the page into the known shape afterwards so each change is reported once.
    pub fn drift_from(&self, known: &Shape) -> Vec<Drift> {
        if known.records == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut added: BTreeSet<&str> = BTreeSet::new();
        for (path, new) in self.fields.iter().filter(|(_, f)| f.seen > 0) {
            let Some(old) = known.fields.get(path).filter(|f| f.seen > 0) else {
                let under_added = split_path(path).is_some_and(|(p, _)| added.contains(p));
                added.insert(path);
                if !under_added {
                    out.push(drift(
                        DriftKind::FieldAdded,
                        path,
                        "absent".into(),
                        new.describe(),
                        new,
                    ));
                }
                continue;
            };
            let known_types: BTreeSet<JsonType> = old.types.iter().map(|t| t.widened()).collect();
            let changed = !old.types.is_empty()
                && new
                    .types
                    .iter()
                    .any(|t| !known_types.contains(&t.widened()));
            if changed {
                let (before, after) = (old.describe_types(), new.describe_types());
                out.push(drift(DriftKind::TypeChanged, path, before, after, new));
            }
            if new.nullable && !old.nullable {
                let before = old.describe_types();
                let after = format!("{before} | null");
                out.push(drift(DriftKind::BecameNullable, path, before, after, new));
            }
        }
        for (path, old) in &known.fields {
            if self.fields.get(path).is_some_and(|f| f.seen > 0) {
                continue;
            }
            let Some((parent, Seg::Key(_))) = split_path(path) else {
                continue;
            };
            let objects = |s: &Shape| s.fields.get(parent).map_or(0, |f| f.objects);
            let known_parents = objects(known);
            if known_parents > 0
                && old.seen == known_parents
                && objects(self) >= MIN_OBJECTS_FOR_REMOVAL
            {
                let before = old.describe();
                out.push(drift(
                    DriftKind::FieldRemoved,
                    path,
                    before,
                    "absent".into(),
                    old,
                ));
            }
        }
        out.sort_by(|a, b| (&a.path, a.kind).cmp(&(&b.path, b.kind)));
        out
    }
}

fn drift(kind: DriftKind, path: &str, before: String, after: String, field: &FieldShape) -> Drift {
    Drift {
        kind,
        path: path.to_owned(),
        before,
        after,
        example: field.example.clone(),
    }
}
