//! `GET /api/streams/{stream}/records`: the local copy of a stream, read in
//! key order page by page, with how fresh it is. It answers from the store
//! alone, so an app keeps reading while the remote API is down.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use holdfast_spec::Stream;
use holdfast_store::{ExportedRecord, RecordQuery, RunOutcome, RunRow, TableSpec};
use serde_json::{Map, Value, json};

use super::auth::{problem, store_error};
use super::state::ApiState;
use super::views::{run_json, time};

/// Records per page by default.
const DEFAULT_LIMIT: u32 = 100;
/// The most records one page answers with.
const MAX_LIMIT: u32 = 1000;

type Answer = Result<Response, Response>;

/// `GET /api/streams/{stream}/records?key=&updated_since=&deleted=include&after=&limit=`;
/// `next` is the path of the following page (the same filters, `after` the
/// last key), `null` on the last page.
pub(crate) async fn records(
    State(api): State<Arc<ApiState>>,
    name: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Answer {
    let Path(name) = name.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let Some(stream) = api.spec.streams.iter().find(|s| s.name == name) else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no stream `{name}` in the connector file"),
        ));
    };
    let raw = raw.unwrap_or_default();
    let query = parse(stream, &raw)?;
    let freshness = freshness_of(&api, stream).await?;
    let inventory = api.store.inventory().await.map_err(store_error)?;
    let table = inventory.tables.into_iter().find(|t| t.name == stream.into);
    let page = match &table {
        // never synced: the table does not exist yet
        None => Vec::new(),
        Some(table) => api
            .store
            .list_records(table, &query)
            .await
            .map_err(store_error)?,
    };
    let next = (page.len() == query.limit as usize)
        .then(|| page.last().map(|r| next_path(&stream.name, &raw, &r.key)))
        .flatten();
    let records: Vec<Value> = match &table {
        Some(table) => page.iter().map(|r| record_json(table, r)).collect(),
        None => Vec::new(),
    };
    Ok(Json(json!({
        "stream": stream.name,
        "table": stream.into,
        "records": records,
        "next": next,
        "freshness": freshness,
    }))
    .into_response())
}

/// How fresh the copy of `stream` is, read from the store.
pub(super) async fn freshness_of(api: &ApiState, stream: &Stream) -> Result<Value, Response> {
    let runs = api
        .store
        .runs(Some(&stream.name), 20)
        .await
        .map_err(store_error)?;
    let reconciled = api
        .store
        .reconciliations(Some(&stream.name), 1)
        .await
        .map_err(store_error)?;
    let mut freshness = freshness(stream, &runs, Utc::now());
    freshness["last_reconciliation_at"] = reconciled
        .first()
        .map_or(Value::Null, |r| Value::from(time(r.finished_at)));
    Ok(freshness)
}

/// The query string as a [`RecordQuery`]; anything unknown or malformed is a 400 naming it.
#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, built once per refused request"
)]
fn parse(stream: &Stream, raw: &str) -> Result<RecordQuery, Response> {
    let bad = |message: String| problem(StatusCode::BAD_REQUEST, message);
    let mut query = RecordQuery {
        limit: DEFAULT_LIMIT,
        ..RecordQuery::default()
    };
    let mut key = Vec::new();
    let mut after = Vec::new();
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        match name.as_ref() {
            "key" => key.push(key_value(&value)),
            "updated_since" => {
                let at = DateTime::parse_from_rfc3339(&value).map_err(|e| {
                    bad(format!(
                        "`updated_since={value}` is not an RFC 3339 time ({e}), e.g. \
                         `2024-05-01T00:00:00Z`"
                    ))
                })?;
                query.updated_since = Some(at.with_timezone(&Utc));
            }
            "deleted" => match value.as_ref() {
                "include" => query.deleted = true,
                "exclude" => query.deleted = false,
                other => {
                    return Err(bad(format!(
                        "`deleted={other}`: expected `include` (tombstones too) or `exclude` \
                         (the default)"
                    )));
                }
            },
            "after" => after.push(key_value(&value)),
            "limit" => query.limit = limit(&value)?,
            other => {
                return Err(bad(format!(
                    "unknown parameter `{other}`: the records endpoint takes `key`, \
                     `updated_since`, `deleted`, `after` and `limit`"
                )));
            }
        }
    }
    let fields = stream.primary_key.len();
    for (what, values) in [("key", &key), ("after", &after)] {
        if !values.is_empty() && values.len() != fields {
            return Err(bad(format!(
                "stream `{}` has a primary key of {fields} field{} ({}): give `{what}` once \
                 for each, in that order; found {}",
                stream.name,
                if fields == 1 { "" } else { "s" },
                stream.primary_key.join(", "),
                values.len()
            )));
        }
    }
    if !key.is_empty() {
        // asked for by key, a tombstone answers too: the app learns it is gone
        query.deleted = true;
        query.key = Some(key);
    }
    if !after.is_empty() {
        query.after = Some(after);
    }
    Ok(query)
}

