//! The document as JSON, its version, and local `$ref`s.
//!
//! Why no OpenAPI crate: `openapiv3` models 3.0 only and `oas3` 3.1 only
//! (its docs warn that 3.0 documents may not parse), and their typed
//! schemas would have to be turned back into JSON anyway to write JSON
//! Schema. So the document is read once as a [`serde_json::Value`] (YAML
//! through `yaml_serde`), which reads both versions and every vendor
//! extension, and the few parts the importer needs are looked up by JSON
//! pointer. References are followed here, locally only, with cycles and
//! dangling targets reported at the pointer of the `$ref`.

use serde_json::Value;

use super::OpenApiError;

/// The OpenAPI version family: the schema dialects differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// 3.0.x: schemas are an extended subset of JSON Schema draft 4
    /// (`nullable`, boolean `exclusiveMinimum`, `$ref` siblings ignored).
    V30,
    /// 3.1.x: schemas are JSON Schema 2020-12.
    V31,
}

/// A parsed OpenAPI document.
#[derive(Debug)]
pub(crate) struct Doc {
    /// The whole document.
    pub(crate) root: Value,
    /// 3.0 or 3.1.
    pub(crate) version: Version,
    /// `openapi:` as written.
    pub(crate) version_text: String,
}

/// How many `$ref`s one lookup follows before calling it a cycle.
const MAX_CHAIN: usize = 64;

impl Doc {
    /// Reads JSON or YAML `text` and checks that it is OpenAPI 3.0 or 3.1.
    pub(crate) fn parse(text: &str) -> Result<Doc, OpenApiError> {
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        let root: Value = if trimmed.starts_with('{') {
            serde_json::from_str(trimmed).map_err(|e| OpenApiError::Syntax(format!("JSON: {e}")))?
        } else {
            yaml_serde::from_str(trimmed).map_err(|e| OpenApiError::Syntax(format!("YAML: {e}")))?
        };
        if !root.is_object() {
            return Err(OpenApiError::NotOpenApi);
        }
        if let Some(swagger) = root.get("swagger") {
            return Err(OpenApiError::Swagger2(scalar_text(swagger)));
        }
        let version_text = match root.get("openapi") {
            Some(v) => scalar_text(v),
            None => return Err(OpenApiError::NotOpenApi),
        };
        let version = if version_text.starts_with("3.0") {
            Version::V30
        } else if version_text.starts_with("3.1") {
            Version::V31
        } else {
            return Err(OpenApiError::Version(version_text));
        };
        if root.get("paths").is_some_and(|p| !p.is_object()) {
            return Err(invalid(
                "#/paths",
                "`paths` must be a mapping of path to path item",
            ));
        }
        Ok(Doc {
            root,
            version,
            version_text,
        })
    }

    /// The value at a local reference (`#/components/schemas/Pet`).
    pub(crate) fn target(&self, at: &str, reference: &str) -> Result<&Value, OpenApiError> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(OpenApiError::ExternalRef {
                at: at.to_owned(),
                target: reference.to_owned(),
            });
        };
        let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
        self.root
            .pointer(&decoded)
            .ok_or_else(|| OpenApiError::MissingRef {
                at: at.to_owned(),
                target: reference.to_owned(),
            })
    }

    /// `node` with its `$ref` chain followed, and the pointer of what it
    /// lands on (`at` itself when `node` is no reference). Siblings of a
    /// `$ref` are not kept: schemas, where 3.1 keeps them, are read by
    /// [`super::schema`].
    pub(crate) fn deref<'d>(
        &'d self,
        node: &'d Value,
        at: &str,
    ) -> Result<(&'d Value, String), OpenApiError> {
        let mut node = node;
        let mut here = at.to_owned();
        let mut chain: Vec<String> = Vec::new();
        while let Some(reference) = ref_of(node) {
            if chain.iter().any(|c| c == reference) || chain.len() >= MAX_CHAIN {
                chain.push(reference.to_owned());
                return Err(OpenApiError::RefCycle {
                    at: at.to_owned(),
                    chain: chain.join(" → "),
                });
            }
            node = self.target(&here, reference)?;
            chain.push(reference.to_owned());
            here = reference.to_owned();
        }
        Ok((node, here))
    }

    /// `info.title`, or "the API".
    pub(crate) fn title(&self) -> &str {
        self.root
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("the API")
    }

    /// `info.version`, or "".
    pub(crate) fn api_version(&self) -> String {
        self.root
            .pointer("/info/version")
            .map(scalar_text)
            .unwrap_or_default()
    }
}

/// The target of `node` when it is a `{"$ref": "…"}` mapping.
pub(crate) fn ref_of(node: &Value) -> Option<&str> {
    node.get("$ref").and_then(Value::as_str)
}

/// `base` + `/token`, the token escaped as RFC 6901 says.
pub(crate) fn child(base: &str, token: &str) -> String {
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// An [`OpenApiError::Invalid`] at `at`.
pub(crate) fn invalid(at: &str, message: impl Into<String>) -> OpenApiError {
    OpenApiError::Invalid {
        at: at.to_owned(),
        message: message.into(),
    }
}

/// A scalar as text (a YAML `openapi: 3.0` reads as a number).
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
