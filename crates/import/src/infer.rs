//! What records look like in sample answers: where the list is, which field
//! is the key, and a JSON Schema for them.

use std::collections::BTreeSet;

use holdfast_records::{Shape, infer_schema};
use serde_json::Value;

pub use crate::path::at;
use crate::path::member;

/// Where the records are in a set of answers of one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsAt {
    /// The `records:` JSONPath (`$[*]`, `$.data[*]`, or `$` for one object).
    pub path: String,
    /// How it was chosen.
    pub note: String,
    /// Whether each answer is one record (`$`).
    pub single: bool,
}

/// Names that usually hold the list in a wrapped answer.
const LIST_NAMES: &[&str] = &[
    "data", "items", "results", "records", "entries", "rows", "list", "values", "objects", "hits",
    "elements", "content", "nodes",
];

/// Finds the records in `bodies` (every answer of one endpoint): a
/// top-level array, the array of objects an object wraps (two levels deep at
/// most), or the object itself. `None`: no body is an object or array.
pub fn records_at(bodies: &[&Value]) -> Option<RecordsAt> {
    if bodies.is_empty() {
        return None;
    }
    if bodies.iter().all(|b| b.is_array()) {
        return Some(RecordsAt {
            path: "$[*]".into(),
            note: format!("every answer ({}) is a JSON array", bodies.len()),
            single: false,
        });
    }
    if !bodies.iter().all(|b| b.is_object()) {
        return None;
    }
    // Array members present as arrays in every answer, with objects in one.
    let mut candidates: Vec<(String, usize)> = Vec::new();
    let mut paths = BTreeSet::new();
    array_members(bodies[0], "$".into(), 0, &mut paths);
    for path in paths {
        let lists: Vec<Option<&Vec<Value>>> = bodies
            .iter()
            .map(|b| at(b, &path).and_then(Value::as_array))
            .collect();
        let all_lists = lists.iter().all(Option::is_some);
        let objects: usize = lists
            .iter()
            .flatten()
            .map(|l| l.iter().filter(|v| v.is_object()).count())
            .sum();
        if all_lists && (objects > 0 || is_list_name(&path)) {
            candidates.push((path, objects));
        }
    }
    candidates.sort_by(|a, b| {
        is_list_name(&b.0)
            .cmp(&is_list_name(&a.0))
            .then(b.1.cmp(&a.1))
            .then(a.0.len().cmp(&b.0.len()))
    });
    if let Some((path, objects)) = candidates.first() {
        let others: Vec<&str> = candidates[1..].iter().map(|(p, _)| p.as_str()).collect();
        let mut note = format!(
            "the array at {path} in every answer ({} answers, {objects} objects)",
            bodies.len()
        );
        if !others.is_empty() {
            note.push_str(&format!("; also arrays: {}", others.join(", ")));
        }
        return Some(RecordsAt {
            path: format!("{path}[*]"),
            note,
            single: false,
        });
    }
    Some(RecordsAt {
        path: "$".into(),
        note: "each answer is one object: one record per request".into(),
        single: true,
    })
}

/// The records of one body at `path` (`$`, `$[*]` or `$.a.b[*]`).
pub fn records_in<'a>(body: &'a Value, path: &str) -> Vec<&'a Value> {
    if path == "$" {
        return vec![body];
    }
    let inner = path.strip_suffix("[*]").unwrap_or(path);
    match at(body, inner) {
        Some(Value::Array(items)) => items.iter().filter(|v| v.is_object()).collect(),
        _ => Vec::new(),
    }
}

/// A primary key from the records: `id` when it is present and unique in
/// all of them, else the first unique `*id`/`uuid`/`key` field; with why.
pub fn primary_key(records: &[&Value]) -> (Vec<String>, String) {
    let n = records.len();
    if n == 0 {
        return (
            vec!["id".into()],
            "no records in the capture: `id` is a guess, check it".into(),
        );
    }
    let mut names: Vec<String> = Vec::new();
    for r in records {
        if let Some(m) = r.as_object() {
            for k in m.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    names.sort_by_key(|k| key_rank(k));
    for name in names.iter().filter(|k| key_rank(k) < 4) {
        let values: Vec<String> = records
            .iter()
            .filter_map(|r| r.get(name))
            .filter(|v| v.is_string() || v.is_number())
            .map(Value::to_string)
            .collect();
        let distinct: BTreeSet<&String> = values.iter().collect();
        if values.len() == n && distinct.len() == n {
            return (
                vec![name.clone()],
                format!("`{name}` is present and unique in all {n} records captured"),
            );
        }
    }
    (
        vec!["id".into()],
        format!(
            "no field is present and unique in all {n} records captured: `id` is a guess, set the real key"
        ),
    )
}

/// A JSON Schema (2020-12) inferred from the records.
pub fn schema(records: &[&Value], title: &str) -> Value {
    let mut shape = Shape::default();
    for r in records {
        shape.observe(r);
    }
    infer_schema(&shape, title)
}

fn key_rank(name: &str) -> u8 {
    let n = name.to_ascii_lowercase();
    if n == "id" {
        0
    } else if n == "uuid" || n == "key" || n == "_id" {
        1
    } else if n.ends_with("_id") || n.ends_with("id") {
        2
    } else if n == "slug" || n == "number" || n == "code" {
        3
    } else {
        9
    }
}

fn is_list_name(path: &str) -> bool {
    let last = path.rsplit(['.', '[']).next().unwrap_or("");
    LIST_NAMES.contains(&last.trim_matches(['\'', ']']))
}

fn array_members(value: &Value, path: String, depth: usize, out: &mut BTreeSet<String>) {
    let Some(m) = value.as_object() else {
        return;
    };
    for (k, v) in m {
        let child = format!("{path}{}", member(k));
        if v.is_array() {
            out.insert(child);
        } else if v.is_object() && depth < 1 {
            array_members(v, child, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_wrapped_list_and_its_key() {
        let a = json!({"data": [{"id": 1, "n": "a"}, {"id": 2}], "links": [{"rel": "self"}], "next_cursor": "c2"});
        let b = json!({"data": [{"id": 3}], "links": [], "next_cursor": null});
        let at = records_at(&[&a, &b]).expect("records");
        assert_eq!(at.path, "$.data[*]");
        assert!(at.note.contains("also arrays: $.links"), "{}", at.note);
        let records: Vec<&Value> = [&a, &b]
            .iter()
            .flat_map(|b| records_in(b, &at.path))
            .collect();
        assert_eq!(records.len(), 3);
        assert_eq!(primary_key(&records).0, vec!["id"]);
        assert_eq!(
            records_at(&[&json!([{"x": 1}])]).expect("array").path,
            "$[*]"
        );
        assert!(
            records_at(&[&json!({"id": 9, "name": "one"})])
                .expect("one")
                .single
        );
    }

    #[test]
    fn a_key_that_repeats_is_not_taken() {
        let records = [json!({"id": 1, "uuid": "a"}), json!({"id": 1, "uuid": "b"})];
        let refs: Vec<&Value> = records.iter().collect();
        assert_eq!(primary_key(&refs).0, vec!["uuid"]);
    }
}
