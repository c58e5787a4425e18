//! How the store's rows look as JSON: the shapes the admin API answers
//! with, shared by the `--json` output of `holdfast runs`, `status`,
//! `quarantine`, `drift` and `queue` so that both always agree.

use chrono::{DateTime, Utc};
use holdfast_spec::Spec;
use holdfast_store::{
    DriftRow, Job, QuarantineRow, QueueStats, Reconciliation, Rejection, RequestRow, RunRow,
};
use serde_json::{Value, json};

/// A time as the API writes it: RFC 3339 UTC with milliseconds.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A run as `GET /api/runs` and `holdfast runs --json` show it.
pub fn run_json(r: &RunRow) -> Value {
    json!({
        "id": r.id.0,
        "stream": r.stream,
        "started_at": time(r.started_at),
        "finished_at": r.finished_at.map(time),
        "outcome": r.outcome.as_str(),
        "pages": r.pages,
        "created": r.outcome_counts.created,
        "updated": r.outcome_counts.updated,
        "unchanged": r.outcome_counts.unchanged,
        "quarantined": r.quarantined,
        "error": r.error,
    })
}

/// A reconciliation as `holdfast reconcile --json` and `status --json` show it.
pub fn reconciliation_json(r: &Reconciliation) -> Value {
    json!({
        "stream": r.stream,
        "run": r.run.0,
        "outcome": r.outcome.as_str(),
        "action": r.action.as_str(),
        "started_at": time(r.started_at),
        "finished_at": time(r.finished_at),
        "upstream": r.upstream,
        "local": r.local,
        "fetched": r.fetched,
        "changed": r.changed,
        "missing": r.missing,
        "deleted": r.deleted,
        "restored": r.restored,
        "refused": r.refused,
        "reason": r.reason,
    })
}

/// One HTTP attempt as `GET /api/runs/{id}/requests` and `holdfast runs --requests ID --json` show it.
pub fn request_json(r: &RequestRow) -> Value {
    json!({
        "run": r.run.map(|r| r.0),
        "stream": r.stream,
        "connection": r.connection,
        "endpoint": r.endpoint,
        "at": time(r.at),
        "method": r.method,
        "url": r.url,
        "status": r.status,
        "duration_ms": r.duration.as_secs_f64() * 1000.0,
        "attempt": r.attempt,
        "bytes": r.bytes,
        "error": r.error,
        "message": r.message,
    })
}

/// A quarantined record as `GET /api/quarantine` and `holdfast quarantine
/// --json` show it; `key` is its primary key (field to value) read from the
/// payload with the stream's `primary_key` (null when the payload lacks it
/// or the file no longer has the stream).
pub fn quarantine_json(q: &QuarantineRow, spec: Option<&Spec>) -> Value {
    json!({
        "id": q.id,
        "stream": q.stream,
        "key": record_key(spec, &q.stream, &q.raw),
        "run": q.run.0,
        "reason": q.reason,
        "raw": q.raw,
        "violations": q.violations.iter().map(|v| json!({
            "pointer": v.pointer, "message": v.message,
        })).collect::<Vec<_>>(),
        "at": time(q.at),
        "seen": q.seen,
    })
}

/// A quarantined record's primary key, field to value, read from its
/// payload with the stream's `primary_key`.
pub fn record_key(
    spec: Option<&Spec>,
    stream: &str,
    raw: &str,
) -> Option<serde_json::Map<String, Value>> {
    let fields = &spec?.stream(stream)?.primary_key;
    let record: Value = serde_json::from_str(raw).ok()?;
    let values = holdfast_records::primary_key(&record, fields).ok()?;
    Some(fields.iter().cloned().zip(values).collect())
}

/// A drift event as `GET /api/drift` and `holdfast drift --json` show it.
pub fn drift_json(d: &DriftRow) -> Value {
    json!({
        "stream": d.stream, "run": d.run.map(|r| r.0), "at": time(d.at),
        "kind": d.kind, "path": d.path, "before": d.before, "after": d.after,
        "example": d.example,
    })
}

/// Each connection's name, auth type and (OAuth2, session) token health, as
/// `GET /api/connections` and `holdfast status --json` show them.
pub fn connections_json(spec: &Spec, tokens: &[holdfast_store::StoredToken]) -> Vec<Value> {
    spec.connections
        .iter()
        .map(|(name, c)| {
            let auth = match c.auth {
                holdfast_spec::Auth::None => "none",
                holdfast_spec::Auth::ApiKey { .. } => "api_key",
                holdfast_spec::Auth::Basic { .. } => "basic",
                holdfast_spec::Auth::Bearer { .. } => "bearer",
                holdfast_spec::Auth::OAuth2(_) => "oauth2",
                holdfast_spec::Auth::Session(_) => "session",
            };
            let token = tokens.iter().find(|t| &t.connection == name).map(|t| {
                let s = &t.status;
                json!({
                    "expires_at": s.expires_at.map(time),
                    "last_refresh_at": s.last_refresh_at.map(time),
                    "last_outcome": s.last_outcome,
                    "consecutive_failures": s.consecutive_failures,
                    "needs_reauth": s.needs_reauth,
                })
            });
            json!({ "name": name, "auth": auth, "token": token })
        })
        .collect()
}

/// The queue as `holdfast queue --json` and `GET /api/queue` show it.
pub fn queue_json(
    stats: &QueueStats,
    dead: &[Job],
    rejections: &[Rejection],
    now: DateTime<Utc>,
) -> Value {
    json!({
        "depth": stats.depth.iter().map(|d| json!({
            "kind": d.kind, "state": d.state.as_str(), "count": d.count,
            "oldest": d.oldest.map(|t| t.to_rfc3339()),
        })).collect::<Vec<_>>(),
        "oldest_ready": stats.oldest_ready.as_ref().map(|o| json!({
            "job": o.id.0, "run_at": o.run_at.to_rfc3339(),
            "age_seconds": (now - o.run_at).num_milliseconds() as f64 / 1000.0,
        })),
        "dead": dead.iter().map(|j| json!({
            "job": j.id.0, "kind": j.kind, "name": j.name, "attempts": j.attempts,
            "error": j.last_error, "updated_at": j.updated_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "rejections": rejections.iter().map(|r| json!({
            "webhook": r.webhook, "reason": r.reason, "count": r.count,
            "last_at": r.last_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
    })
}
