//! `alerts:` under `holdfast serve`: the mock stops bringing new data, the
//! token endpoint fails, the queue fills up; each rule fires once to a
//! webhook receiver on 127.0.0.1 and resolves when the condition clears.
//! `holdfast alerts` reads the same rules from the store.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use common::{Sandbox, Serve, local_client};
use serde_json::{Value, json};

/// A notify target: keeps every JSON body POSTed to it.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .route(
                "/alerts",
                post(
                    |State(r): State<Receiver>, Json(body): Json<Value>| async move {
                        r.seen.lock().unwrap_or_else(|e| e.into_inner()).push(body);
                        StatusCode::NO_CONTENT
                    },
                ),
            )
            .with_state(receiver.clone());
        let url = serve_app(app).await;
        (receiver, format!("{url}/alerts"))
    }

    /// The (state, message) of every notification about `rule`, in order.
    fn of(&self, rule: &str) -> Vec<(String, String)> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|b| b["rule"] == rule)
            .map(|b| {
                (
                    b["state"].as_str().unwrap_or("").to_owned(),
                    b["message"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// Waits until `rule` has `n` notifications; panics with `what` and
    /// everything received after `limit`.
    async fn wait_for(&self, rule: &str, n: usize, limit: Duration, serve: &Serve) {
        let start = Instant::now();
        while self.of(rule).len() < n {
            assert!(
                start.elapsed() < limit,
                "{rule}: {n} notification(s) expected within {limit:?}, got {:?}\n--- serve stderr ---\n{}",
                self.of(rule),
                serve.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn serve_app(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn contacts() -> String {
    "  contacts:\n    connection: crm\n    request: { path: /cursor/contacts, params: { limit: 10 } }\n    \
     paginate: { type: cursor, next: \"$.meta.next_cursor\", param: cursor }\n    \
     records: \"$.data[*]\"\n    primary_key: id\n    schedule: { every: 1s }\n"
        .to_owned()
}

/// The first notification fires, the second resolves; nothing else came.
fn assert_fired_once_then_resolved(seen: &[(String, String)], rule: &str) {
    let states: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        &states[..2],
        &["firing", "resolved"],
        "{rule}: notifications {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_new_records_for_the_window_fires_once_and_new_data_resolves_it() {
    let mock = common::start_mock(30).await;
    let (receiver, notify) = Receiver::start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "connections:\n  crm:\n    base_url: \"{}\"\nstreams:\n{}\
         alerts:\n  - {{ rule: no_records, stream: contacts, for: 3s }}\n\
         notify: [ {{ webhook: \"{{{{ env.ALERT_URL }}}}\" }} ]\n",
        mock.url(),
        contacts()
    ));
    let serve = Serve::start(
        &sandbox,
        &["--alerts-every", "250ms"],
        &[("ALERT_URL", notify.as_str())],
    )
    .await;
    // the first run creates 30 records; the next ones find nothing new
    receiver
        .wait_for("no_records", 1, Duration::from_secs(30), &serve)
        .await;
    let fired = receiver.of("no_records");
    assert_eq!(fired[0].0, "firing", "{fired:?}");
    assert!(
        fired[0]
            .1
            .contains("`contacts` brought no new or changed records in the last 3s"),
        "{fired:?}"
    );
    // held for several evaluations: still one notification
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.of("no_records").len(),
        1,
        "{:?}",
        receiver.of("no_records")
    );

    // while it fires, `holdfast alerts` says so from the store alone
    let out = sandbox
        .run_env(&["alerts"], &[("ALERT_URL", notify.as_str())])
        .await;
    out.expect_code(0);
    assert!(
        out.stdout.contains("FIRING  no_records      contacts"),
        "{out}"
    );

    // a restart remembers what it announced (the board is in the store)
    let first_logs = {
        let mut serve = serve;
        serve.kill().await;
        serve.stderr()
    };
    let serve = Serve::start(
        &sandbox,
        &["--alerts-every", "250ms"],
        &[("ALERT_URL", notify.as_str())],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.of("no_records").len(),
        1,
        "not announced again after a restart: {:?}",
        receiver.of("no_records")
    );

    mock.touch(3);
    receiver
        .wait_for("no_records", 2, Duration::from_secs(30), &serve)
        .await;
    let seen = receiver.of("no_records");
    assert_fired_once_then_resolved(&seen, "no_records");
    assert!(
        seen[1].1.contains("brought 3 new or changed records"),
        "{seen:?}"
    );
    // the log is a notify target too (the receiver may be faster than the pipe)
    let start = Instant::now();
    while !serve.stderr().contains("alert resolved") && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = serve.stderr();
    assert!(
        first_logs.contains("alert firing: `contacts` brought no new"),
        "{first_logs}"
    );
    assert!(!logs.contains("alert firing"), "{logs}");
    assert!(
        logs.contains("alert resolved: `contacts` brought 3 new"),
        "{logs}"
    );
}

/// A client_credentials token endpoint that fails while `failing` is set;
/// tokens last 4 s.
#[derive(Clone, Default)]
struct TokenEndpoint {
    failing: Arc<AtomicBool>,
    issued: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
}

impl TokenEndpoint {
    async fn start() -> (TokenEndpoint, String) {
        let endpoint = TokenEndpoint::default();
        let app = axum::Router::new()
            .route(
                "/token",
                post(|State(t): State<TokenEndpoint>| async move {
                    if t.failing.load(Ordering::SeqCst) {
                        t.refused.fetch_add(1, Ordering::SeqCst);
                        return (StatusCode::SERVICE_UNAVAILABLE, "token service down")
                            .into_response();
                    }
                    let n = t.issued.fetch_add(1, Ordering::SeqCst);
                    let body = json!({ "access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 4 });
                    Json(body).into_response()
                }),
            )
            .with_state(endpoint.clone());
        let url = serve_app(app).await;
        (endpoint, format!("{url}/token"))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_token_endpoint_fires_token_expiring_once_and_recovery_resolves_it() {
    let mock = common::start_mock(20).await;
    let (receiver, notify) = Receiver::start().await;
    let (tokens, token_url) = TokenEndpoint::start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "connections:\n  crm:\n    base_url: \"{}\"\n    auth:\n      type: oauth2\n      grant: client_credentials\n      \
         token_url: \"{token_url}\"\n      client_id: holdfast-test\n      client_secret: s3cret\n      \
         refresh_before_expiry: 2s\nstreams:\n{}\
         alerts:\n  - {{ rule: token_expiring, connection: crm, within: 1h }}\n\
         notify: [ {{ webhook: \"{notify}\" }} ]\n",
        mock.url(),
        contacts()
    ));
    let serve = Serve::start(&sandbox, &["--alerts-every", "250ms"], &[]).await;
    let start = Instant::now();
    while tokens.issued.load(Ordering::SeqCst) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no token renewed\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        receiver.of("token_expiring").is_empty(),
        "renewed in time: {:?}",
        receiver.of("token_expiring")
    );

    tokens.failing.store(true, Ordering::SeqCst);
    receiver
        .wait_for("token_expiring", 1, Duration::from_secs(30), &serve)
        .await;
    let fired = receiver.of("token_expiring");
    assert_eq!(fired[0].0, "firing", "{fired:?}");
    assert!(
        fired[0].1.contains("the credentials of `crm`")
            && fired[0].1.contains("renewing them failed"),
        "{fired:?}"
    );
    assert!(!fired[0].1.contains("s3cret"), "{fired:?}");
    // failing on and on: still one notification
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.of("token_expiring").len(), 1);
    assert!(tokens.refused.load(Ordering::SeqCst) >= 1);

    tokens.failing.store(false, Ordering::SeqCst);
    receiver
        .wait_for("token_expiring", 2, Duration::from_secs(30), &serve)
        .await;
    assert_fired_once_then_resolved(&receiver.of("token_expiring"), "token_expiring");
    // the log tells the renewals apart without showing a credential
    let logs = serve.stderr();
    assert!(!logs.contains("s3cret") && !logs.contains("tok-"), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_queue_fires_queue_depth_once_and_draining_resolves_it() {
    let mock = common::start_mock(5).await;
    let (receiver, notify) = Receiver::start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "connections:\n  crm:\n    base_url: \"{}\"\nstreams:\n  contacts:\n    connection: crm\n    \
         request: {{ path: /cursor/contacts }}\n    records: \"$.data[*]\"\n    primary_key: id\n\
         actions:\n  create_note:\n    connection: crm\n    \
         request: {{ method: POST, path: /v2/notes, json: \"{{{{ input }}}}\" }}\n    \
         idempotency_key: \"{{{{ input.external_id }}}}\"\n\
         alerts:\n  - {{ rule: queue_depth, above: 5 }}\n\
         notify: [ {{ webhook: \"{notify}\" }} ]\n",
        mock.url()
    ));
    let admin = [("HOLDFAST_ADMIN_TOKEN", "admin-test-token")];
    // a receiving process without workers: the queue only fills
    let front = Serve::start(
        &sandbox,
        &["--workers", "0", "--alerts-every", "250ms"],
        &admin,
    )
    .await;
    let client = local_client();
    for i in 0..8 {
        let r = client
            .post(format!("{}/api/actions/create_note", front.url))
            .bearer_auth("admin-test-token")
            .header("content-type", "application/json")
            .body(json!({ "external_id": format!("n-{i}"), "text": "hello" }).to_string())
            .send()
            .await
            .expect("enqueue an action");
        assert_eq!(r.status().as_u16(), 202, "{:?}", r.text().await);
    }
    receiver
        .wait_for("queue_depth", 1, Duration::from_secs(30), &front)
        .await;
    let fired = receiver.of("queue_depth");
    let depth: u64 = fired[0]
        .1
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        depth > 5
            && fired[0]
                .1
                .contains("jobs are waiting or running (the alert fires above 5)"),
        "{fired:?}"
    );
    // a worker process on the same store drains it
    let worker = Serve::start(&sandbox, &["--workers", "2"], &admin).await;
    receiver
        .wait_for("queue_depth", 2, Duration::from_secs(30), &front)
        .await;
    assert_fired_once_then_resolved(&receiver.of("queue_depth"), "queue_depth");
    let notes = common::get_json(&format!("{}/_mock/notes", mock.url())).await;
    assert_eq!(
        notes["notes"].as_array().map(Vec::len),
        Some(8),
        "{notes}\n{}",
        worker.stderr()
    );
}

#[tokio::test]
async fn alert_rules_are_checked_with_their_place() {
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "connections:\n  crm:\n    base_url: http://127.0.0.1:9\nstreams:\n  contacts:\n    connection: crm\n    \
         request: { path: /c }\n    records: \"$.data[*]\"\n    primary_key: id\n\
         alerts:\n  - { rule: no_record, stream: contacts }\n  - { rule: error_rate, connection: crn, above: 5 }\n  \
         - { rule: queue_depth, above: 10, for: 1h }\n  - { rule: no_records }\n\
         notify: [ { webhook: not-a-url } ]\n",
    );
    let out = sandbox.run(&["check"]).await;
    out.expect_code(2);
    let text = out.all_text();
    for expected in [
        "unknown alert rule `no_record`; did you mean `no_records`?",
        "unknown connection `crn`; did you mean `crm`?",
        "`above` is a share, more than 0% and at most 100%; found `5`",
        "`for` does not apply to rule `queue_depth`",
        "missing key `stream`",
        "`not-a-url` is not an absolute http(s) URL",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.contains("alerts[1].connection") || text.contains(":13:"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_down_remote_drift_and_deprecation_notices_each_fire_once() {
    // `flaky` answers 503 to everything for its first 8 s (ample for serve to
    // start on a loaded machine), then recovers
    let flaky = common::start_mock_with(holdfast_mock::MockConfig {
        records: 10,
        faults: holdfast_mock::FaultProfile {
            down: Some((Duration::ZERO, Duration::from_secs(8))),
            ..holdfast_mock::FaultProfile::default()
        },
        ..holdfast_mock::MockConfig::default()
    })
    .await;
    // `crm` serves the deprecated /v1 endpoint, later in a drifted shape
    let crm = common::start_mock(10).await;
    let (receiver, notify) = Receiver::start().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "connections:\n  flaky:\n    base_url: \"{}\"\n    retry: {{ attempts: 1 }}\n  crm:\n    base_url: \"{}\"\n\
         streams:\n  up:\n    connection: flaky\n    request: {{ path: /cursor/contacts }}\n    records: \"$.data[*]\"\n    \
         primary_key: id\n    schedule: {{ every: 1s }}\n  legacy:\n    connection: crm\n    request: {{ path: /v1/contacts }}\n    \
         records: \"$.data[*]\"\n    primary_key: id\n    schedule: {{ every: 1s }}\n\
         alerts:\n  - {{ rule: remote_down, connection: flaky, for: 2s }}\n  \
         - {{ rule: error_rate, connection: flaky, above: 50%, for: 2s }}\n  \
         - {{ rule: schema_drift, stream: legacy, for: 3s }}\n  \
         - {{ rule: deprecation, connection: crm }}\n\
         notify: [ {{ webhook: \"{notify}\" }} ]\n",
        flaky.url(),
        crm.url()
    ));
    let serve = Serve::start(&sandbox, &["--alerts-every", "250ms"], &[]).await;
    receiver
        .wait_for("remote_down", 1, Duration::from_secs(30), &serve)
        .await;
    let down = receiver.of("remote_down");
    assert!(
        down[0]
            .1
            .contains("every request to `flaky` failed in the last 2s"),
        "{down:?}"
    );
    receiver
        .wait_for("error_rate", 1, Duration::from_secs(30), &serve)
        .await;
    assert!(
        receiver.of("error_rate")[0]
            .1
            .contains("100.0% of the requests to `flaky` failed"),
        "{:?}",
        receiver.of("error_rate")
    );
    receiver
        .wait_for("deprecation", 1, Duration::from_secs(30), &serve)
        .await;
    assert!(
        receiver.of("deprecation")[0].1.contains("Deprecation:")
            && receiver.of("deprecation")[0].1.contains("Sunset:"),
        "{:?}",
        receiver.of("deprecation")
    );

    // the shape changes after the first runs of `legacy`
    crm.set_shape(holdfast_mock::ShapeVersion::Drifted);
    receiver
        .wait_for("schema_drift", 2, Duration::from_secs(30), &serve)
        .await;
    let drift = receiver.of("schema_drift");
    assert_fired_once_then_resolved(&drift, "schema_drift");
    assert!(
        drift[0]
            .1
            .contains("the response shape of `legacy` changed"),
        "{drift:?}"
    );

    // the remote is back: both resolve once the window holds only successes
    receiver
        .wait_for("remote_down", 2, Duration::from_secs(30), &serve)
        .await;
    receiver
        .wait_for("error_rate", 2, Duration::from_secs(30), &serve)
        .await;
    assert_fired_once_then_resolved(&receiver.of("remote_down"), "remote_down");
    assert_fired_once_then_resolved(&receiver.of("error_rate"), "error_rate");
    // deprecation notices keep coming: still one notification
    assert_eq!(receiver.of("deprecation").len(), 1);
}

/// `GET /api/alerts` with the admin token: (state, message) of `rule` on `subject`.
async fn board(serve: &Serve, token: &str, rule: &str, subject: &str) -> Option<(String, String)> {
    let text = local_client()
        .get(format!("{}/api/alerts", serve.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET /api/alerts")
        .text()
        .await
        .expect("a body");
    let body: Value = serde_json::from_str(&text).expect("a JSON answer");
    body["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["rule"] == rule && a["subject"] == subject)
        .map(|a| {
            (
                a["state"].as_str().unwrap_or("").to_owned(),
                a["message"].as_str().unwrap_or("").to_owned(),
            )
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alert_board_shows_the_reason_that_holds_now() {
    const TOKEN: &str = "adm-token-board-51c2";
    let mock = common::start_mock(30).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&format!(
        "connections:\n  crm:\n    base_url: \"{}\"\nstreams:\n{}\
         alerts:\n  - {{ rule: no_records, stream: contacts, for: 2s }}\n",
        mock.url(),
        contacts()
    ));
    // one run long ago (for the window): then no worker runs anything, so
    // the alert fires because the stream has not run at all
    sandbox.run(&["sync"]).await.expect_code(0);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let env = [("HOLDFAST_ADMIN_TOKEN", TOKEN)];
    let mut idle = Serve::start(
        &sandbox,
        &["--workers", "0", "--alerts-every", "250ms"],
        &env,
    )
    .await;
    let start = Instant::now();
    loop {
        let now = board(&idle, TOKEN, "no_records", "contacts").await;
        if let Some((state, message)) = &now {
            assert_eq!(state, "firing", "{now:?}");
            assert!(
                message.contains("`contacts` has not run in the last 2s"),
                "{now:?}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never fired\n{}",
            idle.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    idle.kill().await;

    // now runs succeed every second, finding nothing new: still firing, for
    // another reason, and the board must say that one
    let serve = Serve::start(&sandbox, &["--alerts-every", "250ms"], &env).await;
    let start = Instant::now();
    while common::runs_of(&sandbox.pool().await, "contacts")
        .await
        .iter()
        .filter(|r| r.outcome == "succeeded")
        .count()
        < 5
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no runs\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let served = board(&serve, TOKEN, "no_records", "contacts").await;
    let cli = sandbox.run(&["alerts"]).await;
    cli.expect_code(0);
    let (state, message) = served.clone().expect("on the board");
    assert_eq!(state, "firing", "{served:?}");
    assert!(
        message.contains("`contacts` brought no new or changed records in the last 2s"),
        "the board kept a stale reason: {served:?}\n`holdfast alerts` says:\n{cli}"
    );
    assert!(
        cli.stdout
            .contains("`contacts` brought no new or changed records in the last 2s"),
        "{cli}"
    );
}
