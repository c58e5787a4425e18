//! One operation → one stream, or the reason it is not one.

use serde_json::Value;

use super::OpenApiError;
use super::document::{Doc, child, invalid};
use super::names::{env_name, json_path, singular, snake};
use super::paginate::{self, Param, Response};
use super::schema::json_schema;
use super::shape::{Prop, Records, properties, scalar_type};
use crate::draft::{Field, Stream};

/// An operation of the document.
#[derive(Debug)]
pub(crate) struct Operation<'d> {
    /// `get`, `post`, … (lower case, as in the document).
    pub(crate) method: String,
    /// The path as written (`/repos/{owner}/{repo}/issues`).
    pub(crate) path: String,
    /// The operation's pointer.
    pub(crate) at: String,
    /// The operation object.
    pub(crate) op: &'d Value,
    /// Its path item (for parameters shared by its operations).
    pub(crate) item: &'d Value,
    /// The path item's pointer.
    pub(crate) item_at: String,
    /// `operationId`.
    pub(crate) id: Option<String>,
    /// `tags`.
    pub(crate) tags: Vec<String>,
}

/// A stream made from an operation, with what the import needs to know
/// about it beyond the [`Stream`].
#[derive(Debug)]
pub(crate) struct Candidate {
    /// The stream (its name not yet unique).
    pub(crate) stream: Stream,
    /// Environment variables it reads: name and why.
    pub(crate) envs: Vec<(String, String)>,
    /// Path parameters filled from the environment: parameter name → env
    /// name.
    pub(crate) path_envs: Vec<(String, String)>,
    /// The names of the records' top-level fields.
    pub(crate) fields: Vec<String>,
}

/// What became of one operation.
#[derive(Debug)]
pub(crate) enum Built {
    /// A stream.
    Stream(Box<Candidate>),
    /// Not a stream, and why.
    Skip(String),
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Operation<'_> {
    /// `GET /pets (listPets)`.
    pub(crate) fn label(&self) -> String {
        let mut out = format!("{} {}", self.method.to_ascii_uppercase(), self.path);
        if let Some(id) = &self.id {
            out.push_str(&format!(" ({id})"));
        }
        out
    }
}

/// Every operation under `paths`, in the document's (sorted) order.
pub(crate) fn collect(doc: &Doc) -> Result<Vec<Operation<'_>>, OpenApiError> {
    let mut out = Vec::new();
    let Some(paths) = doc.root.get("paths").and_then(Value::as_object) else {
        return Ok(out);
    };
    for (path, item) in paths {
        let (item, item_at) = doc.deref(item, &child("#/paths", path))?;
        let Some(item_map) = item.as_object() else {
            return Err(invalid(&item_at, "a path item must be a mapping"));
        };
        for method in METHODS {
            let Some(op) = item_map.get(*method) else {
                continue;
            };
            let at = child(&item_at, method);
            if !op.is_object() {
                return Err(invalid(&at, "an operation must be a mapping"));
            }
            out.push(Operation {
                method: (*method).to_owned(),
                path: path.clone(),
                id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                tags: op
                    .get("tags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect(),
                at,
                op,
                item,
                item_at: item_at.clone(),
            });
        }
    }
    Ok(out)
}

/// A parameter, references followed.
struct Parameter<'d> {
    name: String,
    location: String,
    required: bool,
    schema: Option<&'d Value>,
    description: String,
    at: String,
}

/// The operation's parameters: the path item's, overridden by the
/// operation's of the same name and location.
fn parameters<'d>(doc: &'d Doc, op: &Operation<'d>) -> Result<Vec<Parameter<'d>>, OpenApiError> {
    let mut out: Vec<Parameter<'d>> = Vec::new();
    for (owner, owner_at) in [(op.item, &op.item_at), (op.op, &op.at)] {
        let Some(list) = owner.get("parameters").and_then(Value::as_array) else {
            continue;
        };
        let base = child(owner_at, "parameters");
        for (i, p) in list.iter().enumerate() {
            let (p, at) = doc.deref(p, &child(&base, &i.to_string()))?;
            let text = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (name, location) = (text("name"), text("in"));
            if name.is_empty() || location.is_empty() {
                return Err(invalid(&at, "a parameter needs `name` and `in`"));
            }
            let schema = match p.get("schema") {
                Some(s) => Some(doc.deref(s, &child(&at, "schema"))?.0),
                None => None,
            };
            out.retain(|o| !(o.name == name && o.location == location));
            out.push(Parameter {
                required: p.get("required") == Some(&Value::Bool(true)) || location == "path",
                description: text("description"),
                schema,
                name,
                location,
                at,
            });
        }
    }
    Ok(out)
}

