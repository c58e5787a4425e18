//! Alerts: rules (`alerts:` in the connector file) evaluated against what
//! the store knows ([`rules`]), the board of firing alerts kept in the store
//! ([`board`]), delivery of each transition to the `notify:` webhooks
//! ([`delivery`]), and the loop that does it all every few seconds in one
//! process per store ([`evaluation`]).

pub mod board;
pub mod delivery;
pub mod evaluation;
mod reconcile;
pub mod rules;

pub use board::{AlertState, Transition, step, transitions};
pub use delivery::deliver;
pub use evaluation::{AlertLoop, LEASE, NotifyError};
pub use rules::{Finding, evaluate};
