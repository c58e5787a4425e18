//! From response bodies to records: pagination, selection, keys, cursors,
//! the `map:` transformation layer ([`Mapper`]), and what a record must
//! satisfy before it is stored ([`RecordRules`]).
//!
//! These are pure functions over JSON values and headers; the engine does the
//! I/O. Every pagination strategy is a [`Position`] plus a rule for the next
//! one ([`Paginator::next`]); positions are serializable so a sync can resume
//! from the last committed page.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod cursor;
mod error;
mod key;
mod map;
mod paginate;
mod select;
pub mod shape;
pub mod validate;

pub use cursor::{cursor_max, cursor_minus, cursor_readable};
pub use error::{MapError, RecordsError, RulesError};
pub use key::primary_key;
pub use map::{FieldTrace, Mapper, Violation, coerce};
pub use paginate::{Link, LinkError, Paginator, Position, ResponseView, parse_links};
pub use select::{count_records, path_is_true, select_records};
pub use shape::{
    Drift, DriftKind, FieldShape, JsonType, Shape, StrFormat, infer_schema, page_capped,
};
pub use validate::{Checked, RecordRules, SharedRules, summarize};
