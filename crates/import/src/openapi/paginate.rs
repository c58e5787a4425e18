//! Pagination recognised from an operation's query parameters, its
//! response's members and its response headers, with a note saying from
//! what.

use serde_json::Value;

use super::OpenApiError;
use super::document::{Doc, child};
use super::names::{json_path, snake};
use super::shape::{Kind, kind, properties};
use crate::draft::{Field, Paginate};

/// A query parameter of the operation, references followed.
#[derive(Debug, Clone)]
pub(crate) struct Param<'d> {
    /// The name sent.
    pub(crate) name: String,
    /// Its schema, if any.
    pub(crate) schema: Option<&'d Value>,
    /// Its description.
    pub(crate) description: String,
}

/// What the response offers pagination can read.
pub(crate) struct Response<'d> {
    /// The body schema and its pointer.
    pub(crate) schema: (&'d Value, String),
    /// The records member (`None`: the body is the list), not searched.
    pub(crate) records: Option<String>,
    /// The pointer of a declared `Link` header, if any.
    pub(crate) link: Option<String>,
    /// The primary key chosen (for `last_record`).
    pub(crate) key: Option<String>,
}

/// The pagination chosen.
#[derive(Debug)]
pub(crate) struct Pagination {
    /// `paginate:`.
    pub(crate) paginate: Paginate,
    /// Why.
    pub(crate) note: String,
    /// Query parameters to send on every request (the page size).
    pub(crate) params: Vec<Field>,
    /// Parameters pagination owns, never asked of the user.
    pub(crate) owned: Vec<String>,
}

const SIZE: &[&str] = &[
    "per_page",
    "page_size",
    "limit",
    "size",
    "count",
    "max_results",
    "top",
    "page_limit",
    "max_items",
    "results_per_page",
];
const PAGE: &[&str] = &["page", "page_number", "page_no", "page_num", "page_index"];
const OFFSET: &[&str] = &["offset", "skip", "start", "start_at", "start_index", "from"];
const CURSOR: &[&str] = &[
    "cursor",
    "after",
    "starting_after",
    "page_token",
    "next_token",
    "continuation_token",
    "continuation",
    "marker",
    "next_cursor",
    "page_cursor",
    "pagination_token",
    "next",
    "starting_token",
    "after_id",
    "since_id",
];
/// Response members holding the next page's token, best first.
const TOKEN: &[&str] = &[
    "next_cursor",
    "next_page_token",
    "next_token",
    "next_page_cursor",
    "end_cursor",
    "continuation_token",
    "next_marker",
    "next_page",
    "cursor",
    "after",
    "marker",
    "continuation",
    "pagination_token",
    "next",
];
/// Response members holding the next page's URL.
const NEXT_URL: &[&str] = &[
    "next",
    "next_url",
    "next_page_url",
    "next_link",
    "odata_next_link",
    "next_href",
    "next_page",
];
/// Boolean members saying there is more (for `last_record`).
const MORE: &[&str] = &["has_more", "more", "has_next", "has_next_page"];

