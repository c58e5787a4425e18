//! What a response schema looks like, read from the OpenAPI document as
//! written (references followed): a list or an object, its members, where
//! its records are.

use serde_json::Value;

use super::OpenApiError;
use super::document::{Doc, child};
use super::names::singular;

/// One member of an object schema (`allOf` parts merged).
#[derive(Debug, Clone)]
pub(crate) struct Prop<'d> {
    /// The member's name.
    pub(crate) name: String,
    /// Its schema, references followed.
    pub(crate) schema: &'d Value,
    /// The pointer of that schema.
    pub(crate) at: String,
    /// Listed under `required`.
    pub(crate) required: bool,
}

/// The rough kind of a schema.
#[derive(Debug, Clone)]
pub(crate) enum Kind<'d> {
    /// An array, with its items' schema and pointer.
    Array(&'d Value, String),
    /// An object (or a composition of objects).
    Object,
    /// A scalar type (`string`, `integer`, …).
    Scalar(String),
    /// Not said.
    Unknown,
}

/// Where a list response keeps its records.
#[derive(Debug)]
pub(crate) enum Records<'d> {
    /// The response is the list: `$[*]`.
    Bare {
        /// The items' schema and pointer.
        items: (&'d Value, String),
    },
    /// A member of the response object is the list: `$.<member>[*]`.
    Wrapped {
        /// The member.
        member: String,
        /// The items' schema and pointer.
        items: (&'d Value, String),
        /// Why that member, when there was a choice.
        note: String,
    },
    /// Not a list of records, and why.
    NotList(String),
}

/// The schema of items whose schema is not said.
static ANYTHING: Value = Value::Bool(true);

/// How deep `allOf` parts are merged.
const MAX_ALL_OF: usize = 8;

/// Names a wrapper's list member usually has, best first.
const LIST_MEMBERS: &[&str] = &[
    "data", "items", "results", "records", "values", "entries", "elements", "list",
];

/// The kind of `schema` (at `at`).
pub(crate) fn kind<'d>(
    doc: &'d Doc,
    schema: &'d Value,
    at: &str,
) -> Result<Kind<'d>, OpenApiError> {
    let (schema, at) = doc.deref(schema, at)?;
    let stated = match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    };
    Ok(match stated {
        Some("array") => match schema.get("items") {
            Some(items) => Array(items, child(&at, "items")),
            None => Kind::Array(&ANYTHING, at),
        },
        Some("object") => Kind::Object,
        Some(other) => Kind::Scalar(other.to_owned()),
        None if schema.get("items").is_some() => Array(&schema["items"], child(&at, "items")),
        None if ["properties", "allOf", "additionalProperties"]
            .iter()
            .any(|k| schema.get(*k).is_some()) =>
        {
            Kind::Object
        }
        None => Kind::Unknown,
    })
}

use Kind::Array;

/// The members of object `schema`, `allOf` parts merged (a later part's
/// member of the same name wins), references followed.
pub(crate) fn properties<'d>(
    doc: &'d Doc,
    schema: &'d Value,
    at: &str,
) -> Result<Vec<Prop<'d>>, OpenApiError> {
    let mut out = Vec::new();
    collect(doc, schema, at, 0, &mut out)?;
    Ok(out)
}

fn collect<'d>(
    doc: &'d Doc,
    schema: &'d Value,
    at: &str,
    depth: usize,
    out: &mut Vec<Prop<'d>>,
) -> Result<(), OpenApiError> {
    if depth > MAX_ALL_OF {
        return Ok(());
    }
    let (schema, at) = doc.deref(schema, at)?;
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let base = child(&at, "properties");
        for (name, prop) in props {
            let (prop, prop_at) = doc.deref(prop, &child(&base, name))?;
            out.retain(|p: &Prop<'_>| p.name != *name);
            out.push(Prop {
                name: name.clone(),
                schema: prop,
                at: prop_at,
                required: required.contains(&name.as_str()),
            });
        }
    }
    for name in &required {
        if let Some(p) = out.iter_mut().find(|p| p.name == *name) {
            p.required = true;
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let base = child(&at, "allOf");
        for (i, part) in parts.iter().enumerate() {
            collect(doc, part, &child(&base, &i.to_string()), depth + 1, out)?;
        }
    }
    Ok(())
}

/// Where the records of a response with `schema` are; `resource` is the
/// last literal segment of the path (`issues`), to choose among several
/// list members; `one` when the path ends with a parameter
/// (`/issues/{number}`: likely one record).
pub(crate) fn records<'d>(
    doc: &'d Doc,
    schema: &'d Value,
    at: &str,
    resource: &str,
    one: bool,
) -> Result<Records<'d>, OpenApiError> {
    match kind(doc, schema, at)? {
        Array(items, items_at) => Ok(match record_items(doc, items, &items_at)? {
            Ok(()) => Records::Bare {
                items: (items, items_at),
            },
            Err(what) => Records::NotList(format!("a list of {what}, not of records")),
        }),
        Kind::Scalar(t) => Ok(Records::NotList(format!("answers a {t}, not a list"))),
        Kind::Unknown => Ok(Records::NotList(
            "the response schema says neither array nor object".into(),
        )),
        Kind::Object => wrapped(doc, schema, at, resource, one),
    }
}

