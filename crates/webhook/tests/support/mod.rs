//! Helpers shared by this crate's integration tests: `mod support;` in a test
//! file brings them in.

pub mod python;
