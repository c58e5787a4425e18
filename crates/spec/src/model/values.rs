//! Building blocks shared by every part of the file: JSONPaths, templates, methods.

use serde_json_path::JsonPath;

/// A compiled RFC 9535 JSONPath with its source text.
#[derive(Debug, Clone)]
pub struct Path {
    /// As written in the file.
    pub source: String,
    /// Compiled.
    pub path: JsonPath,
}

impl Path {
    /// Compiles `source`.
    ///
    /// # Errors
    /// The parser's message when `source` is not a valid RFC 9535 JSONPath.
    pub fn parse(source: &str) -> Result<Self, String> {
        JsonPath::parse(source)
            .map(|path| Path {
                source: source.to_owned(),
                path,
            })
            .map_err(|e| e.to_string())
    }
}

/// A Jinja template that compiled at check time, kept as source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// As written in the file.
    pub source: String,
}

impl Template {
    /// Wraps template source text (compile it with `check` first).
    pub fn new(source: impl Into<String>) -> Self {
        Template {
            source: source.into(),
        }
    }

    /// True when the text has no template syntax and renders as itself.
    pub fn is_literal(&self) -> bool {
        !self.source.contains("{{") && !self.source.contains("{%")
    }
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// HTTP methods: streams use GET or POST, actions POST, PUT, PATCH or DELETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}
