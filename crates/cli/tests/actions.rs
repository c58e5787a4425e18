//! Actions: outbound writes queued with an idempotency key. A retry after a
//! timeout (the write happened, the answer was late) is one remote effect;
//! the same input twice is one job; a write the API refuses is
//! dead-lettered with the API's answer.

mod common;

use std::time::{Duration, Instant};

use common::{
    JobRow, Sandbox, Serve, jobs, local_client, post, queue_json, request_log, start_mock_with,
    wait_drained,
};
use holdfast_mock::MockConfig;
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "e2e-admin-token-5f1c";

/// The connector file: `create_note` (idempotency key from the input),
/// `bad_note` (sends an array, which the API refuses with 400) and
/// `lost_note` (a path the API does not have: 404).
fn connector(mock_url: &str) -> String {
    connector_with_timeout(mock_url, "500ms")
}

/// [`connector`] with another request timeout.
fn connector_with_timeout(mock_url: &str, timeout: &str) -> String {
    format!(
        r#"
connections:
  crm: {{ base_url: "{mock_url}", timeout: {timeout}, retry: {{ attempts: 4, initial: 50ms, max: 200ms }} }}
streams:
  contacts:
    connection: crm
    request: {{ path: /v2/contacts }}
    records: "$.data[*]"
    primary_key: id
actions:
  create_note:
    connection: crm
    request: {{ method: POST, path: /v2/notes, json: "{{{{ input }}}}" }}
    idempotency_key: "{{{{ input.external_id }}}}"
  bad_note:
    connection: crm
    request: {{ method: POST, path: /v2/notes, json: "{{{{ input.items }}}}" }}
    idempotency_key: "{{{{ input.external_id }}}}"
  lost_note:
    connection: crm
    request: {{ method: POST, path: /v2/nowhere, json: "{{{{ input }}}}" }}
"#
    )
}

/// `holdfast act NAME --input INPUT --json`: the exit code and the printed object.
async fn act(sandbox: &Sandbox, action: &str, input: &Value) -> (Option<i32>, Value) {
    let input = input.to_string();
    let out = sandbox
        .run(&["act", action, "--input", &input, "--json"])
        .await;
    let printed: Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("`act --json` prints one JSON object: {e}\n{out}"));
    (out.code, printed)
}

