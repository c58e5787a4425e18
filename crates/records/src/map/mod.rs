//! The transformation layer: a stream's `map:` turns each raw record into
//! typed, stored columns, with every violation reported (for quarantine) and a
//! step-by-step trace (for `holdfast explain`).

mod coerce;
mod decimal;
mod mapper;
mod time;
pub(crate) mod transform;

#[cfg(test)]
mod tests;

pub use coerce::coerce;
pub use mapper::{FieldTrace, Mapper, Violation};
