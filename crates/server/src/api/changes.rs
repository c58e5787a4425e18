//! `GET /api/streams/{stream}/changes?after=<cursor>`: the change feed of a
//! stream's local copy. Every write that changes a row's content or
//! liveness (a sync, a webhook event, a reconciliation) gives the row the
//! table's next change number, in commit order; the feed answers rows
//! after the cursor in that order, so a reader that follows `next` sees
//! every change once, even while syncs and webhooks write. The feed is
//! compacted per key: a row changed twice before the reader gets there is
//! answered once, as it is now (what an app mirroring the copy needs).
//! A row removed by `missing: hard_delete` leaves the feed with it: use
//! `soft_delete` where readers must hear of deletions.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use holdfast_store::{ExportedRecord, RecordQuery};
use serde_json::{Value, json};

use super::auth::{problem, store_error};
use super::records::{freshness_of, record_json};
use super::state::ApiState;

/// Changes per page by default.
const DEFAULT_LIMIT: u32 = 100;

/// `GET /api/streams/{stream}/changes?after=&limit=`: `changes` after the
/// cursor `after` (default 0: from the start), `cursor` (the last change's
/// number, or `after` when there is none yet) and `next` (the path to ask
/// next, always: the feed has no end).
pub(crate) async fn changes(
    State(api): State<Arc<ApiState>>,
    name: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Response> {
    let Path(name) = name.map_err(|e| problem(StatusCode::BAD_REQUEST, e.body_text()))?;
    let Some(stream) = api.spec.streams.iter().find(|s| s.name == name) else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            format!("no stream `{name}` in the connector file"),
        ));
    };
    let (after, limit) = parse(raw.as_deref().unwrap_or_default())?;
    let freshness = freshness_of(&api, stream).await?;
    let inventory = api.store.inventory().await.map_err(store_error)?;
    let table = inventory.tables.into_iter().find(|t| t.name == stream.into);
    let query = RecordQuery {
        changed_after: Some(after),
        deleted: true,
        limit,
        ..RecordQuery::default()
    };
    let (page, changes) = match &table {
        // never synced: the table does not exist yet
        None => (Vec::new(), Vec::new()),
        Some(table) => {
            // a table written before the change feed gets its numbers here,
            // once per process (idempotent: the same table as registered)
            if !api.numbered(&table.name) {
                api.store.prepare_table(table).await.map_err(store_error)?;
                api.mark_numbered(&table.name);
            }
            let page = api
                .store
                .list_records(table, &query)
                .await
                .map_err(store_error)?;
            let changes = page.iter().map(|r| change_json(table, r)).collect();
            (page, changes)
        }
    };
    let cursor = page.last().and_then(|r| r.seq).unwrap_or(after);
    Ok(Json(json!({
        "stream": stream.name,
        "table": stream.into,
        "changes": changes,
        "cursor": cursor,
        "next": format!("/api/streams/{}/changes?after={cursor}&limit={limit}", stream.name),
        "freshness": freshness,
    }))
    .into_response())
}

/// One change: the row as it is now, its number and what it was.
fn change_json(table: &holdfast_store::TableSpec, r: &ExportedRecord) -> Value {
    let change = if r.deleted_at.is_some() {
        "deleted"
    } else if r.first_seen == r.updated_at {
        "created"
    } else {
        "updated"
    };
    let mut v = record_json(table, r);
    v["seq"] = json!(r.seq);
    v["change"] = json!(change);
    v
}

/// `after` and `limit`; anything else or malformed is a 400 naming it.
#[allow(
    clippy::result_large_err,
    reason = "the error is the answer itself, built once per refused request"
)]
fn parse(raw: &str) -> Result<(i64, u32), Response> {
    let bad = |message: String| problem(StatusCode::BAD_REQUEST, message);
    let (mut after, mut limit) = (0, DEFAULT_LIMIT);
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        match name.as_ref() {
            "after" => {
                after = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        bad(format!(
                            "`after={value}` is not a cursor: use 0 (from the start) or the \
                         `cursor` of the last answer"
                        ))
                    })?;
            }
            "limit" => limit = super::records::limit(&value)?,
            other => {
                return Err(bad(format!(
                    "unknown parameter `{other}`: the change feed takes `after` and `limit`"
                )));
            }
        }
    }
    Ok((after, limit))
}
