//! Session login against the mock acting as a portal (`MockAuth::Session`):
//! a login page with a CSRF token bound to a cookie, a form POST, a session
//! cookie good for a few requests, then a redirect to the login page. A
//! sync longer than a session logs in again each time it expires, never
//! storing the password; wrong credentials and a selector that finds no
//! token fail with a located, secret-free error.

mod common;

use common::{Sandbox, contains_bytes, ids, request_log, set_secret};
use holdfast_mock::{MockAuth, MockConfig, MockServer, PortalStats};

const RECORDS: u64 = 40;
const USER: &str = "ada";
const PASSWORD: &str = "pw-portal-5e1d97c3b2";

fn connector(base_url: &str, csrf_selector: &str) -> String {
    format!(
        r#"connections:
  portal:
    base_url: "{base_url}"
    auth:
      type: session
      login:
        - method: GET
          path: /login
          extract:
            csrf: {{ css: "{csrf_selector}", attr: value }}
        - method: POST
          path: /login
          form:
            username: "{{{{ secret.portal_user }}}}"
            password: "{{{{ secret.portal_password }}}}"
            csrf_token: "{{{{ session.csrf }}}}"
streams:
  contacts:
    connection: portal
    request: {{ path: /cursor/contacts, params: {{ limit: 4 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

async fn portal(requests_per_session: u64) -> MockServer {
    common::start_mock_with(MockConfig {
        records: RECORDS,
        auth: Some(MockAuth::Session {
            username: USER.into(),
            password: PASSWORD.into(),
            requests_per_session,
        }),
        ..MockConfig::default()
    })
    .await
}

async fn sandbox(mock: &MockServer, selector: &str, password: &str) -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), selector));
    set_secret(&sandbox, "portal_user", USER, &[])
        .await
        .expect_code(0);
    set_secret(&sandbox, "portal_password", password, &[])
        .await
        .expect_code(0);
    sandbox
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_longer_than_a_session_logs_in_again_each_time_it_expires() {
    // 10 pages of 4; a session serves 3 data requests.
    let mock = portal(3).await;
    let sandbox = sandbox(&mock, "input[name=csrf_token]", PASSWORD).await;

    let synced = sandbox.run(&["sync"]).await;
    synced.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(ids(&pool, "contacts").await.len() as u64, RECORDS);

    // One login up front, then one per expiry: pages 4, 7 and 10 were
    // redirected to /login, each answered by one new login and one retry.
    // Forms: one per login, plus the one each redirect landed on.
    assert_eq!(
        mock.portal_stats(),
        PortalStats {
            forms: 7,
            logins: 4,
            bad_csrf: 0,
            bad_credentials: 0,
            redirected: 3,
        }
    );
    assert_eq!(mock.stats().served_ok, 10);
    let log = request_log(&pool).await;
    assert_eq!(log.len(), 10, "one logged attempt per page: {log:?}");
    assert!(log.iter().all(|r| r.status == Some(200)), "{log:?}");

    let status = sandbox.run(&["status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("portal") && status.stdout.contains("session, last login ok"),
        "{status}"
    );
    // The password is nowhere: not in the store file, the output or the log.
    assert!(!contains_bytes(&sandbox.db_bytes(), PASSWORD.as_bytes()));
    for out in [&synced, &status] {
        assert!(!out.all_text().contains(PASSWORD), "{out}");
    }
    assert!(!format!("{log:?}").contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_fail_once_with_a_clear_error_and_no_storm() {
    let mock = portal(100).await;
    let wrong = "pw-wrong-0a9f3c";
    let sandbox = sandbox(&mock, "input[name=csrf_token]", wrong).await;

    let synced = sandbox.run(&["sync"]).await;
    assert_ne!(synced.code, Some(0), "{synced}");
    let text = synced.all_text();
    assert!(text.contains("portal"), "names the connection: {synced}");
    assert!(
        text.contains("did not open a session") && text.contains("check the credentials"),
        "says what to fix: {synced}"
    );
    assert!(!text.contains(wrong), "{synced}");
    // The first login and the one retry after the redirect; nothing more.
    let stats = mock.portal_stats();
    assert_eq!(stats.bad_credentials, 2, "{stats:?}");
    assert_eq!(stats.redirected, 2, "{stats:?}");
    assert_eq!(mock.stats().served_ok, 0);
    let status = sandbox.run(&["status"]).await;
    assert!(
        status.stdout.contains("session, last login FAILED at")
            && status.stdout.contains("1 consecutive login failures"),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_selector_that_finds_no_token_names_the_step_and_the_selector() {
    let mock = portal(100).await;
    let sandbox = sandbox(&mock, "input[name=token]", PASSWORD).await;

    let synced = sandbox.run(&["sync"]).await;
    assert_ne!(synced.code, Some(0), "{synced}");
    let text = synced.all_text();
    assert!(
        text.contains("login step 1 of 2 (GET /login)")
            && text.contains("`csrf` not found")
            && text.contains("input[name=token]"),
        "{synced}"
    );
    assert_eq!(mock.portal_stats().logins, 0);
    assert_eq!(
        mock.stats().requests,
        0,
        "no data request without a session"
    );
}

#[tokio::test]
async fn check_reports_login_mistakes_with_their_place() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        r#"connections:
  portal:
    base_url: "http://127.0.0.1:9"
    auth:
      type: session
      login:
        - method: GET
          path: /login
          extract:
            csrf: { css: "input[[name=csrf", attr: value }
            both: { regex: "x", cookie: "y" }
        - method: DELETE
          path: /login
          form: { a: "1" }
          json: { b: "2" }
        - method: POST
          path: /login
          form: { csrf_token: "{{ session.csrv }}" }
      expired_status: [200]
      expired_when: "{{ body.expired }}"
streams:
  contacts:
    connection: portal
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
"#,
    );
    let out = sandbox.run(&["check"]).await;
    assert_ne!(out.code, Some(0), "{out}");
    let text = out.all_text();
    for expected in [
        "invalid CSS selector `input[[name=csrf`",
        "an extraction takes exactly one source, found 2 sources (regex, cookie)",
        "unsupported method `DELETE` for a login step",
        "a login step has both `form` and `json`",
        "`200` is not an HTTP status that can mean an expired session",
        "`expired_when` is a condition, found a template",
        "`session.csrv` is not extracted by an earlier login step",
        "did you mean `csrf`?",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{out}");
    }
}
