//! The pagination forms of real APIs, against the mock's vendor-shaped
//! listings: a next token in a response header (sent back as a query
//! parameter or a header), Stripe's cursor from the last record with
//! `has_more`, Jira's `startAt`/`maxResults`/`total`, and Shopify's
//! `page_info` links (followed as given, or with `params: keep`).

mod common;

use common::{Sandbox, ids, query_param, runs};

const RECORDS: u64 = 25;

fn connector(base_url: &str, request: &str, paginate: &str, records: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {request}
    paginate: {paginate}
    records: "{records}"
    primary_key: id
"#
    )
}

fn seen(mock: &holdfast_mock::MockServer, path: &str) -> Vec<holdfast_mock::SeenRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

/// Syncs once; asserts every contact landed once; returns the requests seen.
async fn sync_all(
    request: &str,
    paginate: &str,
    records: &str,
    path: &str,
) -> Vec<holdfast_mock::SeenRequest> {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), request, paginate, records));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=RECORDS as i64).collect::<Vec<_>>()
    );
    seen(&mock, path)
}

/// Syncs once, expecting failure; returns the output text and rows stored.
async fn sync_fails(request: &str, paginate: &str, records: &str) -> (String, i64) {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), request, paginate, records));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].outcome, "failed", "{:?}", all[0]);
    (out.all_text(), all[0].created)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_token_in_a_response_header() {
    let sent = sync_all(
        "{ path: /header_token/contacts, params: { limit: 10 } }",
        "{ type: cursor, next_header: X-Next-Token, param: page_token }",
        "$.data[*]",
        "/header_token/contacts",
    )
    .await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(query_param(&sent[0].query, "page_token"), None);
    let tokens: Vec<_> = sent[1..]
        .iter()
        .map(|r| query_param(&r.query, "page_token").expect("a token"))
        .collect();
    assert_ne!(tokens[0], tokens[1]);

    // The same token sent back in a request header instead.
    let sent = sync_all(
        "{ path: /header_token/contacts, params: { limit: 10 } }",
        "{ type: cursor, next_header: X-Next-Token, in: header, param: X-Page-Token }",
        "$.data[*]",
        "/header_token/contacts",
    )
    .await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(!sent[0].headers.contains_key("x-page-token"));
    for r in &sent[1..] {
        assert!(r.headers.contains_key("x-page-token"), "{r:?}");
        assert_eq!(query_param(&r.query, "page_token"), None, "{r:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_continues_after_the_last_record_while_has_more() {
    let sent = sync_all(
        "{ path: /stripe/contacts, params: { limit: 10 } }",
        r#"{ type: last_record, field: id, param: starting_after, more: "$.has_more" }"#,
        "$.data[*]",
        "/stripe/contacts",
    )
    .await;
    let after: Vec<Option<String>> = sent
        .iter()
        .map(|r| query_param(&r.query, "starting_after"))
        .collect();
    assert_eq!(after, [None, Some("10".into()), Some("20".into())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_without_has_more_is_an_error_not_the_end() {
    let paginate = r#"{ type: last_record, field: id, param: starting_after, more: "$.has_more" }"#;
    let (text, created) = sync_fails(
        "{ path: /stripe/contacts, params: { limit: 10, drop_has_more: 1 } }",
        paginate,
        "$.data[*]",
    )
    .await;
    assert!(
        text.contains("`paginate.more` ($.has_more) is missing from the body"),
        "{text}"
    );
    assert_eq!(created, 0, "the page without `has_more` is not written");

    // `has_more` true on the empty page past the end.
    let (text, created) = sync_fails(
        "{ path: /stripe/contacts, params: { limit: 25, lie_more: 1 } }",
        paginate,
        "$.data[*]",
    )
    .await;
    assert!(text.contains("is true on a page without records"), "{text}");
    assert_eq!(created, 25, "the real page was written before the lie");
}

#[tokio::test(flavor = "multi_thread")]
async fn jira_ends_at_the_total_without_asking_past_it() {
    let paginate = r#"{ type: offset, param: startAt, limit_param: maxResults, limit: 10, expect_total: "$.total" }"#;
    let sent = sync_all(
        "{ path: /jira/contacts }",
        paginate,
        "$.issues[*]",
        "/jira/contacts",
    )
    .await;
    let starts: Vec<u64> = sent
        .iter()
        .map(|r| {
            query_param(&r.query, "startAt")
                .and_then(|s| s.parse().ok())
                .expect("startAt")
        })
        .collect();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [0, 10, 20],
        "no page at or past the total: {starts:?}"
    );
    assert!(
        sent.iter()
            .all(|r| query_param(&r.query, "maxResults").as_deref() == Some("10"))
    );

    // Jira caps `maxResults` (here at 4): short pages are not the end, the total is.
    let sent = sync_all(
        "{ path: /jira/contacts, params: { cap: 4 } }",
        paginate,
        "$.issues[*]",
        "/jira/contacts",
    )
    .await;
    let starts: Vec<u64> = sent
        .iter()
        .filter_map(|r| query_param(&r.query, "startAt").and_then(|s| s.parse().ok()))
        .collect();
    for expected in [0, 4, 8, 12, 16, 20, 24] {
        assert!(
            starts.contains(&expected),
            "startAt={expected} in {starts:?}"
        );
    }
    assert!(
        starts.iter().all(|s| *s < 25),
        "nothing asked past the total: {starts:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shopify_page_info_links_are_followed_as_given() {
    let sent = sync_all(
        r#"{ path: /shopify/contacts, params: { limit: 10, updated_since: "2020-01-01T00:00:00Z" } }"#,
        "{ type: link_header }",
        "$.customers[*]",
        "/shopify/contacts",
    )
    .await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(query_param(&sent[0].query, "updated_since").is_some());
    for r in &sent[1..] {
        assert!(query_param(&r.query, "page_info").is_some(), "{r:?}");
        assert_eq!(
            query_param(&r.query, "updated_since"),
            None,
            "not re-sent: {r:?}"
        );
    }

    // `params: keep` re-sends the filter, which Shopify refuses: loudly.
    let (text, created) = sync_fails(
        r#"{ path: /shopify/contacts, params: { limit: 10, updated_since: "2020-01-01T00:00:00Z" } }"#,
        "{ type: link_header, params: keep }",
        "$.customers[*]",
    )
    .await;
    assert!(text.contains("page_info cannot be combined"), "{text}");
    assert_eq!(created, 10, "the first page was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn params_keep_adds_what_bare_links_lack() {
    // Links carrying only the page token: without `keep`, the page size is lost.
    let request = "{ path: /shopify/contacts, params: { limit: 10, bare_links: 1 } }";
    let sent = sync_all(
        request,
        "{ type: link_header }",
        "$.customers[*]",
        "/shopify/contacts",
    )
    .await;
    assert_eq!(
        sent.len(),
        2,
        "the second page has the default size: {sent:?}"
    );
    assert_eq!(query_param(&sent[1].query, "limit"), None);

    let sent = sync_all(
        request,
        "{ type: link_header, params: keep }",
        "$.customers[*]",
        "/shopify/contacts",
    )
    .await;
    assert_eq!(sent.len(), 3, "{sent:?}");
    for r in &sent[1..] {
        assert_eq!(
            query_param(&r.query, "limit").as_deref(),
            Some("10"),
            "{r:?}"
        );
        assert!(query_param(&r.query, "page_info").is_some(), "{r:?}");
    }
}
