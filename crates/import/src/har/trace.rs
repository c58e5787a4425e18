//! Where each value a request sends came from: an earlier answer's body
//! (JSONPath), a cookie it set, one of its headers, an HTML form field or
//! meta tag (CSS selector), text in its page (regex), or an earlier URL.
//! A value found nowhere is a user input or computed by the client.

use std::collections::{HashMap, HashSet};

use scraper::{Html, Selector};
use serde_json::Value;

use super::capture::{Body, Call};
pub use crate::path::{any_index, member};

/// Where in a request a value is sent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// A path segment (0-based).
    Path(usize),
    /// A query parameter.
    Query(String),
    /// A request header (lowercase), after any `Bearer `-style scheme.
    Header(String),
    /// A cookie.
    Cookie(String),
    /// A form field.
    Form(String),
    /// A JSON body member, by JSON Pointer.
    Json(String),
}

impl Place {
    /// How the report names it.
    pub fn describe(&self) -> String {
        match self {
            Place::Path(i) => format!("path segment {}", i + 1),
            Place::Query(n) => format!("query `{n}`"),
            Place::Header(n) => format!("header `{n}`"),
            Place::Cookie(n) => format!("cookie `{n}`"),
            Place::Form(n) => format!("form field `{n}`"),
            Place::Json(p) => format!("JSON body `{p}`"),
        }
    }

    /// A name for the value (the parameter, header, cookie or member name).
    pub fn name(&self) -> String {
        match self {
            Place::Path(i) => format!("segment_{}", i + 1),
            Place::Query(n) | Place::Header(n) | Place::Cookie(n) | Place::Form(n) => n.clone(),
            Place::Json(p) => p.rsplit('/').next().unwrap_or(p).to_owned(),
        }
    }
}

/// Where a value was found.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A member of an earlier JSON answer: the exact JSONPath.
    Body(String),
    /// A cookie the earlier answer set.
    SetCookie(String),
    /// A header of the earlier answer.
    Header(String),
    /// An HTML element of the earlier page: selector and attribute.
    Html {
        /// The CSS selector.
        selector: String,
        /// The attribute holding it.
        attr: String,
    },
    /// Text in the earlier page, found by a regex whose first group is it.
    Text(String),
    /// The earlier call's URL (a query parameter or path segment).
    Url(Place),
}

impl Source {
    /// How the report names it.
    pub fn describe(&self) -> String {
        match self {
            Source::Body(p) => format!("body {}", any_index(p)),
            Source::SetCookie(c) => format!("Set-Cookie {c}"),
            Source::Header(h) => format!("header {h}"),
            Source::Html { selector, attr } => format!("html {selector} @{attr}"),
            Source::Text(r) => format!("text /{r}/"),
            Source::Url(p) => format!("URL {}", p.describe()),
        }
    }
}

/// An earlier call a value came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The index (among the kept calls) of the call whose answer or URL holds it.
    pub call: usize,
    /// Where in it.
    pub source: Source,
}

/// A value a request sends, and where it came from.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The index of the sending call among the kept calls.
    pub call: usize,
    /// Where the request sends it.
    pub place: Place,
    /// The value, after any auth scheme (`Bearer `).
    pub value: String,
    /// The auth scheme before it, with its space (`Bearer `), or empty.
    pub prefix: String,
    /// The earlier call it came from; `None`: a user input or computed.
    pub origin: Option<Origin>,
}

/// Request headers every browser sends: never traced.
const BROWSER_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "accept-language",
    "connection",
    "content-length",
    "content-type",
    "origin",
    "referer",
    "cache-control",
    "pragma",
    "upgrade-insecure-requests",
    "dnt",
    "priority",
    "te",
    "if-none-match",
    "if-modified-since",
    "keep-alive",
    "purpose",
    "x-requested-with",
];

/// Every traceable value each call sends, with its origin.
///
/// Every value each answer (and URL) holds is indexed once, so tracing is a
/// lookup per sent value, not a search of every earlier answer: a capture of
/// thousands of calls imports in well under a second.
pub fn trace(calls: &[Call]) -> Vec<Sent> {
    let pages: Vec<Option<Html>> = calls
        .iter()
        .map(|c| {
            c.is_html()
                .then(|| c.text.as_deref().map(Html::parse_document))
                .flatten()
        })
        .collect();
    let sent: Vec<Vec<(Place, String, String)>> = calls.iter().map(sent_values).collect();
    let wanted: HashSet<&str> = sent.iter().flatten().map(|(_, _, v)| v.as_str()).collect();
    let index = Index::build(calls, &pages, &wanted);
    let mut out = Vec::new();
    for (i, values) in sent.iter().enumerate() {
        for (place, prefix, value) in values.iter().cloned() {
            let origin = if !worth_tracing(&place, &value) {
                None
            } else if matches!(place, Place::Path(_)) {
                index.id(&value, i)
            } else {
                index.any(&value, i).or_else(|| {
                    // Text in an earlier page (an inline script, say).
                    (0..i).rev().find_map(|j| {
                        let text = calls[j].text.as_deref().filter(|_| pages[j].is_some())?;
                        context_regex(text, &value).map(|re| Origin {
                            call: j,
                            source: Source::Text(re),
                        })
                    })
                })
            };
            out.push(Sent {
                call: i,
                place,
                value,
                prefix,
                origin,
            });
        }
    }
    out
}

