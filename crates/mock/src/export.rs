//! `GET /v3/contacts`: the contact listing as a database export writes it:
//! `updated_at` in SQLite's own form (`2024-01-01 00:00:17`, no zone), an
//! `updated_since` filter in that same form, and the contact's details as
//! JSON held in a string field.

use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::data::{Contact, Item};
use crate::dates::BASE;
use crate::error::ApiError;
use crate::query::Params;
use crate::state::MockState;
use crate::token;

/// `GET /v3/contacts?updated_since=2024-01-01%2000:00:10&limit=100&cursor=…`:
/// `{"data":[{"id":17,"updated_at":"2024-01-01 00:00:17","details":"{…}"}],
/// "meta":{"next_cursor":"tok"|null}}`. `details` is the whole contact as
/// JSON text; with `bad_every = N`, contacts `N, 2N, …` hold text that is
/// not JSON (`{"email": …` cut short).
pub(crate) async fn list(
    State(state): State<MockState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref());
    let since = match params.get("updated_since") {
        None => 0,
        Some(v) => parse_since(v).ok_or_else(|| {
            ApiError::bad_request(format!(
                "invalid `updated_since`: expected `YYYY-MM-DD HH:MM:SS` (SQLite's form, no \
                 zone), got `{v}`"
            ))
        })?,
    };
    let from = match params.get("cursor").filter(|t| !t.is_empty()) {
        Some(t) => token::decode("cursor", t)?.max(since),
        None => since,
    };
    let limit = params.limit("limit")?;
    let (items, more) = state.with_touches(|t| t.after(from, limit));
    let next = more.then(|| token::encode(items.last().map_or(0, |i| i.updated + 1)));
    let render = state.render();
    let bad_every = state.config().bad_every;
    let mut data = Vec::with_capacity(items.len());
    for item in &items {
        data.push(row(render, bad_every, *item).map_err(ApiError::internal)?);
    }
    let body = json!({ "data": data, "meta": { "next_cursor": next } });
    Ok(([(CONTENT_TYPE, "application/json")], body.to_string()).into_response())
}

/// One exported row.
fn row(render: crate::data::Render, bad_every: u64, item: Item) -> serde_json::Result<Value> {
    let contact = Contact::render(
        crate::data::Render {
            bad_every: 0,
            ..render
        },
        item,
    );
    let mut details = serde_json::to_string(&contact)?;
    if bad_every > 0 && item.id.is_multiple_of(bad_every) {
        details.truncate(details.len() / 2);
    }
    Ok(json!({
        "id": item.id,
        "updated_at": sqlite_time(BASE.saturating_add(i64::try_from(item.updated).unwrap_or(i64::MAX - BASE))),
        "details": details,
    }))
}

/// A Unix time as `2024-01-01 00:00:17`.
fn sqlite_time(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS[.fff]` (a `T` also accepted) as the smallest offset
/// at or after it (inclusive; never below 0).
fn parse_since(text: &str) -> Option<u64> {
    let time = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?
        .and_utc();
    let mut secs = time.timestamp() - BASE;
    if time.timestamp_subsec_nanos() > 0 {
        secs += 1;
    }
    Some(u64::try_from(secs).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_times_round_trip() {
        assert_eq!(sqlite_time(BASE + 17), "2024-01-01 00:00:17");
        assert_eq!(parse_since("2024-01-01 00:00:17"), Some(17));
        assert_eq!(parse_since("2024-01-01T00:00:16.5"), Some(17));
        assert_eq!(parse_since("2023-12-31 23:00:00"), Some(0));
        assert_eq!(parse_since("2024-01-01T00:00:17Z"), None);
    }
}
