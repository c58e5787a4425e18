//! Auth: every credential kind works against the mock, a wrong one fails
//! with a clear 401, and a secret never reaches output or the store.

mod common;

use common::{Sandbox, contains_bytes, ids, runs, state};
use holdfast_mock::{MockAuth, MockConfig};

const RECORDS: u64 = 120;

/// One credential kind: what the mock demands and the connector's `auth:`.
struct Kind {
    name: &'static str,
    mock: fn(&str) -> MockAuth,
    auth: &'static str,
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "bearer",
        mock: |s| MockAuth::Bearer(s.to_owned()),
        auth: r#"{ type: bearer, token: "{{ env.SECRET }}" }"#,
    },
    Kind {
        name: "api_key header",
        mock: |s| MockAuth::ApiKeyHeader {
            name: "X-Crm-Key".to_owned(),
            value: s.to_owned(),
        },
        auth: r#"{ type: api_key, name: X-Crm-Key, value: "{{ env.SECRET }}", in: header }"#,
    },
    Kind {
        name: "api_key query",
        mock: |s| MockAuth::ApiKeyQuery {
            name: "crm_key".to_owned(),
            value: s.to_owned(),
        },
        auth: r#"{ type: api_key, name: crm_key, value: "{{ env.SECRET }}", in: query }"#,
    },
    Kind {
        name: "basic",
        mock: |s| MockAuth::Basic {
            username: "svc-holdfast".to_owned(),
            password: s.to_owned(),
        },
        auth: r#"{ type: basic, username: svc-holdfast, password: "{{ env.SECRET }}" }"#,
    },
];