/// The pagination of an operation with query `params` answering `response`.
pub(crate) fn recognise(
    doc: &Doc,
    params: &[Param<'_>],
    response: &Response<'_>,
) -> Result<Pagination, OpenApiError> {
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| params.iter().find(|p| snake(&p.name) == *n))
    };
    let (size, page, offset, cursor) = (find(SIZE), find(PAGE), find(OFFSET), find(CURSOR));
    let members = members(doc, response)?;
    let mut out = Pagination {
        paginate: Paginate::None,
        note: String::new(),
        params: Vec::new(),
        owned: [size, page, offset, cursor]
            .iter()
            .flatten()
            .map(|p| p.name.clone())
            .collect(),
    };
    let size_field = |out: &mut Pagination| -> String {
        let Some(size) = size else {
            return String::new();
        };
        let (n, why) = page_size(size);
        out.params
            .push(Field::new(size.name.clone(), n).noted(format!("the page size: {why}")));
        format!("; `{}: {n}` sets the page size", size.name)
    };
    if let Some(link) = &response.link {
        let sized = size_field(&mut out);
        out.paginate = Paginate::LinkHeader;
        out.note = format!(
            "the success response declares a `Link` header ({link}): RFC 8288 next links{sized}"
        );
        return Ok(out);
    }
    if let Some(m) = members.iter().find(|m| m.url) {
        let sized = size_field(&mut out);
        out.paginate = Paginate::NextUrl {
            next: json_path(&m.path),
        };
        out.note = format!(
            "the response member `{}` is the next page's URL ({}){sized}",
            m.path.join("."),
            m.why
        );
        return Ok(out);
    }
    if let Some(c) = cursor {
        let wanted = snake(&c.name);
        let token = TOKEN.iter().find_map(|t| {
            members.iter().find(|m| {
                m.token
                    && m.name == *t
                    && (t.starts_with("next") || *t == wanted || m.path.len() > 1)
            })
        });
        if let Some(m) = token {
            let sized = size_field(&mut out);
            out.paginate = Paginate::Cursor {
                next: json_path(&m.path),
                param: c.name.clone(),
            };
            out.note = format!(
                "the query parameter `{}` takes the response member `{}` of the page before{sized}",
                c.name,
                m.path.join(".")
            );
            return Ok(out);
        }
        let more = MORE
            .iter()
            .find_map(|t| members.iter().find(|m| m.boolean && m.name == *t));
        if let (Some(more), Some(key)) = (more, &response.key) {
            let sized = size_field(&mut out);
            out.paginate = Paginate::LastRecord {
                field: key.clone(),
                param: c.name.clone(),
                more: json_path(&more.path),
            };
            out.note = format!(
                "the query parameter `{}` takes the last record's `{key}` while `{}` is true{sized}",
                c.name,
                more.path.join(".")
            );
            return Ok(out);
        }
    }
    if let (Some(o), Some(size)) = (offset, size) {
        let (limit, why) = page_size(size);
        out.paginate = Paginate::Offset {
            param: o.name.clone(),
            limit_param: size.name.clone(),
            limit,
        };
        out.note = format!(
            "the query parameters `{}` and `{}` = {limit} ({why}); pages end at an empty one",
            o.name, size.name
        );
        return Ok(out);
    }
    if let Some(p) = page {
        let start = page_start(p);
        let sized = size.map(|s| (s.name.clone(), page_size(s)));
        out.note = match &sized {
            Some((name, (n, why))) => format!(
                "the query parameters `{}` (from {start}) and `{name}` = {n} ({why}); pages end at an empty one",
                p.name
            ),
            None => format!(
                "the query parameter `{}` (from {start}); pages end at an empty one",
                p.name
            ),
        };
        out.paginate = Paginate::Page {
            param: p.name.clone(),
            start,
            size: sized.map(|(name, (n, _))| (name, n)),
        };
        return Ok(out);
    }
    out.owned.clear();
    out.note = match cursor.or(offset) {
        Some(c) => format!(
            "NOT PAGINATED: `{}` looks like a page parameter, but the response names no next \
             cursor or URL: only the first page is read; set `paginate:` by hand",
            c.name
        ),
        None => "no page parameter, next link or `Link` header in the document: one request".into(),
    };
    Ok(out)
}

/// A member of the response body (objects searched 3 deep).
#[derive(Debug)]
struct Member {
    path: Vec<String>,
    /// Its name, snake case.
    name: String,
    /// A string or number that could be a token.
    token: bool,
    /// A string that is a URL, and why that is thought.
    url: bool,
    why: String,
    boolean: bool,
}

