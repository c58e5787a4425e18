//! What a record must satisfy before it is stored, and what is stored of it:
//! its primary key, the stream's JSON Schema, its contract (whether new
//! fields are allowed), and the `map:` transformation into columns.

use std::sync::Arc;

use holdfast_spec::{Contract, FieldKind, OnInvalid, Stream};
use holdfast_store::{Column, ColumnKind, Violation};
use serde_json::Value;

use crate::error::RulesError;
use crate::key::primary_key;
use crate::map::Mapper;
use crate::map::transform::{Expressions, to_jinja};
use crate::shape::Shape;

/// A stream's record rules, compiled once per run.
pub struct RecordRules {
    schema: Option<jsonschema::Validator>,
    mapper: Option<Mapper>,
    columns: Vec<Column>,
    /// What to do with an invalid record.
    pub on_invalid: OnInvalid,
    /// Whether new fields are allowed.
    pub contract: Contract,
    /// The stream is a tombstone endpoint (`deletes:`): every valid record
    /// marks a row deleted.
    pub deletes_only: bool,
    /// `deleted_when:` compiled, if the stream has one.
    deleted_when: Option<Expressions>,
}

/// The name `deleted_when:` is compiled under.
const DELETED_WHEN: &str = "deleted_when";

impl std::fmt::Debug for RecordRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordRules")
            .field("schema", &self.schema.is_some())
            .field("columns", &self.columns)
            .field("on_invalid", &self.on_invalid)
            .field("contract", &self.contract)
            .finish()
    }
}

impl Default for RecordRules {
    fn default() -> Self {
        RecordRules {
            schema: None,
            mapper: None,
            columns: Vec::new(),
            on_invalid: OnInvalid::Quarantine,
            contract: Contract::Evolve,
            deletes_only: false,
            deleted_when: None,
        }
    }
}

/// A record that passed: its key and its mapped values.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Primary key values.
    pub key: Vec<Value>,
    /// Mapped values, one per column.
    pub values: Vec<Value>,
    /// The stream's `deleted_when:` holds for it: the API marks it deleted.
    pub deleted: bool,
}

impl RecordRules {
    /// Compiles the rules of `stream` (its schema and map were checked when the file was read).
    ///
    /// # Errors
    /// A schema or map that does not compile.
    pub fn for_stream(stream: &Stream) -> Result<RecordRules, RulesError> {
        let schema = stream
            .schema
            .as_ref()
            .map(|s| {
                jsonschema::validator_for(&s.document).map_err(|e| RulesError {
                    field: format!("streams.{}.schema", stream.name),
                    message: format!("the schema from {} does not compile: {e}", s.origin),
                })
            })
            .transpose()?;
        let mapper = if stream.map.is_empty() {
            None
        } else {
            Some(Mapper::new(&stream.map).map_err(|e| RulesError {
                field: format!("streams.{}.map", stream.name),
                message: e.to_string(),
            })?)
        };
        let columns = stream
            .map
            .iter()
            .map(|f| Column {
                name: f.column.clone(),
                kind: match f.kind {
                    FieldKind::Any => ColumnKind::Any,
                    FieldKind::Integer => ColumnKind::Integer,
                    FieldKind::Boolean => ColumnKind::Boolean,
                    _ => ColumnKind::Text,
                },
            })
            .collect();
        let deleted_when = stream
            .deleted_when
            .as_ref()
            .map(|t| {
                let mut e = Expressions::new();
                e.add(DELETED_WHEN.to_owned(), &t.source)
                    .map(|()| e)
                    .map_err(|message| RulesError {
                        field: format!("streams.{}.deleted_when", stream.name),
                        message,
                    })
            })
            .transpose()?;
        Ok(RecordRules {
            schema,
            mapper,
            columns,
            on_invalid: stream.on_invalid,
            contract: stream.contract,
            deletes_only: stream.deletes.is_some(),
            deleted_when,
        })
    }

    /// The table `stream` writes: its `into:`, primary key and these mapped columns.
    pub fn table(&self, stream: &Stream) -> holdfast_store::TableSpec {
        let mut table =
            holdfast_store::TableSpec::new(stream.into.clone(), stream.primary_key.clone());
        table.columns = self.columns.clone();
        table
    }

    /// The mapped columns of the stream's table.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Each mapped column and the JSONPath it reads (`None`: computed), in order.
    pub fn map_paths(&self) -> Vec<(String, Option<String>)> {
        self.mapper.as_ref().map_or_else(Vec::new, |m| {
            m.columns()
                .iter()
                .zip(m.paths())
                .map(|(c, p)| (c.clone(), p.map(str::to_owned)))
                .collect()
        })
    }

