//! Drifted shapes: the records of a JSON answer with one field turned into
//! an object and another removed, as an API that changed without notice.

use serde_json::Value;

/// `body` with its records drifted, or `None` when it holds no array of
/// objects (nothing to drift). The records are the longest array of objects
/// in the document; in each, the first text field that is not `id` becomes
/// `{"value": …}` and the second text field is removed.
pub(crate) fn drift(body: &[u8]) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(body).ok()?;
    let records = longest_object_array(&mut doc)?;
    for record in records.iter_mut() {
        let Some(map) = record.as_object_mut() else {
            continue;
        };
        let texts: Vec<String> = map
            .iter()
            .filter(|(k, v)| v.is_string() && k.as_str() != "id")
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(first) = texts.first()
            && let Some(v) = map.get_mut(first)
        {
            *v = serde_json::json!({ "value": v.take() });
        }
        if let Some(second) = texts.get(1) {
            map.remove(second);
        }
    }
    serde_json::to_vec(&doc).ok()
}

fn longest_object_array(doc: &mut Value) -> Option<&mut Vec<Value>> {
    fn length(v: &Value) -> usize {
        match v {
            Value::Array(items) if items.iter().any(Value::is_object) => items.len(),
            _ => 0,
        }
    }
    fn best(v: &Value) -> usize {
        match v {
            Value::Array(items) => items.iter().map(best).max().unwrap_or(0).max(length(v)),
            Value::Object(map) => map.values().map(best).max().unwrap_or(0),
            _ => 0,
        }
    }
    let target = best(doc);
    if target == 0 {
        return None;
    }
    fn find(v: &mut Value, target: usize) -> Option<&mut Vec<Value>> {
        if length(v) == target {
            return v.as_array_mut();
        }
        match v {
            Value::Array(items) => items.iter_mut().find_map(|i| find(i, target)),
            Value::Object(map) => map.values_mut().find_map(|i| find(i, target)),
            _ => None,
        }
    }
    find(doc, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_drift_and_the_envelope_stays() {
        let body =
            br#"{"meta": {"next": "x"}, "data": [{"id": "1", "email": "a@b", "name": "Ada"}]}"#;
        let out: Value = serde_json::from_slice(&drift(body).expect("drifted")).expect("json");
        assert_eq!(out["meta"]["next"], "x");
        assert_eq!(out["data"][0]["email"], serde_json::json!({"value": "a@b"}));
        assert!(out["data"][0].get("name").is_none());
        assert_eq!(out["data"][0]["id"], "1");
        assert!(drift(b"[1, 2]").is_none());
    }
}
