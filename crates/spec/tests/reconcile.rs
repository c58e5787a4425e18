//! `deleted_when:` and `reconcile:` of a stream: what checks, the defaults,
//! and the located errors of what does not.

use std::path::Path;
use std::time::Duration;

use holdfast_spec::{Env, MaxDelete, Missing, Spec, parse_str};

fn file(extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: https://crm.example.com
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts }}
    records: "$.data[*]"
    primary_key: id
{extra}"#
    )
}

fn parse(extra: &str) -> Result<Spec, String> {
    parse_str(
        &file(extra),
        Path::new("holdfast.yaml"),
        &Env::from_map(Default::default()),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn defaults_and_every_form_of_max_delete() {
    let spec = parse("    reconcile: {}\n").expect("valid");
    let r = spec.streams[0].reconcile.clone().expect("reconcile");
    assert_eq!(r.missing, Missing::SoftDelete);
    assert_eq!(r.max_delete, MaxDelete::default());
    assert_eq!((r.grace, r.schedule), (Duration::ZERO, None));
    let spec = parse(
        "    deleted_when: \"record.archived == true\"\n    reconcile: { every: 24h, missing: hard_delete, max_delete: \"5% or 200\", grace: 10m }\n",
    )
    .expect("valid");
    let s = &spec.streams[0];
    assert!(s.deleted_when.is_some());
    let r = s.reconcile.clone().expect("reconcile");
    assert_eq!(r.missing, Missing::HardDelete);
    assert_eq!(r.max_delete.count, 200);
    assert!((r.max_delete.share - 0.05).abs() < 1e-9);
    assert_eq!(r.max_delete.to_string(), "5% or 200");
    assert_eq!(r.grace, Duration::from_secs(600));
    assert!(r.schedule.is_some());
    let keys = parse("    reconcile: { keys_only: { fields: id } }\n").expect("valid");
    let r = keys.streams[0].reconcile.clone().expect("reconcile");
    let scan = r.keys_only.expect("a key scan");
    assert_eq!(
        (scan.path, scan.params),
        (None, vec![("fields".to_owned(), "id".to_owned())])
    );
    let ids = parse("    reconcile: { scan: /v2/contacts/ids }\n").expect("valid");
    let scan = ids.streams[0]
        .reconcile
        .clone()
        .and_then(|r| r.keys_only)
        .expect("scan");
    assert_eq!(
        (scan.path.as_deref(), scan.params.len()),
        (Some("/v2/contacts/ids"), 0)
    );
    let count = parse("    reconcile: { max_delete: 500, missing: report }\n").expect("valid");
    let r = count.streams[0].reconcile.clone().expect("reconcile");
    assert_eq!((r.max_delete.count, r.max_delete.share), (500, 1.0));
    assert_eq!(r.max_delete.to_string(), "500");
}

#[test]
fn mistakes_are_located_with_a_fix() {
    for (extra, wanted) in [
        (
            "    reconcile: { missing: delete }\n",
            "unknown `missing: delete`\n  --> holdfast.yaml:10:27 (streams.contacts.reconcile.missing)",
        ),
        (
            "    reconcile: { max_delete: 150% }\n",
            "`150%` is not a share from 0% to 100%",
        ),
        (
            "    reconcile: { max_delete: \"5% or 6%\" }\n",
            "gives two limits of the same kind",
        ),
        (
            "    reconcile: { max_delete: lots }\n",
            "`lots` is not a share or a count",
        ),
        (
            "    reconcile: { jitter: 5m }\n",
            "`jitter:` needs `every:` or `cron:` beside it",
        ),
        (
            "    reconcile: { every: 24h, cron: \"0 3 * * *\" }\n",
            "a schedule takes `every:` or `cron:`, not both",
        ),
        (
            "    reconcile: { scan: \"ids?x=1\" }\n",
            "`scan: ids?x=1` is not a path",
        ),
        (
            "    deleted_when: \"{{ record.archived }}\"\n",
            "`deleted_when` is a condition, found a template",
        ),
        (
            "    deleted_when: \"body.archived\"\n",
            "streams.contacts.deleted_when",
        ),
    ] {
        let message = parse(extra).expect_err(extra);
        assert!(message.contains(wanted), "{extra}: {message}");
    }
}

#[test]
fn a_tombstone_endpoint_writes_into_its_streams_table() {
    let endpoint = |extra: &str| {
        format!(
            "    into: people\n  gone:\n    connection: crm\n    request: {{ path: /v2/contacts/deleted }}\n    records: \"$.data[*]\"\n{extra}"
        )
    };
    let spec = parse(&endpoint("    primary_key: id\n    deletes: contacts\n")).expect("valid");
    let gone = spec.stream("gone").expect("gone");
    assert_eq!(gone.deletes.as_deref(), Some("contacts"));
    assert_eq!(
        gone.into, "people",
        "the table of the stream it deletes from"
    );
    for (extra, wanted) in [
        (
            "    primary_key: id\n    deletes: contact\n",
            "unknown stream `contact`",
        ),
        (
            "    primary_key: uid\n    deletes: contacts\n",
            "a tombstone endpoint of `contacts` needs its primary key (id), found uid",
        ),
        (
            "    primary_key: id\n    deletes: contacts\n    map: { email: \"$.email\" }\n",
            "`map:` does not apply to a tombstone endpoint (`deletes: contacts`)",
        ),
        (
            "    primary_key: id\n    deletes: gone\n",
            "`gone` is itself a tombstone endpoint (or this stream)",
        ),
    ] {
        let message = parse(&endpoint(extra)).expect_err(extra);
        assert!(message.contains(wanted), "{extra}: {message}");
    }
}
