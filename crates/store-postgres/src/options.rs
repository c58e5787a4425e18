//! How a [`PgStore`](crate::PgStore) connects: pool settings, holdfast's URL
//! parameters, and the first connection that checks the server is there.

use holdfast_store::{StoreError, StoreErrorKind};
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnectOptions;

use crate::table::quote;

/// Connections in the pool unless the URL says `pool_max`.
const DEFAULT_POOL_MAX: u32 = 10;

/// How [`PgStore::connect`](crate::PgStore::connect) sets up its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgStoreOptions {
    /// Most pooled connections (the `pool_max` URL parameter; default 10).
    pub max_connections: u32,
    /// The schema holdfast's tables live in, created if missing and set as
    /// `search_path` on every connection (the `schema` URL parameter). `None`
    /// keeps the server's `search_path` (usually `public`).
    pub schema: Option<String>,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        PgStoreOptions {
            max_connections: DEFAULT_POOL_MAX,
            schema: None,
        }
    }
}

/// Removes holdfast's parameters from `url`.
pub(crate) fn split_url(url: &str) -> Result<(String, PgStoreOptions), StoreError> {
    let mut settings = PgStoreOptions::default();
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), settings));
    };
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "pool_max" => {
                settings.max_connections = value.parse().map_err(|_| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        "reading the PostgreSQL URL",
                        format!("`pool_max={value}` is not a number of connections"),
                    )
                })?;
            }
            "schema" => settings.schema = Some(value.to_owned()),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, settings))
}

pub(crate) fn check_schema(schema: &str) -> Result<(), StoreError> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::new(
            StoreErrorKind::Unavailable,
            "opening the PostgreSQL store",
            format!("schema `{schema}` must be 1 to 63 lowercase letters, digits or `_`"),
        ))
    }
}

/// Connects once, and creates `schema` if it is missing (tolerating a
/// concurrent creator).
pub(crate) async fn probe(
    options: &PgConnectOptions,
    schema: Option<&str>,
) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect_with(options).await?;
    let created = match schema {
        Some(schema) => sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            quote(schema)
        )))
        .execute(&mut conn)
        .await
        .map(|_| ()),
        None => Ok(()),
    };
    let _ = conn.close().await;
    match created {
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("23505") => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdfast_parameters_leave_the_url() {
        let (url, s) = split_url("postgres://u:pw@h/db?sslmode=disable&pool_max=3&schema=hf")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url, "postgres://u:pw@h/db?sslmode=disable");
        assert_eq!((s.max_connections, s.schema.as_deref()), (3, Some("hf")));
        let (url, s) = split_url("postgres://h/db").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (url.as_str(), s),
            ("postgres://h/db", PgStoreOptions::default())
        );
        assert!(split_url("postgres://h/db?pool_max=x").is_err());
        assert!(check_schema("Bad-Name").is_err());
    }
}
