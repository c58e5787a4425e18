//! Stage two: `RawFile` to `Spec`, collecting every problem with its position.
//! No I/O happens here; environment variables come in as an `Env`.

mod connections;
mod context;
mod error_rules;
mod for_each;
pub(crate) mod names;
mod paginate;
mod resilience;
mod run;
mod streams;
mod templates;
mod values;

pub(crate) use run::check;
