//! The [`Mapper`]: a stream's `map:` compiled once, applied to every record.
//!
//! Per field, in order: take the value (JSONPath or expression), apply the
//! transforms, look it up in `values`, fall back to `default` (or flag a
//! missing `required` value), then coerce it to the column's kind.

use std::cell::OnceCell;
use std::collections::HashSet;

use holdfast_spec::{FieldMap, FieldSource, Transform};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::coerce::{coerce, describe, text};
use super::transform::{Expressions, builtin, parse_json, to_jinja};
use crate::MapError;

/// One problem with one record: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// An RFC 6901 JSON pointer into the raw record (`/amount/value`), or
    /// `/` + column for a computed column.
    pub pointer: String,
    /// What is wrong, lowercase: "expected an integer, found \"abc\"".
    pub message: String,
}

/// How one column of one record was computed, for `holdfast explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTrace {
    /// The column name.
    pub column: String,
    /// Where the value came from: `$.amount.value` or `expr: …`.
    pub source: String,
    /// The value as taken (`None`: the path matched nothing, or the expression failed).
    pub raw: Option<Value>,
    /// The value after transforms, `values` and `default`, before coercion
    /// (`None`: a step before coercion failed).
    pub transformed: Option<Value>,
    /// The stored value, or why there is none.
    pub stored: Result<Value, String>,
    /// How the value is coerced: "decimal (thousands ',')", "timestamp from %d/%m/%Y".
    pub coercion: String,
}

/// A stream's `map:`, compiled once (expressions included); `Send + Sync`.
#[derive(Debug)]
pub struct Mapper {
    fields: Vec<FieldMap>,
    columns: Vec<String>,
    expressions: Expressions,
}

/// What a field's steps produced for one record.
struct Outcome {
    pointer: String,
    raw: Option<Value>,
    transformed: Option<Value>,
    stored: Result<Value, String>,
}

impl Mapper {
    /// Compiles `fields` (their expressions) in order.
    ///
    /// # Errors
    /// An expression that does not compile, or a column that appears twice
    /// (the message names the column).
    pub fn new(fields: &[FieldMap]) -> Result<Mapper, MapError> {
        let mut expressions = Expressions::new();
        let mut seen = HashSet::new();
        for (i, field) in fields.iter().enumerate() {
            let column = &field.column;
            if !seen.insert(column.as_str()) {
                return Err(MapError::MappedTwice {
                    column: column.clone(),
                });
            }
            let named = |message: String| MapError::Expression {
                column: column.clone(),
                message,
            };
            if let FieldSource::Expr(t) = &field.source {
                expressions.add(source_name(i), &t.source).map_err(named)?;
            }
            for (j, transform) in field.transform.iter().enumerate() {
                if let Transform::Expr(t) = transform {
                    expressions
                        .add(transform_name(i, j), &t.source)
                        .map_err(named)?;
                }
            }
        }
        Ok(Mapper {
            fields: fields.to_vec(),
            columns: fields.iter().map(|f| f.column.clone()).collect(),
            expressions,
        })
    }

    /// The column names, in `map:` order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The JSONPath each column reads, in `map:` order (`None`: a computed column).
    pub fn paths(&self) -> Vec<Option<&str>> {
        self.fields
            .iter()
            .map(|f| match &f.source {
                FieldSource::Path(p) => Some(p.source.as_str()),
                FieldSource::Expr(_) => None,
            })
            .collect()
    }

    /// The stored values of `record`, one per column in order.
    ///
    /// # Errors
    /// Every violation in the record (all fields are tried, never only the first).
    pub fn apply(&self, record: &Value) -> Result<Vec<Value>, Vec<Violation>> {
        self.apply_noting(record, &mut [])
    }

    /// As [`apply`](Mapper::apply), also setting `matched[i]` when column
    /// `i`'s JSONPath found a value that is not null in `record` (computed
    /// columns are always set; flags past the end of `matched` are skipped).
    /// Over a page, a column left unset is one whose path matched nothing.
    ///
    /// # Errors
    /// As [`apply`](Mapper::apply).
    pub fn apply_noting(
        &self,
        record: &Value,
        matched: &mut [bool],
    ) -> Result<Vec<Value>, Vec<Violation>> {
        let jinja = OnceCell::new();
        let mut values = Vec::with_capacity(self.fields.len());
        let mut violations = Vec::new();
        for i in 0..self.fields.len() {
            let outcome = self.run(i, record, &jinja);
            if let Some(flag) = matched.get_mut(i) {
                let computed = matches!(self.fields[i].source, FieldSource::Expr(_));
                *flag |= computed || outcome.raw.as_ref().is_some_and(|v| !v.is_null());
            }
            match outcome.stored {
                Ok(v) => values.push(v),
                Err(message) => violations.push(Violation {
                    pointer: outcome.pointer,
                    message,
                }),
            }
        }
        if violations.is_empty() {
            Ok(values)
        } else {
            Err(violations)
        }
    }

