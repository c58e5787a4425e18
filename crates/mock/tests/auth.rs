//! Each `MockAuth` kind: data endpoints answer 401 without it and 200 with it.

mod common;

use common::{Reply, send, start_with};
use holdfast_mock::{MockAuth, MockConfig, MockServer};
use reqwest::RequestBuilder;

async fn server(auth: MockAuth) -> MockServer {
    start_with(MockConfig {
        records: 20,
        auth: Some(auth),
        ..MockConfig::default()
    })
    .await
}

async fn check(
    auth: MockAuth,
    good: impl Fn(RequestBuilder) -> RequestBuilder,
    bad: impl Fn(RequestBuilder) -> RequestBuilder,
) {
    let server = server(auth.clone()).await;
    let client = reqwest::Client::new();
    for path in ["/cursor/contacts", "/none/contacts", "/v2/contacts/1/deals"] {
        let url = format!("{}{path}", server.url());
        let ok: Reply = send(good(client.get(&url))).await;
        assert_eq!(ok.status, 200, "{auth:?} {path}: {:?}", ok.json);
        for req in [client.get(&url), bad(client.get(&url))] {
            let denied = send(req).await;
            assert_eq!(denied.status, 401, "{auth:?} {path}");
            assert_eq!(denied.json, serde_json::json!({ "error": "unauthorized" }));
        }
    }
    for path in ["/healthz", "/_mock/stats", "/_mock/requests"] {
        let reply = send(client.get(format!("{}{path}", server.url()))).await;
        assert_eq!(reply.status, 200, "{path} needs no auth");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn bearer() {
    let auth = MockAuth::Bearer("s3cret".into());
    check(
        auth,
        |r| r.bearer_auth("s3cret"),
        |r| r.bearer_auth("s3cret2"),
    )
    .await;
}

#[tokio::test]
async fn api_key_header() {
    let auth = MockAuth::ApiKeyHeader {
        name: "X-Api-Key".into(),
        value: "k1".into(),
    };
    check(
        auth,
        |r| r.header("x-api-key", "k1"),
        |r| r.header("x-api-key", "K1"),
    )
    .await;
}

#[tokio::test]
async fn api_key_query() {
    let auth = MockAuth::ApiKeyQuery {
        name: "api_key".into(),
        value: "a b&c".into(),
    };
    let good = |r: RequestBuilder| {
        let mut req = r.build().expect("request");
        req.url_mut().set_query(Some("api_key=a%20b%26c"));
        RequestBuilder::from_parts(reqwest::Client::new(), req)
    };
    let bad = |r: RequestBuilder| {
        let mut req = r.build().expect("request");
        req.url_mut().set_query(Some("api_key=a%20b"));
        RequestBuilder::from_parts(reqwest::Client::new(), req)
    };
    check(auth, good, bad).await;
}

#[tokio::test]
async fn basic() {
    let auth = MockAuth::Basic {
        username: "ada".into(),
        password: "pw:1".into(),
    };
    check(
        auth,
        |r| r.basic_auth("ada", Some("pw:1")),
        |r| r.basic_auth("ada", Some("pw")),
    )
    .await;
}

#[tokio::test]
async fn next_url_links_carry_a_query_api_key() {
    let auth = MockAuth::ApiKeyQuery {
        name: "key".into(),
        value: "k".into(),
    };
    let server = server(auth).await;
    let (all, _) = common::walk(&server.url(), "next_url", "limit=7&key=k").await;
    assert_eq!(all, (1..=20).collect::<Vec<_>>());
}