/// The stream for `GET` operation `op` of connection `conn`.
pub(crate) fn build(doc: &Doc, op: &Operation<'_>, conn: &str) -> Result<Built, OpenApiError> {
    let responses_at = child(&op.at, "responses");
    let Some(responses) = op.op.get("responses").and_then(Value::as_object) else {
        return Ok(Built::Skip("no `responses`".into()));
    };
    let Some(code) = success_code(responses.keys()) else {
        return Ok(Built::Skip("no 2xx response".into()));
    };
    let (response, response_at) = doc.deref(&responses[&code], &child(&responses_at, &code))?;
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok(Built::Skip(format!("the {code} response has no body")));
    };
    let Some(media) = json_media(content.keys()) else {
        let types: Vec<&str> = content.keys().map(String::as_str).collect();
        return Ok(Built::Skip(format!("not JSON ({})", types.join(", "))));
    };
    let media_at = child(&child(&response_at, "content"), &media);
    let Some(schema) = content[&media].get("schema") else {
        return Ok(Built::Skip(format!(
            "the {code} response ({media}) has no schema"
        )));
    };
    let schema_at = child(&media_at, "schema");
    let resource = resource(&op.path);
    let (records, records_note, items, member) =
        match super::shape::records(doc, schema, &schema_at, &resource, op.path.ends_with('}'))? {
            Records::NotList(why) => return Ok(Built::Skip(format!("not a list: {why}"))),
            Records::Bare { items } => (
                "$[*]".to_owned(),
                "the response is a list".to_owned(),
                items,
                None,
            ),
            Records::Wrapped {
                member,
                items,
                note,
            } => {
                let path = format!("{}[*]", json_path(std::slice::from_ref(&member)));
                let mut why = format!("the response object's list member `{member}`");
                if !note.is_empty() {
                    why.push_str(&format!(" ({note})"));
                }
                (path, why, items, Some(member))
            }
        };
    let params = parameters(doc, op)?;
    if let Some(p) = params.iter().find(|p| p.location == "cookie" && p.required) {
        return Ok(Built::Skip(format!("needs the cookie `{}`", p.name)));
    }
    if op
        .op
        .pointer("/requestBody/required")
        .is_some_and(|r| r == &Value::Bool(true))
    {
        return Ok(Built::Skip("a GET that needs a request body".into()));
    }
    let fields = properties(doc, items.0, &items.1)?;
    let (key, key_note) = primary_key(doc, &fields, &resource);
    let query: Vec<Param<'_>> = params
        .iter()
        .filter(|p| p.location == "query")
        .map(|p| Param {
            name: p.name.clone(),
            schema: p.schema,
            description: p.description.clone(),
        })
        .collect();
    let pagination = paginate::recognise(
        doc,
        &query,
        &Response {
            schema: (schema, schema_at.clone()),
            records: member,
            link: paginate::link_header(doc, response, &response_at)?,
            key: key.first().cloned(),
        },
    )?;
    let name = op
        .id
        .as_deref()
        .map(snake)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| path_name(&op.path));
    let label = op.label();
    let mut envs = Vec::new();
    let mut path_envs = Vec::new();
    let mut path = op.path.clone();
    // in the order of the path: a child's parent fills the last one
    for name in placeholders(&op.path) {
        let env = env_name(&name);
        path = path.replace(&format!("{{{name}}}"), &format!("{{{{ env.{env} }}}}"));
        let why = match params
            .iter()
            .find(|p| p.location == "path" && p.name == name)
        {
            Some(p) => param_why("path parameter", p, &label),
            None => format!(
                "path parameter `{name}` of {label}, which the document does not declare ({})",
                op.at
            ),
        };
        envs.push((env.clone(), why));
        path_envs.push((name, env));
    }
    let mut stream = Stream::new(name, conn, path);
    for p in &params {
        if !p.required || pagination.owned.contains(&p.name) || p.location == "path" {
            continue;
        }
        let default = p.schema.and_then(|s| s.get("default"));
        let value = match default {
            Some(d) if !d.is_null() => d.clone(),
            _ => {
                let env = env_name(&p.name);
                envs.push((
                    env.clone(),
                    param_why(&format!("required {} parameter", p.location), p, &label),
                ));
                Value::String(format!("{{{{ env.{env} }}}}"))
            }
        };
        let field = Field::new(p.name.clone(), value).noted(match default {
            Some(_) => "required; its default",
            None => "required; no default",
        });
        match p.location.as_str() {
            "query" => stream.params.push(field),
            "header"
                if !["accept", "content-type", "authorization"]
                    .contains(&p.name.to_ascii_lowercase().as_str()) =>
            {
                stream.headers.push(field)
            }
            _ => {}
        }
    }
    stream.params.extend(pagination.params);
    stream.paginate = pagination.paginate;
    stream.paginate_note = pagination.note;
    stream.records = records;
    stream.records_note = format!("{records_note} ({media}, {code})");
    stream.primary_key = key;
    stream.primary_key_note = key_note;
    let converted = json_schema(doc, items.0, &items.1)?;
    stream.schema = Some(converted.schema);
    stream.schema_note = schema_note(op, &items.1, &converted.cuts);
    stream.note = stream_note(op);
    Ok(Built::Stream(Box::new(Candidate {
        stream,
        envs,
        path_envs,
        fields: fields.into_iter().map(|p| p.name).collect(),
    })))
}

