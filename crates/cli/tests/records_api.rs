//! The records API over the local copy (issue 17): `GET
//! /api/streams/{stream}/records` pages through a synced table in key order
//! (every record exactly once), finds one by key, filters on change time,
//! says how fresh the copy is (`stale` past `stale_after`), is readable with
//! the read-only token (which reads nothing else), refuses bad parameters
//! naming them, and keeps answering once the remote API is gone.

mod common;

use common::{Sandbox, Serve};
use serde_json::Value;

const ADMIN: &str = "adm-token-records-1";
const READER: &str = "read-token-records-2";

fn connector(base_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
streams:
  contacts:
    connection: crm
    request: {{ path: /cursor/contacts, params: {{ limit: 10 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
    map:
      email: "$.email"
    stale_after: 1h
  never_synced:
    connection: crm
    request: {{ path: /cursor/contacts }}
    records: "$.data[*]"
    primary_key: id
    stale_after: 10m
"#
    )
}

async fn get(serve: &Serve, path: &str, token: &str) -> (u16, Value) {
    serve.get_json(path, Some(token)).await
}

fn ids(page: &Value) -> Vec<i64> {
    page["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["key"]["id"].as_i64().expect("an id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_copy_is_read_page_by_page_with_its_freshness() {
    let mock = common::start_mock(25).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    sandbox.run(&["sync", "contacts"]).await.expect_code(0);
    let serve = Serve::start(
        &sandbox,
        &[],
        &[
            ("HOLDFAST_ADMIN_TOKEN", ADMIN),
            ("HOLDFAST_READ_TOKEN", READER),
        ],
    )
    .await;
    let expected = common::mock_contacts(&mock.url()).await;
    // the remote goes away: the copy is what the app reads
    drop(mock);

    // every record once, in key order, 10 at a time, with the read-only token
    let mut seen = Vec::new();
    let mut path = "/api/streams/contacts/records?limit=10".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = get(&serve, &path, READER).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        assert!(pages <= 3, "the pages end: {page}");
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => {
                assert!(next.contains("limit=10"), "the filters carry over: {next}");
                path = next.to_owned();
            }
            None => break,
        }
    }
    let want: Vec<i64> = expected.keys().copied().collect();
    assert_eq!(seen, want, "every record exactly once, in key order");
    assert_eq!(pages, 3);

    // one by key, with its mapped column and the record as stored
    let id = want[6];
    let (status, page) = get(
        &serve,
        &format!("/api/streams/contacts/records?key={id}"),
        READER,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), [id]);
    let record = &page["records"][0];
    assert_eq!(record["record"], expected[&id], "{record}");
    assert_eq!(record["columns"]["email"], expected[&id]["email"]);
    assert_eq!(record["deleted_at"], Value::Null);
    assert_eq!(page["next"], Value::Null);

    // how fresh: synced moments ago, within stale_after
    let freshness = &page["freshness"];
    assert_eq!(freshness["stale"], false, "{freshness}");
    assert_eq!(freshness["stale_after"], "1h");
    assert_eq!(freshness["running"], false);
    assert_eq!(freshness["last_run"]["outcome"], "succeeded");
    assert!(freshness["last_success_at"].is_string(), "{freshness}");

    // changed since: nothing after now, everything since long ago
    let (_, page) = get(
        &serve,
        "/api/streams/contacts/records?updated_since=2999-01-01T00:00:00Z",
        READER,
    )
    .await;
    assert_eq!(ids(&page), Vec::<i64>::new());
    let (_, page) = get(
        &serve,
        "/api/streams/contacts/records?updated_since=2000-01-01T00:00:00%2B02:00&limit=1000",
        READER,
    )
    .await;
    assert_eq!(ids(&page).len(), 25);

    // a stream never synced: no records, and stale (it has a stale_after)
    let (status, page) = get(&serve, "/api/streams/never_synced/records", ADMIN).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), Vec::<i64>::new());
    assert_eq!(page["freshness"]["stale"], true, "{page}");
    assert_eq!(page["freshness"]["last_success_at"], Value::Null);

    // the read-only token reads records and nothing else
    let (status, _) = get(&serve, "/api/streams", READER).await;
    assert_eq!(status, 401);
    let (status, _) = get(&serve, "/api/streams/contacts/records", "wrong").await;
    assert_eq!(status, 401);

    // bad parameters are refused, naming them
    for (query, says) in [
        ("limit=0", "`limit` must be between 1 and 1000"),
        ("limit=x", "`limit` must be between 1 and 1000"),
        (
            "updated_since=yesterday",
            "`updated_since=yesterday` is not an RFC 3339 time",
        ),
        ("deleted=maybe", "expected `include`"),
        ("after=1&after=2", "give `after` once for each"),
        (
            "key=1&key=2",
            "has a primary key of 1 field (id): give `key` once",
        ),
        ("email=a", "unknown parameter `email`"),
    ] {
        let (status, body) = get(
            &serve,
            &format!("/api/streams/contacts/records?{query}"),
            READER,
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{query}: {error}");
    }
    let (status, body) = get(&serve, "/api/streams/nope/records", READER).await;
    assert_eq!(status, 404, "{body}");
}