fn wrapped<'d>(
    doc: &'d Doc,
    schema: &'d Value,
    at: &str,
    resource: &str,
    one: bool,
) -> Result<Records<'d>, OpenApiError> {
    let mut lists: Vec<(String, &'d Value, String)> = Vec::new();
    let members = properties(doc, schema, at)?;
    let has_id = members.iter().any(|p| p.name == "id");
    let mut others = Vec::new();
    for p in members {
        if let Array(items, items_at) = kind(doc, p.schema, &p.at)?
            && record_items(doc, items, &items_at)?.is_ok()
        {
            lists.push((p.name, items, items_at));
        } else {
            others.push(p.name);
        }
    }
    let single = singular(resource);
    let rank = |name: &str| -> usize {
        let lower = name.to_ascii_lowercase();
        if let Some(i) = LIST_MEMBERS.iter().position(|m| *m == lower) {
            i
        } else if !resource.is_empty() && (lower == resource || lower == single) {
            LIST_MEMBERS.len()
        } else if !resource.is_empty() && (lower.ends_with(resource) || resource.ends_with(&lower))
        {
            LIST_MEMBERS.len() + 1
        } else {
            usize::MAX
        }
    };
    let count = lists.len();
    let best = lists
        .into_iter()
        .enumerate()
        .min_by_key(|(i, (name, _, _))| (rank(name), *i));
    let Some((_, (member, items, items_at))) = best else {
        return Ok(Records::NotList(
            "answers an object without a list of records in it".into(),
        ));
    };
    // `{data: […]}` is a list whatever else it holds; any other list member
    // only in what looks like an envelope (counts, links, cursors) and not
    // in one record (an `id`, or a path ending with its parameter)
    let strange: Vec<&String> = others.iter().filter(|o| !envelope(o)).collect();
    let listed = rank(&member) < LIST_MEMBERS.len()
        || (!has_id && !one && (rank(&member) != usize::MAX || strange.is_empty()));
    if !listed {
        let why = if has_id {
            "it has an `id`".to_owned()
        } else if one {
            "its path ends with a parameter".to_owned()
        } else {
            let shown: Vec<String> = strange.iter().take(3).map(|s| format!("`{s}`")).collect();
            format!("it has members like {}", shown.join(", "))
        };
        return Ok(Records::NotList(format!(
            "answers one object ({why}); its list `{member}` is part of it"
        )));
    }
    let note = match (count, rank(&member)) {
        (1, _) => String::new(),
        (n, usize::MAX) => format!(
            "a guess: the response has {n} lists of objects and none is named like \
             data/items/results or `{resource}`; this is the first"
        ),
        (n, _) => format!("the response has {n} lists of objects; this one by its name"),
    };
    Ok(Records::Wrapped {
        member,
        items: (items, items_at),
        note,
    })
}

/// Whether a member named `name` belongs to a list's envelope rather than
/// to a record: counts, links, cursors, page numbers.
fn envelope(name: &str) -> bool {
    const PARTS: &[&str] = &[
        "count",
        "total",
        "page",
        "next",
        "prev",
        "cursor",
        "more",
        "meta",
        "link",
        "paging",
        "pagination",
        "offset",
        "limit",
        "incomplete",
        "size",
        "token",
    ];
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "url" | "object" | "kind") || PARTS.iter().any(|p| lower.contains(p))
}

/// `Ok` when the items are records (objects, or not said), else what
/// they are (`strings`).
fn record_items(doc: &Doc, items: &Value, at: &str) -> Result<Result<(), String>, OpenApiError> {
    Ok(match kind(doc, items, at)? {
        Kind::Object | Kind::Unknown => Ok(()),
        Kind::Array(..) => Err("lists".into()),
        Kind::Scalar(t) => Err(format!("{t}s")),
    })
}

/// The scalar type `schema` states, if one (`string`, `integer`, …).
pub(crate) fn scalar_type(doc: &Doc, schema: &Value, at: &str) -> Option<String> {
    match kind(doc, schema, at) {
        Ok(Kind::Scalar(t)) => Some(t),
        _ => None,
    }
}