fn connector(base_url: &str, auth: &str, paginate: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    auth: {auth}
streams:
  contacts:
    connection: crm
    request: {{ path: /next_url/contacts, params: {{ limit: 50 }} }}
    paginate: {paginate}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

const NEXT_URL: &str = r#"{ type: next_url, next: "$.links.next" }"#;

/// Asserts `secret` is in neither the output nor any byte of the store.
#[track_caller]
fn assert_hidden(sandbox: &Sandbox, out: &common::Output, secret: &str, what: &str) {
    assert!(
        !out.all_text().contains(secret),
        "{what}: the secret is in the output:\n{out}"
    );
    assert!(
        !contains_bytes(&sandbox.db_bytes(), secret.as_bytes()),
        "{what}: the secret is in the SQLite file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_authenticates() {
    for (i, kind) in KINDS.iter().enumerate() {
        let secret = format!("s3cret-{i}-5d1c9a7e42b8");
        let mock = common::start_mock_with(MockConfig {
            records: RECORDS,
            auth: Some((kind.mock)(&secret)),
            ..MockConfig::default()
        })
        .await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&connector(&mock.url(), kind.auth, NEXT_URL));
        // Trace logging on: every log line of every crate is checked too.
        let env = [("SECRET", secret.as_str()), ("HOLDFAST_LOG", "trace")];
        let out = sandbox.run_env(&["sync"], &env).await;
        out.expect_code(0);
        assert!(out.stderr.contains("DEBUG"), "trace logs were written");
        let pool = sandbox.pool().await;
        assert_eq!(
            ids(&pool, "contacts").await,
            (1..=RECORDS as i64).collect::<Vec<_>>(),
            "{}",
            kind.name
        );
        assert_eq!(mock.stats().requests, 3, "{}: 3 pages", kind.name);
        pool.close().await;
        assert_hidden(&sandbox, &out, &secret, kind.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_credential_fails_with_401_and_stays_hidden() {
    for (i, kind) in KINDS.iter().enumerate() {
        let right = format!("right-{i}-0b7e33c1f9");
        let wrong = format!("wrong-{i}-e8a1d4420c");
        let mock = common::start_mock_with(MockConfig {
            records: RECORDS,
            auth: Some((kind.mock)(&right)),
            ..MockConfig::default()
        })
        .await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&connector(&mock.url(), kind.auth, NEXT_URL));
        let out = sandbox.run_env(&["sync"], &[("SECRET", &wrong)]).await;
        out.expect_code(1);
        assert!(
            out.stderr.contains("connection `crm`") && out.stderr.contains("401"),
            "{}: stderr should name the connection and the 401:\n{out}",
            kind.name
        );
        assert_eq!(mock.stats().requests, 1, "{}: no retry of a 401", kind.name);
        let pool = sandbox.pool().await;
        let all = runs(&pool).await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].outcome, "failed", "{}", kind.name);
        assert!(
            all[0].error.as_deref().is_some_and(|e| e.contains("401")),
            "{}: {:?}",
            kind.name,
            all[0].error
        );
        assert_eq!(common::count(&pool, "contacts").await, 0);
        pool.close().await;
        assert_hidden(&sandbox, &out, &wrong, kind.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_key_is_not_saved_with_the_next_page_url() {
    let secret = "qk-7c2e9d04a61f5b38";
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some((KINDS[2].mock)(secret)),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    // `max_pages: 2` fails the run on page 2, after page 1 committed its
    // resume point: the next-page URL the API sent (which echoes the key).
    let stopping = r#"{ type: next_url, next: "$.links.next", max_pages: 2 }"#;
    sandbox.write_config(&connector(&mock.url(), KINDS[2].auth, stopping));
    let out = sandbox.run_env(&["sync"], &[("SECRET", secret)]).await;
    out.expect_code(1);

    let pool = sandbox.pool().await;
    let saved = state(&pool, "contacts").await.expect("state after page 1");
    let position = saved["progress"]["position"].clone();
    let url = position["url"].as_str().unwrap_or_else(|| {
        panic!("the resume point is the next-page URL: {saved}");
    });
    assert!(url.contains("page_token="), "{url}");
    let text = saved.to_string();
    assert!(!text.contains(secret), "state holds the key: {text}");
    assert!(
        !text.contains("crm_key"),
        "state holds the key param: {text}"
    );
    pool.close().await;
    assert_hidden(&sandbox, &out, secret, "interrupted next_url");

    // Resuming from that URL still authenticates (the key is added again).
    sandbox.write_config(&connector(&mock.url(), KINDS[2].auth, NEXT_URL));
    let out = sandbox.run_env(&["sync"], &[("SECRET", secret)]).await;
    out.expect_code(0);
    assert!(out.stderr.contains("resum"), "resumed:\n{out}");
    let pool = sandbox.pool().await;
    assert_eq!(
        ids(&pool, "contacts").await,
        (1..=RECORDS as i64).collect::<Vec<_>>()
    );
    let all = runs(&pool).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].created, RECORDS as i64 - 50, "{:?}", all[1]);
    let last = mock.requests().last().cloned().expect("requests");
    assert_eq!(
        common::query_param(&last.query, "crm_key").as_deref(),
        Some(secret)
    );
    let saved = state(&pool, "contacts").await.expect("state");
    assert!(!saved.to_string().contains(secret));
    pool.close().await;
    assert_hidden(&sandbox, &out, secret, "resumed next_url");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_a_rejected_credential_without_showing_it() {
    for (i, kind) in KINDS.iter().enumerate() {
        let right = format!("right-{i}-77aa01bc3d");
        let wrong = format!("wrong-{i}-c0ffee5eed");
        let mock = common::start_mock_with(MockConfig {
            records: RECORDS,
            auth: Some((kind.mock)(&right)),
            ..MockConfig::default()
        })
        .await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&connector(&mock.url(), kind.auth, NEXT_URL));

        let ok = sandbox.run_env(&["check"], &[("SECRET", &right)]).await;
        ok.expect_code(0);
        assert!(
            ok.stdout.contains("connection `crm` answered"),
            "{}: {ok}",
            kind.name
        );
        let bad = sandbox.run_env(&["check"], &[("SECRET", &wrong)]).await;
        bad.expect_code(1);
        assert!(
            bad.stderr.contains("connection `crm`") && bad.stderr.contains("401"),
            "{}: {bad}",
            kind.name
        );
        for out in [&ok, &bad] {
            assert!(
                !out.all_text().contains(&right) && !out.all_text().contains(&wrong),
                "{}: a secret is in the output:\n{out}",
                kind.name
            );
        }
        assert!(!sandbox.db.exists(), "check writes no store");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unset_secret_is_named_before_anything_is_sent() {
    let mock = common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some(MockAuth::Bearer("never-used-3141".to_owned())),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), KINDS[0].auth, NEXT_URL));
    let out = sandbox.run(&["sync"]).await;
    out.expect_code(2);
    assert!(
        out.stderr
            .contains("environment variable `SECRET` is not set")
            && out.stderr.contains("connections.crm.auth.token"),
        "{out}"
    );
    assert_eq!(mock.stats().requests, 0, "nothing was sent");
}
