//! Small hand-written documents through [`import_openapi`]; each draft is
//! also read back by holdfast's own connector-file checks.

mod auth;
mod errors;
mod paginate;
mod records;

use std::collections::BTreeMap;
use std::path::Path;

use super::{OpenApiError, OpenApiImport, OpenApiOptions, import_openapi};
use crate::draft::Stream;

/// A 3.0 document around `paths` (YAML, indented under `paths:`), with
/// `extra` appended at the top level (components, security…).
fn doc30(paths: &str, extra: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{ title: Pet Store, version: 1.2.0 }}\nservers: [ {{ url: \"https://api.pets.example.com/v1\" }} ]\npaths:\n{}\n{extra}",
        indent(paths)
    )
}

/// The same as a 3.1 document.
fn doc31(paths: &str, extra: &str) -> String {
    doc30(paths, extra).replacen("openapi: 3.0.3", "openapi: 3.1.0", 1)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A `GET` operation at `path` with `params` (a YAML flow list) answering
/// `schema` (YAML flow), plus `more` lines inside the 200 response.
fn list_op(path: &str, id: &str, params: &str, schema: &str, more: &str) -> String {
    format!(
        "{path}:\n  get:\n    operationId: {id}\n    parameters: {params}\n    responses:\n      \"200\":\n        description: ok\n        content:\n          application/json:\n            schema: {schema}\n{more}"
    )
}

/// `{type: array, items: {…pet…}}`.
const PETS: &str = "{ type: array, items: { type: object, required: [id], properties: { id: { type: integer }, name: { type: string } } } }";

fn import(text: &str) -> OpenApiImport {
    import_with(text, &OpenApiOptions::default())
}

fn import_with(text: &str, options: &OpenApiOptions) -> OpenApiImport {
    let import = import_openapi(text, options).unwrap_or_else(|e| panic!("{e}\n{text}"));
    holdfast_checks(&import);
    import
}

fn error(text: &str) -> OpenApiError {
    error_with(text, &OpenApiOptions::default())
}

fn error_with(text: &str, options: &OpenApiOptions) -> OpenApiError {
    match import_openapi(text, options) {
        Ok(import) => panic!("imported:\n{}", import.draft.to_yaml()),
        Err(e) => e,
    }
}

/// The draft's file passes `holdfast check` (the parse and every check),
/// with each input it lists set.
fn holdfast_checks(import: &OpenApiImport) {
    let yaml = import.draft.to_yaml();
    let vars: BTreeMap<String, String> = import
        .draft
        .envs
        .iter()
        .map(|e| {
            let value = if e.name.ends_with("_URL") {
                "https://api.example.com"
            } else {
                "x"
            };
            (e.name.clone(), value.to_owned())
        })
        .collect();
    let secrets = import
        .draft
        .secrets
        .iter()
        .map(|s| (s.name.clone(), "s".to_owned()))
        .collect();
    let env = holdfast_spec::Env::from_map(vars).with_secrets(secrets);
    if let Err(e) = holdfast_spec::parse_str(&yaml, Path::new("imported.yaml"), &env) {
        panic!("{e}\n{yaml}");
    }
}

fn only(import: &OpenApiImport) -> &Stream {
    assert_eq!(import.draft.streams.len(), 1, "{}", import.draft.to_yaml());
    &import.draft.streams[0]
}