fn members(doc: &Doc, response: &Response<'_>) -> Result<Vec<Member>, OpenApiError> {
    let mut out = Vec::new();
    let (schema, at) = &response.schema;
    if !matches!(kind(doc, schema, at)?, Kind::Object) {
        return Ok(out);
    }
    let mut queue: Vec<(Vec<String>, &Value, String)> = vec![(Vec::new(), schema, at.clone())];
    while let Some((path, schema, at)) = (!queue.is_empty()).then(|| queue.remove(0)) {
        for p in properties(doc, schema, &at)? {
            if path.is_empty() && response.records.as_deref() == Some(p.name.as_str()) {
                continue;
            }
            let mut here = path.clone();
            here.push(p.name.clone());
            let name = snake(&p.name);
            let parent = path.last().map(|s| snake(s)).unwrap_or_default();
            let k = kind(doc, p.schema, &p.at)?;
            match k {
                Kind::Object if here.len() < 3 => queue.push((here, p.schema, p.at)),
                Kind::Scalar(t) if t == "boolean" => out.push(Member {
                    path: here,
                    name,
                    token: false,
                    url: false,
                    why: String::new(),
                    boolean: true,
                }),
                Kind::Scalar(_) | Kind::Unknown => {
                    let url_why = url_reason(p.schema, &name, &parent);
                    out.push(Member {
                        path: here,
                        token: !matches!(&k, Kind::Scalar(t) if t == "boolean"),
                        url: url_why.is_some(),
                        why: url_why.unwrap_or_default(),
                        name,
                        boolean: false,
                    });
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Why the member `name` (under `parent`) is a URL to the next page, if it is.
fn url_reason(schema: &Value, name: &str, parent: &str) -> Option<String> {
    let format = schema
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let named = NEXT_URL.contains(&name) || (name == "href" && parent == "next");
    if !named {
        return None;
    }
    if matches!(
        format,
        "uri" | "url" | "uri-reference" | "iri" | "iri-reference"
    ) {
        return Some(format!("`format: {format}`"));
    }
    if name.contains("url") || name.contains("link") || name.contains("href") {
        return Some("by its name".into());
    }
    if matches!(parent, "links" | "_links" | "link") {
        return Some(format!("under `{parent}`"));
    }
    let example = schema
        .get("example")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if example.starts_with("http") || example.starts_with('/') {
        return Some(format!("its example is `{example}`"));
    }
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let lower = description.to_ascii_lowercase();
    (lower.contains("url") || lower.contains("link"))
        .then(|| "its description says URL/link".into())
}

/// The page size to ask for, and why.
fn page_size(p: &Param<'_>) -> (u64, String) {
    let schema = p.schema.unwrap_or(&Value::Null);
    let number = |key: &str| schema.get(key).and_then(Value::as_u64);
    if let Some(max) = number("maximum").filter(|m| *m > 0) {
        return (
            max.min(1000),
            format!("the largest `{}` allows, maximum {max}", p.name),
        );
    }
    if let Some(max) = described_max(&p.description) {
        return (
            max,
            format!("the largest its description allows, max {max}"),
        );
    }
    if let Some(d) = number("default").filter(|d| *d > 0) {
        return (d, "its default; the document states no maximum".into());
    }
    (
        100,
        "a guess: the document states no maximum or default".into(),
    )
}

/// `(max 100)`, `maximum of 100`, `Maximum: 50`, `up to 200` in a description.
fn described_max(description: &str) -> Option<u64> {
    let lower = description.to_ascii_lowercase();
    for marker in ["maximum", "max", "up to"] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(marker) {
            rest = &rest[i + marker.len()..];
            let after = rest.trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, ':' | '=' | '(' | '.')
            });
            let after = after
                .strip_prefix("of")
                .or_else(|| after.strip_prefix("is"))
                .or_else(|| after.strip_prefix("value is"))
                .unwrap_or(after)
                .trim_start();
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<u64>()
                && n > 0
            {
                return Some(n);
            }
        }
    }
    None
}

/// The first page's number: 0 when the parameter says so, else 1.
fn page_start(p: &Param<'_>) -> u64 {
    let schema = p.schema.unwrap_or(&Value::Null);
    let zero = |key: &str| schema.get(key).and_then(Value::as_u64) == Some(0);
    if (zero("minimum") || zero("default"))
        && schema.get("default").and_then(Value::as_u64) != Some(1)
    {
        0
    } else {
        1
    }
}

/// The pointer of a `Link` header declared by response `response` (at
/// `at`), if any.
pub(crate) fn link_header(
    doc: &Doc,
    response: &Value,
    at: &str,
) -> Result<Option<String>, OpenApiError> {
    let Some(headers) = response.get("headers").and_then(Value::as_object) else {
        return Ok(None);
    };
    let base = child(at, "headers");
    for (name, header) in headers {
        if name.eq_ignore_ascii_case("link") {
            let (_, pointer) = doc.deref(header, &child(&base, name))?;
            return Ok(Some(pointer));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxima_in_descriptions() {
        assert_eq!(
            described_max("The number of results per page (max 100). For more"),
            Some(100)
        );
        assert_eq!(described_max("Maximum: 50"), Some(50));
        assert_eq!(described_max("A maximum of 200 items"), Some(200));
        assert_eq!(described_max("up to 25 per page"), Some(25));
        assert_eq!(described_max("The maximum value is 1000"), Some(1000));
        assert_eq!(described_max("no limit said"), None);
    }
}
