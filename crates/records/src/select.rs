//! Selecting records and flags from a body with RFC 9535 JSONPath.

use holdfast_spec::Path;
use serde_json::Value;

use crate::RecordsError;

/// Takes the records `path` selects out of `body`.
///
/// The common shape `$.a.b[*]` (names, then a wildcard) moves the records out
/// of the body without copying; any other path clones the selected nodes.
pub fn select_records(mut body: Value, path: &Path) -> Vec<Value> {
    if let Some(pointer) = simple_array_pointer(&path.source) {
        return match body.pointer_mut(&pointer).map(Value::take) {
            Some(Value::Array(items)) => items,
            Some(Value::Object(map)) => map.into_iter().map(|(_, v)| v).collect(),
            _ => Vec::new(),
        };
    }
    path.path.query(&body).all().into_iter().cloned().collect()
}

/// How many records `path` selects in `body` (without copying them).
///
/// # Errors
/// [`RecordsError::NoRecords`] when what the path reads from is missing or
/// not a list (`$.data[*]` on `{"error": …}` or `{"data": "x"}`): the
/// answer is not a page of records, and calling it empty would hide that.
/// A `null` there is an empty page; a path whose container cannot be told
/// (`$..id`) is taken as it comes.
pub fn count_records(body: &Value, path: &Path) -> Result<usize, RecordsError> {
    if let Some(pointer) = simple_array_pointer(&path.source) {
        return match body.pointer(&pointer) {
            Some(Value::Array(items)) => Ok(items.len()),
            Some(Value::Object(map)) => Ok(map.len()),
            Some(Value::Null) => Ok(0),
            found => Err(no_records(body, path, &pointer, found)),
        };
    }
    let n = path.path.query(body).all().len();
    if n == 0
        && let Some(container) = container_path(&path.source)
        && let Ok(container) = Path::parse(&container)
        && container.path.query(body).all().is_empty()
    {
        return Err(RecordsError::NoRecords {
            path: path.source.clone(),
            found: format!("`{}` is not there ({})", container.source, outline(body)),
        });
    }
    Ok(n)
}

/// True when `path` selects a JSON `true` as its first node.
pub fn path_is_true(body: &Value, path: &Path) -> bool {
    matches!(path.path.query(body).first(), Some(Value::Bool(true)))
}

/// `$.data[*]` → `/data`; `$[*]` → `` (the root); None for anything fancier.
fn simple_array_pointer(source: &str) -> Option<String> {
    let inner = source.trim().strip_prefix('$')?.strip_suffix("[*]")?;
    let mut pointer = String::new();
    for part in inner.split('.').skip(1) {
        let ok = !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return None;
        }
        pointer.push('/');
        pointer.push_str(part);
    }
    // `$.data` splits into ["", "data"]; a leading segment other than "" means no dot.
    if !inner.is_empty() && !inner.starts_with('.') {
        return None;
    }
    Some(pointer)
}

/// The error for a simple path whose container at `pointer` is `found`.
fn no_records(body: &Value, path: &Path, pointer: &str, found: Option<&Value>) -> RecordsError {
    let at = if pointer.is_empty() {
        "the body".to_owned()
    } else {
        format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
    };
    let found = match found {
        Some(v) => format!("{at} is {}, not a list", kind(v)),
        None => format!("{at} is not there ({})", outline(body)),
    };
    RecordsError::NoRecords {
        path: path.source.clone(),
        found,
    }
}

/// The body in a few words: its top-level keys, or its type.
fn outline(body: &Value) -> String {
    match body {
        Value::Object(map) if map.is_empty() => "the body is `{}`".to_owned(),
        Value::Object(map) => {
            let mut keys: Vec<String> = map.keys().take(8).map(|k| format!("`{k}`")).collect();
            if map.len() > 8 {
                keys.push(format!("and {} more", map.len() - 8));
            }
            format!("the body has {}", keys.join(", "))
        }
        other => format!("the body is {}", kind(other)),
    }
}

