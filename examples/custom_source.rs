//! A hand-written connector: for an API the connector file cannot describe.
//!
//! The connector file selects records with a JSONPath; it cannot turn one
//! record into several. This source reads the mock CRM's contacts and emits
//! one row per (contact, tag), the shape a reporting table wants. It
//! implements [`Source`] and [`PageReader`]; the engine does the rest: the
//! store, one transaction per page, resumable positions, incremental cursors,
//! run records.
//!
//! ```text
//! cargo run --example custom_source
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use holdfast_engine::sync::{NoopObserver, SyncOptions, sync_stream};
use holdfast_engine::{Page, PageReader, ReadScope, Source, SourceError, StreamInfo};
use holdfast_mock::{MockConfig, MockServer};
use holdfast_store::TableSpec;
use holdfast_store_sqlite::SqliteStore;
use serde_json::{Value, json};

/// One row per tag of every contact.
pub struct ContactTags {
    http: reqwest::Client,
    base_url: String,
}

impl ContactTags {
    /// A source reading the mock CRM at `base_url`.
    pub fn new(base_url: String) -> Self {
        ContactTags {
            http: reqwest::Client::new(),
            base_url,
        }
    }
}

#[async_trait]
impl Source for ContactTags {
    fn streams(&self) -> Vec<StreamInfo> {
        vec![StreamInfo {
            name: "contact_tags".into(),
            table: TableSpec::new("contact_tags", vec!["contact_id".into(), "tag".into()]),
            cursor_field: Some("updated_at".into()),
            lookback: Duration::ZERO,
            cursor_format: Default::default(),
            parent: None,
            rules: Default::default(),
        }]
    }

    fn read(
        &self,
        stream: &str,
        scope: ReadScope,
    ) -> Result<Box<dyn PageReader + '_>, SourceError> {
        if stream != "contact_tags" {
            return Err(SourceError::UnknownStream(stream.into()));
        }
        Ok(Box::new(TagPages {
            source: self,
            since: scope.cursor.and_then(|c| c.as_str().map(str::to_owned)),
        }))
    }
}

struct TagPages<'a> {
    source: &'a ContactTags,
    since: Option<String>,
}

#[async_trait]
impl PageReader for TagPages<'_> {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        let mut url = reqwest::Url::parse(&format!("{}/cursor/contacts", self.source.base_url))
            .map_err(|e| SourceError::Other(format!("bad base URL: {e}")))?;
        url.query_pairs_mut().append_pair("limit", "200");
        if let Some(token) = position.get("cursor").and_then(Value::as_str) {
            url.query_pairs_mut().append_pair("cursor", token);
        }
        if let Some(since) = &self.since {
            url.query_pairs_mut().append_pair("updated_since", since);
        }
        let shown = url.to_string();
        let fail = |e: reqwest::Error| SourceError::Other(format!("GET {shown}: {e}"));
        let bytes = self
            .source
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(fail)?
            .bytes()
            .await
            .map_err(fail)?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|e| SourceError::Other(format!("GET {shown}: not JSON: {e}")))?;
        let mut records = Vec::new();
        for contact in body["data"].as_array().into_iter().flatten() {
            for tag in contact["tags"].as_array().into_iter().flatten() {
                records.push(json!({
                    "contact_id": contact["id"],
                    "tag": tag,
                    "updated_at": contact["updated_at"],
                }));
            }
        }
        let next = body["meta"]["next_cursor"]
            .as_str()
            .map(|token| json!({ "cursor": token }));
        Ok(Page {
            records,
            next,
            capped: None,
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start(
        MockConfig {
            records: 1000,
            ..MockConfig::default()
        },
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await?;
    let dir = std::env::temp_dir().join(format!("holdfast-custom-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("tags.db");
    let store = SqliteStore::open(&db.display().to_string()).await?;
    let source = ContactTags::new(mock.url());
    for info in source.streams() {
        let summary = sync_stream(
            &source,
            &store,
            &info,
            SyncOptions::default(),
            &NoopObserver,
        )
        .await?;
        println!(
            "{}: {} rows from {} pages",
            summary.stream,
            summary.records(),
            summary.pages
        );
    }
    let per_tag: Vec<(String, i64)> =
        sqlx::query_as("SELECT tag, count(*) FROM contact_tags GROUP BY tag ORDER BY tag")
            .fetch_all(store.pool())
            .await?;
    for (tag, n) in per_tag {
        println!("  {tag:<12} {n}");
    }
    store.close().await;
    mock.shutdown().await;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
