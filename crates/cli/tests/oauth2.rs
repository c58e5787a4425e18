//! OAuth2 against a real OAuth2 server (`oauth2-mock-server` from npm, see
//! `support/oauth2_server.rs`) with 4-second tokens and rotating refresh
//! tokens, the data API being the mock accepting any unexpired JWT: a sync
//! long enough for several refreshes sees no 401; a second process goes on
//! with the rotated refresh token kept (encrypted) in the store; a refused
//! refresh token says "needs re-authorization" after one token request;
//! 20 concurrent requests share one token request.

mod common;
#[path = "support/oauth2_server.rs"]
mod oauth2_server;

use std::sync::Arc;
use std::time::Duration;

use common::{Output, Sandbox, contains_bytes, ids};
use holdfast_mock::{MockAuth, MockConfig, MockServer};
use oauth2_server::OAuth2Server;

const RECORDS: u64 = 40;
const INITIAL_REFRESH_TOKEN: &str = "rt-initial-6c1f9e2a7b";
const CLIENT_SECRET: &str = "cs-secret-93b7d15e0a";

fn connector(base_url: &str, token_url: &str) -> String {
    format!(
        r#"connections:
  crm:
    base_url: "{base_url}"
    auth:
      type: oauth2
      grant: refresh_token
      token_url: "{token_url}"
      client_id: holdfast-test
      client_secret: "{{{{ secret.crm_client_secret }}}}"
      refresh_token: "{{{{ secret.crm_refresh_token }}}}"
      scope: "contacts:read"
      refresh_before_expiry: 2s
streams:
  contacts:
    connection: crm
    request: {{ path: /cursor/contacts, params: {{ limit: 2 }} }}
    paginate: {{ type: cursor, next: "$.meta.next_cursor", param: cursor }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

async fn set_secret(sandbox: &Sandbox, name: &str, value: &str) {
    common::set_secret(sandbox, name, value, &[])
        .await
        .expect_code(0);
}

async fn mock(latency: Duration) -> MockServer {
    common::start_mock_with(MockConfig {
        records: RECORDS,
        latency,
        auth: Some(MockAuth::UnexpiredJwt),
        ..MockConfig::default()
    })
    .await
}

fn unauthorized(mock: &MockServer) -> usize {
    mock.requests().iter().filter(|r| r.status == 401).count()
}

fn assert_no_token(outputs: &[&Output], sandbox: &Sandbox, server: &OAuth2Server) {
    let db = sandbox.db_bytes();
    for t in server.requests() {
        for token in [&t.access_token, &t.refresh_token] {
            if token == "-" {
                continue;
            }
            assert!(
                !contains_bytes(&db, token.as_bytes()),
                "a token in the store file"
            );
            for out in outputs {
                assert!(
                    !out.all_text().contains(token.as_str()),
                    "a token in the output"
                );
            }
        }
    }
    for secret in [INITIAL_REFRESH_TOKEN, CLIENT_SECRET] {
        assert!(
            !contains_bytes(&db, secret.as_bytes()),
            "a secret in the store file"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_sync_refreshes_ahead_of_expiry_and_a_restart_keeps_the_rotated_token() {
    // 4 s tokens renewed 2 s early (the JWT's `exp` is in whole seconds and
    // the mock checks it after its 300 ms latency: a margin of 0.7 s).
    let server = OAuth2Server::start(4, INITIAL_REFRESH_TOKEN).await;
    // 20 pages of 2 records, 300 ms each: 6 s of 4 s tokens.
    let mock = mock(Duration::from_millis(300)).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), &server.token_url()));
    set_secret(&sandbox, "crm_client_secret", CLIENT_SECRET).await;
    set_secret(&sandbox, "crm_refresh_token", INITIAL_REFRESH_TOKEN).await;

    let synced = sandbox
        .run_env(&["sync"], &[("HOLDFAST_LOG", "debug")])
        .await;
    synced.expect_code(0);
    let pool = sandbox.pool().await;
    assert_eq!(ids(&pool, "contacts").await.len() as u64, RECORDS);
    pool.close().await;
    assert_eq!(
        unauthorized(&mock),
        0,
        "no 401 at all: refreshed before expiry"
    );
    let tokens = server.requests();
    assert!(tokens.len() >= 3, "several refreshes: {}", tokens.len());
    assert!(
        tokens
            .iter()
            .all(|t| t.status == 200 && t.grant == "refresh_token"),
        "every rotated refresh token was used once, in order"
    );

    // A new process: the initial refresh token is spent, so going on
    // proves the rotated one was kept.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = sandbox.run(&["sync"]).await;
    again.expect_code(0);
    assert_eq!(unauthorized(&mock), 0);
    let after = server.requests();
    assert!(after.len() > tokens.len(), "an expired token was renewed");
    assert!(after.iter().all(|t| t.status == 200));

    let status = sandbox.run(&["status"]).await;
    status.expect_code(0);
    assert!(
        status.stdout.contains("oauth2") && status.stdout.contains("last refresh ok"),
        "{status}"
    );
    assert_no_token(&[&synced, &again, &status], &sandbox, &server);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_refresh_token_needs_reauthorization_without_a_storm() {
    let server = OAuth2Server::start(3, "some-other-token-1234").await;
    let mock = mock(Duration::ZERO).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url(), &server.token_url()));
    set_secret(&sandbox, "crm_client_secret", CLIENT_SECRET).await;
    set_secret(&sandbox, "crm_refresh_token", INITIAL_REFRESH_TOKEN).await;

    let refused = sandbox.run(&["sync"]).await;
    refused.expect_code(1);
    assert!(
        refused.all_text().contains(
            "connection `crm` needs re-authorization: the refresh token was refused \
             (invalid_grant); set a new one with `holdfast secrets set crm_refresh_token`"
        ),
        "{refused}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "one token request, no retry storm"
    );
    assert!(mock.requests().is_empty(), "no API request without a token");
    let status = sandbox.run(&["status"]).await;
    assert!(status.stdout.contains("needs re-authorization"), "{status}");

    // `serve` tries the configured token once (its keep-alive, at start) and
    // says so in its metrics.
    let serve = common::Serve::start(&sandbox, &[], &[]).await;
    let mut scrape = String::new();
    for _ in 0..100 {
        scrape = common::local_client()
            .get(format!("{}/metrics", serve.url))
            .send()
            .await
            .expect("scrape /metrics")
            .text()
            .await
            .expect("metrics text");
        if scrape.contains("holdfast_auth_needs_reauth{connection=\"crm\"} 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        scrape.contains("holdfast_auth_needs_reauth{connection=\"crm\"} 1")
            && scrape.contains(
                "holdfast_auth_refreshes_total{connection=\"crm\",outcome=\"invalid_grant\"} 1"
            ),
        "{scrape}"
    );
    assert_eq!(server.requests().len(), 2, "serve tried once, no storm");
    drop(serve);
    assert_no_token(&[&refused, &status], &sandbox, &server);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_requests_share_one_token_request() {
    use holdfast_http::{
        Client, ClientConfig, HttpRequest, OAuth2ClientAuth, OAuth2Config, OAuth2Credential,
        OAuth2Grant, ResolvedAuth,
    };
    let server = OAuth2Server::start(60, INITIAL_REFRESH_TOKEN).await;
    let mock = mock(Duration::from_millis(20)).await;
    let credential = OAuth2Credential::new(
        OAuth2Config {
            connection: "crm".into(),
            token_url: server.token_url().parse().expect("url"),
            grant: OAuth2Grant::ClientCredentials,
            client_id: "holdfast-test".into(),
            client_secret: CLIENT_SECRET.into(),
            refresh_token: None,
            scope: Some("contacts:read".into()),
            audience: Some("crm-api".into()),
            params: vec![],
            client_auth: OAuth2ClientAuth::Body,
            refresh_before_expiry: Duration::from_secs(5),
            refresh_at_least_every: Duration::from_secs(86_400),
            timeout: Duration::from_secs(10),
            reauth_hint: "fix the client secret".into(),
        },
        None,
    )
    .expect("credential");
    let mut config = ClientConfig::new("crm", &mock.url().parse().expect("url"));
    config.in_flight = holdfast_http::concurrency::InFlight::fixed(32);
    config.auth = ResolvedAuth::OAuth2(Arc::new(credential));
    let client = Client::new(config).expect("client");
    let url = format!("{}/cursor/contacts?limit=1", mock.url());
    let calls = (0..20).map(|_| client.send(HttpRequest::get_json(url.parse().expect("url"))));
    for r in futures::future::join_all(calls).await {
        r.expect("every request succeeds");
    }
    let tokens = server.requests();
    assert_eq!(tokens.len(), 1, "one token request for 20 requests");
    assert_eq!(tokens[0].grant, "client_credentials");
    assert_eq!(mock.requests().len(), 20);
    assert_eq!(unauthorized(&mock), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_refresh_token_survives_kill_9_right_after_the_token_endpoint_answered() {
    let server = OAuth2Server::start(4, INITIAL_REFRESH_TOKEN).await;
    // The API hangs: the process is killed while it holds the new tokens.
    let hanging = mock(Duration::from_secs(30)).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&hanging.url(), &server.token_url()));
    set_secret(&sandbox, "crm_client_secret", CLIENT_SECRET).await;
    set_secret(&sandbox, "crm_refresh_token", INITIAL_REFRESH_TOKEN).await;
    let mut child = sandbox.spawn(&["sync"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while server.requests().is_empty() || hanging.requests().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no token request");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("wait");
    assert!(!status.success(), "killed: {status}");
    let first = server.requests();
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].status, 200,
        "the initial refresh token is now spent"
    );

    // After the access token expired, a new process must refresh with the
    // rotated refresh token (the initial one would be refused).
    tokio::time::sleep(Duration::from_secs(4)).await;
    let api = mock(Duration::ZERO).await;
    sandbox.write_config(&connector(&api.url(), &server.token_url()));
    let synced = sandbox.run(&["sync"]).await;
    synced.expect_code(0);
    let after = server.requests();
    assert_eq!(after.len(), 2, "one more token request");
    assert_eq!(after[1].status, 200, "the rotated refresh token was kept");
    assert_eq!(unauthorized(&api), 0);
    assert_no_token(&[&synced], &sandbox, &server);
    server.stop().await;
}
