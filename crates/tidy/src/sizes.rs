//! No Rust file past [`MAX_LINES`]: a longer one mixes concerns and is split.

use crate::workspace::read;
use crate::{Violation, Workspace, WorkspaceError};

/// The most lines a Rust file may have (tests included).
pub const MAX_LINES: usize = 600;

/// Every `.rs` file under `crates/` and `examples/` longer than [`MAX_LINES`].
///
/// # Errors
/// A file that cannot be read.
pub fn oversized_files(workspace: &Workspace) -> Result<Vec<Violation>, WorkspaceError> {
    let mut found = Vec::new();
    for path in workspace.rust_files()? {
        let lines = read(&path)?.lines().count();
        if lines > MAX_LINES {
            found.push(Violation {
                check: "file size",
                message: format!(
                    "{} has {lines} lines (at most {MAX_LINES}): split it into modules by concern",
                    workspace.relative(&path)
                ),
            });
        }
    }
    Ok(found)
}