/// Where each value occurs, per call, in capture order.
struct Index {
    by_value: HashMap<String, Vec<Found>>,
}

/// A value's best place in one call.
struct Found {
    call: usize,
    /// The preferred source (cookie, body, header, HTML, URL).
    source: Option<Source>,
    /// The first member named like an id holding it, and whether it is
    /// inside an array (a list's record).
    id_path: Option<(String, bool)>,
}

impl Index {
    /// Indexes the answers' values that some request sends (`wanted`): the
    /// rest can be no request's origin.
    fn build(calls: &[Call], pages: &[Option<Html>], wanted: &HashSet<&str>) -> Index {
        let mut by_value: HashMap<String, Vec<Found>> = HashMap::new();
        for (j, call) in calls.iter().enumerate() {
            let mut here: HashMap<String, Found> = HashMap::new();
            let mut add = |value: &str, source: Option<Source>, id_path: Option<(String, bool)>| {
                if !wanted.contains(value) {
                    return;
                }
                let found = here.entry(value.to_owned()).or_insert(Found {
                    call: j,
                    source: None,
                    id_path: None,
                });
                if found.source.is_none() {
                    found.source = source;
                }
                match (&found.id_path, id_path) {
                    (None, Some(p)) => found.id_path = Some(p),
                    (Some((_, false)), Some(p)) if p.1 => found.id_path = Some(p),
                    _ => {}
                }
            };
            for (name, value) in &call.set_cookies {
                add(value, Some(Source::SetCookie(name.clone())), None);
            }
            if let Some(json) = &call.json {
                json_leaves(
                    json,
                    "$".to_owned(),
                    None,
                    false,
                    &mut |path, key, in_list, value| {
                        let id = key
                            .filter(|k| is_id_name(k))
                            .map(|_| (path.clone(), in_list));
                        add(&value, Some(Source::Body(path)), id);
                    },
                );
            }
            for (name, value) in &call.response_headers {
                if !matches!(name.as_str(), "date" | "content-length") {
                    add(value, Some(Source::Header(name.clone())), None);
                }
            }
            if let Some(page) = &pages[j] {
                for (value, source) in html_values(page) {
                    add(&value, Some(source), None);
                }
            }
            for (k, v) in &call.query {
                add(v, Some(Source::Url(Place::Query(k.clone()))), None);
            }
            for (value, found) in here {
                by_value.entry(value).or_default().push(found);
            }
        }
        for list in by_value.values_mut() {
            list.sort_by_key(|f| f.call);
        }
        Index { by_value }
    }

    /// Occurrences of `value` in calls before `before`, nearest first.
    fn before(&self, value: &str, before: usize) -> impl Iterator<Item = &Found> {
        let list = self.by_value.get(value).map(Vec::as_slice).unwrap_or(&[]);
        let end = list.partition_point(|f| f.call < before);
        list[..end].iter().rev()
    }

    fn any(&self, value: &str, before: usize) -> Option<Origin> {
        self.before(value, before).find_map(|f| {
            f.source.clone().map(|source| Origin {
                call: f.call,
                source,
            })
        })
    }

    /// An id: from a list's records first, else any member named like an id.
    fn id(&self, value: &str, before: usize) -> Option<Origin> {
        let pick = |in_list_only: bool| {
            self.before(value, before).find_map(|f| {
                let (path, in_list) = f.id_path.clone()?;
                (in_list || !in_list_only).then_some(Origin {
                    call: f.call,
                    source: Source::Body(path),
                })
            })
        };
        pick(true).or_else(|| pick(false))
    }
}

/// Whether a header is one the browser adds on its own.
pub fn is_browser_header(name: &str) -> bool {
    BROWSER_HEADERS.contains(&name) || name.starts_with("sec-")
}

