//! `connectors/github.yaml` (issue 16): repository issues paged by GitHub's
//! `Link` header out of a replay of its documented responses, read on
//! incrementally with `since`, and its `issues` webhook (signed as GitHub
//! documents, `X-Hub-Signature-256`) applied to the same table.

#[path = "support/catalog.rs"]
mod catalog;
mod common;
#[path = "support/replay.rs"]
mod replay;

use catalog::*;
use common::{Sandbox, count, hmac_sha256_hex, local_client, post, wait_drained};
use replay::Replay;
use serde_json::{Value, json};

/// id, number, title, state, author, is_pull_request, comments, created_at, closed_at
type IssueRow = (
    i64,
    i64,
    String,
    String,
    String,
    bool,
    i64,
    String,
    Option<String>,
);

#[tokio::test(flavor = "multi_thread")]
async fn github_issues_follow_the_link_header_then_since() {
    let replay = Replay::start("github").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "github", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    assert_eq!(
        replay.lines(),
        [
            "GET /repos/octocat/Hello-World/issues?state=all&sort=updated&direction=asc&per_page=100",
            "GET /repositories/1296269/issues?state=all&sort=updated&direction=asc&per_page=100&page=2",
        ]
    );
    for seen in replay.requests() {
        assert_eq!(
            seen.header("authorization"),
            Some(format!("Bearer {GITHUB_TOKEN}").as_str())
        );
        assert_eq!(seen.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(seen.header("x-github-api-version"), Some("2022-11-28"));
    }
    let pool = sandbox.pool().await;
    let rows: Vec<IssueRow> = sqlx::query_as(
        "SELECT id, number, title, state, author, is_pull_request, comments, created_at, closed_at \
         FROM github_issues ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .expect("github_issues");
    let expected = [
        (
            1001347,
            1347,
            "Found a bug",
            "open",
            "octocat",
            false,
            2,
            "2024-03-01T09:12:44Z",
            None,
        ),
        (
            1001350,
            1350,
            "Typo in README",
            "closed",
            "hubot",
            false,
            0,
            "2024-03-02T11:30:00Z",
            Some("2024-03-04T16:20:05Z"),
        ),
        (
            1001351,
            1351,
            "Fix typo in README",
            "open",
            "hubot",
            true,
            1,
            "2024-03-04T15:02:11Z",
            None,
        ),
    ];
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(
            (
                row.0,
                row.1,
                row.2.as_str(),
                row.3.as_str(),
                row.4.as_str(),
                row.5,
                row.6,
                row.7.as_str(),
                row.8.as_deref()
            ),
            want
        );
    }

    // The next run asks only for what changed since the newest `updated_at`
    // (less the one-minute lookback): the pull request, now closed.
    run(&sandbox, "github", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    replay.assert_all_matched();
    let last = replay.requests().pop().expect("a request");
    assert_eq!(
        last.param("since"),
        Some("2024-03-05T08:44:30Z"),
        "{}",
        last.line()
    );
    let state: (String, Option<String>, i64) =
        sqlx::query_as("SELECT state, closed_at, comments FROM github_issues WHERE id = 1001351")
            .fetch_one(&pool)
            .await
            .expect("the pull request");
    assert_eq!(
        state,
        (
            "closed".to_owned(),
            Some("2024-03-06T12:00:00Z".to_owned()),
            3
        )
    );
    assert_eq!(count(&pool, "github_issues").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_issue_webhooks_apply_by_signature() {
    // GitHub's own example: this secret signs "Hello, World!" so.
    assert_eq!(
        hmac_sha256_hex(GITHUB_WEBHOOK_SECRET, b"Hello, World!"),
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
    let replay = Replay::start("github").await;
    let sandbox = Sandbox::new();
    run(&sandbox, "github", &replay, &["sync"], &[])
        .await
        .expect_code(0);
    let pool = sandbox.pool().await;
    // https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues
    let mut edited = raw_issue(&pool, 1001347).await;
    edited["title"] = json!("Found a bug in the login page");
    edited["updated_at"] = json!("2024-03-07T10:00:00Z");
    let mut deleted = raw_issue(&pool, 1001350).await;
    deleted["updated_at"] = json!("2024-03-07T11:00:00Z");
    let repository = json!({ "id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": "Hello-World", "full_name": "octocat/Hello-World", "private": false });
    let sender = json!({ "login": "octocat", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false });
    let body = |action: &str, issue: &Value| {
        json!({ "action": action, "issue": issue, "repository": repository, "sender": sender })
            .to_string()
    };
    let (edit, delete) = (body("edited", &edited), body("deleted", &deleted));
    let mut forged_issue = edited.clone();
    forged_issue["title"] = json!("pwned");
    forged_issue["updated_at"] = json!("2024-03-08T00:00:00Z");
    let forged = body("edited", &forged_issue);
    let headers = |event: &str, delivery: &str, signature: String| {
        vec![
            ("X-GitHub-Event".to_owned(), event.to_owned()),
            ("X-GitHub-Delivery".to_owned(), delivery.to_owned()),
            ("X-GitHub-Hook-ID".to_owned(), "292430182".to_owned()),
            (
                "X-Hub-Signature-256".to_owned(),
                format!("sha256={signature}"),
            ),
        ]
    };
    let sign = |body: &str| hmac_sha256_hex(GITHUB_WEBHOOK_SECRET, body.as_bytes());
    let serve = serve(&sandbox, "github", &replay).await;
    let client = local_client();
    let url = format!("{}/hooks/github", serve.url);
    for (event, delivery, text) in [
        ("issues", "72d3162e-cc78-11e3-81ab-4c9367dc0958", &edit),
        ("issues", "72d3162e-cc78-11e3-81ab-4c9367dc0959", &delete),
    ] {
        let (status, answer) = post(
            &client,
            &url,
            &headers(event, delivery, sign(text)),
            text.clone(),
        )
        .await
        .expect("POST");
        assert_eq!(status, 200, "{answer}");
    }
    // signed with another secret: refused
    let wrong = hmac_sha256_hex("not the secret", forged.as_bytes());
    let (status, answer) = post(
        &client,
        &url,
        &headers("issues", "72d3162e-cc78-11e3-81ab-4c9367dc0960", wrong),
        forged.clone(),
    )
    .await
    .expect("POST");
    assert_eq!(
        (status, &answer["reason"]),
        (401, &json!("bad_signature")),
        "{answer}"
    );
    // a signed event no route takes is acknowledged and changes nothing
    let ping = json!({ "zen": "Design for failure.", "hook_id": 292430182, "repository": repository, "sender": sender }).to_string();
    let (status, answer) = post(
        &client,
        &url,
        &headers("ping", "72d3162e-cc78-11e3-81ab-4c9367dc0961", sign(&ping)),
        ping.clone(),
    )
    .await
    .expect("POST");
    assert_eq!(status, 200, "{answer}");

    wait_drained(&pool, std::time::Duration::from_secs(30)).await;
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, title, _deleted_at FROM github_issues ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("github_issues");
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.0, r.1.as_str(), r.2.is_some()))
        .collect();
    assert_eq!(
        got,
        [
            (1001347, "Found a bug in the login page", false),
            (1001350, "Typo in README", true),
            (1001351, "Fix typo in README", false),
        ],
        "{}",
        serve.stderr()
    );
}

/// The raw record of GitHub issue `id`, as the store keeps it.
async fn raw_issue(pool: &sqlx::SqlitePool, id: i64) -> Value {
    let raw: String = sqlx::query_scalar("SELECT _raw FROM github_issues WHERE id = ?")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("the issue");
    serde_json::from_str(&raw).expect("_raw is JSON")
}
