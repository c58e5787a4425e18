//! The connector file: read the YAML, check all of it, and hand the engine a
//! typed [`Spec`], or every problem found ([`SpecErrors`]) with file, line,
//! column, key path and a fix.
//!
//! Two stages: `raw` deserializes exactly what the user typed (unknown keys
//! are errors; a refused part is reported and left out), then `check`
//! resolves names, compiles JSONPaths, templates and JSON Schemas, parses
//! durations and checks `env.NAME` references (and `secret.NAME`, once the
//! secrets are given: [`Env::with_secrets`]), collecting every problem
//! instead of stopping at the first. The only I/O is reading files: the
//! connector file ([`load`]) and the JSON Schema files its streams name
//! (read between the two stages; never fetched remotely).
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::Path;
//! use holdfast_spec::{parse_str, Env};
//!
//! let yaml = r#"
//! connections:
//!   crm:
//!     base_url: "{{ env.CRM_URL }}"
//! streams:
//!   contacts:
//!     connection: crm
//!     request: { path: /v2/contacts, params: { since: "{{ cursor }}" } }
//!     paginate: { type: cursor, next: "$.meta.next_cursor", param: cursor }
//!     records: "$.data[*]"
//!     primary_key: id
//! "#;
//! let env = Env::from_map(BTreeMap::from([("CRM_URL".into(), "https://crm.test".into())]));
//! let spec = parse_str(yaml, Path::new("holdfast.yaml"), &env).expect("valid");
//! assert_eq!(spec.streams[0].into, "contacts");
//!
//! let errors = parse_str(yaml, Path::new("holdfast.yaml"), &Env::default()).unwrap_err();
//! assert!(errors.to_string().contains("environment variable `CRM_URL` is not set"));
//! ```
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod check;
mod env;
mod error;
pub mod model;
mod parse;
mod raw;
pub mod sandbox;
mod schema_files;
mod span;
mod suggest;

pub use env::Env;
pub use error::{Diagnostic, SpecErrors};
pub use model::*;

/// Reads the connector file at `path` and checks it (see [`parse_str`]).
///
/// # Errors
/// A [`SpecErrors`] with one diagnostic when the file cannot be read, else
/// as [`parse_str`].
pub fn load(path: &std::path::Path, env: &Env) -> Result<Spec, SpecErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let d = Diagnostic::new(format!("cannot read the connector file: {e}"), "")
            .with_help("check that the file exists and is readable (UTF-8 YAML)");
        SpecErrors::new(path, vec![d])
    })?;
    parse_str(&text, path, env)
}

/// Parses and checks connector-file `text`; `origin` is the file name shown
/// in messages and kept in [`Spec::origin`]; `env` answers `env.NAME`.
///
/// Schema files (`schema: schemas/contact.json`) are read from `origin`'s
/// folder; nothing else is read.
///
/// # Errors
/// Every problem found, sorted by position: unknown keys, values of the
/// wrong type and everything the checks find are reported together (a part
/// serde refuses is left out and the rest still checked). Only a YAML
/// syntax error stops before the other checks (one diagnostic). A schema
/// file that is missing or not JSON is a problem on its `schema` key.
pub fn parse_str(text: &str, origin: &std::path::Path, env: &Env) -> Result<Spec, SpecErrors> {
    let index = span::SpanIndex::build(text);
    let parse::Parsed {
        raw,
        diagnostics,
        explained,
    } = parse::parse(text, &index);
    let Some(raw) = raw else {
        return Err(SpecErrors::new(origin, diagnostics));
    };
    let schemas = schema_files::SchemaFiles::read(&raw, origin);
    check::check(&raw, diagnostics, &explained, &index, env, origin, &schemas)
        .map_err(|d| SpecErrors::new(origin, d))
}

/// Reads only the `store:` of the connector file at `path`, checked as a
/// template over `env` (`None` when the file names no store), ignoring
/// problems elsewhere in the file: for commands that need only the store.
///
/// # Errors
/// The file cannot be read or is not YAML, or `store:` is not a string or
/// not a valid template (an unset `env.NAME`, a `secret.NAME`).
pub fn load_store(path: &std::path::Path, env: &Env) -> Result<Option<Template>, SpecErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let d = Diagnostic::new(format!("cannot read the connector file: {e}"), "")
            .with_help("check that the file exists and is readable (UTF-8 YAML)");
        SpecErrors::new(path, vec![d])
    })?;
    check::store_only(&text, env).map_err(|d| SpecErrors::new(path, d))
}

/// The `NAME`s template `source` reads as `root.NAME`: `template_reads("{{
/// env.CRM_URL }}/v2", "env")` is `{"CRM_URL"}`. Names only, nothing is
/// rendered (none when the text does not compile as a template).
///
/// ```
/// let names = holdfast_spec::template_reads("{{ env.CRM_URL }}/v2?k={{ secret.key }}", "env");
/// assert_eq!(names.into_iter().collect::<Vec<_>>(), ["CRM_URL"]);
/// ```
pub fn template_reads(source: &str, root: &str) -> std::collections::BTreeSet<String> {
    check::attributes(source, root)
}

/// The name among `candidates` nearest to `found`, when it is close enough
/// to be a typo of it (a different case, or a few letters off).
pub fn nearest_name<'c>(
    found: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    suggest::did_you_mean(found, candidates)
}

/// "no stream `peple` in the connector file; did you mean `people`?": the
/// message for a stream name that is not among `streams`, naming the
/// nearest one when it is close enough to be a typo, else every stream.
pub fn no_such_stream<'s>(name: &str, streams: impl IntoIterator<Item = &'s str>) -> String {
    let streams: Vec<&str> = streams.into_iter().collect();
    match suggest::did_you_mean(name, streams.iter().copied()) {
        Some(near) => {
            format!("no stream `{name}` in the connector file; did you mean `{near}`?")
        }
        None if streams.is_empty() => {
            format!("no stream `{name}` in the connector file; it has no streams")
        }
        None => format!(
            "no stream `{name}` in the connector file; streams are: {}",
            streams.join(", ")
        ),
    }
}