fn param_why(what: &str, p: &Parameter<'_>, label: &str) -> String {
    let first = p.description.lines().next().unwrap_or_default().trim();
    let mut why = format!("{what} `{}` of {label}", p.name);
    if !first.is_empty() {
        why.push_str(&format!(": {first}"));
    }
    why.push_str(&format!(" ({})", p.at));
    why
}

/// The `{name}`s of a path template, in order, each once.
fn placeholders(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + len];
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
        rest = &rest[open + len + 1..];
    }
    out
}

/// `200`, else the lowest other `2xx`, else `2XX`.
fn success_code<'k>(codes: impl Iterator<Item = &'k String>) -> Option<String> {
    let codes: Vec<&String> = codes.collect();
    if codes.iter().any(|c| *c == "200") {
        return Some("200".into());
    }
    let mut exact: Vec<&&String> = codes
        .iter()
        .filter(|c| c.len() == 3 && c.starts_with('2') && c.chars().all(|d| d.is_ascii_digit()))
        .collect();
    exact.sort();
    exact.first().map(|c| (**c).clone()).or_else(|| {
        codes
            .iter()
            .find(|c| c.eq_ignore_ascii_case("2xx"))
            .map(|c| (*c).clone())
    })
}

/// The JSON media type among `types`: `application/json` first, then any
/// `…+json`, then `*/*` (assumed JSON).
fn json_media<'k>(types: impl Iterator<Item = &'k String>) -> Option<String> {
    let types: Vec<&String> = types.collect();
    let essence = |t: &str| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let rank = |t: &str| match essence(t).as_str() {
        "application/json" => Some(0),
        e if e.ends_with("+json") || e == "text/json" => Some(1),
        "*/*" | "application/*" => Some(2),
        _ => None,
    };
    types
        .iter()
        .filter_map(|t| rank(t).map(|r| (r, *t)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, t)| t.clone())
}

/// The last literal segment of `path`, snake case (`issues`).
pub(crate) fn resource(path: &str) -> String {
    path.split('/')
        .rev()
        .find(|s| !s.is_empty() && !s.contains('{'))
        .map(snake)
        .unwrap_or_default()
}

