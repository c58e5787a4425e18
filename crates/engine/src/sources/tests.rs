//! [`Sources`] routes each call to the source that owns the stream.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use holdfast_spec::Env;
use holdfast_store::TableSpec;
use serde_json::json;

use super::*;
use crate::source::Page;

/// A custom source of streams `tags` and `notes` that notes every call.
#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<String>>,
}

impl Fake {
    fn note(&self, call: String) {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct OnePage;

#[async_trait]
impl PageReader for OnePage {
    async fn read_page(&mut self, _: &Value) -> Result<Page, SourceError> {
        Ok(Page {
            records: vec![json!({"id": "t1"})],
            ..Page::default()
        })
    }
}

fn info(name: &str, table: &str) -> StreamInfo {
    StreamInfo {
        name: name.into(),
        table: TableSpec::new(table, vec!["id".into()]),
        cursor_field: None,
        lookback: Duration::ZERO,
        cursor_format: Default::default(),
        parent: None,
        rules: Default::default(),
    }
}

#[async_trait]
impl Source for Fake {
    fn streams(&self) -> Vec<StreamInfo> {
        vec![info("tags", "tags"), info("notes", "contacts")]
    }

    async fn connect(&self) -> Result<(), SourceError> {
        self.note("connect".into());
        Ok(())
    }

    fn read(&self, stream: &str, _: ReadScope) -> Result<Box<dyn PageReader + '_>, SourceError> {
        self.note(format!("read {stream}"));
        Ok(Box::new(OnePage))
    }

    async fn handle_event(&self, stream: &str, event: Value) -> Result<Vec<Value>, SourceError> {
        self.note(format!("handle_event {stream}"));
        Ok(vec![json!({"id": event["id"], "via": "handler"})])
    }

    fn parallel_chains(&self, _: &str) -> usize {
        3
    }

    fn take_requests(&self) -> Vec<RequestRow> {
        self.note("take_requests".into());
        Vec::new()
    }

    async fn disconnect(&self) {
        self.note("disconnect".into());
    }
}

fn declarative(yaml: &str) -> DeclarativeSource {
    let spec = holdfast_spec::parse_str(yaml, Path::new("t.yaml"), &Env::default())
        .unwrap_or_else(|e| panic!("{e}"));
    DeclarativeSource::new(Arc::new(spec), &Env::default()).expect("declarative source")
}

const FILE: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
  tags:
    source: erp
  tag_notes:
    connection: crm
    for_each: { stream: tags, as: tag }
    request: { path: "/v2/tags/{{ tag.id }}/notes" }
    records: "$.data[*]"
    primary_key: id
"#;

fn with_fake(yaml: &str) -> (Sources, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let custom = CustomSources::from([("erp".to_owned(), fake.clone() as Arc<dyn Source>)]);
    let sources = Sources::new(declarative(yaml), &custom).expect("sources");
    (sources, fake)
}

#[tokio::test]
async fn every_call_goes_to_the_source_of_the_stream() {
    let (sources, fake) = with_fake(FILE);
    let names: Vec<String> = sources.streams().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["contacts", "tags", "tag_notes"], "the file's order");
    let child = sources
        .streams()
        .into_iter()
        .find(|s| s.name == "tag_notes")
        .and_then(|s| s.parent)
        .expect("a child of the custom stream");
    assert_eq!(
        (child.stream.as_str(), child.table.name.as_str()),
        ("tags", "tags")
    );

    let page = sources
        .read("tags", ReadScope::default())
        .expect("reader")
        .read_page(&Value::Null)
        .await
        .expect("page");
    assert_eq!(page.records, [json!({"id": "t1"})]);
    assert!(sources.read("contacts", ReadScope::default()).is_ok());
    assert_eq!(sources.parallel_chains("tags"), 3);
    let own = sources.declarative().parallel_chains("contacts");
    assert_eq!(sources.parallel_chains("contacts"), own);
    let handled = sources.handle_event("tags", json!({"id": 7})).await;
    assert_eq!(
        handled.expect("handled"),
        [json!({"id": 7, "via": "handler"})]
    );
    let plain = sources.handle_event("contacts", json!({"id": 8})).await;
    assert_eq!(
        plain.expect("default"),
        [json!({"id": 8})],
        "not the custom one's"
    );
    assert!(sources.take_requests().is_empty());
    sources.disconnect().await;
    assert_eq!(
        fake.calls(),
        [
            "read tags",
            "handle_event tags",
            "take_requests",
            "disconnect"
        ]
    );
    let (source, info) = sources.custom_stream("tags").expect("custom");
    assert_eq!(info.table.name, "tags");
    assert_eq!(source.parallel_chains("tags"), 3);
    assert!(sources.custom_stream("contacts").is_none());
}

#[tokio::test]
async fn connect_reaches_every_custom_source() {
    let (sources, fake) = with_fake("streams:\n  tags: { source: erp }\n");
    sources.connect().await.expect("connected");
    assert_eq!(fake.calls(), ["connect"]);
}

#[test]
fn a_source_or_stream_that_is_not_there_is_refused() {
    let missing = Sources::new(declarative(FILE), &CustomSources::new()).expect_err("refused");
    assert_eq!(
        missing.to_string(),
        "`streams.tags.source`: no custom source `erp` in this holdfast"
    );
    let fake = Arc::new(Fake::default()) as Arc<dyn Source>;
    let custom = CustomSources::from([("erp".to_owned(), fake)]);
    let other = "streams:\n  labels: { source: erp }\n";
    let unknown = Sources::new(declarative(other), &custom).expect_err("refused");
    assert_eq!(
        unknown.to_string(),
        "`streams.labels.source`: the custom source `erp` has no stream `labels`"
    );
    let taken = FILE.replace("  tags:\n    source: erp\n", "  notes:\n    source: erp\n");
    let taken = taken.replace("stream: tags", "stream: contacts");
    let clash = Sources::new(declarative(&taken), &custom).expect_err("refused");
    assert_eq!(
        clash.to_string(),
        "`streams.notes.source`: table `contacts` of stream `notes` is already used by stream `contacts`"
    );
}
