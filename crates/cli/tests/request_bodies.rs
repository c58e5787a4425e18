//! Request bodies for reads: a JSON search body (HubSpot-like) paginated by
//! a token set in the body, re-sent to next links; what `holdfast check`
//! says about bodies; and a wrong body is a loud failure, not "no records".

mod common;

use common::{Sandbox, count, ids, runs};
use serde_json::{Value, json};

const RECORDS: u64 = 25;

/// A connector with one stream `contacts` whose `request:`, `paginate:` and
/// `records:` are the given YAML flow mappings / path.
fn connector(base_url: &str, request: &str, paginate: &str, records: &str, extra: &str) -> String {
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
{extra}"#
    )
}

/// The requests the mock saw to `path`, oldest first.
fn seen(mock: &holdfast_mock::MockServer, path: &str) -> Vec<holdfast_mock::SeenRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

fn body_of(r: &holdfast_mock::SeenRequest) -> Value {
    serde_json::from_str(r.body.as_deref().expect("a body")).expect("the body is JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_body_pages_by_a_token_in_the_body() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        r#"{ method: POST, path: /v2/contacts/search, json: { filter: { updated_since: "{{ cursor }}" }, limit: 10 } }"#,
        r#"{ type: cursor, next: "$.paging.next.after", in: body, at: /after }"#,
        "$.results[*]",
        "    incremental: { cursor_field: updated_at }\n",
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(ids(&pool, "contacts").await, (1..=25).collect::<Vec<i64>>());

    let sent = seen(&mock, "/v2/contacts/search");
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent.iter().all(|r| r.method == "POST"));
    assert!(
        sent.iter()
            .all(|r| r.headers.get("content-type").map(String::as_str) == Some("application/json")),
        "{sent:?}"
    );
    // The first page: the rendered body (no cursor yet: `null`, its own type).
    assert_eq!(
        body_of(&sent[0]),
        json!({ "filter": { "updated_since": null }, "limit": 10 })
    );
    // Later pages: the same body with the token set at `/after`.
    for r in &sent[1..] {
        let body = body_of(r);
        assert_eq!(body["limit"], json!(10), "{body}");
        assert!(
            body["after"].as_str().is_some_and(|a| !a.is_empty()),
            "{body}"
        );
    }
    assert_ne!(body_of(&sent[1])["after"], body_of(&sent[2])["after"]);

    // An incremental run sends the saved cursor in the body.
    sandbox.run(&["sync"]).await.expect_code(0);
    let sent = seen(&mock, "/v2/contacts/search");
    assert_eq!(sent.len(), 4, "one more request: {sent:?}");
    let since = body_of(&sent[3])["filter"]["updated_since"].clone();
    assert!(
        since.as_str().is_some_and(|s| s.starts_with("20")),
        "the cursor, as text: {since}"
    );
    assert_eq!(count(&pool, "contacts").await, 25);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_body_is_sent_again_to_next_links() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        r#"{ path: /v2/contacts/search, json: { limit: 10 } }"#,
        r#"{ type: next_url, next: "$.paging.next.link" }"#,
        "$.results[*]",
        "",
    ));
    sandbox.run(&["sync"]).await.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(count(&pool, "contacts").await, 25);
    let sent = seen(&mock, "/v2/contacts/search");
    assert_eq!(sent.len(), 3, "{sent:?}");
    for r in &sent {
        assert_eq!(r.method, "POST", "the method is kept: {r:?}");
        assert_eq!(body_of(r), json!({ "limit": 10 }), "the body is re-sent");
    }
    assert!(sent[0].query.is_empty());
    assert!(sent[1].query.starts_with("after="), "{:?}", sent[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_the_api_refuses_fails_loudly() {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        &mock.url(),
        r#"{ method: POST, path: /v2/contacts/search, json: { filters: [], limit: 10 } }"#,
        r#"{ type: cursor, next: "$.paging.next.after", in: body, at: /after }"#,
        "$.results[*]",
        "",
    ));
    let out = sandbox.run(&["sync"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    assert!(
        out.all_text().contains("unknown key `filters` in the body"),
        "{out}"
    );
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].outcome.as_str(), all[0].created), ("failed", 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_bodies_and_body_places_at_their_keys() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        r#"connections:
  crm:
    base_url: "http://127.0.0.1:9"
streams:
  search:
    connection: crm
    request:
      method: GET
      path: /v2/contacts/search
      json: { filter: { updated_since: "{{ cursro }}" } }
    records: "$.results[*]"
    primary_key: id
  listing:
    connection: crm
    request: { path: /v2/contacts }
    paginate: { type: cursor, next: "$.next", in: body, at: /after }
    records: "$.data[*]"
    primary_key: id
  strings:
    connection: crm
    request: { path: /search, json: { after: "x" } }
    paginate: { type: cursor, next: "$.next", in: body, at: /after/token }
    records: "$.results[*]"
    primary_key: id
  products:
    connection: crm
    request:
      path: /graphql
      graphql: { query: "{ products { nodes { id } } }", variables: [1] }
    paginate: { type: relay, page_info: "$.data.products.pageInfo", at: after }
    records: "$.data.products.nodes[*]"
    primary_key: id
  soap:
    connection: crm
    request:
      path: /service
      body: { content_type: text/xml, text: "<a>{{ cursor }}</a>" }
    paginate: { type: cursor, next: "$.next", in: body, at: /after }
    records: "$.results[*]"
    primary_key: id
  badsoap:
    connection: crm
    request:
      path: /service
      body: { content_type: "xml", text: "<a>{{ cursro }}</a>" }
    records: "$.results[*]"
    primary_key: id
  both:
    connection: crm
    request:
      path: /service
      json: { a: 1 }
      body: { content_type: text/plain, text: "x" }
    records: "$.results[*]"
    primary_key: id
"#,
    );
    let out = sandbox.run(&["check"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    let text = out.all_text();
    for expected in [
        "streams.search.request.json.filter.updated_since",
        "unknown variable `cursro`",
        "streams.search.request.json",
        "a GET request has no body",
        "streams.listing.paginate.in",
        "the request has no body",
        "streams.products.request.graphql.variables",
        "GraphQL `variables` must be a mapping",
        "streams.products.paginate.at",
        "invalid JSON Pointer `after` does not start with `/`",
        "streams.strings.paginate.at",
        "the pointer cannot be set in the request body",
        "streams.badsoap.request.body.content_type",
        "`xml` is not a media type",
        "streams.badsoap.request.body.text",
        "streams.soap.paginate.at",
        "a page value cannot be put into a text `body:`",
        "streams.both.request.body",
        "a request has both `json` and `body`",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{out}");
    }
}
