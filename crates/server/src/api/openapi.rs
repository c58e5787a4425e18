//! `GET /openapi.json`: the admin API described in OpenAPI 3.1, the
//! contract its tests check every answer against (with schemathesis). The
//! names of this file's streams and actions are listed where a path takes one.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::state::ApiState;

/// The document.
pub(crate) async fn document(State(api): State<Arc<ApiState>>) -> Json<Value> {
    let streams: Vec<&str> = api.spec.stream_names();
    let actions: Vec<&str> = api.spec.actions.iter().map(|a| a.name.as_str()).collect();
    Json(spec(&streams, &actions))
}

/// A path parameter `name` that is one of `names` (any string when there are none).
fn name_param(names: &[&str]) -> Value {
    let schema = if names.is_empty() {
        json!({ "type": "string" })
    } else {
        json!({ "type": "string", "enum": names })
    };
    json!({ "name": "name", "in": "path", "required": true, "schema": schema })
}

fn nullable(t: &str) -> Value {
    json!({ "type": [t, "null"] })
}

fn list_of(key: &str, item: &str) -> Value {
    json!({
        "type": "object",
        "required": [key],
        "properties": { key: { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } } }
    })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn error(description: &str) -> Value {
    ok(description, json!({ "$ref": "#/components/schemas/Error" }))
}

/// The errors every `/api/` endpoint may answer.
fn with_errors(mut responses: Value, extra: &[(&str, &str)]) -> Value {
    let map = responses.as_object_mut().expect("an object literal");
    map.insert("401".into(), error("Missing or wrong bearer token."));
    map.insert(
        "403".into(),
        error("The admin API is off (no token is configured)."),
    );
    map.insert("503".into(), error("The store cannot be reached."));
    map.insert(
        "408".into(),
        error("The request was not read and answered within `--request-timeout`."),
    );
    map.insert("413".into(), error("The body is over `--max-api-body`."));
    for (status, what) in extra {
        map.insert((*status).into(), error(what));
    }
    responses
}

fn list_params() -> Value {
    json!([
        { "name": "stream", "in": "query", "required": false, "schema": { "type": "string" },
          "description": "Only this stream." },
        { "name": "limit", "in": "query", "required": false,
          "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 50 },
          "description": "At most this many rows." }
    ])
}

fn spec(streams: &[&str], actions: &[&str]) -> Value {
    let mut doc = base(streams, actions);
    for (path, schemas) in [records(streams), changes(streams)] {
        if let Some(paths) = doc["paths"].as_object_mut() {
            paths.extend(path.as_object().cloned().unwrap_or_default());
        }
        if let Some(all) = doc["components"]["schemas"].as_object_mut() {
            all.extend(schemas.as_object().cloned().unwrap_or_default());
        }
    }
    doc
}

/// `GET /api/streams/{name}/changes` and the schemas of its answer.
fn changes(streams: &[&str]) -> (Value, Value) {
    let path = json!({
    "/api/streams/{name}/changes": { "get": {
                "summary": "The change feed of a stream's local copy: rows created, updated or deleted after the cursor, in commit order, each once as it is now (compacted per key). Follow `next` to see every change exactly once, even while syncs and webhooks write. Readable with the admin token or the read-only token.",
                "parameters": [
                    name_param(streams),
                    { "name": "after", "in": "query", "required": false, "description": "The cursor: 0 (the default) from the start, else the `cursor` of the last answer.", "schema": { "type": "integer", "minimum": 0, "default": 0 } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }
                ],
                "responses": with_errors(json!({ "200": ok("A page of changes.", json!({ "$ref": "#/components/schemas/ChangePage" })) }),
                    &[("400", "A malformed or unknown parameter."), ("404", "No such stream.")])
            }}
    });
    let schemas = json!({
    "ChangePage": { "type": "object", "required": ["stream", "table", "changes", "cursor", "next", "freshness"], "properties": {
                    "stream": { "type": "string" }, "table": { "type": "string" },
                    "changes": { "type": "array", "items": { "allOf": [
                        { "$ref": "#/components/schemas/Record" },
                        { "type": "object", "required": ["seq", "change"], "properties": {
                            "seq": { "type": "integer" },
                            "change": { "enum": ["created", "updated", "deleted"] } } } ] } },
                    "cursor": { "type": "integer" },
                    "next": { "type": "string" },
                    "freshness": { "$ref": "#/components/schemas/Freshness" } } }
    });
    (path, schemas)
}

