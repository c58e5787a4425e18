//! An OpenAPI 3.0 or 3.1 document → a connector draft with one stream per
//! list endpoint: each `GET` whose success answer is a JSON list of
//! records, or an object holding one. Pagination, the records path, the
//! primary key, the auth and the base URL are recognised from the
//! document, and every guess is noted beside what it produced.
//!
//! ```
//! use holdfast_import::openapi::{import_openapi, OpenApiOptions};
//!
//! let doc = r#"
//! openapi: 3.1.0
//! info: { title: Pets, version: "1" }
//! servers: [ { url: "https://pets.example.com/v1" } ]
//! paths:
//!   /pets:
//!     get:
//!       operationId: listPets
//!       parameters: [ { name: page, in: query, schema: { type: integer } } ]
//!       responses:
//!         "200":
//!           description: the pets
//!           content:
//!             application/json:
//!               schema: { type: array, items: { type: object, properties: { id: { type: integer } } } }
//! "#;
//! let import = import_openapi(doc, &OpenApiOptions::default()).expect("imported");
//! let yaml = import.draft.to_yaml();
//! assert!(yaml.contains("list_pets:"));
//! assert!(yaml.contains("type: page"));
//! ```

mod auth;
mod children;
mod document;
mod error;
mod names;
mod operation;
mod paginate;
mod schema;
mod servers;
mod shape;

pub use error::OpenApiError;

use crate::draft::{Connection, Draft, Input};
use document::Doc;
use operation::{Built, Candidate, Operation};

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct OpenApiOptions {
    /// Only the operations with this tag (`--tag`).
    pub tag: Option<String>,
    /// The connection's name; default from the server's host
    /// (`api.github.com` → `github`), else from `info.title`.
    pub name: Option<String>,
}

/// The result: the draft to write and what was left out.
#[derive(Debug, Clone)]
pub struct OpenApiImport {
    /// The connector file to write ([`Draft::to_yaml`]).
    pub draft: Draft,
    /// Operations looked at that did not become streams, and why.
    pub skipped: Vec<Skipped>,
    /// Operations left out by `--tag` (not counted in `skipped`).
    pub other_tags: usize,
}

/// An operation that did not become a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// `GET /pets/{id} (showPetById)`.
    pub operation: String,
    /// Why not (`not a list: answers an object without a list of records in it`).
    pub reason: String,
}

/// Reads OpenAPI `text` (JSON or YAML, 3.0 or 3.1) and proposes a
/// connector: one connection, one stream per list endpoint.
///
/// # Errors
/// The text is not JSON/YAML, not OpenAPI 3.0/3.1 (Swagger 2.0 is refused
/// with how to convert it), a `$ref` is missing, external or cyclic (at
/// its JSON pointer), `options.tag` names no tag, or no operation is a
/// list endpoint.
pub fn import_openapi(text: &str, options: &OpenApiOptions) -> Result<OpenApiImport, OpenApiError> {
    let doc = Doc::parse(text)?;
    let all = operation::collect(&doc)?;
    let selected: Vec<&Operation<'_>> = match &options.tag {
        Some(tag) => select(&all, tag)?,
        None => all.iter().collect(),
    };
    let other_tags = all.len() - selected.len();
    let server = servers::first(&doc);
    let conn = servers::connection_name(options.name.as_deref(), &server, &doc);
    let mut skipped = Vec::new();
    let mut built: Vec<(&Operation<'_>, Candidate)> = Vec::new();
    for op in selected {
        if op.method != "get" {
            skipped.push(Skipped {
                operation: op.label(),
                reason: "not a GET: only reads are imported".into(),
            });
            continue;
        }
        match operation::build(&doc, op, &conn)? {
            Built::Stream(c) => built.push((op, *c)),
            Built::Skip(reason) => skipped.push(Skipped {
                operation: op.label(),
                reason,
            }),
        }
    }
    if built.is_empty() {
        return Err(OpenApiError::NoStreams { skipped });
    }
    let used = auth::Used {
        ops: built.iter().map(|(op, _)| op.op).collect(),
        answer_401: (all.iter().filter(|o| answers_401(o.op)).count(), all.len()),
    };
    let chosen = auth::choose(&doc, &used, &conn)?;
    let paths: Vec<String> = built.iter().map(|(op, _)| op.path.clone()).collect();
    let mut candidates: Vec<Candidate> = built.into_iter().map(|(_, c)| c).collect();
    let mut unique = names::Unique::default();
    for c in &mut candidates {
        c.stream.name = unique.claim(&names::identifier(&c.stream.name, "stream"));
    }
    children::link(&mut candidates, &paths);
    let (base_url, base_url_note, base_env) = servers::base_url(&server, &conn);
    let mut envs: Vec<Input> = base_env.into_iter().collect();
    envs.extend(merge_envs(&candidates));
    // parents before their children
    candidates.sort_by_key(|c| c.stream.for_each.is_some());
    let streams: Vec<_> = candidates.into_iter().map(|c| c.stream).collect();
    let header = header(&doc, options, &streams, &skipped, other_tags);
    let draft = Draft {
        header,
        connections: vec![Connection {
            name: conn,
            base_url,
            base_url_note,
            headers: chosen.headers,
            auth: chosen.auth,
            auth_note: chosen.note,
        }],
        streams,
        secrets: chosen.secrets,
        envs,
    };
    Ok(OpenApiImport {
        draft,
        skipped,
        other_tags,
    })
}