    /// The columns whose JSONPath matched nothing in any of `records`, as
    /// `(column, path)`: what `holdfast check --sample` reports.
    pub fn empty_paths(&self, records: &[Value]) -> Vec<(String, String)> {
        let paths = self.map_paths();
        let mut matched = vec![false; paths.len()];
        if let Some(m) = &self.mapper {
            for record in records {
                let _ = m.apply_noting(record, &mut matched);
            }
        }
        paths
            .into_iter()
            .zip(matched)
            .filter_map(|((column, path), hit)| path.filter(|_| !hit).map(|p| (column, p)))
            .collect()
    }

    /// The mapper, for `explain`.
    pub fn mapper(&self) -> Option<&Mapper> {
        self.mapper.as_ref()
    }

    /// Checks one record: its key and mapped values, or every violation found
    /// (key, schema, contract and mapping all run, so nothing hides another).
    /// `known` is the stream's known shape, for `contract: freeze`.
    pub fn check(
        &self,
        record: &Value,
        key: &[String],
        known: Option<&Shape>,
    ) -> Result<Checked, Vec<Violation>> {
        self.check_noting(record, key, known, &mut [])
    }

    /// As [`check`](RecordRules::check), also noting in `matched` (one
    /// flag per mapped column) the columns whose path found a value in
    /// `record`, whether or not the record passes.
    ///
    /// # Errors
    /// As [`check`](RecordRules::check).
    pub fn check_noting(
        &self,
        record: &Value,
        key: &[String],
        known: Option<&Shape>,
        matched: &mut [bool],
    ) -> Result<Checked, Vec<Violation>> {
        let mut violations = Vec::new();
        let key_values = match primary_key(record, key) {
            Ok(k) => Some(k),
            Err(message) => {
                violations.push(Violation {
                    pointer: key.first().map(|k| format!("/{k}")).unwrap_or_default(),
                    message,
                });
                None
            }
        };
        if let Some(schema) = &self.schema {
            for e in schema.iter_errors(record) {
                violations.push(Violation {
                    pointer: e.instance_path().as_str().to_owned(),
                    message: e.to_string(),
                });
            }
        }
        if self.contract == Contract::Freeze
            && let Some(known) = known
        {
            let mut mine = Shape::default();
            mine.observe(record);
            for path in mine
                .fields
                .keys()
                .filter(|p| !known.fields.contains_key(*p))
            {
                violations.push(Violation {
                    pointer: format!("/{}", path.replace('.', "/")),
                    message: format!(
                        "new field `{path}` is not in the known shape (contract: freeze)"
                    ),
                });
            }
        }
        let values = match &self.mapper {
            None => Vec::new(),
            Some(m) => match m.apply_noting(record, matched) {
                Ok(values) => values,
                Err(found) => {
                    violations.extend(found.into_iter().map(|v| Violation {
                        pointer: v.pointer,
                        message: v.message,
                    }));
                    Vec::new()
                }
            },
        };
        let deleted = match self.deleted(record) {
            Ok(deleted) => deleted,
            Err(message) => {
                violations.push(Violation {
                    pointer: String::new(),
                    message: format!("`deleted_when` could not be evaluated: {message}"),
                });
                false
            }
        };
        match key_values {
            Some(key) if violations.is_empty() => Ok(Checked {
                key,
                values,
                deleted,
            }),
            _ => Err(violations),
        }
    }

    /// Whether the stream's `deleted_when:` holds for `record` (Jinja
    /// truthiness: `true`, a non-zero number, a non-empty string or list);
    /// false without one.
    ///
    /// # Errors
    /// The expression failed on this record.
    pub fn deleted(&self, record: &Value) -> Result<bool, String> {
        let Some(e) = &self.deleted_when else {
            return Ok(false);
        };
        let value = e.eval(DELETED_WHEN, &to_jinja(record), None)?;
        Ok(to_jinja(&value).is_true())
    }
}

/// One line summarising `violations`, for quarantine reasons and errors.
pub fn summarize(violations: &[Violation]) -> String {
    let first = violations
        .first()
        .map(|v| {
            if v.pointer.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", v.pointer, v.message)
            }
        })
        .unwrap_or_default();
    match violations.len() {
        0 | 1 => first,
        n => format!("{first} (and {} more)", n - 1),
    }
}

/// Shared rules, as the engine's `StreamInfo` carries them.
pub type SharedRules = Arc<RecordRules>;
