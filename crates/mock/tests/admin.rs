//! Stats, the request log, reset, latency and 400s for bad parameters.

mod common;

use std::time::{Duration, Instant};

use common::{get, send, start, start_with};
use holdfast_mock::MockConfig;

#[tokio::test]
async fn stats_count_data_requests_only() {
    let server = start(30).await;
    let url = server.url();
    let client = reqwest::Client::new();
    for path in [
        "/cursor/contacts",
        "/cursor/contacts",
        "/page/contacts?page=2",
        "/v2/contacts/3/deals",
        "/offset/contacts?limit=x",
    ] {
        get(&format!("{url}{path}")).await;
    }
    for path in ["/healthz", "/_mock/stats", "/_mock/requests"] {
        assert_eq!(get(&format!("{url}{path}")).await.status, 200);
    }
    send(client.post(format!("{url}/_mock/touch?count=2"))).await;

    let stats = server.stats();
    assert_eq!(stats.requests, 5);
    let by_path: Vec<_> = stats
        .by_path
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        by_path,
        [
            ("/cursor/contacts", 2),
            ("/offset/contacts", 1),
            ("/page/contacts", 1),
            ("/v2/contacts/3/deals", 1)
        ]
    );
    let over_http = get(&format!("{url}/_mock/stats")).await;
    assert_eq!(over_http.json, serde_json::to_value(&stats).expect("json"));
    assert_eq!(over_http.json["requests"], 5);

    let seen = server.requests();
    assert_eq!(seen.len(), 5);
    assert_eq!(
        (
            seen[2].method.as_str(),
            seen[2].path.as_str(),
            seen[2].query.as_str()
        ),
        ("GET", "/page/contacts", "page=2")
    );
    assert!(seen[0].headers.contains_key("host"));
    let log = get(&format!("{url}/_mock/requests")).await;
    assert_eq!(log.json["requests"][2]["query"], "page=2");
    assert!(
        log.json["requests"][0]["at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let reset = send(client.post(format!("{url}/_mock/reset"))).await;
    assert_eq!(reset.status, 200);
    assert_eq!(server.stats().requests, 0);
    assert!(server.requests().is_empty());
    // Touches survive a reset.
    let touched = get(&format!(
        "{url}/offset/contacts?updated_since=2024-01-01T00:10:00Z"
    ))
    .await;
    assert_eq!(touched.json["total"], 2);
}

#[tokio::test]
async fn bad_params_are_400s_naming_the_param() {
    let server = start(30).await;
    let url = server.url();
    let cases = [
        ("/cursor/contacts?limit=ten", "`limit`"),
        ("/page/contacts?per_page=1.5", "`per_page`"),
        ("/page/contacts?page=0", "`page`"),
        ("/page/contacts?page=x", "`page`"),
        ("/offset/contacts?offset=-1", "`offset`"),
        ("/none/contacts?updated_since=yesterday", "`updated_since`"),
        ("/cursor/contacts?cursor=not-a-token", "`cursor`"),
        ("/v2/contacts?cursor=%21", "`cursor`"),
        ("/next_url/contacts?page_token=zzz", "`page_token`"),
        ("/link_header/contacts?page_token=zzz", "`page_token`"),
        ("/v2/contacts/abc/deals", "contact id"),
    ];
    for (path, needle) in cases {
        let reply = get(&format!("{url}{path}")).await;
        assert_eq!(reply.status, 400, "{path}");
        let error = reply.json["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "{path}: {error}");
    }
    let touch = send(reqwest::Client::new().post(format!("{url}/_mock/touch?count=many"))).await;
    assert_eq!(touch.status, 400);
}

#[tokio::test]
async fn latency_delays_data_responses_only() {
    let latency = Duration::from_millis(150);
    let server = start_with(MockConfig {
        records: 5,
        latency,
        ..MockConfig::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(get(&format!("{}/healthz", server.url())).await.bytes, b"ok");
    assert!(started.elapsed() < latency);
    let started = Instant::now();
    assert_eq!(
        get(&format!("{}/cursor/contacts", server.url()))
            .await
            .status,
        200
    );
    assert!(started.elapsed() >= latency);
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let server = start(5).await;
    let addr = server.addr();
    assert_eq!(server.url(), format!("http://127.0.0.1:{}", addr.port()));
    server.shutdown().await;
    assert!(tokio::net::TcpListener::bind(addr).await.is_ok());
}
