//! A `holdfast` binary with a hand-written connector compiled in: for an API
//! the connector file cannot describe.
//!
//! The connector file selects records with a JSONPath; it cannot turn one
//! record into several. `ContactTags` reads the mock CRM's contacts and
//! emits one row per (contact, tag), the shape a reporting table wants. It
//! implements [`Source`] and [`PageReader`] and is registered as the custom
//! source `crm_tags`; a stream with `source: crm_tags` in the connector file
//! (see `custom_source.yaml` beside this file) is then synced, scheduled
//! and fed by webhooks like any declarative stream: the store, one
//! transaction per page, resumable positions, incremental cursors and run
//! records come from the engine.
//!
//! ```text
//! holdfast mock --port 8900 &
//! CRM_URL=http://127.0.0.1:8900 cargo run --example custom_source -- \
//!     sync --config examples/custom_source.yaml
//! ```
//!
//! Every command of the stock `holdfast` is there (`check`, `sync`, `serve`,
//! `status`, …): this `main` is the whole difference.

use std::process::ExitCode;
use std::time::Duration;

use async_trait::async_trait;
use holdfast_cli::{
    Holdfast, Page, PageReader, ReadScope, Source, SourceError, StreamInfo, TableSpec,
};
use serde_json::{Value, json};

fn main() -> ExitCode {
    Holdfast::new()
        .source("crm_tags", ContactTags::from_env())
        .run()
}

/// The stream `ContactTags` offers.
const STREAM: &str = "contact_tags";

/// One row per tag of every contact of the mock CRM at `CRM_URL`.
pub struct ContactTags {
    http: reqwest::Client,
    /// `CRM_URL`, read when the binary starts.
    base_url: Option<String>,
}

impl ContactTags {
    /// A source reading the mock CRM at `$CRM_URL`.
    pub fn from_env() -> Self {
        ContactTags {
            http: reqwest::Client::new(),
            base_url: std::env::var("CRM_URL").ok().filter(|u| !u.is_empty()),
        }
    }

    fn base_url(&self) -> Result<&str, SourceError> {
        self.base_url.as_deref().ok_or_else(|| {
            SourceError::Other("set CRM_URL to the CRM's base URL (`holdfast mock`)".into())
        })
    }
}

/// The rows of one contact: one per tag (none for a contact without tags).
fn rows(contact: &Value) -> Vec<Value> {
    contact["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| {
            json!({
                "contact_id": contact["id"],
                "tag": tag,
                "updated_at": contact["updated_at"],
            })
        })
        .collect()
}

#[async_trait]
impl Source for ContactTags {
    fn streams(&self) -> Vec<StreamInfo> {
        vec![StreamInfo {
            name: STREAM.into(),
            table: TableSpec::new(STREAM, vec!["contact_id".into(), "tag".into()]),
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
        if stream != STREAM {
            return Err(SourceError::UnknownStream(stream.into()));
        }
        Ok(Box::new(TagPages {
            source: self,
            since: scope.cursor.and_then(|c| c.as_str().map(str::to_owned)),
        }))
    }

    /// A webhook event routed to `contact_tags` carries a contact (the
    /// route's `record:`): its rows, marked as pushed rather than read.
    async fn handle_event(&self, stream: &str, event: Value) -> Result<Vec<Value>, SourceError> {
        if stream != STREAM {
            return Err(SourceError::UnknownStream(stream.into()));
        }
        if event["id"].is_null() {
            return Err(SourceError::Other("the event's contact has no `id`".into()));
        }
        let mut rows = rows(&event);
        for row in &mut rows {
            row["via"] = json!("webhook");
        }
        Ok(rows)
    }
}

struct TagPages<'a> {
    source: &'a ContactTags,
    since: Option<String>,
}

#[async_trait]
impl PageReader for TagPages<'_> {
    async fn read_page(&mut self, position: &Value) -> Result<Page, SourceError> {
        let base = self.source.base_url()?;
        let mut url = reqwest::Url::parse(&format!("{base}/cursor/contacts"))
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
        let records = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(rows)
            .collect();
        let next = body["meta"]["next_cursor"]
            .as_str()
            .map(|token| json!({ "cursor": token }));
        Ok(Page {
            records,
            next,
            capped: None,
            skipped: false,
        })
    }
}
