//! Building a [`Shape`]: one cheap pass per record, no record cloned.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::path::{push_item, push_key};
use super::{FieldShape, JsonType, Shape, StrFormat};

/// How many levels below the record are walked: a value at this depth is recorded, its
/// members and items are not.
pub const MAX_DEPTH: usize = 6;
/// How many items of each array are inspected (the first ones).
pub const MAX_ITEMS: usize = 20;

/// Strings in examples are cut to this many characters (`…` appended).
const EXAMPLE_CHARS: usize = 80;
/// Objects in examples keep this many members, arrays this many items.
const EXAMPLE_ENTRIES: usize = 8;

impl Shape {
    /// Adds one record to the shape.
    ///
    /// Walks at most [`MAX_DEPTH`] levels and the first [`MAX_ITEMS`] items of each array;
    /// allocates only for paths not seen before and for the example of a type new to a path.
    pub fn observe(&mut self, record: &Value) {
        self.records += 1;
        let mut path = String::new();
        walk(&mut self.fields, &mut path, record, 0);
    }

    /// Adds everything `other` saw, as if its records had been observed here too (examples
    /// aside: see [`FieldShape::merge`]).
    pub fn merge(&mut self, other: &Shape) {
        self.records += other.records;
        for (path, field) in &other.fields {
            match self.fields.get_mut(path) {
                Some(mine) => mine.merge(field),
                None => {
                    self.fields.insert(path.clone(), field.clone());
                }
            }
        }
    }
}

impl FieldShape {
    /// Adds what `other` saw at the same path. The example is taken from `other` when `other`
    /// brings a type not seen here (or there is none yet), so it tends to show the newest type.
    pub fn merge(&mut self, other: &FieldShape) {
        self.seen += other.seen;
        self.objects += other.objects;
        self.nullable |= other.nullable;
        let mut new_type = false;
        for t in &other.types {
            new_type |= self.types.insert(*t);
        }
        if new_type || self.example.is_none() {
            self.example = other.example.clone().or(self.example.take());
        }
        self.formats = match (self.formats.take(), &other.formats) {
            (None, theirs) => theirs.clone(),
            (mine, None) => mine,
            (Some(mut mine), Some(theirs)) => {
                mine.retain(|f| theirs.contains(f));
                Some(mine)
            }
        };
    }

    fn record(&mut self, value: &Value) {
        self.seen += 1;
        let Some(t) = JsonType::of(value) else {
            self.nullable = true;
            return;
        };
        if self.types.insert(t) {
            self.example = Some(summarise(value, 0));
        }
        match value {
            Value::Object(_) => self.objects += 1,
            Value::String(s) => match &mut self.formats {
                None => self.formats = Some(StrFormat::matching(s)),
                Some(set) if !set.is_empty() => set.retain(|f| f.matches(s)),
                Some(_) => {}
            },
            _ => {}
        }
    }
}

fn walk(fields: &mut BTreeMap<String, FieldShape>, path: &mut String, value: &Value, depth: usize) {
    match fields.get_mut(path.as_str()) {
        Some(field) => field.record(value),
        None => fields.entry(path.clone()).or_default().record(value),
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let len = path.len();
    match value {
        Value::Object(map) => {
            for (key, member) in map {
                push_key(path, key);
                walk(fields, path, member, depth + 1);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            push_item(path);
            for item in items.iter().take(MAX_ITEMS) {
                walk(fields, path, item, depth + 1);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

/// A short copy of `value` for examples: see [`FieldShape::example`].
pub(crate) fn summarise(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(s) => match s.char_indices().nth(EXAMPLE_CHARS) {
            Some((cut, _)) => Value::String(format!("{}…", &s[..cut])),
            None => value.clone(),
        },
        Value::Object(map) if depth >= 2 => Value::String(format!("{{… {} keys}}", map.len())),
        Value::Array(items) if depth >= 2 => Value::String(format!("[… {} items]", items.len())),
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .take(EXAMPLE_ENTRIES)
                .map(|(k, v)| (k.clone(), summarise(v, depth + 1)))
                .collect();
            if map.len() > EXAMPLE_ENTRIES {
                let more = map.len() - EXAMPLE_ENTRIES;
                out.insert("…".to_owned(), Value::String(format!("{more} more keys")));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(EXAMPLE_ENTRIES)
                .map(|v| summarise(v, depth + 1))
                .collect();
            if items.len() > EXAMPLE_ENTRIES {
                let more = items.len() - EXAMPLE_ENTRIES;
                out.push(Value::String(format!("… {more} more items")));
            }
            Value::Array(out)
        }
        _ => value.clone(),
    }
}
