//! The chaos proxy in front of a server holdfast did not write (json-server
//! from npm): each profile's report card matches what the proxy injected —
//! every record landed once, and the requests spent beyond the fault-free
//! run are exactly the answers the proxy spoiled; `Retry-After` is obeyed;
//! drifted records are quarantined and the card says so. The standalone
//! proxy counts what it did to any client.

mod common;
#[path = "support/json_server.rs"]
mod json_server;

use common::Sandbox;
use json_server::JsonServer;
use serde_json::{Value, json};

const ITEMS: i64 = 95;

async fn server() -> JsonServer {
    let items: Vec<_> = (1..=ITEMS)
        .map(
            |i| json!({"id": i, "name": format!("item {i}"), "email": format!("i{i}@example.com")}),
        )
        .collect();
    JsonServer::start(&json!({ "items": items })).await
}

fn connector(url: &str, schema: bool) -> String {
    let schema = if schema {
        "    schema: item.json\n    on_invalid: quarantine\n"
    } else {
        ""
    };
    format!(
        r#"connections:
  js:
    base_url: "{url}"
    timeout: 2s
    retry: {{ attempts: 8, initial: 10ms, max: 200ms }}
    errors:
      - {{ when: "status == 200 and body is mapping and body.success == false", action: retry }}
streams:
  items:
    connection: js
    request: {{ path: /items, params: {{ _page: 1, _limit: 20 }} }}
    paginate: {{ type: link_header }}
    records: "$[*]"
    primary_key: id
{schema}"#
    )
}

async fn report(sandbox: &Sandbox, profile: &str) -> (Value, common::Output) {
    let out = sandbox
        .run(&["chaos", "run", "items", "--profile", profile, "--json"])
        .await;
    let card = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    (card, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_profile_a_client_can_recover_from_lands_every_record_once() {
    let server = server().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&server.url(), false));
    for profile in ["rate_limited", "flaky", "cut_off", "lying", "slow"] {
        let (card, out) = report(&sandbox, profile).await;
        out.expect_code(0);
        assert_eq!(card["landed_once"], true, "{profile}: {out}");
        assert_eq!(card["records"]["landed"], ITEMS, "{profile}: {out}");
        let injected: u64 = card["injected"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| *k != "slow_body")
                    .map(|(_, v)| v.as_u64().unwrap_or(0))
                    .sum()
            })
            .unwrap_or(0);
        assert!(injected > 0, "{profile} injected nothing: {out}");
        let extra = card["requests"]["with_faults"].as_u64().unwrap_or(0)
            - card["requests"]["fault_free"].as_u64().unwrap_or(0);
        assert_eq!(
            extra, injected,
            "{profile}: one more request per spoiled answer, no more: {out}"
        );
        assert_eq!(card["retry_after_violations"], 0, "{profile}: {out}");
        assert_eq!(card["quarantined"], 0, "{profile}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_cap_costs_pages_and_drift_is_quarantined_and_fails_the_card() {
    let server = server().await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&connector(&server.url(), false));
    let (card, out) = report(&sandbox, "page_cap").await;
    out.expect_code(0);
    assert_eq!(card["landed_once"], true, "{out}");
    // json-server honours the capped `_limit` (10, asked 20): twice the pages.
    assert_eq!(card["requests"]["fault_free"], 5, "{out}");
    assert_eq!(card["requests"]["with_faults"], 10, "{out}");
    assert_eq!(card["injected"]["page_cap"], 10, "{out}");

    sandbox.write_file(
        "item.json",
        r#"{"type": "object", "required": ["id", "name", "email"], "properties": {"email": {"type": "string"}, "name": {"type": "string"}}}"#,
    );
    sandbox.write_config(&connector(&server.url(), true));
    let (card, out) = report(&sandbox, "drifted").await;
    out.expect_code(1);
    assert_eq!(card["landed_once"], false, "{out}");
    assert_eq!(card["quarantined"], ITEMS, "{out}");
    assert_eq!(card["records"]["missing"], ITEMS, "{out}");
    let text = sandbox
        .run(&["chaos", "run", "items", "--profile", "drifted"])
        .await;
    assert!(
        text.stdout.contains("NOT every record landed once")
            && text.stdout.contains("quarantined:  95"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_standalone_proxy_reports_what_it_did_to_any_client() {
    let server = server().await;
    let sandbox = Sandbox::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let listen = format!("127.0.0.1:{port}");
    let log = sandbox.path().join("chaos.jsonl");
    let child = common::raw_command(
        sandbox.path(),
        &[
            "chaos".into(),
            "--target".into(),
            server.url(),
            "--listen".into(),
            listen.clone(),
            "--profile".into(),
            "rate_limited".into(),
            "--log".into(),
            log.display().to_string(),
        ],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("spawn");
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..50 {
        if client
            .get(format!("http://{listen}/items"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for _ in 0..7 {
        let r = client
            .get(format!("http://{listen}/items?_page=1&_limit=5"))
            .send()
            .await
            .expect("proxied");
        statuses.push(r.status().as_u16());
    }
    // The first (readiness) request was seq 1; 429s are seq 2 and 6.
    assert_eq!(statuses, vec![429, 200, 200, 200, 429, 200, 200]);
    let pid = child.id().expect("pid").to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    let out = child.wait_with_output().await.expect("wait");
    assert!(out.status.success(), "{out:?}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("json summary");
    assert_eq!(summary["summary"]["requests"], 8, "{summary}");
    assert_eq!(summary["summary"]["faults"], json!({"429": 2}), "{summary}");
    let lines = std::fs::read_to_string(&log).expect("log");
    assert_eq!(lines.lines().count(), 8);
    assert!(
        lines
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("\"fault\":\"429\"")),
        "{lines}"
    );
}
