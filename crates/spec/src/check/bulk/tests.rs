use crate::check::context::Ctx;
use crate::check::streams::{Known, stream};
use crate::env::Env;
use crate::model::{Download, Method, Stream};
use crate::raw::RawStream;
use crate::schema_files::SchemaFiles;
use crate::span::SpanIndex;

fn check(yaml: &str) -> (Option<Stream>, Vec<String>) {
    let raw: RawStream = yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    let known = Known {
        connections: vec!["crm"],
        streams: vec!["contacts", "export"],
        schemas: &SchemaFiles::default(),
    };
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let s = stream(&mut ctx, "export", &raw, &known);
    let messages = ctx
        .finish()
        .into_iter()
        .map(|d| format!("{}: {}", d.key_path, d.message));
    (s, messages.collect())
}

const GOOD: &str = r#"
connection: crm
primary_key: id
bulk:
  create: { path: /v2/exports, json: { object: contacts, since: "{{ cursor }}", gzip: true } }
  job_id: "$.id"
  poll:
    request: { path: "/v2/exports/{{ job.id }}" }
    every: 2s
    until: "body.state == 'done'"
    failed_when: "body.state == 'failed'"
    timeout: 30m
  download: "$.files[*].url"
  rows: "$.row_count"
  checkpoint_every: 500
"#;

#[test]
fn a_full_bulk_stream_checks() {
    let (s, errors) = check(GOOD);
    assert!(errors.is_empty(), "{errors:?}");
    let s = s.expect("valid");
    let bulk = s.bulk.expect("bulk");
    assert_eq!(bulk.create.method, Method::Post);
    assert_eq!(bulk.poll.request.method, Method::Get);
    assert_eq!(bulk.poll.every.as_secs(), 2);
    assert_eq!(bulk.poll.timeout.as_secs(), 1800);
    assert_eq!(bulk.checkpoint_every, 500);
    assert!(matches!(&bulk.download, Download::Urls(p) if p.source == "$.files[*].url"));
    assert_eq!(
        bulk.create.json.expect("json")["since"],
        serde_json::json!("{{ cursor }}")
    );
    // the stand-ins other code reads
    assert_eq!(s.request.path.source, "/v2/exports");
}

#[test]
fn defaults_apply() {
    let yaml = r#"{ connection: crm, primary_key: id, bulk: { create: { path: /x }, job_id: $.id,
        poll: { request: { path: "/x/{{ job.id }}" }, until: "body.done" }, download: $.url } }"#;
    let (s, errors) = check(yaml);
    assert!(errors.is_empty(), "{errors:?}");
    let bulk = s.and_then(|s| s.bulk).expect("bulk");
    assert_eq!(bulk.checkpoint_every, 1_000);
    assert_eq!(bulk.max_download, 4_000_000_000);
    assert_eq!(bulk.poll.every.as_secs(), 5);
    assert!(bulk.rows.is_none() && bulk.poll.failed_when.is_none());
}

#[test]
fn request_paginate_and_records_are_refused_beside_bulk() {
    let yaml = GOOD.replace(
        "primary_key: id\n",
        "primary_key: id\nrequest: { path: /c }\nrecords: $.data\n",
    );
    let (s, errors) = check(&yaml);
    assert!(s.is_none());
    assert_eq!(
        errors,
        [
            "streams.export.request: `request` cannot be used with `bulk:`",
            "streams.export.records: `records` cannot be used with `bulk:`",
        ]
    );
}

#[test]
fn mistakes_are_located() {
    let yaml = r#"{ connection: crm, primary_key: id, bulk: { create: { method: PUT, path: "/x/{{ job.id }}" },
        job_id: id, poll: { request: { path: "/x/{{ cursor }}" }, until: "{{ body.done }}", every: 0s },
        checkpoint_every: 0 } }"#;
    let (s, errors) = check(yaml);
    assert!(s.is_none());
    let at: Vec<&str> = errors
        .iter()
        .map(|e| e.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        at,
        [
            "streams.export.bulk.create.method",
            "streams.export.bulk.create.path",
            "streams.export.bulk.job_id",
            "streams.export.bulk.poll.request.path",
            "streams.export.bulk.poll.every",
            "streams.export.bulk.poll.until",
            "streams.export.bulk.download",
            "streams.export.bulk.checkpoint_every",
        ],
        "{errors:#?}"
    );
}

#[test]
fn a_results_request_with_a_locator_chain_checks() {
    let yaml = GOOD.replace(
        "  download: \"$.files[*].url\"\n",
        "  download:\n    request: { path: \"/jobs/{{ job.id }}/results\", params: { maxRecords: \"50000\" } }\n    next: { header: Sforce-Locator, param: locator, last: \"null\" }\n",
    );
    let (s, errors) = check(&yaml);
    assert!(errors.is_empty(), "{errors:?}");
    let bulk = s.and_then(|s| s.bulk).expect("bulk");
    let Download::Request(download) = bulk.download else {
        panic!("a request form: {:?}", bulk.download);
    };
    assert_eq!(download.request.method, Method::Get);
    assert_eq!(download.request.path.source, "/jobs/{{ job.id }}/results");
    let next = download.next.expect("next");
    assert_eq!(
        (
            next.header.as_str(),
            next.param.as_str(),
            next.last.as_deref()
        ),
        ("Sforce-Locator", "locator", Some("null"))
    );
}

#[test]
fn results_request_mistakes_are_located() {
    let yaml = GOOD.replace(
        "  download: \"$.files[*].url\"\n",
        "  download:\n    request: { path: \"/jobs/{{ cursor }}/results\" }\n    next: { header: \"Sforce Locator\" }\n",
    );
    let (s, errors) = check(&yaml);
    assert!(s.is_none());
    let at: Vec<&str> = errors
        .iter()
        .map(|e| e.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        at,
        [
            "streams.export.bulk.download.request.path",
            "streams.export.bulk.download.next.header",
            "streams.export.bulk.download.next.param",
        ],
        "{errors:#?}"
    );
    let typo = GOOD.replace(
        "  download: \"$.files[*].url\"\n",
        "  download: { request: { path: /r }, locator: x }\n",
    );
    let err = yaml_serde::from_str::<RawStream>(&typo)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("unknown field `locator`"), "{err}");
}
