//! Every pagination style of the mock, synced twice: all records land once,
//! `_raw` is the record as served, the second run changes nothing, and the
//! pages the run counts are the requests the API saw.

mod common;

use common::{Sandbox, contacts_connector, count, ids, mock_contacts, requests_to, runs};

const RECORDS: u64 = 250;

/// Syncs `/{style}/contacts` twice with the given `request:`/`paginate:`
/// settings; `pages` is how many requests one full read takes.
async fn sync_twice(style: &str, params: &str, paginate: &str, pages: i64) {
    let mock = common::start_mock(RECORDS).await;
    let path = format!("/{style}/contacts");
    let sandbox = Sandbox::new();
    let request = format!("{{ path: {path}{params} }}");
    sandbox.write_config(&contacts_connector(&mock.url(), &request, paginate));

    // First sync: everything is created, once.
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    let expected: Vec<i64> = (1..=RECORDS as i64).collect();
    assert_eq!(ids(&pool, "contacts").await, expected, "{style}: ids");
    let first = runs(&pool).await;
    assert_eq!(first.len(), 1, "{style}: {first:?}");
    let run1 = &first[0];
    assert_eq!(
        (
            run1.outcome.as_str(),
            run1.created,
            run1.updated,
            run1.unchanged
        ),
        ("succeeded", RECORDS as i64, 0, 0),
        "{style}: first run {run1:?}"
    );
    assert_eq!(run1.pages, pages, "{style}: pages of the first run");
    // Offset and page numbers are known ahead, so up to `max_concurrency`
    // (default 4) pages are fetched at once: at most 3 requests past the end.
    let extra = if matches!(style, "offset" | "page") {
        3
    } else {
        0
    };
    let sent = requests_to(&mock, &path);
    assert!(
        (pages as u64..=pages as u64 + extra).contains(&sent),
        "{style}: {sent} requests for {pages} pages"
    );

    // Second sync: the same rows, nothing created or updated.
    sandbox.run(&["sync"]).await.expect_code(0);
    let all = runs(&pool).await;
    assert_eq!(all.len(), 2, "{style}: {all:?}");
    let run2 = &all[1];
    assert_eq!(
        (
            run2.outcome.as_str(),
            run2.created,
            run2.updated,
            run2.unchanged
        ),
        ("succeeded", 0, 0, RECORDS as i64),
        "{style}: second run {run2:?}"
    );
    assert_eq!(run2.pages, pages, "{style}: pages of the second run");
    assert_eq!(
        requests_to(&mock, &path),
        2 * sent,
        "{style}: the second run's requests"
    );
    assert_eq!(count(&pool, "contacts").await, RECORDS as i64);
    assert_eq!(ids(&pool, "contacts").await, expected);

    // Every row: seen by run 2, unchanged there, content from run 1.
    let meta: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(_last_run = ?1), sum(_last_change = 0), sum(_updated_run = ?2) \
         FROM contacts",
    )
    .bind(run2.id)
    .bind(run1.id)
    .fetch_one(&pool)
    .await
    .expect("metadata");
    let n = RECORDS as i64;
    assert_eq!(meta, (n, n, n, n), "{style}: metadata columns");

    // `_raw` is the record exactly as the API serves it.
    let served = mock_contacts(&mock.url()).await;
    for id in [1_i64, 2, 101, 137, 200, 250] {
        let raw: String = sqlx::query_scalar("SELECT _raw FROM contacts WHERE id = ?")
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("sample row");
        let stored: serde_json::Value = serde_json::from_str(&raw).expect("_raw is JSON");
        assert_eq!(stored, served[&id], "{style}: _raw of contact {id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cursor() {
    sync_twice(
        "cursor",
        ", params: { limit: 100 }",
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor }"#,
        3,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn next_url() {
    sync_twice(
        "next_url",
        ", params: { limit: 100 }",
        r#"{ type: next_url, next: "$.links.next" }"#,
        3,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn offset() {
    sync_twice(
        "offset",
        "",
        "{ type: offset, param: offset, limit_param: limit, limit: 100 }",
        // 100, 100, 50, then the empty page that ends the chain (a short
        // page may be a capped one, not the last)
        4,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn page() {
    sync_twice(
        "page",
        "",
        "{ type: page, param: page, start: 1, size_param: per_page, size: 100 }",
        4,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn link_header() {
    sync_twice(
        "link_header",
        ", params: { limit: 100 }",
        "{ type: link_header }",
        3,
    )
    .await;
}

/// GitHub's `Link` header: `rel="next"` followed by `rel="last"` (and `prev`,
/// `first`) in one header (issue 14).
#[tokio::test(flavor = "multi_thread")]
async fn github_link_header() {
    sync_twice(
        "github",
        ", params: { per_page: 100 }",
        "{ type: link_header }",
        3,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn none() {
    sync_twice("none", "", "{ type: none }", 1).await;
}

/// Offset pages are fetched several at once (up to `max_concurrency`): with a
/// slow API, requests of one batch arrive together instead of one after another.
#[tokio::test(flavor = "multi_thread")]
async fn offset_pages_are_fetched_in_parallel() {
    use std::time::Duration;
    let mock = common::start_mock_with(holdfast_mock::MockConfig {
        records: 1_000,
        latency: Duration::from_millis(150),
        ..holdfast_mock::MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    let paginate = "{ type: offset, param: offset, limit_param: limit, limit: 100 }";
    sandbox.write_config(&contacts_connector(
        &mock.url(),
        "{ path: /offset/contacts }",
        paginate,
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=1_000).collect::<Vec<i64>>()
    );
    let mut arrivals: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == "/offset/contacts")
        .map(|r| r.at)
        .collect();
    arrivals.sort();
    // Each answer takes 150 ms: two requests arriving within 50 ms of each
    // other were in flight at the same time.
    let together = arrivals
        .windows(2)
        .filter(|w| (w[1] - w[0]).num_milliseconds() < 50)
        .count();
    assert!(
        together >= 3,
        "{together} overlapping requests among {}",
        arrivals.len()
    );
    assert!(
        arrivals.len() <= 10 + 3,
        "{} requests for 10 pages",
        arrivals.len()
    );
}
