//! Issue 13: templates run in a closed sandbox (`check` refuses functions,
//! unknown filters and `env`/`secret` read whole, and nothing is sent), and a
//! value rendered into a request path is one encoded path segment: a hostile
//! record value cannot change the path or leave the host.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::response::IntoResponse;
use common::{Sandbox, request_log, runs_of};
use serde_json::json;

/// Everything a server on 127.0.0.1 received, one line per request:
/// method, the path and query exactly as sent, and every header.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<String>>>);

impl Received {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn all(&self) -> String {
        self.lines().join("\n")
    }

    /// The paths (and queries) requested, in order.
    fn targets(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter_map(|l| l.split(' ').nth(1).map(str::to_owned))
            .collect()
    }
}

/// A server that records every request and answers `/parents` with
/// `parents`, anything else with one record.
async fn hostile(parents: serde_json::Value) -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .fallback(answer)
        .with_state((received.clone(), Arc::new(parents)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

async fn answer(
    State((received, parents)): State<(Received, Arc<serde_json::Value>)>,
    request: Request,
) -> impl IntoResponse {
    let mut line = format!("{} {}", request.method(), request.uri());
    for (k, v) in request.headers() {
        line.push_str(&format!(" {k}={}", String::from_utf8_lossy(v.as_bytes())));
    }
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    line.push_str(&format!(" body={}", String::from_utf8_lossy(&body)));
    let parents_asked = line.starts_with("GET /parents");
    received
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(line);
    if parents_asked {
        axum::Json((*parents).clone())
    } else {
        axum::Json(json!({"data": [{"id": 1}]}))
    }
}

const SECRET: &str = "tok-secret-9d1f";
const CANARY: &str = "canary-env-77ab";

fn connector(headers: &str, child_path: &str) -> String {
    format!(
        r#"connections:
  api:
    base_url: "{{{{ env.API_URL }}}}"
    headers: {{ X-Token: "{{{{ secret.api_token }}}}"{headers} }}
streams:
  parents:
    connection: api
    request: {{ path: /parents }}
    records: "$.data[*]"
    primary_key: id
  children:
    connection: api
    for_each: {{ stream: parents, as: p }}
    request: {{ path: "{child_path}" }}
    records: "$.data[*]"
    primary_key: id
"#
    )
}

async fn with_secret(sandbox: &Sandbox) {
    common::set_secret(sandbox, "api_token", SECRET, &[])
        .await
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_check_refuses_debug_and_whole_env_and_nothing_is_sent() {
    let (url, received) = hostile(json!({"data": [{"id": 1}]})).await;
    let env = [("API_URL", url.as_str()), ("HF_CANARY", CANARY)];
    for (header, expected) in [
        (
            r#", X-Dump: "{{ debug() }}""#,
            "function `debug()` is not available in template `{{ debug() }}`",
        ),
        (r#", X-Env: "{{ env }}""#, "`env` is read whole"),
        (r#", X-Sec: "{{ secret }}""#, "`secret` is read whole"),
        (
            r#", X-Keys: "{{ env | list | join(',') }}""#,
            "unknown filter `list`",
        ),
        (
            r#", X-Loop: "{% for k in range(3) %}{{ k }}{% endfor %}""#,
            "`{% for %}` blocks are not available",
        ),
    ] {
        let sandbox = Sandbox::new();
        sandbox.write_config(&connector(header, "/child/{{ p.id }}"));
        with_secret(&sandbox).await;
        for command in ["check", "sync"] {
            let out = sandbox.run_env(&[command], &env).await;
            out.expect_code(2);
            assert!(out.stderr.contains(expected), "{header}: {out}");
            assert!(
                out.stderr.contains("holdfast.yaml:4:"),
                "located at the header's line: {out}"
            );
            let text = out.all_text();
            assert!(!text.contains(SECRET) && !text.contains(CANARY), "{text}");
        }
    }
    assert_eq!(received.lines(), Vec::<String>::new(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_a_sync_sends_only_the_values_its_templates_name() {
    let (url, received) = hostile(json!({"data": [{"id": 1}, {"id": 2}]})).await;
    let env = [("API_URL", url.as_str()), ("HF_CANARY", CANARY)];
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(
        r#", X-Who: "{{ env.API_URL | upper }}""#,
        "/child/{{ p.id }}",
    ));
    with_secret(&sandbox).await;
    sandbox.run_env(&["sync"], &env).await.expect_code(0);
    let all = received.all();
    assert_eq!(received.targets().len(), 3, "{all}");
    assert!(!all.contains(CANARY), "an unread env var was sent: {all}");
    for line in received.lines() {
        assert_eq!(line.matches(SECRET).count(), 1, "only in X-Token: {line}");
        assert!(line.contains(&format!("x-token={SECRET}")), "{line}");
        assert!(
            line.contains(&format!("x-who={}", url.to_uppercase())),
            "{line}"
        );
    }
    let pool = sandbox.pool().await;
    let logged = format!("{:?}", request_log(&pool).await);
    assert!(
        !logged.contains(CANARY) && !logged.contains(SECRET),
        "{logged}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_a_parent_value_is_one_encoded_path_segment() {
    // Another listener: a record value names it, and it must hear nothing.
    let (elsewhere, heard_elsewhere) = hostile(json!({"data": []})).await;
    let steal = format!("{elsewhere}/steal");
    let parents = json!({"data": [
        {"id": "../../x"},
        {"id": "1?x="},
        {"id": "a/b"},
        {"id": steal},
        {"id": "é #ok"},
        {"id": 18446744073709551615_u64},
    ]});
    let (url, received) = hostile(parents).await;
    let env = [("API_URL", url.as_str())];
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector("", "/child/{{ p.id }}/items"));
    with_secret(&sandbox).await;
    let out = sandbox.run_env(&["sync"], &env).await;
    out.expect_code(0);

    let mut children: Vec<String> = received
        .targets()
        .into_iter()
        .filter(|t| t != "/parents")
        .collect();
    children.sort();
    let encoded_steal = steal.replace(':', "%3A").replace('/', "%2F");
    let mut expected = vec![
        "/child/..%2F..%2Fx/items".to_owned(),
        "/child/1%3Fx%3D/items".to_owned(),
        "/child/a%2Fb/items".to_owned(),
        format!("/child/{encoded_steal}/items"),
        "/child/%C3%A9%20%23ok/items".to_owned(),
        "/child/18446744073709551615/items".to_owned(),
    ];
    expected.sort();
    assert_eq!(children, expected, "{}", received.all());
    assert_eq!(heard_elsewhere.lines(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_13_dot_segments_and_empty_values_are_refused_in_a_path() {
    for (id, why) in [
        (json!(".."), "`.` and `..` are dot-segments"),
        (json!("."), "`.` and `..` are dot-segments"),
        (json!(""), "it is empty"),
    ] {
        let (url, received) = hostile(json!({"data": [{"id": id}]})).await;
        let sandbox = Sandbox::new();
        sandbox.write_config(&connector("", "/child/{{ p.id }}/items"));
        with_secret(&sandbox).await;
        let out = sandbox
            .run_env(&["sync"], &[("API_URL", url.as_str())])
            .await;
        out.expect_code(1);
        assert!(
            out.stderr.contains("streams.children.request.path")
                && out
                    .stderr
                    .contains("cannot be rendered into the request path")
                && out.stderr.contains(why),
            "{id}: {out}"
        );
        assert_eq!(received.targets(), ["/parents"], "{id}: {}", received.all());
        let pool = sandbox.pool().await;
        let runs = runs_of(&pool, "children").await;
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].outcome, "failed", "{runs:?}");
    }
}