/// `limit=`: 1 to [`MAX_LIMIT`], else the 400 to answer.
#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, built once per refused request"
)]
pub(super) fn limit(value: &str) -> Result<u32, Response> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            problem(
                StatusCode::BAD_REQUEST,
                format!("`limit` must be between 1 and {MAX_LIMIT}, found `{value}`"),
            )
        })
}

/// A key value from the query: a JSON number or quoted string as such
/// (`key=42`, `key="42"`), any other text as a string (`key=cus_123`).
fn key_value(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Number(_) | Value::String(_))) => v,
        _ => Value::String(text.to_owned()),
    }
}

/// A key value as [`key_value`] reads it back: a string that would read
/// as something else is quoted.
fn key_text(value: &Value) -> String {
    match value {
        Value::String(s) if key_value(s) == *value => s.clone(),
        other => other.to_string(),
    }
}

/// The next page's path: this request's parameters, `after` the last key.
fn next_path(stream: &str, raw: &str, last: &[Value]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        if name != "after" {
            query.append_pair(&name, &value);
        }
    }
    for value in last {
        query.append_pair("after", &key_text(value));
    }
    let segment: String = url::form_urlencoded::byte_serialize(stream.as_bytes()).collect();
    format!("/api/streams/{segment}/records?{}", query.finish())
}

/// A stored row as the API shows it.
pub(super) fn record_json(table: &TableSpec, r: &ExportedRecord) -> Value {
    let key: Map<String, Value> = table
        .primary_key
        .iter()
        .cloned()
        .zip(r.key.iter().cloned())
        .collect();
    let columns: Map<String, Value> = table
        .columns
        .iter()
        .map(|c| c.name.clone())
        .zip(r.values.iter().cloned())
        .collect();
    json!({
        "key": key,
        "record": serde_json::from_str::<Value>(&r.raw).unwrap_or(Value::Null),
        "columns": columns,
        "first_seen": time(r.first_seen),
        "updated_at": time(r.updated_at),
        "last_seen": time(r.last_seen),
        "deleted_at": r.deleted_at.map(time),
        "version": r.version,
    })
}

/// How fresh the copy is: the last successful run, whether one is going,
/// and `stale` past the stream's `stale_after`.
fn freshness(stream: &Stream, runs: &[RunRow], now: DateTime<Utc>) -> Value {
    let last_success = runs
        .iter()
        .find(|r| r.outcome == RunOutcome::Succeeded)
        .and_then(|r| r.finished_at);
    let running = runs.iter().any(|r| r.outcome == RunOutcome::Running);
    let stale = stream.stale_after.map(|limit| match last_success {
        None => true,
        Some(at) => (now - at).to_std().is_ok_and(|age| age > limit),
    });
    json!({
        "last_success_at": last_success.map(time),
        "last_run": runs.first().map(run_json),
        "running": running,
        "stale": stale.unwrap_or(false),
        "stale_after": stream.stale_after.map(|d| humantime::format_duration(d).to_string()),
        // set by the caller, which reads it
        "last_reconciliation_at": Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{key_text, key_value};

    #[test]
    fn key_values_read_back_as_written() {
        for v in [
            json!(42),
            json!("42"),
            json!("cus_1"),
            json!("\"q\""),
            json!(-1.5),
            json!(""),
        ] {
            assert_eq!(key_value(&key_text(&v)), v, "{v}");
        }
        assert_eq!(key_value("abc"), Value::String("abc".into()));
        assert_eq!(key_value("true"), Value::String("true".into()));
    }
}