fn sent_values(call: &Call) -> Vec<(Place, String, String)> {
    let mut out = Vec::new();
    for (i, seg) in call.segments().into_iter().enumerate() {
        let value = percent_encoding::percent_decode_str(&seg)
            .decode_utf8_lossy()
            .into_owned();
        out.push((Place::Path(i), String::new(), value));
    }
    for (k, v) in &call.query {
        out.push((Place::Query(k.clone()), String::new(), v.clone()));
    }
    for (k, v) in &call.headers {
        if is_browser_header(k) {
            continue;
        }
        let (prefix, value) = split_scheme(v);
        out.push((Place::Header(k.clone()), prefix, value));
    }
    for (k, v) in &call.cookies {
        out.push((Place::Cookie(k.clone()), String::new(), v.clone()));
    }
    match &call.body {
        Body::Form(fields) => {
            for (k, v) in fields {
                out.push((Place::Form(k.clone()), String::new(), v.clone()));
            }
        }
        Body::Json(v) => leaves(v, String::new(), &mut |pointer, value| {
            out.push((Place::Json(pointer), String::new(), value));
        }),
        Body::None | Body::Text(_) => {}
    }
    out
}

/// `Bearer abc` → (`Bearer `, `abc`).
fn split_scheme(value: &str) -> (String, String) {
    for scheme in ["Bearer ", "bearer ", "Token ", "token ", "JWT "] {
        if let Some(rest) = value.strip_prefix(scheme) {
            return (scheme.to_owned(), rest.trim().to_owned());
        }
    }
    (String::new(), value.to_owned())
}

fn leaves(value: &Value, pointer: String, f: &mut dyn FnMut(String, String)) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let escaped = k.replace('~', "~0").replace('/', "~1");
                leaves(v, format!("{pointer}/{escaped}"), f);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{pointer}/{i}"), f);
            }
        }
        Value::String(s) => f(pointer, s.clone()),
        Value::Number(n) => f(pointer, n.to_string()),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Short or common values would be found everywhere: only ids in paths,
/// and values of four characters or more elsewhere, are traced.
fn worth_tracing(place: &Place, value: &str) -> bool {
    match place {
        Place::Path(_) => super::template::is_id_like(value),
        _ => value.chars().count() >= 4 && !matches!(value, "true" | "false" | "null"),
    }
}

/// What [`json_leaves`] calls per leaf: its JSONPath, the member name
/// holding it, whether it is inside an array, and its text.
type OnLeaf<'f> = dyn FnMut(String, Option<&str>, bool, String) + 'f;

/// Every scalar leaf of a JSON answer, in document order.
fn json_leaves(value: &Value, path: String, key: Option<&str>, in_list: bool, f: &mut OnLeaf<'_>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                json_leaves(v, format!("{path}{}", member(k)), Some(k), in_list, f);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                json_leaves(v, format!("{path}[{i}]"), key, true, f);
            }
        }
        Value::String(s) => f(path, key, in_list, s.clone()),
        Value::Number(n) => f(path, key, in_list, n.to_string()),
        Value::Bool(_) | Value::Null => {}
    }
}

fn is_id_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n.ends_with("id") || n == "uuid" || n == "key" || n == "slug"
}

/// The values of a page's named form fields and meta tags, by selector.
fn html_values(page: &Html) -> Vec<(String, Source)> {
    let candidates = [
        ("input[name]", "name", "value", "input"),
        ("meta[name]", "name", "content", "meta"),
        ("meta[property]", "property", "content", "meta"),
    ];
    let mut out = Vec::new();
    for (query, key, attr, tag) in candidates {
        let Ok(selector) = Selector::parse(query) else {
            continue;
        };
        for el in page.select(&selector) {
            if let (Some(value), Some(name)) = (el.value().attr(attr), el.value().attr(key)) {
                out.push((
                    value.to_owned(),
                    Source::Html {
                        selector: format!("{tag}[{key}=\"{}\"]", name.replace('"', "\\\"")),
                        attr: attr.to_owned(),
                    },
                ));
            }
        }
    }
    out
}

/// A regex that finds `value` in `text` by the characters before it:
/// `token = "([^"]+)"`-like, or `None` when the context is not unique.
fn context_regex(text: &str, value: &str) -> Option<String> {
    let at = text.find(value)?;
    let before: String = text[..at]
        .chars()
        .rev()
        .take(24)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let before = before
        .rsplit(['\n', ';', ',', '{', '>'])
        .next()
        .unwrap_or("")
        .to_owned();
    if before.trim().len() < 3 {
        return None;
    }
    let terminator = text[at + value.len()..].chars().next();
    let class = match terminator {
        Some(c @ ('"' | '\'' | '<' | '&' | ' ')) => {
            format!("[^{}]+", regex::escape(&c.to_string()))
        }
        _ => "[A-Za-z0-9._~+/=-]+".to_owned(),
    };
    let pattern = format!("{}({class})", regex::escape(&before));
    let re = regex::Regex::new(&pattern).ok()?;
    let found = re.captures(text)?.get(1)?.as_str();
    (found == value).then_some(pattern)
}
