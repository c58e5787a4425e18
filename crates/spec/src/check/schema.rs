//! What a stream accepts: its JSON Schema (read from a file before the
//! checks, or inline), `on_invalid` and `contract`.

use jsonschema::error::ValidationErrorKind;

use super::context::Ctx;
use super::json::to_json;
use super::names::suggestion;
use crate::model::{Contract, OnInvalid, Schema};
use crate::raw::RawSchema;
use crate::schema_files::{FileProblem, SchemaFiles};

/// `Schema::origin` of a schema written in the connector file.
const INLINE: &str = "inline";

/// Checks `schema:` of the stream at `path`: the file was read and is JSON,
/// or the inline mapping is JSON, and the document compiles as a JSON
/// Schema. `Some(None)` when there is none.
pub(crate) fn schema(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: Option<&RawSchema>,
    files: &SchemaFiles,
) -> Option<Option<Schema>> {
    let Some(raw) = raw else {
        return Some(None);
    };
    let at = format!("{path}.schema");
    let schema = match raw {
        RawSchema::File(written) => file(ctx, &at, written, files)?,
        RawSchema::Inline(value) => match to_json(value) {
            Ok(document) => Schema {
                origin: INLINE.to_owned(),
                path: None,
                document,
            },
            Err(e) => {
                ctx.error(
                    &at,
                    format!("the inline schema is not JSON: {e}"),
                    "write it with plain mappings, lists, strings, numbers and booleans",
                );
                return None;
            }
        },
    };
    compiles(ctx, &at, &schema).then_some(Some(schema))
}

/// `on_invalid:` `quarantine` (default) or `fail`.
pub(crate) fn on_invalid(ctx: &mut Ctx<'_>, path: &str, raw: Option<&String>) -> Option<OnInvalid> {
    let words = [
        ("quarantine", OnInvalid::Quarantine),
        ("fail", OnInvalid::Fail),
    ];
    word(ctx, &format!("{path}.on_invalid"), raw, &words)
}

/// `contract:` `evolve` (default) or `freeze`.
pub(crate) fn contract(ctx: &mut Ctx<'_>, path: &str, raw: Option<&String>) -> Option<Contract> {
    let words = [("evolve", Contract::Evolve), ("freeze", Contract::Freeze)];
    word(ctx, &format!("{path}.contract"), raw, &words)
}

fn file(ctx: &mut Ctx<'_>, at: &str, written: &str, files: &SchemaFiles) -> Option<Schema> {
    if written.trim().is_empty() {
        ctx.error(
            at,
            "empty `schema` path",
            "name a JSON file relative to the connector file, e.g. `schemas/contact.json`",
        );
        return None;
    }
    let Some(found) = files.get(written) else {
        ctx.error(
            at,
            format!("internal error: schema file `{written}` was not read"),
            "please report this with the connector file",
        );
        return None;
    };
    let shown = found.path.display();
    let (message, help) = match &found.document {
        Ok(document) => {
            return Some(Schema {
                origin: written.to_owned(),
                path: Some(found.path.clone()),
                document: document.clone(),
            });
        }
        Err(FileProblem::NotFound) => (
            format!("schema file `{shown}` not found"),
            "write the path relative to the connector file's folder, or the schema inline as a mapping",
        ),
        Err(FileProblem::Unreadable(e)) => (
            format!("cannot read schema file `{shown}`: {e}"),
            "check that it is a readable file",
        ),
        Err(FileProblem::NotJson(e)) => (
            format!("schema file `{shown}` is not JSON: {e}"),
            "a schema file holds one JSON document, e.g. `{ \"type\": \"object\" }`",
        ),
    };
    ctx.error(at, message, help);
    None
}

/// Reports a document that does not compile as a JSON Schema; an inline
/// schema's problem is placed at the key it is about.
fn compiles(ctx: &mut Ctx<'_>, at: &str, schema: &Schema) -> bool {
    let Err(e) = jsonschema::validator_for(&schema.document) else {
        return true;
    };
    let pointer = e.instance_path().to_string();
    let help = if matches!(e.kind(), ValidationErrorKind::Referencing(_)) {
        "a `$ref` must point inside the schema (`#/$defs/name`): remote schemas are never fetched, copy them under `$defs`"
    } else {
        "fix it to match its draft's meta-schema (2020-12 unless `$schema` names another)"
    };
    if schema.path.is_some() {
        let place = if pointer.is_empty() {
            String::new()
        } else {
            format!(" at `{pointer}`")
        };
        let message = format!("invalid JSON Schema `{}`{place}: {e}", schema.origin);
        ctx.error(at, message, help);
    } else {
        let key_path = key_path(at, &schema.document, &pointer);
        ctx.error(&key_path, format!("invalid JSON Schema: {e}"), help);
    }
    false
}

/// A JSON pointer into `document` (`/properties/id/type`) as a key path
/// under `at` (`….schema.properties.id.type`, `[i]` for list items).
fn key_path(at: &str, document: &serde_json::Value, pointer: &str) -> String {
    let mut out = at.to_owned();
    let mut node = Some(document);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        match node {
            Some(serde_json::Value::Array(items)) => {
                let i: Option<usize> = token.parse().ok();
                node = i.and_then(|i| items.get(i));
                out.push_str(&format!("[{token}]"));
            }
            Some(serde_json::Value::Object(map)) => {
                node = map.get(&token);
                out.push('.');
                out.push_str(&token);
            }
            _ => {
                node = None;
                out.push('.');
                out.push_str(&token);
            }
        }
    }
    out
}

fn word<T: Copy + Default>(
    ctx: &mut Ctx<'_>,
    at: &str,
    raw: Option<&String>,
    words: &[(&str, T)],
) -> Option<T> {
    let Some(found) = raw else {
        return Some(T::default());
    };
    if let Some((_, value)) = words.iter().find(|(w, _)| w == found) {
        return Some(*value);
    }
    let key = at.rsplit('.').next().unwrap_or(at);
    let list: Vec<String> = words.iter().map(|(w, _)| format!("`{w}`")).collect();
    let near = suggestion(found, words.iter().map(|(w, _)| *w));
    ctx.error(
        at,
        format!("unknown `{key}` value `{found}`"),
        format!("use {}{near}", list.join(" or ")),
    );
    None
}

#[cfg(test)]
mod tests;
