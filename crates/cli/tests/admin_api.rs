//! The admin API of `holdfast serve`: its answers after a sync (streams with
//! their last run, runs and their requests, the queue), the bearer token,
//! triggering a sync, and every operation checked against `/openapi.json` by
//! schemathesis (from PyPI, in the tests' Python venv) with all its checks:
//! no server error, every status, content type and body as documented.

mod common;

use common::{Sandbox, Serve, local_client};
use serde_json::Value;

const TOKEN: &str = "adm-token-7f31c9a2e5";

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
actions:
  create_note:
    connection: crm
    request: {{ method: POST, path: /v2/notes, json: "{{{{ input }}}}" }}
"#
    )
}

async fn get(serve: &Serve, path: &str, token: Option<&str>) -> (u16, Value) {
    serve.get_json(path, token).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_api_answers_as_its_openapi_document_says() {
    let mock = common::start_mock(50).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&mock.url()));
    sandbox.run(&["sync"]).await.expect_code(0);
    let serve = Serve::start(&sandbox, &[], &[("HOLDFAST_ADMIN_TOKEN", TOKEN)]).await;

    let (status, body) = get(&serve, "/api/streams", None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "missing or wrong bearer token");
    let (status, _) = get(&serve, "/api/streams", Some("wrong")).await;
    assert_eq!(status, 401);
    let (status, _) = get(&serve, "/readyz", None).await;
    assert_eq!(status, 200, "readyz is open");

    let (status, body) = get(&serve, "/api/streams", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let stream = &body["streams"][0];
    assert_eq!(stream["name"], "contacts");
    assert_eq!(stream["last_run"]["outcome"], "succeeded", "{body}");
    assert_eq!(stream["last_run"]["created"], 50);
    assert!(stream["last_success_at"].is_string(), "{body}");

    let run = stream["last_run"]["id"].as_i64().expect("run id");
    let (status, body) = get(&serve, &format!("/api/runs/{run}/requests"), Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let requests = body["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 5, "5 pages of 10: {body}");
    assert!(requests.iter().all(|r| r["status"] == 200));

    let (status, body) = get(&serve, "/api/runs?limit=0", Some(TOKEN)).await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap_or("").contains("`limit`"),
        "{body}"
    );

    // A sync asked for by hand is a job in the queue.
    let response = local_client()
        .post(format!("{}/api/streams/contacts/sync", serve.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 202);
    let queued: Value = serde_json::from_str(&response.text().await.expect("body")).expect("json");
    assert_eq!(queued["status"], "queued", "{queued}");
    let response = local_client()
        .post(format!("{}/api/streams/nope/sync", serve.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 404);

    // Every operation, against the document.
    let python = common::python::python();
    let schemathesis = python
        .parent()
        .expect("the venv's bin directory")
        .join("schemathesis");
    let out = tokio::process::Command::new(&schemathesis)
        .args([
            "run",
            &format!("{}/openapi.json", serve.url),
            "--header",
            &format!("Authorization: Bearer {TOKEN}"),
            "--checks",
            "all",
            "--max-examples",
            "20",
            "--seed",
            "1",
        ])
        .current_dir(sandbox.path())
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .env("NO_PROXY", "127.0.0.1")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n{}\n--- serve stderr ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        serve.stderr()
    );
    assert!(text.contains("19 selected / 19 total"), "{text}");
}
