//! Selecting records and flags from a body with RFC 9535 JSONPath.

use holdfast_spec::Path;
use serde_json::Value;

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
pub fn count_records(body: &Value, path: &Path) -> usize {
    if let Some(pointer) = simple_array_pointer(&path.source) {
        return match body.pointer(&pointer) {
            Some(Value::Array(items)) => items.len(),
            Some(Value::Object(map)) => map.len(),
            _ => 0,
        };
    }
    path.path.query(body).all().len()
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
        assert_eq!(count_records(&body, &p("$.data.items[*]")), 2);
        assert_eq!(count_records(&body, &p("$..id")), 3);
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
}
