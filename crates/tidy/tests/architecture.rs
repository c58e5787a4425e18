//! The workspace's architecture rules (issue 15), checked on every
//! `cargo test --workspace`. Each test lists every violation it finds, so
//! one failing run shows all that is left to fix; `cargo test --workspace
//! --test architecture -- --nocapture` prints them even when they pass.

use std::path::Path;

use holdfast_tidy::{Violation, Workspace, layering, module_cycles, oversized_files};

/// The workspace root: two folders above this crate.
fn workspace() -> Workspace {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().expect("the workspace root exists");
    Workspace::open(&root).expect("the workspace reads")
}

/// Fails listing every violation, or prints that there are none.
#[track_caller]
fn assert_none(check: &str, found: Vec<Violation>) {
    if found.is_empty() {
        println!("{check}: no violations");
        return;
    }
    let list: Vec<String> = found.iter().map(|v| format!("- {v}")).collect();
    panic!(
        "{check}: {} violation(s):\n{}",
        found.len(),
        list.join("\n")
    );
}

#[test]
fn no_rust_file_is_over_600_lines() {
    let ws = workspace();
    assert_none("file size", oversized_files(&ws).expect("files read"));
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let ws = workspace();
    assert_none("import cycle", module_cycles(&ws).expect("sources parse"));
}

#[test]
fn crates_depend_on_each_other_only_downwards() {
    let ws = workspace();
    assert_none("crate layering", layering(&ws).expect("manifests read"));
}

#[test]
fn the_workspace_is_seen_whole() {
    let ws = workspace();
    let names: Vec<&str> = ws.members.iter().map(|m| m.name.as_str()).collect();
    for expected in [
        "holdfast",
        "holdfast-engine",
        "holdfast-spec",
        "holdfast-tidy",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not found in {names:?}"
        );
    }
    assert!(
        ws.rust_files().expect("files").len() > 100,
        "the walk finds the sources"
    );
}