/// A name from the literal segments of `path` (`/repos/{o}/{r}/issues` →
/// `repos_issues`).
fn path_name(path: &str) -> String {
    let parts: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty() && !s.contains('{'))
        .map(snake)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        "root".into()
    } else {
        parts.join("_")
    }
}

/// The key of the records, and why.
fn primary_key(doc: &Doc, fields: &[Prop<'_>], resource: &str) -> (Vec<String>, String) {
    if let Some(id) = fields.iter().find(|p| p.name == "id") {
        let note = if id.required {
            "the item schema's `id`"
        } else {
            "the item schema's `id` (not marked required: records without it are quarantined)"
        };
        return (vec!["id".into()], note.into());
    }
    let own = format!("{}_id", singular(resource));
    let scalar = |p: &&Prop<'_>| {
        p.required
            && scalar_type(doc, p.schema, &p.at)
                .is_some_and(|t| matches!(t.as_str(), "string" | "integer" | "number"))
    };
    let named = [
        own.as_str(),
        "uuid",
        "key",
        "number",
        "slug",
        "sha",
        "_id",
        "name",
    ];
    let found = named
        .iter()
        .find_map(|n| {
            fields
                .iter()
                .filter(scalar)
                .find(|p| snake(&p.name) == *n || p.name == *n)
        })
        .or_else(|| {
            let ids: Vec<&Prop<'_>> = fields
                .iter()
                .filter(scalar)
                .filter(|p| p.name.ends_with("_id") || p.name.ends_with("Id"))
                .collect();
            (ids.len() == 1).then(|| ids[0])
        });
    match found {
        Some(p) => (
            vec![p.name.clone()],
            format!(
                "no `id` in the item schema: `{}` is a required field that looks like a key; \
                 check that it is unique per record",
                p.name
            ),
        ),
        None => (
            vec!["id".into()],
            "NO KEY FOUND: the item schema has no `id` and no required field that looks like \
             a key; `id` is a placeholder so the file passes `holdfast check`: name the field (or \
             list of fields) that identifies a record, or every record is quarantined"
                .into(),
        ),
    }
}

fn stream_note(op: &Operation<'_>) -> String {
    let summary = op
        .op
        .get("summary")
        .and_then(Value::as_str)
        .map(|s| s.lines().next().unwrap_or_default().trim().to_owned())
        .unwrap_or_default();
    let mut note = op.label();
    if !summary.is_empty() {
        note.push_str(&format!(": {summary}"));
    }
    if op.op.get("deprecated") == Some(&Value::Bool(true)) {
        note.push_str("\nDEPRECATED in the document: it may go away");
    }
    if let Some(url) = op.op.pointer("/externalDocs/url").and_then(Value::as_str) {
        note.push_str(&format!("\n{url}"));
    }
    note
}

fn schema_note(
    op: &Operation<'_>,
    items_at: &str,
    cuts: &std::collections::BTreeSet<(String, bool)>,
) -> String {
    let from = match &op.id {
        Some(id) => format!("operationId {id}"),
        None => op.label(),
    };
    let mut note = format!(
        "from the response schema of {from} ({items_at}), references copied in, as JSON Schema 2020-12"
    );
    let recursive: Vec<&str> = cuts
        .iter()
        .filter(|(_, r)| *r)
        .map(|(p, _)| p.as_str())
        .collect();
    let deep: Vec<&str> = cuts
        .iter()
        .filter(|(_, r)| !*r)
        .map(|(p, _)| p.as_str())
        .collect();
    if !recursive.is_empty() {
        note.push_str(&format!(
            "\nrecursive, cut where they recur (checked by type only below): {}",
            recursive.join(", ")
        ));
    }
    if !deep.is_empty() {
        note.push_str(&format!(
            "\nnested {} references deep, cut (checked by type only below): {}",
            super::schema::MAX_REF_DEPTH,
            shorten_list(&deep, 6)
        ));
    }
    note
}

fn shorten_list(items: &[&str], max: usize) -> String {
    let mut out = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        out.push_str(&format!(" and {} more", items.len() - max));
    }
    out
}
