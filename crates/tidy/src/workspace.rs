//! The workspace as the checks see it: its members and their Rust files.

use std::path::{Path, PathBuf};

/// The workspace: its root folder and member crates.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder holding the workspace's `Cargo.toml`.
    pub root: PathBuf,
    /// Every crate under `crates/`, by folder name.
    pub members: Vec<Member>,
}

/// One member crate.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its package name (`holdfast-engine`).
    pub name: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Its parsed `Cargo.toml`.
    pub manifest: toml::Table,
}

/// The workspace could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkspaceError {
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be parsed.
    #[error("cannot parse {}: {message}", path.display())]
    Parse {
        /// The path.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

impl Workspace {
    /// The workspace whose root is `root` (the folder of the workspace's
    /// `Cargo.toml`); its members are the folders under `crates/` that hold
    /// a `Cargo.toml`.
    ///
    /// # Errors
    /// A folder or manifest that cannot be read or parsed.
    pub fn open(root: &Path) -> Result<Workspace, WorkspaceError> {
        let mut members = Vec::new();
        for dir in sorted_entries(&root.join("crates"))? {
            let path = dir.join("Cargo.toml");
            if !path.is_file() {
                continue;
            }
            let manifest = parse_toml(&path)?;
            let name = manifest
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .ok_or_else(|| WorkspaceError::Parse {
                    path: path.clone(),
                    message: "no `package.name`".to_owned(),
                })?
                .to_owned();
            members.push(Member {
                name,
                dir,
                manifest,
            });
        }
        Ok(Workspace {
            root: root.to_path_buf(),
            members,
        })
    }

    /// Every `.rs` file under `crates/` and `examples/` (build output and
    /// hidden folders skipped), sorted.
    ///
    /// # Errors
    /// A folder that cannot be read.
    pub fn rust_files(&self) -> Result<Vec<PathBuf>, WorkspaceError> {
        let mut files = Vec::new();
        for top in ["crates", "examples"] {
            collect_rs(&self.root.join(top), &mut files)?;
        }
        files.sort();
        Ok(files)
    }

    /// `path` relative to the workspace root, for messages.
    pub fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Reads `path` as text.
pub(crate) fn read(path: &Path) -> Result<String, WorkspaceError> {
    std::fs::read_to_string(path).map_err(|source| WorkspaceError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_toml(path: &Path) -> Result<toml::Table, WorkspaceError> {
    read(path)?
        .parse::<toml::Table>()
        .map_err(|e| WorkspaceError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// The entries of `dir`, sorted; a missing folder has none.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, WorkspaceError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let read_err = |source| WorkspaceError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        entries.push(entry.map_err(read_err)?.path());
    }
    entries.sort();
    Ok(entries)
}

fn collect_rs(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), WorkspaceError> {
    for path in sorted_entries(dir)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rs(&path, files)?;
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(())
}