    /// Every column of `record` step by step: source, raw, transformed, stored.
    pub fn trace(&self, record: &Value) -> Vec<FieldTrace> {
        let jinja = OnceCell::new();
        self.fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let outcome = self.run(i, record, &jinja);
                FieldTrace {
                    column: field.column.clone(),
                    source: match &field.source {
                        FieldSource::Path(p) => p.source.clone(),
                        FieldSource::Expr(t) => format!("expr: {}", t.source),
                    },
                    raw: outcome.raw,
                    transformed: outcome.transformed,
                    stored: outcome.stored,
                    coercion: describe(&field.kind),
                }
            })
            .collect()
    }

    /// Runs field `i` on `record`; `jinja` is the record as a Jinja value,
    /// built on first use.
    fn run(&self, i: usize, record: &Value, jinja: &OnceCell<minijinja::Value>) -> Outcome {
        let field = &self.fields[i];
        let jinja = || jinja.get_or_init(|| to_jinja(record));
        let (pointer, raw) = match &field.source {
            FieldSource::Path(path) => match path.path.query_located(record).first() {
                Some(node) => (node.location().to_json_pointer(), Some(node.node().clone())),
                None => (missing_pointer(&path.source, &field.column), None),
            },
            FieldSource::Expr(_) => {
                let pointer = format!("/{}", escape(&field.column));
                match self.expressions.eval(&source_name(i), jinja(), None) {
                    Ok(v) => (pointer, Some(v)),
                    Err(e) => return Outcome::failed(pointer, None, e),
                }
            }
        };
        let mut value = raw.clone().unwrap_or(Value::Null);
        for (j, transform) in field.transform.iter().enumerate() {
            value = match transform {
                Transform::Expr(_) => {
                    let name = transform_name(i, j);
                    match self.expressions.eval(&name, jinja(), Some(&value)) {
                        Ok(v) => v,
                        Err(e) => return Outcome::failed(pointer, raw, e),
                    }
                }
                Transform::ParseJson => match parse_json(value) {
                    Ok(v) => v,
                    Err(e) => return Outcome::failed(pointer, raw, e),
                },
                other => builtin(other, value),
            };
        }
        if let (Some(table), false) = (&field.values, value.is_null()) {
            let key = text(&value).unwrap_or_else(|| value.to_string());
            value = match table.iter().find(|(k, _)| *k == key) {
                Some((_, mapped)) => mapped.clone(),
                None => match &field.default {
                    Some(default) => default.clone(),
                    None => {
                        let known: Vec<&str> = table.iter().map(|(k, _)| k.as_str()).collect();
                        let e = format!("`{key}` is not one of {}", known.join(", "));
                        return Outcome::failed(pointer, raw, e);
                    }
                },
            };
        }
        if value.is_null() {
            match &field.default {
                Some(default) => value = default.clone(),
                None if field.required => {
                    let e = "required value is missing".to_owned();
                    return Outcome::failed(pointer, raw, e);
                }
                None => {}
            }
        }
        let stored = coerce(&field.kind, &value);
        Outcome {
            pointer,
            raw,
            transformed: Some(value),
            stored,
        }
    }
}

impl Outcome {
    fn failed(pointer: String, raw: Option<Value>, message: String) -> Self {
        Outcome {
            pointer,
            raw,
            transformed: None,
            stored: Err(message),
        }
    }
}

fn source_name(field: usize) -> String {
    format!("map.{field}")
}

fn transform_name(field: usize, transform: usize) -> String {
    format!("map.{field}.transform.{transform}")
}

/// Where a path that matched nothing would have pointed: `$.a.b[0]` → `/a/b/0`;
/// `/` + column for paths fancier than names and indexes.
fn missing_pointer(path: &str, column: &str) -> String {
    let fallback = || format!("/{}", escape(column));
    let Some(rest) = path.trim().strip_prefix('$') else {
        return fallback();
    };
    let mut pointer = String::new();
    for segment in rest.split('.').skip(1) {
        let (name, indexes) = segment.split_once('[').unwrap_or((segment, ""));
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !word(name) {
            return fallback();
        }
        pointer.push('/');
        pointer.push_str(name);
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let Some(n) = index
                .strip_suffix(']')
                .filter(|n| n.parse::<usize>().is_ok())
            else {
                return fallback();
            };
            pointer.push('/');
            pointer.push_str(n);
        }
    }
    if pointer.is_empty() || !rest.starts_with('.') {
        return fallback();
    }
    pointer
}

/// RFC 6901 escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