/// A JSON value's type, with a short excerpt of a scalar.
fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let cut: String = s.chars().take(60).collect();
            let more = if cut.len() < s.len() { "…" } else { "" };
            format!("the string {:?}{more}", cut)
        }
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// The path a records path selects its records from: `$.a.b[?@.x]` →
/// `$.a.b`, `$.a.*` → `$.a`. `None` when that cannot be told (a path
/// searching descendants, or with nothing before its last segment).
fn container_path(source: &str) -> Option<String> {
    let s = source.trim();
    if s.contains("..") {
        return None;
    }
    let cut = if let Some(rest) = s.strip_suffix(".*") {
        rest.len()
    } else if s.ends_with(']') {
        last_bracket(s)?
    } else {
        return None;
    };
    let container = &s[..cut];
    (container.len() > 1).then(|| container.to_owned())
}

/// Where the last top-level `[…]` of `s` (which ends with `]`) opens, with
/// quoted strings skipped.
fn last_bracket(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut last_open = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => {
                if depth == 0 {
                    last_open = Some(i);
                }
                depth += 1;
            }
            (None, ']') => depth = depth.checked_sub(1)?,
            _ => {}
        }
    }
    (depth == 0 && quote.is_none())
        .then_some(last_open)
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Path {
        Path::parse(s).expect("valid path")
    }

    #[test]
    fn fast_and_general_paths_agree() {
        let body = json!({"data": {"items": [{"id": 1}, {"id": 2}]}, "x": [{"id": 3}]});
        assert_eq!(
            simple_array_pointer("$.data.items[*]").as_deref(),
            Some("/data/items")
        );
        assert_eq!(simple_array_pointer("$[*]").as_deref(), Some(""));
        assert_eq!(simple_array_pointer("$..items[*]"), None);
        assert_eq!(simple_array_pointer("$['data'][*]"), None);
        let fast = select_records(body.clone(), &p("$.data.items[*]"));
        let general = select_records(body.clone(), &p("$.data.items[?@.id > 0]"));
        assert_eq!(fast, general);
        assert_eq!(fast, vec![json!({"id": 1}), json!({"id": 2})]);
        assert_eq!(count_records(&body, &p("$.data.items[*]")), Ok(2));
        assert_eq!(count_records(&body, &p("$..id")), Ok(3));
        assert_eq!(
            select_records(json!([1, 2]), &p("$[*]")),
            vec![json!(1), json!(2)]
        );
        assert!(select_records(json!({"data": null}), &p("$.data[*]")).is_empty());
        assert!(select_records(body, &p("$.missing[*]")).is_empty());
    }

    #[test]
    fn flags() {
        let body = json!({"meta": {"last": true, "more": "yes"}});
        assert!(path_is_true(&body, &p("$.meta.last")));
        assert!(!path_is_true(&body, &p("$.meta.more")));
        assert!(!path_is_true(&body, &p("$.meta.none")));
    }

    #[test]
    fn an_answer_without_its_list_is_not_an_empty_page() {
        let err = |body: Value, path: &str| match count_records(&body, &p(path)) {
            Err(RecordsError::NoRecords { found, .. }) => found,
            other => panic!("expected NoRecords for {path} on {body}, got {other:?}"),
        };
        // The list moved: the keys the body has are named.
        assert_eq!(
            err(json!({"items": [1], "total": 1}), "$.data[*]"),
            "`data` is not there (the body has `items`, `total`)"
        );
        assert_eq!(
            err(json!({"data": "rate limited"}), "$.data[*]"),
            "`data` is the string \"rate limited\", not a list"
        );
        assert_eq!(
            err(json!({"error": "x"}), "$.data.items[*]"),
            "`data.items` is not there (the body has `error`)"
        );
        assert_eq!(
            err(json!("nope"), "$[*]"),
            "the body is the string \"nope\", not a list"
        );
        // General paths: the container is looked up.
        assert_eq!(
            err(json!({"rows": []}), "$.data[?@.id > 0]"),
            "`$.data` is not there (the body has `rows`)"
        );
        // Empty lists, null and unknowable containers are empty pages.
        assert_eq!(count_records(&json!({"data": []}), &p("$.data[*]")), Ok(0));
        assert_eq!(
            count_records(&json!({"data": null}), &p("$.data[*]")),
            Ok(0)
        );
        assert_eq!(
            count_records(&json!({"data": []}), &p("$.data[?@.id > 0]")),
            Ok(0)
        );
        assert_eq!(count_records(&json!({"x": 1}), &p("$..id")), Ok(0));
        assert_eq!(container_path("$.a['b]'][*]").as_deref(), Some("$.a['b]']"));
        assert_eq!(container_path("$.a.*").as_deref(), Some("$.a"));
        assert_eq!(container_path("$[*]"), None);
    }
}
