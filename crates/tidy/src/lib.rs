//! Architecture checks of the holdfast workspace, run as tests by
//! `cargo test --workspace` (`tests/architecture.rs`):
//!
//! - [`oversized_files`]: no Rust file under `crates/` or `examples/` is
//!   longer than [`MAX_LINES`];
//! - [`module_cycles`]: inside each crate, the top-level modules do not
//!   import each other in a circle (`crate::a` → `crate::b` → `crate::a`);
//! - [`layering`]: the crates depend on each other only as [`RULES`] allow.
//!
//! Each check returns every violation it finds, so one run shows them all.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod cycles;
mod layering;
mod sizes;
mod workspace;

use std::fmt;

pub use cycles::module_cycles;
pub use layering::{RULES, Rule, Scope, layering};
pub use sizes::{MAX_LINES, oversized_files};
pub use workspace::{Member, Workspace, WorkspaceError};

/// One broken rule: which check found it, and a message naming the files or
/// crates involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The check (`file size`, `import cycle`, `crate layering`).
    pub check: &'static str,
    /// What is wrong and where, possibly over several lines.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.check, self.message)
    }
}

/// Every violation of every check, in check order.
///
/// # Errors
/// A manifest or source file that cannot be read or parsed.
pub fn all_violations(workspace: &Workspace) -> Result<Vec<Violation>, WorkspaceError> {
    let mut found = oversized_files(workspace)?;
    found.extend(module_cycles(workspace)?);
    found.extend(layering(workspace)?);
    Ok(found)
}
