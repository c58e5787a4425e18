//! Issue 14, item 4: a `map:` path that matches nothing. A typo in a path
//! (`$.emial`) used to fill a column with NULL in every row while the run
//! said nothing. Now the run prints one warning per stream and path, the
//! drift log has a `map_empty` event, `holdfast drift` lists it, and
//! `holdfast check --sample` finds it before any sync. Also `parse: json`
//! for JSON held in a string field, with text that is not JSON quarantined.

mod common;

use common::{Sandbox, count, cursor_connector, drift_entries, open_quarantine, runs};
use holdfast_mock::MockConfig;
use serde_json::Value;
use sqlx::Row;

const RECORDS: u64 = 120;

/// `email` misspelt; `phone` is null in about a third of the contacts
/// (legitimately optional, never reported); `first` matches.
const MAP: &str = r#"    map:
      email: "$.emial"
      phone: "$.properties.phone"
      first: { from: "$.name.first", type: string }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_path_that_matches_nothing_is_a_warning_and_a_drift_event() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 20, MAP));

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("matched nothing"))
        .collect();
    assert_eq!(
        warnings.len(),
        1,
        "once per stream and path, not per page:\n{out}"
    );
    for needle in ["contacts", "`$.emial`", "column `email`", "map_empty"] {
        assert!(
            warnings[0].contains(needle),
            "`{needle}` missing: {}",
            warnings[0]
        );
    }
    assert!(!out.stderr.contains("$.properties.phone"), "{out}");

    let pool = sandbox.pool().await;
    assert_eq!(count(&pool, "contacts").await, 120, "the run still writes");
    let drift = drift_entries(&pool).await;
    let empty: Vec<_> = drift.iter().filter(|d| d.kind == "map_empty").collect();
    assert_eq!(empty.len(), 1, "{drift:?}");
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!(
        (
            empty[0].stream.as_str(),
            empty[0].path.as_str(),
            empty[0].run_id
        ),
        ("contacts", "$.emial", Some(run.id))
    );
    assert_eq!(empty[0].before, "column `email`");

    let listed = sandbox.run(&["drift"]).await;
    listed.expect_code(0);
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.contains("map_empty") && l.contains("$.emial") && l.contains("contacts")),
        "{listed}"
    );

    // a second run reports it again (once)
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert_eq!(out.stderr.matches("matched nothing").count(), 1, "{out}");
    assert_eq!(
        drift_entries(&pool)
            .await
            .iter()
            .filter(|d| d.kind == "map_empty")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_sample_reports_paths_that_match_nothing() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 20, MAP));

    // without --sample, check does not read pages for the map
    sandbox.run(&["check"]).await.expect_code(0);

    let out = sandbox.run(&["check", "--sample"]).await;
    out.expect_code(1);
    assert!(
        out.stderr.contains("stream `contacts`")
            && out.stderr.contains("`$.emial`")
            && out.stderr.contains("column `email`")
            && out.stderr.contains("20 records of its first page"),
        "{out}"
    );
    assert!(!out.all_text().contains("$.properties.phone"), "{out}");

    let fixed = MAP.replace("$.emial", "$.email");
    sandbox.write_config(&cursor_connector(&mock.url(), 20, &fixed));
    let out = sandbox.run(&["check", "--sample", "contacts"]).await;
    out.expect_code(0);
    assert!(out.stdout.contains("ok: stream `contacts`"), "{out}");

    let out = sandbox.run(&["check", "--sample", "peple"]).await;
    out.expect_code(2);
    assert!(out.stderr.contains("no stream `peple`"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_page_with_an_empty_optional_column_is_not_reported() {
    // 3 records on one page: `phone` is null in some, `company` maybe in all
    let mock = common::start_mock(3).await;
    let sandbox = Sandbox::new();
    let map = "    map:\n      phone: \"$.properties.phone\"\n      email: \"$.email\"\n";
    sandbox.write_config(&cursor_connector(&mock.url(), 20, map));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let served = common::mock_records(&mock.url()).await;
    let any_phone = served.iter().any(|c| !c["properties"]["phone"].is_null());
    // the whole run never saw a phone: that is worth a word even on 3 records
    assert_eq!(out.stderr.contains("matched nothing"), !any_phone, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn parse_json_reads_json_held_in_a_string() {
    let mock = common::start_mock_with(MockConfig {
        records: 30,
        bad_every: 10,
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        r#"connections:
  crm:
    base_url: "{}"
streams:
  contacts:
    connection: crm
    request: {{ path: /v3/contacts, params: {{ limit: 100 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    map:
      email: {{ from: "$.details", parse: json, transform: "value.email", type: string }}
      details: {{ from: "$.details", parse: json }}
"#,
        mock.url()
    ));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    let pool = sandbox.pool().await;
    let rows = sqlx::query("SELECT id, email, details, _raw FROM contacts ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 27, "30 served, 3 with broken JSON text");
    for row in &rows {
        let raw: Value = serde_json::from_str(&row.get::<String, _>("_raw")).expect("raw");
        let inner: Value =
            serde_json::from_str(raw["details"].as_str().expect("text")).expect("JSON text");
        assert_eq!(
            row.get::<String, _>("email"),
            inner["email"].as_str().expect("email")
        );
        let details: Value =
            serde_json::from_str(&row.get::<String, _>("details")).expect("stored JSON");
        assert_eq!(details, inner, "stored as JSON, not as a string");
    }
    let quarantined = open_quarantine(&pool).await;
    assert_eq!(
        quarantined.keys().copied().collect::<Vec<_>>(),
        vec![10, 20, 30]
    );
    for q in quarantined.values() {
        assert!(
            q.reason.contains("/details") && q.reason.contains("not JSON"),
            "{}",
            q.reason
        );
    }
    let run = runs(&pool).await.last().expect("run").clone();
    assert_eq!((run.outcome.as_str(), run.quarantined), ("succeeded", 3));
}
