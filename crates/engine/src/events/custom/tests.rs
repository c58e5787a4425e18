//! A custom stream's events: routed as any, then made into rows by the
//! source's `handle_event`, each with the event's version.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use holdfast_spec::Env;
use holdfast_store::TableSpec;
use serde_json::json;

use super::*;
use crate::jobs::WebhookEvent;
use crate::{PageReader, ReadScope, StreamInfo};

const FILE: &str = r#"
streams:
  tags:
    source: erp
webhooks:
  erp:
    path: /hooks/erp
    verify: { scheme: standard_webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }
    version: "$.at"
    route:
      - stream: tags
        record: "$.contact"
        delete_when: "body.type == 'deleted'"
"#;

fn info() -> StreamInfo {
    StreamInfo {
        name: "tags".into(),
        table: TableSpec::new("tags", vec!["contact".into(), "tag".into()]),
        cursor_field: None,
        lookback: Duration::ZERO,
        cursor_format: Default::default(),
        parent: None,
        rules: Default::default(),
    }
}

fn router() -> EventRouter {
    let spec = holdfast_spec::parse_str(FILE, Path::new("t.yaml"), &Env::default())
        .unwrap_or_else(|e| panic!("{e}"));
    EventRouter::with_custom(Arc::new(spec), &[info()]).expect("router")
}

fn event(body: Value) -> WebhookEvent {
    WebhookEvent {
        webhook: "erp".into(),
        event_id: "e1".into(),
        received_ms: 0,
        headers: BTreeMap::new(),
        body: body.to_string(),
    }
}

/// Answers `handle_event` as its payload's `answer` says.
struct Handler;

#[async_trait]
impl Source for Handler {
    fn streams(&self) -> Vec<StreamInfo> {
        vec![info()]
    }

    fn read(&self, stream: &str, _: ReadScope) -> Result<Box<dyn PageReader + '_>, SourceError> {
        Err(SourceError::UnknownStream(stream.into()))
    }

    async fn handle_event(&self, _: &str, event: Value) -> Result<Vec<Value>, SourceError> {
        match event["answer"].as_str() {
            Some("rows") => Ok(vec![
                json!({"contact": event["id"], "tag": "a"}),
                json!({"contact": event["id"], "tag": "b"}),
            ]),
            Some("none") => Ok(Vec::new()),
            Some("keyless") => Ok(vec![json!({"tag": "a"})]),
            Some("panic") => panic!("the handler broke"),
            _ => Err(SourceError::Other("unreadable contact".into())),
        }
    }
}

async fn resolved(answer: &str, kind: &str) -> Resolved {
    let r = router();
    let body = json!({"type": kind, "at": 5, "contact": {"id": 7, "answer": answer}});
    let routed = r.route(&event(body));
    resolve(&r, &Handler, routed).await
}

#[tokio::test]
async fn the_handler_makes_the_rows_and_each_carries_the_version() {
    let r = router();
    let body = json!({"type": "tagged", "at": 5, "contact": {"id": 7, "answer": "rows"}});
    let Ok(Routed::Handle(custom)) = r.route(&event(body)) else {
        panic!("handed to the custom source")
    };
    assert_eq!(
        custom.record,
        json!({"id": 7, "answer": "rows"}),
        "`record:` picks it"
    );
    let Resolved::Writes(writes) = resolved("rows", "tagged").await else {
        panic!("written")
    };
    let keys: Vec<_> = writes.iter().map(|w| w.row.key.clone()).collect();
    assert_eq!(
        keys,
        [vec![json!(7), json!("a")], vec![json!(7), json!("b")]]
    );
    for w in &writes {
        assert_eq!(w.stream, "tags");
        assert_eq!(
            w.version, custom.version,
            "the event's version on every row"
        );
        assert!(w.version.is_some() && !w.delete);
    }
    let Resolved::Writes(deletes) = resolved("rows", "deleted").await else {
        panic!("deleted")
    };
    assert!(
        deletes.iter().all(|w| w.delete),
        "each row returned is deleted"
    );
}

#[tokio::test]
async fn what_the_handler_cannot_do_is_ignored_or_dead_lettered() {
    assert_eq!(resolved("none", "tagged").await, Resolved::Ignored);
    for (answer, reason) in [
        ("keyless", "stream `tags`: the record is invalid"),
        (
            "fail",
            "stream `tags`: handle_event failed: unreadable contact",
        ),
        (
            "panic",
            "stream `tags`: handle_event panicked: the handler broke",
        ),
    ] {
        match resolved(answer, "tagged").await {
            Resolved::Dead(why) => assert!(why.contains(reason), "{answer}: {why}"),
            other => panic!("{answer}: {other:?}"),
        }
    }
}