/// `GET /api/streams/{name}/records` and the schemas of its answer.
fn records(streams: &[&str]) -> (Value, Value) {
    let path = json!({
    "/api/streams/{name}/records": { "get": {
                "summary": "The local copy of a stream, in primary-key order, page by page, with how fresh it is. Answered from the store alone: it keeps answering while the remote API is down. Readable with the admin token or the read-only token (HOLDFAST_READ_TOKEN).",
                "parameters": [
                    name_param(streams),
                    { "name": "key", "in": "query", "required": false, "description": "Only the record with this primary key; once per key field, in order. A JSON number or quoted string is taken as such (`42`, `\"42\"`), other text as a string. A tombstone answers too.", "schema": { "type": "string" } },
                    { "name": "updated_since", "in": "query", "required": false, "description": "Only records whose content changed at or after this RFC 3339 time.", "schema": { "type": "string", "format": "date-time" } },
                    { "name": "deleted", "in": "query", "required": false, "description": "`include`: tombstones (deleted upstream) too.", "schema": { "enum": ["include", "exclude"], "default": "exclude" } },
                    { "name": "after", "in": "query", "required": false, "description": "Only records after this key (exclusive), once per key field, read as `key` is. The `next` of a page is the path of the following one, with `after` set.", "schema": { "type": "string" } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 } }
                ],
                "responses": with_errors(json!({ "200": ok("A page of records.", json!({ "$ref": "#/components/schemas/RecordPage" })) }),
                    &[("400", "A malformed or unknown parameter."), ("404", "No such stream.")])
            }}
    });
    let schemas = json!({
    "RecordPage": { "type": "object", "required": ["stream", "table", "records", "next", "freshness"], "properties": {
                    "stream": { "type": "string" }, "table": { "type": "string" },
                    "records": { "type": "array", "items": { "$ref": "#/components/schemas/Record" } },
                    "next": nullable("string"),
                    "freshness": { "$ref": "#/components/schemas/Freshness" } } },
                "Record": { "type": "object", "required": ["key", "record", "columns", "first_seen", "updated_at", "last_seen", "deleted_at", "version"], "properties": {
                    "key": { "type": "object" }, "record": {}, "columns": { "type": "object" },
                    "first_seen": { "type": "string" }, "updated_at": { "type": "string" },
                    "last_seen": { "type": "string" }, "deleted_at": nullable("string"),
                    "version": nullable("string") } },
                "Freshness": { "type": "object", "required": ["last_success_at", "last_run", "running", "stale", "stale_after", "last_reconciliation_at"], "properties": {
                    "last_success_at": nullable("string"),
                    "last_run": { "oneOf": [ { "type": "null" }, { "$ref": "#/components/schemas/Run" } ] },
                    "running": { "type": "boolean" }, "stale": { "type": "boolean" },
                    "stale_after": nullable("string"), "last_reconciliation_at": nullable("string") } }
    });
    (path, schemas)
}