/// The request log rows of one action.
async fn action_requests(pool: &sqlx::SqlitePool, action: &str) -> Vec<common::LoggedRequest> {
    request_log(pool)
        .await
        .into_iter()
        .filter(|r| {
            r.endpoint
                .as_deref()
                .is_some_and(|e| e.contains(&format!("(action {action})")))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_timeout_is_one_remote_effect() {
    let mock = start_mock_with(MockConfig {
        slow_first_write: Some(Duration::from_secs(2)),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let input = json!({ "external_id": "n-1", "text": "hi" });

    let (code, first) = act(&sandbox, "create_note", &input).await;
    assert_eq!(code, Some(0), "{first}");
    assert_eq!(first["state"], "done", "{first}");
    assert_eq!(first["duplicate"], false, "{first}");
    assert_eq!(
        first["attempts"], 1,
        "one job attempt, retried inside it: {first}"
    );
    assert_eq!(first["error"], Value::Null, "{first}");
    assert_eq!(first["result"]["status"], 201, "{first}");
    assert_eq!(first["result"]["idempotency_key"], "n-1", "{first}");
    assert_eq!(first["result"]["body"]["note"]["text"], "hi", "{first}");

    // The API did it once: the retry with the same key was a replay.
    let notes = mock.state().notes();
    assert_eq!(notes.notes.len(), 1, "one remote effect: {notes:?}");
    assert_eq!(notes.notes[0]["external_id"], "n-1");
    let seen = notes.repeated_keys.get("n-1").copied().unwrap_or(0);
    assert!(seen >= 2, "the key was sent again on the retry: {notes:?}");
    assert!(notes.replays >= 1, "{notes:?}");
    assert_eq!(notes.without_key, 0, "{notes:?}");

    // The request log shows the timeout, then the 201.
    let pool = sandbox.pool().await;
    let log = action_requests(&pool, "create_note").await;
    assert_eq!(log.len() as u64, seen, "every attempt is logged: {log:#?}");
    assert_eq!(log[0].status, None, "{log:#?}");
    assert_eq!(log[0].error.as_deref(), Some("timeout"), "{log:#?}");
    assert!(
        log[0].duration_ms < 1900.0,
        "the client gave up at its 500 ms timeout, it did not wait out the 2 s answer: {log:#?}"
    );
    let last = log.last().expect("attempts");
    assert_eq!(last.status, Some(201), "{log:#?}");
    assert_eq!(last.error, None, "{log:#?}");
    assert_eq!(last.method, "POST");
    assert!(last.url.ends_with("/v2/notes"), "{last:?}");
    let attempts: Vec<i64> = log.iter().map(|r| r.attempt).collect();
    assert_eq!(
        attempts,
        (1..=log.len() as i64).collect::<Vec<_>>(),
        "{log:#?}"
    );

    // The same input again: the same job, not sent again.
    let (code, again) = act(&sandbox, "create_note", &input).await;
    assert_eq!(code, Some(0), "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["job"], first["job"], "{again}");
    assert_eq!(again["state"], "done", "{again}");
    assert_eq!(again["result"], first["result"], "{again}");
    let after = mock.state().notes();
    assert_eq!(after.notes.len(), 1, "{after:?}");
    assert_eq!(
        after.repeated_keys.get("n-1").copied(),
        Some(seen),
        "{after:?}"
    );
    assert_eq!(after.replays, notes.replays, "{after:?}");
    assert_eq!(
        action_requests(&pool, "create_note").await.len(),
        log.len(),
        "no new request"
    );
    let all = jobs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].unique_key.as_deref(), Some("action:create_note:n-1"));
    assert_eq!(all[0].state, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_endpoint_queues_and_serve_performs() {
    let mock = start_mock_with(MockConfig::default()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let serve = Serve::start(&sandbox, &[], &[("HOLDFAST_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let url = format!("{}/api/actions/create_note", serve.url);
    let input = json!({ "external_id": "n-2", "text": "from the admin API" }).to_string();
    let bearer = |token: &str| vec![("Authorization".to_owned(), format!("Bearer {token}"))];

    for (what, headers) in [
        ("no token", Vec::new()),
        ("a wrong token", bearer("not-the-token")),
        (
            "the token without Bearer",
            vec![("Authorization".to_owned(), ADMIN_TOKEN.to_owned())],
        ),
    ] {
        let (status, answer) = post(&client, &url, &headers, input.clone())
            .await
            .expect("POST");
        assert_eq!(status, 401, "{what}: {answer}");
        assert!(answer["error"].is_string(), "{what}: {answer}");
    }
    assert!(
        jobs(&pool).await.is_empty(),
        "nothing queued without the token"
    );

    let (status, queued) = post(&client, &url, &bearer(ADMIN_TOKEN), input.clone())
        .await
        .expect("POST");
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["status"], "queued", "{queued}");
    assert_eq!(queued["idempotency_key"], "n-2", "{queued}");
    assert!(queued["job"].is_i64(), "{queued}");
    let (status, again) = post(&client, &url, &bearer(ADMIN_TOKEN), input.clone())
        .await
        .expect("POST");
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["status"], "duplicate", "{again}");
    assert_eq!(again["job"], queued["job"], "{again}");

    let (status, unknown) = post(
        &client,
        &format!("{}/api/actions/no_such_action", serve.url),
        &bearer(ADMIN_TOKEN),
        input.clone(),
    )
    .await
    .expect("POST");
    assert_eq!(status, 404, "{unknown}");

    // serve's workers perform it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while mock.state().notes().notes.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the action was not performed within 20 s\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_drained(&pool, Duration::from_secs(20)).await;
    let notes = mock.state().notes();
    assert_eq!(notes.notes.len(), 1, "{notes:?}");
    assert_eq!(notes.notes[0]["text"], "from the admin API");
    assert!(notes.repeated_keys.is_empty(), "sent once: {notes:?}");
    assert_eq!(notes.without_key, 0);
    let all = jobs(&pool).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let job = &all[0];
    assert_eq!(Some(job.id), queued["job"].as_i64());
    assert_eq!(
        (job.kind.as_str(), job.name.as_str(), job.state.as_str()),
        ("action", "create_note", "done")
    );
    let result: Value = serde_json::from_str(job.result.as_deref().expect("result")).expect("JSON");
    assert_eq!(result["status"], 201, "{result}");
    // serve's worker logged its request too.
    let logged = action_requests(&pool, "create_note").await;
    assert_eq!(logged.len(), 1, "{logged:#?}");
    assert_eq!(logged[0].status, Some(201), "{logged:#?}");

    // `holdfast act` with the same input now finds the job done.
    let (code, printed) = act(
        &sandbox,
        "create_note",
        &json!({ "external_id": "n-2", "text": "from the admin API" }),
    )
    .await;
    assert_eq!(code, Some(0), "{printed}");
    assert_eq!(printed["duplicate"], true, "{printed}");
    assert_eq!(mock.state().notes().notes.len(), 1);
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_action_is_dead_lettered() {
    let mock = start_mock_with(MockConfig::default()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));

    // 400: the body must be a JSON object.
    let (code, bad) = act(
        &sandbox,
        "bad_note",
        &json!({ "external_id": "b-1", "items": [1, 2] }),
    )
    .await;
    assert_eq!(code, Some(1), "{bad}");
    assert_eq!(bad["state"], "dead", "{bad}");
    assert_eq!(bad["attempts"], 1, "a 4xx is not retried: {bad}");
    let error = bad["error"].as_str().unwrap_or_default();
    assert!(error.contains("400"), "the status: {error}");
    assert!(
        error.contains("the body must be a JSON object"),
        "an excerpt of the API's answer: {error}"
    );

    // 404: no such endpoint.
    let (code, lost) = act(&sandbox, "lost_note", &json!({ "external_id": "l-1" })).await;
    assert_eq!(code, Some(1), "{lost}");
    assert_eq!(lost["state"], "dead", "{lost}");
    let lost_error = lost["error"].as_str().unwrap_or_default();
    assert!(lost_error.contains("404"), "{lost_error}");

    assert!(mock.state().notes().notes.is_empty(), "nothing was created");
    let pool = sandbox.pool().await;
    let tried = action_requests(&pool, "bad_note").await;
    assert_eq!(tried.len(), 1, "sent once, not retried: {tried:#?}");
    assert_eq!(tried[0].status, Some(400));

    // `holdfast queue --json` lists both dead letters with their errors.
    let q = queue_json(&sandbox).await;
    let dead = q["dead"].as_array().expect("dead");
    assert_eq!(dead.len(), 2, "{q}");
    let find = |job: &Value| {
        dead.iter()
            .find(|d| d["job"] == *job)
            .unwrap_or_else(|| panic!("job {job} in {q}"))
    };
    let d = find(&bad["job"]);
    assert_eq!(d["kind"], "action");
    assert_eq!(d["name"], "bad_note");
    assert_eq!(d["error"], bad["error"]);
    let d = find(&lost["job"]);
    assert_eq!(d["name"], "lost_note");
    assert_eq!(d["error"], lost["error"]);

    // Running it again does not resend it: the job is dead, and says so.
    let (code, again) = act(
        &sandbox,
        "bad_note",
        &json!({ "external_id": "b-1", "items": [1, 2] }),
    )
    .await;
    assert_eq!(code, Some(1), "{again}");
    assert_eq!(
        (again["duplicate"].clone(), again["state"].clone()),
        (json!(true), json!("dead")),
        "{again}"
    );
    assert_eq!(action_requests(&pool, "bad_note").await.len(), 1);
}

/// RFC 9110 §11.1: the authentication scheme is case-insensitive, so
/// `Authorization: bearer TOKEN` carries the token as well as `Bearer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_bearer_scheme_is_case_insensitive() {
    let mock = start_mock_with(MockConfig::default()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    let serve = Serve::start(&sandbox, &[], &[("HOLDFAST_ADMIN_TOKEN", ADMIN_TOKEN)]).await;
    let client = local_client();
    let url = format!("{}/api/actions/create_note", serve.url);
    let input = json!({ "external_id": "n-3", "text": "lower-case scheme" }).to_string();
    for scheme in ["bearer", "BEARER"] {
        let headers = vec![(
            "Authorization".to_owned(),
            format!("{scheme} {ADMIN_TOKEN}"),
        )];
        let (status, answer) = post(&client, &url, &headers, input.clone())
            .await
            .expect("POST");
        assert!(
            status == 202 || status == 200,
            "`{scheme} TOKEN` is accepted: {status} {answer}"
        );
    }
    drop(serve);
}

/// serve is SIGKILLed while its worker waits for the API's answer to an
/// action (the note was already created); a serve started again performs
/// the action again with the same key: one remote effect, the job done.
async fn action_interrupted_by_sigkill(expire_leases: bool) {
    let mock = start_mock_with(MockConfig {
        slow_first_write: Some(Duration::from_secs(3)),
        ..MockConfig::default()
    })
    .await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector_with_timeout(&mock.url(), "10s"));
    let env = [("HOLDFAST_ADMIN_TOKEN", ADMIN_TOKEN)];
    let mut serve = Serve::start(&sandbox, &[], &env).await;
    let pool = sandbox.pool().await;
    let client = local_client();
    let headers = vec![("Authorization".to_owned(), format!("Bearer {ADMIN_TOKEN}"))];
    let (status, queued) = post(
        &client,
        &format!("{}/api/actions/create_note", serve.url),
        &headers,
        json!({ "external_id": "n-9", "text": "interrupted" }).to_string(),
    )
    .await
    .expect("POST");
    assert_eq!(status, 202, "{queued}");

    // The API has created the note and holds its answer back: kill serve now.
    let deadline = Instant::now() + Duration::from_secs(20);
    while mock.state().notes().notes.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the action was never sent\n{}",
            serve.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve.kill().await;
    let job: JobRow = jobs(&pool).await.remove(0);
    assert_eq!(
        (job.state.as_str(), job.attempts),
        ("running", 1),
        "{job:?}"
    );
    if expire_leases {
        // as if the 60 s lease had run out
        sqlx::query("UPDATE _holdfast_jobs SET lease_until = 0 WHERE state = 'running'")
            .execute(&pool)
            .await
            .expect("expire leases");
    }

    let restarted = Instant::now();
    let serve = Serve::start(&sandbox, &[], &env).await;
    let deadline = restarted + Duration::from_secs(15);
    loop {
        let job = jobs(&pool).await.remove(0);
        if job.state == "done" {
            assert_eq!(job.attempts, 2, "{job:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "15 s after the restart the interrupted action is still not done: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let notes = mock.state().notes();
    assert_eq!(notes.notes.len(), 1, "one remote effect: {notes:?}");
    assert_eq!(
        notes.repeated_keys.get("n-9").copied(),
        Some(2),
        "{notes:?}"
    );
    assert_eq!(notes.replays, 1, "{notes:?}");
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_interrupted_by_sigkill_is_one_remote_effect() {
    action_interrupted_by_sigkill(true).await;
}

/// The same, without moving the clock: the restarted serve should not
/// wait for the dead process's lease (60 s) to redo its claimed jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_serve_redoes_a_killed_claim_promptly() {
    action_interrupted_by_sigkill(false).await;
}
