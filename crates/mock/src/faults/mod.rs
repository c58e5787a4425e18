//! Fault injection: which data requests go wrong ([`FaultProfile`]) and how ([`respond`]).

pub(crate) mod parse;
mod profile;
mod respond;

pub(crate) use profile::Fault;
pub use profile::FaultProfile;
pub(crate) use respond::{respond, too_many};
