//! Answers that would make a wrong result look like a success: each must end
//! the run loudly (non-zero exit, a failed run naming the stream, the page
//! and what was wrong), never as an empty, green run.

mod common;

use common::{Sandbox, count, runs};
use holdfast_mock::{FaultProfile, MockConfig};

fn connector(base_url: &str, extra: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    retry: {{ attempts: 1 }}{extra}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts, params: {{ limit: 50 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

/// A `200 OK` whose body holds an error instead of the records list is not
/// an empty page: the run fails and says what the body had instead.
#[tokio::test]
async fn an_answer_without_the_records_list_fails_the_run() {
    let mock = common::start_mock_with(MockConfig {
        records: 120,
        faults: FaultProfile::parse("error_body=100%").expect("fault spec"),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), ""));

    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "an error body must not pass\n{out}");
    let text = out.all_text();
    for needle in [
        "contacts",
        "/v2/contacts",
        "`records: $.data[*]` finds no list",
        "`data` is not there (the body has `error`, `success`)",
        "errors:",
    ] {
        assert!(text.contains(needle), "missing {needle:?}\n{out}");
    }
    let pool = sandbox.pool().await;
    let runs = runs(&pool).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, "failed", "{runs:?}");
    assert!(
        runs[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("finds no list")),
        "{runs:?}"
    );
    assert_eq!(count(&pool, "contacts").await, 0);
}

/// Where such an answer really means "nothing here", an `errors:` rule with
/// `action: skip` says so, and the run passes.
#[tokio::test]
async fn a_skip_rule_accepts_an_answer_without_records() {
    let mock = common::start_mock_with(MockConfig {
        records: 120,
        faults: FaultProfile::parse("error_body=100%").expect("fault spec"),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    let rule = r#"
    errors:
      - when: "status == 200 and body.success == false"
        action: skip"#;
    sandbox.write_config(&connector(&mock.url(), rule));

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    // The skip is said, not passed off as an empty API.
    assert!(
        out.all_text()
            .contains("1 answer was skipped by an `errors:` rule"),
        "{out}"
    );
    let pool = sandbox.pool().await;
    assert_eq!(runs(&pool).await[0].outcome, "succeeded");
}

/// A run whose every record is quarantined stores nothing: its summary
/// says so and where to look, not only a count.
#[tokio::test]
async fn a_run_that_stores_nothing_says_so() {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    // The API renamed its key: every record lacks `contact_id`.
    let yaml = connector(&mock.url(), "").replace("primary_key: id", "primary_key: contact_id");
    sandbox.write_config(&yaml);

    let out = sandbox.run(&["sync"]).await;
    assert!(
        out.all_text().contains(
            "every record read was quarantined, none stored: see `holdfast quarantine contacts`"
        ),
        "{out}"
    );
}

/// An API that quietly caps its page size below the `limit` asked for
/// answers a short page that is not the last: offset and page-number
/// chains must not take it for the end. The mock serves at most 1,000
/// records a page; the stream asks for 2,000.
#[tokio::test(flavor = "multi_thread")]
async fn a_capped_page_is_not_taken_for_the_last() {
    for (path, paginate) in [
        (
            "/offset/contacts",
            "{ type: offset, param: offset, limit_param: limit, limit: 2000 }",
        ),
        (
            "/page/contacts",
            "{ type: page, param: page, start: 1, size_param: per_page, size: 2000 }",
        ),
    ] {
        let mock = common::start_mock(2_500).await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&common::contacts_connector(
            &mock.url(),
            &format!("{{ path: {path} }}"),
            paginate,
        ));
        let out = sandbox.run(&["sync"]).await;
        out.expect_code(0);
        let pool = sandbox.pool().await;
        let ids = common::ids(&pool, "contacts").await;
        assert!(
            ids == (1..=2_500).collect::<Vec<i64>>(),
            "{path}: {} records stored, not 2,500\n{out}",
            ids.len()
        );
        let capped: Vec<_> = common::drift_entries(&pool)
            .await
            .into_iter()
            .filter(|d| d.kind == "page_size_capped")
            .collect();
        assert_eq!(capped.len(), 1, "{path}: {capped:?}");
    }
}

/// An incremental stream whose records lack the cursor field cannot move
/// its cursor: the run says so instead of re-reading everything in silence.
#[tokio::test]
async fn a_cursor_field_no_record_has_is_said() {
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    let yaml = connector(&mock.url(), "").replace(
        "primary_key: id\n",
        "primary_key: id\n    incremental: { cursor_field: updatedAt }\n",
    );
    sandbox.write_config(&yaml);

    let out = sandbox.run(&["sync"]).await;
    out.expect_code(0);
    assert!(
        out.all_text().contains(
            "none of the 30 records read had a value in `updatedAt` (`incremental.cursor_field`)"
        ),
        "{out}"
    );
}