fn base(streams: &[&str], actions: &[&str]) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "holdfast admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "What `holdfast serve` knows (from the store every process shares) and what it can be asked to do. Every /api/ endpoint needs `Authorization: Bearer <HOLDFAST_ADMIN_TOKEN>`; the records of the local copy are also readable with `Bearer <HOLDFAST_READ_TOKEN>`."
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/healthz": { "get": {
                "summary": "The process is up.", "security": [],
                "responses": { "200": ok("Up.", json!({ "$ref": "#/components/schemas/Status" })) }
            }},
            "/readyz": { "get": {
                "summary": "The process can read and write its store (a small write is committed).", "security": [],
                "responses": {
                    "200": ok("Ready.", json!({ "$ref": "#/components/schemas/Status" })),
                    "503": error("The store cannot be read or written (full disk, read-only, unreachable): the error says which and why.")
                }
            }},
            "/api/connections": { "get": {
                "summary": "Connections with their auth type and token health.",
                "responses": with_errors(json!({ "200": ok("The connections.", list_of("connections", "Connection")) }), &[])
            }},
            "/api/streams": { "get": {
                "summary": "Streams with their last run and last success.",
                "responses": with_errors(json!({ "200": ok("The streams.", list_of("streams", "Stream")) }), &[])
            }},
            "/api/streams/{name}/sync": { "post": {
                "summary": "Queue a sync of the stream now.",
                "parameters": [
                    name_param(streams),
                    { "name": "full_refresh", "in": "query", "required": false, "schema": { "type": "boolean", "default": false } }
                ],
                "responses": with_errors(json!({ "202": ok("Queued.", json!({ "$ref": "#/components/schemas/Queued" })) }),
                    &[("400", "A malformed parameter."), ("404", "No such stream.")])
            }},
            "/api/streams/{name}/reconcile": { "post": {
                "summary": "Queue a reconciliation of a stream with `reconcile:` now: a full scan diffed against its table, deleting only what a complete scan proves gone.",
                "parameters": [ name_param(streams) ],
                "responses": with_errors(json!({ "202": ok("Queued.", json!({ "$ref": "#/components/schemas/Queued" })) }),
                    &[("404", "No such stream."), ("409", "The stream has no `reconcile:`.")])
            }},
            "/api/streams/{name}/quarantine/retry": { "post": {
                "summary": "Re-check the stream's quarantined records with the current rules; the valid ones move into its table.",
                "parameters": [ name_param(streams) ],
                "responses": with_errors(json!({ "200": ok("What moved.", json!({ "type": "object", "required": ["stream", "run", "moved", "still_invalid"], "properties": {
                    "stream": { "type": "string" }, "run": { "type": "integer" },
                    "moved": { "type": "integer" }, "still_invalid": { "type": "integer" } } })) }),
                    &[("404", "No such stream."), ("503", "The store failed.")])
            }},
            "/api/runs": { "get": {
                "summary": "The latest runs, newest first.",
                "parameters": list_params(),
                "responses": with_errors(json!({ "200": ok("The runs.", list_of("runs", "Run")) }), &[("400", "A malformed parameter.")])
            }},
            "/api/runs/{id}/requests": { "get": {
                "summary": "A run's request log, in order.",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int64" } },
                    { "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 50 } }
                ],
                "responses": with_errors(json!({ "200": ok("The attempts.", list_of("requests", "Request")) }), &[("400", "A malformed parameter.")])
            }},
            "/api/quarantine": { "get": {
                "summary": "Unresolved quarantined records, newest first.",
                "parameters": list_params(),
                "responses": with_errors(json!({ "200": ok("The records.", list_of("quarantine", "Quarantined")) }), &[("400", "A malformed parameter.")])
            }},
            "/api/drift": { "get": {
                "summary": "Recorded schema drift, newest first.",
                "parameters": list_params(),
                "responses": with_errors(json!({ "200": ok("The drift.", list_of("drift", "Drift")) }), &[("400", "A malformed parameter.")])
            }},
            "/api/queue": { "get": {
                "summary": "The queue: depth per kind and state, the oldest waiting job, dead letters, refused webhook requests.",
                "responses": with_errors(json!({ "200": ok("The queue.", json!({ "$ref": "#/components/schemas/Queue" })) }), &[])
            }},
            "/api/queue/retry": { "post": {
                "summary": "Every dead job becomes ready again.",
                "responses": with_errors(json!({ "200": ok("Requeued.", json!({ "$ref": "#/components/schemas/Requeued" })) }), &[])
            }},
            "/api/alerts": { "get": {
                "summary": "Alerts: those the alert rules fired or resolved in this process, and a firing `sync_failed` per stream whose last run failed.",
                "responses": with_errors(json!({ "200": ok("The alerts.", list_of("alerts", "Alert")) }), &[])
            }},
            "/api/charts": { "get": {
                "summary": "The last 24 hours by hour: records per stream (by the hour runs finished) and p95 latency per endpoint (from the latest runs' request logs).",
                "responses": with_errors(json!({ "200": ok("The charts.", json!({ "$ref": "#/components/schemas/Charts" })) }), &[])
            }},
            "/api/jobs/{id}/retry": { "post": {
                "summary": "One job (dead, ready or done) runs again.",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "format": "int64" } } ],
                "responses": with_errors(json!({ "200": ok("Requeued.", json!({ "$ref": "#/components/schemas/Requeued" })) }),
                    &[("400", "A malformed parameter."), ("404", "No such job, or it is running.")])
            }},
            "/api/actions/{name}": { "post": {
                "summary": "Queue an action with the JSON body as its input (idempotent by its key).",
                "parameters": [ name_param(actions) ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {} } } },
                "responses": with_errors(json!({
                    "202": ok("Queued.", json!({ "$ref": "#/components/schemas/ActionQueued" })),
                    "200": ok("The same idempotency key was queued before.", json!({ "$ref": "#/components/schemas/ActionQueued" }))
                }), &[("400", "The body is not JSON, or the key cannot be rendered."), ("404", "No such action.")])
            }}
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } },
                "Status": { "type": "object", "required": ["status"], "properties": { "status": { "type": "string" } } },
                "Queued": { "type": "object", "required": ["job", "status"], "properties": {
                    "job": nullable("integer"), "status": { "enum": ["queued", "duplicate"] } } },
                "ActionQueued": { "type": "object", "required": ["job", "status", "idempotency_key"], "properties": {
                    "job": { "type": "integer" }, "status": { "enum": ["queued", "duplicate"] },
                    "idempotency_key": { "type": "string" } } },
                "Alert": { "type": "object", "required": ["rule", "subject", "state", "since", "message"], "properties": {
                    "rule": { "type": "string" }, "subject": { "type": "string" },
                    "state": { "enum": ["firing", "resolved"] }, "since": { "type": "string" },
                    "message": { "type": "string" } } },
                "Charts": { "type": "object", "required": ["hours", "records", "latency", "endpoints"], "properties": {
                    "hours": { "type": "array", "items": { "type": "string" }, "minItems": 24, "maxItems": 24 },
                    "records": { "type": "array", "items": { "type": "object", "required": ["stream", "counts"], "properties": {
                        "stream": { "type": "string" },
                        "counts": { "type": "array", "items": { "type": "integer", "minimum": 0 }, "minItems": 24, "maxItems": 24 } } } },
                    "latency": { "type": "array", "items": { "type": "object", "required": ["connection", "endpoint", "p95_ms"], "properties": {
                        "connection": { "type": "string" }, "endpoint": { "type": "string" },
                        "p95_ms": { "type": "array", "items": nullable("number"), "minItems": 24, "maxItems": 24 } } } },
                    "endpoints": { "type": "array", "items": { "type": "object", "required": ["connection", "endpoint", "attempts", "failed", "p95_ms"], "properties": {
                        "connection": { "type": "string" }, "endpoint": { "type": "string" },
                        "attempts": { "type": "integer" }, "failed": { "type": "integer" },
                        "p95_ms": { "type": "number" } } } } } },
                "Requeued": { "type": "object", "required": ["requeued"], "properties": { "requeued": { "type": "integer", "minimum": 0 } } },
                "Connection": { "type": "object", "required": ["name", "auth", "token"], "properties": {
                    "name": { "type": "string" },
                    "auth": { "enum": ["none", "api_key", "basic", "bearer", "oauth2", "session", "other"] },
                    "token": { "oneOf": [ { "type": "null" }, { "type": "object", "required": ["expires_at", "last_refresh_at", "last_outcome", "consecutive_failures", "needs_reauth"], "properties": {
                        "expires_at": nullable("string"), "last_refresh_at": nullable("string"),
                        "last_outcome": nullable("string"), "consecutive_failures": { "type": "integer" },
                        "needs_reauth": { "type": "boolean" } } } ] } } },
                "Stream": { "type": "object", "required": ["name", "connection", "table", "parent", "last_run", "last_success_at"], "properties": {
                    "name": { "type": "string" }, "connection": { "type": "string" }, "table": { "type": "string" },
                    "parent": nullable("string"),
                    "last_run": { "oneOf": [ { "type": "null" }, { "$ref": "#/components/schemas/Run" } ] },
                    "last_success_at": nullable("string"),
                    "reconcile": { "type": "boolean" },
                    "last_reconciliation": { "oneOf": [ { "type": "null" }, { "type": "object" } ] } } },
                "Run": { "type": "object", "required": ["id", "stream", "started_at", "finished_at", "outcome", "pages", "created", "updated", "unchanged", "quarantined", "error"], "properties": {
                    "id": { "type": "integer" }, "stream": { "type": "string" },
                    "started_at": { "type": "string" }, "finished_at": nullable("string"),
                    "outcome": { "enum": ["running", "succeeded", "failed", "interrupted"] },
                    "pages": { "type": "integer" }, "created": { "type": "integer" }, "updated": { "type": "integer" },
                    "unchanged": { "type": "integer" }, "quarantined": { "type": "integer" }, "error": nullable("string") } },
                "Request": { "type": "object", "required": ["run", "stream", "connection", "endpoint", "at", "method", "url", "status", "duration_ms", "attempt", "bytes", "error", "message"], "properties": {
                    "run": nullable("integer"), "stream": nullable("string"), "connection": { "type": "string" },
                    "endpoint": nullable("string"), "at": { "type": "string" }, "method": { "type": "string" },
                    "url": { "type": "string" }, "status": nullable("integer"), "duration_ms": { "type": "number" },
                    "attempt": { "type": "integer" }, "bytes": { "type": "integer" },
                    "error": nullable("string"), "message": nullable("string") } },
                "Quarantined": { "type": "object", "required": ["id", "stream", "key", "run", "reason", "raw", "violations", "at", "seen"], "properties": {
                    "id": { "type": "integer" }, "stream": { "type": "string" },
                    "key": { "oneOf": [ { "type": "null" }, { "type": "object" } ] }, "run": { "type": "integer" },
                    "reason": { "type": "string" }, "raw": { "type": "string" },
                    "violations": { "type": "array", "items": { "type": "object", "required": ["pointer", "message"], "properties": {
                        "pointer": { "type": "string" }, "message": { "type": "string" } } } },
                    "at": { "type": "string" }, "seen": { "type": "integer" } } },
                "Drift": { "type": "object", "required": ["stream", "run", "at", "kind", "path", "before", "after"], "properties": {
                    "stream": { "type": "string" }, "run": nullable("integer"), "at": { "type": "string" },
                    "kind": { "type": "string" }, "path": { "type": "string" },
                    "before": { "type": "string" }, "after": { "type": "string" }, "example": nullable("string") } },
                "Queue": { "type": "object", "required": ["depth", "oldest_ready", "dead", "rejections"], "properties": {
                    "depth": { "type": "array", "items": { "type": "object", "required": ["kind", "state", "count", "oldest"], "properties": {
                        "kind": { "type": "string" }, "state": { "enum": ["ready", "running", "done", "dead"] },
                        "count": { "type": "integer" }, "oldest": nullable("string") } } },
                    "oldest_ready": { "oneOf": [ { "type": "null" }, { "type": "object", "required": ["job", "run_at", "age_seconds"], "properties": {
                        "job": { "type": "integer" }, "run_at": { "type": "string" }, "age_seconds": { "type": "number" } } } ] },
                    "dead": { "type": "array", "items": { "type": "object", "required": ["job", "kind", "name", "attempts", "error", "updated_at"], "properties": {
                        "job": { "type": "integer" }, "kind": { "type": "string" }, "name": { "type": "string" },
                        "attempts": { "type": "integer" }, "error": nullable("string"), "updated_at": { "type": "string" } } } },
                    "rejections": { "type": "array", "items": { "type": "object", "required": ["webhook", "reason", "count", "last_at"], "properties": {
                        "webhook": { "type": "string" }, "reason": { "type": "string" }, "count": { "type": "integer" },
                        "last_at": { "type": "string" } } } } } }
            }
        }
    })
}
