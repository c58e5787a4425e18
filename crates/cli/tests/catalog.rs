//! The connector catalog (issue 16): every file in `connectors/` passes
//! `holdfast check`, and each vendor's file, as it is, syncs the exact rows
//! out of a replay of the vendor's documented responses
//! (`connectors/fixtures/<vendor>/`, served on 127.0.0.1 by
//! `support/replay.rs`) while sending exactly the requests the vendor
//! documents: a request no fixture matches fails the test. GitHub and Stripe
//! have files of their own (`catalog_github.rs`, `catalog_stripe.rs`).

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use catalog::*;
use common::{Sandbox, runs};
use replay::Replay;

/// id, subject, status, priority, requester_id, assignee_id, updated_at
type TicketRow = (
    i64,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    String,
);

/// id, key, summary, status, issue_type, assignee, created
type JiraRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

/// Id, name, industry, annual_revenue, last_modified
type AccountRow = (String, String, Option<String>, Option<String>, String);

/// id, email, first_name, last_name, updated_at
type HubspotRow = (String, String, String, String, String);

#[tokio::test(flavor = "multi_thread")]
async fn every_connector_passes_check() {
    let vendors = vendors();
    for expected in [
        "shopify",
        "github",
        "hubspot",
        "jira",
        "salesforce",
        "stripe",
        "zendesk",
    ] {
        assert!(
            vendors.iter().any(|v| v == expected),
            "connectors/{expected}.yaml: {vendors:?}"
        );
    }
    for vendor in &vendors {
        let replay = Replay::start(vendor).await;
        let sandbox = Sandbox::new();
        let out = run(&sandbox, vendor, &replay, &["check"], &[]).await;
        assert_eq!(out.code, Some(0), "connectors/{vendor}.yaml:\n{out}");
        assert!(out.stdout.contains("is valid"), "{vendor}: {out}");
        assert!(out.stdout.contains("answered"), "{vendor}: {out}");
        replay.assert_all_matched();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn zendesk_tickets_follow_links_next_until_has_more_is_false() {
    let replay = Replay::start("zendesk").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "zendesk", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests();
    assert_eq!(seen.len(), 2, "{:?}", replay.lines());
    assert_eq!(seen[0].query, [("page[size]".to_owned(), "100".to_owned())]);
    assert_eq!(
        seen[1].param("page[after]"),
        Some("eyJvIjoibmljZV9pZCIsInYiOiJhUUFBQUFBQUFBQT0ifQ==")
    );
    // API token authentication: `{email}/token` and the token, as basic auth.
    let auth = basic(&format!("{ZENDESK_EMAIL}/token"), ZENDESK_TOKEN);
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some(auth.as_str()))
    );
    let pool = sandbox.pool().await;
    let rows: Vec<TicketRow> = sqlx::query_as(
        "SELECT id, subject, status, priority, requester_id, assignee_id, updated_at \
         FROM zendesk_tickets ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("zendesk_tickets");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0,
                r.1.as_str(),
                r.2.as_str(),
                r.3.as_deref(),
                r.4,
                r.5,
                r.6.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                35436,
                "Help, my printer is on fire!",
                "open",
                Some("high"),
                20978392,
                Some(235323),
                "2011-05-05T10:38:52Z"
            ),
            (
                35437,
                "Where is my order?",
                "pending",
                Some("normal"),
                20978400,
                Some(235323),
                "2011-05-06T09:00:00Z"
            ),
            (
                35438,
                "Cannot log in",
                "solved",
                None,
                20978411,
                None,
                "2011-05-07T17:45:00Z"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jira_search_reads_start_at_pages_up_to_total() {
    let replay = Replay::start("jira").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "jira", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests();
    assert_eq!(seen.len(), 1, "{:?}", replay.lines());
    assert_eq!(seen[0].param("jql"), Some(JIRA_JQL));
    assert_eq!(seen[0].param("startAt"), Some("0"));
    assert_eq!(seen[0].param("maxResults"), Some("50"));
    assert_eq!(
        seen[0].header("authorization"),
        Some(basic(JIRA_EMAIL, JIRA_TOKEN).as_str())
    );
    let pool = sandbox.pool().await;
    let rows: Vec<JiraRow> = sqlx::query_as(
        "SELECT id, key, summary, status, issue_type, assignee, created FROM jira_issues ORDER BY key",
    )
    .fetch_all(&pool)
    .await
    .expect("jira_issues");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1.as_str(),
                r.2.as_str(),
                r.3.as_str(),
                r.4.as_str(),
                r.5.as_deref(),
                r.6.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "10002",
                "HSP-1",
                "Login page returns 500 for SSO users",
                "In Progress",
                "Bug",
                Some("Fred F. User"),
                "2024-03-01T09:12:44Z"
            ),
            // +1100 on the wire, UTC in the store
            (
                "10003",
                "HSP-2",
                "Add CSV export to the reports page",
                "To Do",
                "Story",
                None,
                "2024-03-02T00:30:00Z"
            ),
            (
                "10004",
                "HSP-3",
                "Upgrade the build image",
                "Done",
                "Task",
                Some("Fred F. User"),
                "2024-03-03T08:00:00Z"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jira_pages_shorter_than_asked_never_end_the_listing_early() {
    // Jira answers two issues a page when asked for 50 (its `maxResults`
    // says so) and `total` says five match.
    let replay = Replay::start("jira").await;
    let sandbox = Sandbox::new();
    let jql = "project = HSP AND updated >= -30d ORDER BY key ASC";
    run(&sandbox, "jira", &replay, &["sync"], &[("JIRA_JQL", jql)])
        .await
        .expect_code(0);
    // every request is one Jira documents: `startAt` moves on by what was
    // read, not by the 50 asked for, until `total` is in
    replay.assert_all_matched();
    let starts: Vec<String> = replay
        .requests()
        .iter()
        .map(|s| s.param("startAt").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(starts, ["0", "2", "4"], "{:?}", replay.lines());
    assert!(
        replay
            .requests()
            .iter()
            .all(|s| s.param("maxResults") == Some("50"))
    );
    let pool = sandbox.pool().await;
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM jira_issues ORDER BY key")
        .fetch_all(&pool)
        .await
        .expect("jira_issues");
    assert_eq!(keys, ["HSP-1", "HSP-2", "HSP-3", "HSP-4", "HSP-5"]);
    let all = runs(&pool).await;
    assert_eq!(
        (all[0].outcome.as_str(), all[0].pages),
        ("succeeded", 3),
        "{all:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn salesforce_soql_follows_next_records_url_with_a_refreshed_token() {
    let replay = Replay::start("salesforce").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "salesforce", &replay, &["sync", "accounts"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests();
    assert_eq!(
        replay.lines(),
        [
            "POST /services/oauth2/token",
            "GET /services/data/v62.0/query?q=SELECT Id, Name, Industry, AnnualRevenue, LastModifiedDate FROM Account ORDER BY Id",
            "GET /services/data/v62.0/query/01gD0000002HU6KIAW-2",
        ]
    );
    // the refresh-token grant, client credentials in the body
    let form = seen[0].form();
    assert_eq!(
        form.get("grant_type").map(String::as_str),
        Some("refresh_token")
    );
    assert_eq!(
        form.get("refresh_token").map(String::as_str),
        Some(SALESFORCE_REFRESH_TOKEN)
    );
    assert_eq!(
        form.get("client_id").map(String::as_str),
        Some(SALESFORCE_CLIENT_ID)
    );
    assert_eq!(
        form.get("client_secret").map(String::as_str),
        Some(SALESFORCE_CLIENT_SECRET)
    );
    let bearer = format!("Bearer {SALESFORCE_ACCESS_TOKEN}");
    for s in &seen[1..] {
        assert_eq!(
            s.header("authorization"),
            Some(bearer.as_str()),
            "{}",
            s.line()
        );
    }
    let pool = sandbox.pool().await;
    let rows: Vec<AccountRow> = sqlx::query_as(
        "SELECT \"Id\", name, industry, annual_revenue, last_modified FROM salesforce_accounts ORDER BY \"Id\"",
    )
    .fetch_all(&pool)
    .await
    .expect("salesforce_accounts");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1.as_str(),
                r.2.as_deref(),
                r.3.as_deref(),
                r.4.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "001D000000IRFmaIAH",
                "Edge Communications",
                Some("Electronics"),
                Some("139000000.0"),
                "2024-03-01T09:12:44Z"
            ),
            (
                "001D000000IomazIAB",
                "Burlington Textiles Corp of America",
                Some("Apparel"),
                Some("350000000.0"),
                "2024-03-02T11:30:00Z"
            ),
            (
                "001D000000JuuGhIAJ",
                "Pyramid Construction Inc.",
                None,
                None,
                "2024-03-03T08:00:00Z"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hubspot_contacts_follow_the_after_cursor() {
    let replay = Replay::start("hubspot").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "hubspot", &replay, &["sync", "contacts"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests_to("GET", "/crm/v3/objects/contacts");
    assert_eq!(seen.len(), 2, "{:?}", replay.lines());
    assert_eq!(seen[0].param("after"), None);
    assert_eq!(seen[1].param("after"), Some("102"));
    let bearer = format!("Bearer {HUBSPOT_TOKEN}");
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some(bearer.as_str()))
    );
    let pool = sandbox.pool().await;
    let rows: Vec<HubspotRow> = sqlx::query_as(
        "SELECT id, email, first_name, last_name, updated_at FROM hubspot_contacts ORDER BY CAST(id AS INTEGER)",
    )
    .fetch_all(&pool)
    .await
    .expect("hubspot_contacts");
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.0.as_str(),
                r.1.as_str(),
                r.2.as_str(),
                r.3.as_str(),
                r.4.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "51",
                "bcooper@biglytics.net",
                "Brian",
                "Cooper",
                "2024-03-02T10:00:00.051Z"
            ),
            (
                "101",
                "mark.s@example.com",
                "Mark",
                "S.",
                "2024-03-04T16:20:05.935Z"
            ),
            (
                "151",
                "maria.j@hubspot.com",
                "Maria",
                "Johnson (Sample Contact)",
                "2024-03-05T08:45:30.312Z"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn zendesk_claiming_more_without_a_next_link_fails_loudly() {
    // `fixtures/zendesk/faults/`: `has_more: true` with `links.next: null`
    let replay = Replay::start_dir(&replay::fixtures_root().join("zendesk/faults")).await;
    let sandbox = Sandbox::new();
    let out = run(&sandbox, "zendesk", &replay, &["sync"], &[]).await;
    out.expect_code(1);
    replay.assert_all_matched();
    assert_eq!(replay.requests().len(), 1, "{:?}", replay.lines());
    let pool = sandbox.pool().await;
    let all = runs(&pool).await;
    assert_eq!(all[0].outcome, "failed", "{all:?}");
    let error = all[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("has_more"),
        "the error names the end signal: {error}"
    );
    assert!(out.stderr.contains("has_more"), "{out}");
    // the page that lied is not committed as if it were the whole listing
    assert_eq!(common::count(&pool, "zendesk_tickets").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn hubspot_search_posts_its_filter_and_moves_after_in_the_body() {
    let replay = Replay::start("hubspot").await;
    let sandbox = Sandbox::new();
    run(
        &sandbox,
        "hubspot",
        &replay,
        &["sync", "contacts_changed"],
        &[],
    )
    .await
    .expect_code(0);
    replay.assert_all_matched();
    let seen = replay.requests_to("POST", "/crm/v3/objects/contacts/search");
    assert_eq!(seen.len(), 2, "{:?}", replay.lines());
    let (first, second) = (seen[0].json(), seen[1].json());
    assert_eq!(
        first["filterGroups"][0]["filters"][0]["value"], "1970-01-01T00:00:00Z",
        "a first run searches from the start: {first}"
    );
    assert!(first.get("after").is_none(), "{first}");
    assert_eq!(
        second["after"], "2",
        "the cursor goes into the body: {second}"
    );
    assert!(seen.iter().all(|s| {
        s.header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
    }));
    let pool = sandbox.pool().await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM hubspot_contacts_changed ORDER BY CAST(id AS INTEGER)")
            .fetch_all(&pool)
            .await
            .expect("hubspot_contacts_changed");
    assert_eq!(ids, ["51", "101", "151"]);

    // the next run searches from the newest `updatedAt` less the lookback
    run(
        &sandbox,
        "hubspot",
        &replay,
        &["sync", "contacts_changed"],
        &[],
    )
    .await
    .expect_code(0);
    replay.assert_all_matched();
    let last = replay.requests().pop().expect("a request").json();
    assert_eq!(
        last["filterGroups"][0]["filters"][0]["value"], "2024-03-05T08:45:29.312Z",
        "{last}"
    );
    let stage: String =
        sqlx::query_scalar("SELECT lifecycle_stage FROM hubspot_contacts_changed WHERE id = '151'")
            .fetch_one(&pool)
            .await
            .expect("contact 151");
    assert_eq!(stage, "customer");
}
