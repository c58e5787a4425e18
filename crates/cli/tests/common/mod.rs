//! Shared helpers for the end-to-end tests: a sandbox (temp dir, connector
//! file, SQLite file) running the real `holdfast` binary, the mock API,
//! connector files, stream tables, what the store recorded (through its
//! API), and `holdfast serve` with signed webhooks.
#![allow(dead_code, unused_imports)]

mod connectors;
mod mock;
mod requests;
mod sandbox;
mod serve;
mod store;
mod tables;

/// The vendors' official signing libraries in a Python venv (shared with the
/// webhook crate's tests).
#[path = "../../../webhook/tests/support/python.rs"]
pub mod python;

pub use connectors::*;
pub use mock::*;
pub use requests::*;
pub use sandbox::*;
pub use serve::*;
pub use store::*;
pub use tables::*;