/// The operations tagged `tag`, or an error listing the tags there are.
fn select<'o, 'd>(
    all: &'o [Operation<'d>],
    tag: &str,
) -> Result<Vec<&'o Operation<'d>>, OpenApiError> {
    let selected: Vec<&Operation<'_>> = all
        .iter()
        .filter(|o| o.tags.iter().any(|t| t == tag))
        .collect();
    if !selected.is_empty() {
        return Ok(selected);
    }
    let mut known: Vec<String> = all.iter().flat_map(|o| o.tags.iter().cloned()).collect();
    known.sort();
    known.dedup();
    let near = known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&k.to_lowercase(), &tag.to_lowercase()),
                k,
            )
        })
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone());
    Err(OpenApiError::UnknownTag {
        tag: tag.to_owned(),
        near,
        known,
    })
}

fn answers_401(op: &serde_json::Value) -> bool {
    op.get("responses").is_some_and(|r| r.get("401").is_some())
}

/// One input per environment variable, saying where each is used.
fn merge_envs(candidates: &[Candidate]) -> Vec<Input> {
    let mut out: Vec<(String, String, usize)> = Vec::new();
    for c in candidates {
        for (name, why) in &c.envs {
            match out.iter_mut().find(|(n, _, _)| n == name) {
                Some(entry) => entry.2 += 1,
                None => out.push((name.clone(), why.clone(), 1)),
            }
        }
    }
    out.into_iter()
        .map(|(name, mut why, uses)| {
            if uses > 1 {
                why.push_str(&format!("; read by {uses} streams"));
            }
            Input { name, why }
        })
        .collect()
}

/// How many skipped operations each reason list names.
const NAMED_PER_REASON: usize = 3;

fn header(
    doc: &Doc,
    options: &OpenApiOptions,
    streams: &[crate::draft::Stream],
    skipped: &[Skipped],
    other_tags: usize,
) -> Vec<String> {
    let mut lines = vec![format!(
        "Imported by holdfast import openapi from {} {} (OpenAPI {}){}.",
        doc.title(),
        doc.api_version(),
        doc.version_text,
        options
            .tag
            .as_ref()
            .map(|t| format!(", the operations tagged `{t}`"))
            .unwrap_or_default()
    )];
    let children = streams.iter().filter(|s| s.for_each.is_some()).count();
    let mut made = format!("{} stream(s) from list endpoints", streams.len());
    if children > 0 {
        made.push_str(&format!(
            " ({children} of them child streams, one request chain per parent record)"
        ));
    }
    if other_tags > 0 {
        made.push_str(&format!(
            "; {other_tags} operation(s) with other tags left out"
        ));
    }
    lines.push(made + ".");
    if !skipped.is_empty() {
        lines.push(format!("{} operation(s) not imported:", skipped.len()));
        let mut groups: Vec<(String, Vec<&Skipped>)> = Vec::new();
        for s in skipped {
            let kind = reason_kind(&s.reason);
            match groups.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, list)) => list.push(s),
                None => groups.push((kind, vec![s])),
            }
        }
        groups.sort_by_key(|(_, list)| std::cmp::Reverse(list.len()));
        for (kind, list) in groups {
            lines.push(format!("  {} {kind}:", list.len()));
            for s in list.iter().take(NAMED_PER_REASON) {
                let detail = s.reason.get(kind.len()..).unwrap_or_default();
                let detail = detail
                    .trim_start_matches([':', ' ', '('])
                    .trim_end_matches(')');
                if detail.is_empty() {
                    lines.push(format!("    {}", s.operation));
                } else {
                    lines.push(format!("    {}: {detail}", s.operation));
                }
            }
            if list.len() > NAMED_PER_REASON {
                lines.push(format!("    … and {} more", list.len() - NAMED_PER_REASON));
            }
        }
    }
    lines.push(String::new());
    lines.push("Each `#` comment below says what was recognised or guessed, and from what.".into());
    lines.push("Review them, set the inputs below, then run `holdfast check`.".into());
    lines
}

/// The kind of a skip reason: its text before the first `:` or `(`.
fn reason_kind(reason: &str) -> String {
    reason
        .split([':', '('])
        .next()
        .unwrap_or(reason)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests;
