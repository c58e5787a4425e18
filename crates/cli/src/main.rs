//! `holdfast`: the command-line tool, with no custom source (see
//! [`holdfast_cli::Holdfast`] to build one with yours).
#![forbid(unsafe_code)]

use std::process::ExitCode;

/// Syncs allocate and free many small JSON values across threads; mimalloc
/// handles that far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    holdfast_cli::Holdfast::new().run()
}
