//! What can stop an import, each with where (a JSON pointer) and how to fix it.

use super::Skipped;

/// Why an OpenAPI document could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    /// The text is neither JSON nor YAML.
    #[error("the document is neither JSON nor YAML: {0}")]
    Syntax(String),
    /// A Swagger 2.0 document.
    #[error(
        "this is a Swagger 2.0 document (`swagger: \"{0}\"`); holdfast imports OpenAPI 3.0 and 3.1 \
         only: convert it first, e.g. `npx swagger2openapi FILE -o openapi.yaml`, or open it in \
         https://editor.swagger.io and use Edit → Convert to OpenAPI 3"
    )]
    Swagger2(String),
    /// No `openapi:` version at the top.
    #[error(
        "not an OpenAPI document: no `openapi` version at the top (expected e.g. \
         `openapi: 3.1.0`, with `info` and `paths`)"
    )]
    NotOpenApi,
    /// An `openapi:` version other than 3.0.x or 3.1.x.
    #[error("unsupported OpenAPI version `{0}`: holdfast imports 3.0.x and 3.1.x")]
    Version(String),
    /// A part of the document does not have the shape OpenAPI requires.
    #[error("{at}: {message}")]
    Invalid {
        /// The JSON pointer of the part (`#/paths/~1pets/get`).
        at: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A `$ref` that points to nothing.
    #[error(
        "{at}: `$ref: {target}` points to nothing in this document; fix the reference or define \
         what it names"
    )]
    MissingRef {
        /// Where the `$ref` is.
        at: String,
        /// What it names.
        target: String,
    },
    /// A `$ref` to another file or URL.
    #[error(
        "{at}: `$ref: {target}` points outside this document; only local references \
         (`#/components/…`) are read: bundle the document into one file first, e.g. \
         `npx @redocly/cli bundle FILE -o bundled.yaml`"
    )]
    ExternalRef {
        /// Where the `$ref` is.
        at: String,
        /// What it names.
        target: String,
    },
    /// `$ref`s that lead back to themselves without anything in between.
    #[error("{at}: `$ref` cycle {chain}: each reference names the next and none holds a value")]
    RefCycle {
        /// Where the first `$ref` is.
        at: String,
        /// The references in order, back to the first.
        chain: String,
    },
    /// `--tag` names a tag no operation has.
    #[error("{}", unknown_tag(tag, near.as_deref(), known))]
    UnknownTag {
        /// The tag asked for.
        tag: String,
        /// The nearest existing tag, when it looks like a typo.
        near: Option<String>,
        /// Every tag the operations have, sorted.
        known: Vec<String>,
    },
    /// No operation became a stream.
    #[error("no list endpoint to import: {}", summary(skipped))]
    NoStreams {
        /// Every operation looked at, and why it was left out.
        skipped: Vec<Skipped>,
    },
}

fn unknown_tag(tag: &str, near: Option<&str>, known: &[String]) -> String {
    let mut out = format!("no operation has the tag `{tag}`");
    if let Some(near) = near {
        out.push_str(&format!("; did you mean `{near}`?"));
    }
    if known.is_empty() {
        out.push_str(" (this document tags no operation: leave out --tag)");
    } else {
        let list: Vec<String> = known.iter().map(|t| format!("`{t}`")).collect();
        out.push_str(&format!("; the tags are {}", list.join(", ")));
    }
    out
}

fn summary(skipped: &[Skipped]) -> String {
    if skipped.is_empty() {
        return "the document has no operations (`paths` is empty)".to_owned();
    }
    let shown: Vec<String> = skipped
        .iter()
        .take(5)
        .map(|s| format!("{}: {}", s.operation, s.reason))
        .collect();
    let more = skipped.len().saturating_sub(shown.len());
    let mut out = format!(
        "{} operation(s) looked at, none is a GET answering a JSON list ({}",
        skipped.len(),
        shown.join("; ")
    );
    if more > 0 {
        out.push_str(&format!("; and {more} more"));
    }
    out.push(')');
    out
}
