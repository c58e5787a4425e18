//! The JSON Schema files streams name (`schema: schemas/contact.json`),
//! read before `check` so that the checks themselves do no I/O. Paths are
//! relative to the connector file's folder; nothing is fetched remotely.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::raw::{RawFile, RawSchema};

/// Every schema file the connector file names, by the path as written.
#[derive(Debug, Default)]
pub(crate) struct SchemaFiles(BTreeMap<String, SchemaFile>);

/// One schema file: where it was looked for, and what was found.
#[derive(Debug, Clone)]
pub(crate) struct SchemaFile {
    /// The path as written, resolved against the connector file's folder.
    pub(crate) path: PathBuf,
    /// The JSON document, or why there is none.
    pub(crate) document: Result<serde_json::Value, FileProblem>,
}

/// Why a schema file gave no document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileProblem {
    /// Nothing at that path.
    NotFound,
    /// It could not be read (the I/O error's text).
    Unreadable(String),
    /// It is not one JSON document (the parser's message).
    NotJson(String),
}

impl SchemaFiles {
    /// Reads the schema file of every stream in `raw` (once per path);
    /// relative paths are taken from `origin`'s folder.
    pub(crate) fn read(raw: &RawFile, origin: &Path) -> Self {
        let folder = origin.parent().unwrap_or(Path::new(""));
        let mut files = BTreeMap::new();
        for (_, stream) in &raw.streams.0 {
            let Some(RawSchema::File(written)) = &stream.schema else {
                continue;
            };
            if written.trim().is_empty() || files.contains_key(written) {
                continue;
            }
            let path = folder.join(written);
            let document = read_json(&path);
            files.insert(written.clone(), SchemaFile { path, document });
        }
        SchemaFiles(files)
    }

    /// The file written as `written`, if it was read.
    pub(crate) fn get(&self, written: &str) -> Option<&SchemaFile> {
        self.0.get(written)
    }

    /// Files given directly (tests).
    #[cfg(test)]
    pub(crate) fn from_files(files: impl IntoIterator<Item = (String, SchemaFile)>) -> Self {
        SchemaFiles(files.into_iter().collect())
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, FileProblem> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => FileProblem::NotFound,
        _ => FileProblem::Unreadable(e.to_string()),
    })?;
    serde_json::from_str(&text).map_err(|e| FileProblem::NotJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::RawFile;

    fn raw(yaml: &str) -> RawFile {
        yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reads_relative_to_the_connector_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("schemas")).expect("mkdir");
        std::fs::write(dir.path().join("schemas/a.json"), r#"{"type":"object"}"#).expect("a");
        std::fs::write(dir.path().join("b.json"), "type: object").expect("b");
        let file = raw(
            "streams:\n  a: { schema: schemas/a.json }\n  b: { schema: b.json }\n  c: { schema: c.json }\n  d: { schema: { type: object } }\n",
        );
        let files = SchemaFiles::read(&file, &dir.path().join("holdfast.yaml"));
        let a = files.get("schemas/a.json").expect("a");
        assert_eq!(a.path, dir.path().join("schemas/a.json"));
        assert_eq!(a.document, Ok(serde_json::json!({"type": "object"})));
        assert!(matches!(
            files.get("b.json").map(|f| &f.document),
            Some(Err(FileProblem::NotJson(_)))
        ));
        assert!(matches!(
            files.get("c.json").map(|f| &f.document),
            Some(Err(FileProblem::NotFound))
        ));
        assert_eq!(files.0.len(), 3, "inline schemas are not files");
        let here = SchemaFiles::read(&file, Path::new("holdfast.yaml"));
        assert_eq!(
            here.get("c.json").map(|f| f.path.clone()),
            Some(PathBuf::from("c.json"))
        );
    }
}
