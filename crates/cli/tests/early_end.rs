//! A chain that ends while the API says there is more fails the run (issue
//! 14): `has_more` true with no next cursor, a `total` larger than what was
//! served, and a GitHub-style `Link` whose `rel="last"` page is never reached.
//! The mock's `lie_more=N` makes a listing claim N records it never serves.

mod common;

use common::{Sandbox, contacts_connector, count, runs};

const RECORDS: u64 = 250;

/// Syncs `request`/`paginate` against a fresh mock: the output, the rows
/// stored and the single run row.
async fn sync(request: &str, paginate: &str) -> (common::Output, i64, common::RunRow) {
    let mock = common::start_mock(RECORDS).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&contacts_connector(&mock.url(), request, paginate));
    let out = sandbox.run(&["sync"]).await;
    let pool = sandbox.pool().await;
    let stored = count(&pool, "contacts").await;
    let all = runs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    (out, stored, all[0].clone())
}

/// The run failed with `needle` in its error and in the output.
fn assert_failed(out: &common::Output, run: &common::RunRow, needles: &[&str]) {
    out.expect_code(1);
    assert_eq!(run.outcome, "failed", "{run:?}");
    let error = run.error.as_deref().unwrap_or_default();
    for needle in needles {
        assert!(
            error.contains(needle),
            "run error lacks {needle:?}: {error}"
        );
        assert!(
            out.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn has_more_true_without_a_next_cursor_fails() {
    let (out, stored, run) = sync(
        "{ path: /cursor/contacts, params: { limit: 100, lie_more: 5 } }",
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor, expect_more: "$.meta.has_more" }"#,
    )
    .await;
    assert_failed(
        &out,
        &run,
        &[
            "stream `contacts`",
            "/cursor/contacts?limit=100&lie_more=5&cursor=",
            "page 3 of this chain has no next page, but `paginate.expect_more` \
             ($.meta.has_more) is true on it",
        ],
    );
    // The pages before it are kept (a resume starts there), the last is not.
    assert_eq!(stored, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_total_larger_than_served_fails() {
    let (out, _, run) = sync(
        "{ path: /offset/contacts, params: { lie_more: 7 } }",
        r#"{ type: offset, limit: 100, expect_total: "$.total" }"#,
    )
    .await;
    assert_failed(
        &out,
        &run,
        &[
            "stream `contacts`",
            // 50 records at offset 200 are a short page, not the end: the
            // empty page at offset 250 is.
            "offset=250",
            "page 4 of this chain has no next page, but `paginate.expect_total` ($.total) \
             says 257 records and the chain read 250",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_last_never_reached_fails_without_being_told() {
    let (out, _, run) = sync(
        "{ path: /github/contacts, params: { per_page: 100, lie_more: 60 } }",
        "{ type: link_header }",
    )
    .await;
    assert_failed(
        &out,
        &run,
        &[
            "stream `contacts`",
            "page 3 of this chain has no next page, but its `Link` header's rel=\"last\"",
            "/github/contacts?page=4&per_page=100&lie_more=60> was not reached",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn truthful_signals_pass() {
    let (out, stored, run) = sync(
        "{ path: /cursor/contacts, params: { limit: 100 } }",
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor, expect_more: "$.meta.has_more", expect_total: "$.meta.total" }"#,
    )
    .await;
    out.expect_code(0);
    assert_eq!(
        (run.outcome.as_str(), stored),
        ("succeeded", RECORDS as i64)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_path_that_matches_nothing_fails() {
    let (out, _, run) = sync(
        "{ path: /cursor/contacts, params: { limit: 100 } }",
        r#"{ type: cursor, next: "$.meta.next_cursor", param: cursor, expect_total: "$.meta.count" }"#,
    )
    .await;
    assert_failed(
        &out,
        &run,
        &["`paginate.expect_total` ($.meta.count) matched nothing in the 3 page(s) of this chain"],
    );
}

/// A page parameter the API does not know (`pg` for `page`): every answer is
/// page 1, full, so page numbers alone would page forever.
#[tokio::test(flavor = "multi_thread")]
async fn an_ignored_page_parameter_fails_instead_of_looping() {
    let (out, stored, run) = sync(
        "{ path: /page/contacts }",
        "{ type: page, param: pg, size_param: per_page, size: 100 }",
    )
    .await;
    assert_failed(
        &out,
        &run,
        &[
            "stream `contacts`",
            "page 2 of this chain is the same as the page before it: the API seems to ignore \
             the `pg` parameter",
        ],
    );
    assert_eq!(stored, 100);
}
