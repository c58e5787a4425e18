//! The `/_mock/*` introspection endpoints and `/healthz`; none of them is counted in stats.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::query::Params;
use crate::shape::ShapeVersion;
use crate::state::{MockState, MockStats};

/// `GET /_mock/stats`: `{"requests": n, "by_path": {...}, "served_ok": n, "faults": {...},
/// "rate_limited": n, "retry_after_violations": n}`.
pub(crate) async fn stats(State(state): State<MockState>) -> Json<MockStats> {
    Json(state.stats())
}

/// `GET /_mock/portal`: the login counters (see [`PortalStats`](crate::PortalStats)).
pub(crate) async fn portal(State(state): State<MockState>) -> Json<crate::PortalStats> {
    Json(state.portal_stats())
}

/// `GET /_mock/requests`: `{"requests": [...]}`, the last 1000 data requests, oldest first.
pub(crate) async fn requests(State(state): State<MockState>) -> Json<Value> {
    Json(json!({ "requests": state.requests() }))
}

/// `POST /_mock/touch?count=N` (default 1): `{"touched": [ids]}`.
pub(crate) async fn touch(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let count = Params::parse(query.as_deref()).number("count", 1)?;
    Ok(Json(json!({ "touched": state.touch(count) })))
}

/// `POST /_mock/delete?ids=3,7,9`: deletes those contacts silently (no
/// webhook, no change in any `updated_at`): `{"deleted": [ids]}`.
pub(crate) async fn delete(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ids = ids(query.as_deref())?;
    Ok(Json(json!({ "deleted": state.delete(&ids) })))
}

/// `POST /_mock/edit?ids=3,7`: changes those contacts (`version` + 1)
/// without moving their `updated_at`: `{"edited": [ids]}`.
pub(crate) async fn edit(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ids = ids(query.as_deref())?;
    Ok(Json(json!({ "edited": state.edit(&ids) })))
}

/// The `ids` parameter: comma-separated contact ids.
fn ids(query: Option<&str>) -> Result<Vec<u64>, ApiError> {
    let params = Params::parse(query);
    let list = params
        .get("ids")
        .ok_or_else(|| ApiError::bad_request("missing `ids`: use e.g. `ids=3,7,9`"))?;
    list.split(',')
        .map(|id| {
            id.trim()
                .parse()
                .map_err(|_| ApiError::bad_request(format!("`{id}` in `ids` is not a contact id")))
        })
        .collect()
}

/// `POST /_mock/shape?version=original|drifted`: `{"shape": "drifted"}`; 400 if `version`
/// is missing or unknown.
pub(crate) async fn shape(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref());
    let version = params
        .get("version")
        .ok_or_else(|| ApiError::bad_request("missing `version`: use original or drifted"))?;
    let shape: ShapeVersion = version
        .parse()
        .map_err(|e| ApiError::bad_request(format!("invalid `version`: {e}")))?;
    state.set_shape(shape);
    Ok(Json(json!({ "shape": shape.as_str() })))
}

/// `POST /_mock/reset`: zeroes stats and the request log, restarts fault draws (touches
/// stay).
pub(crate) async fn reset(State(state): State<MockState>) -> Json<Value> {
    state.reset();
    Json(json!({ "reset": true }))
}

/// `GET /healthz`: `ok`.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}
