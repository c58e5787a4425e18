//! The mock CRM: starting one, and asking it what it serves.

use std::collections::BTreeMap;

use holdfast_mock::{MockConfig, MockServer};
use serde_json::Value;

/// Offset 0 of the mock's clock (2024-01-01T00:00:00Z); contact `id` is
/// updated at `BASE + id` seconds until it is touched.
pub const MOCK_BASE: i64 = 1_704_067_200;

/// Starts a mock CRM with `records` contacts on 127.0.0.1 (a free port).
pub async fn start_mock(records: u64) -> MockServer {
    start_mock_with(MockConfig {
        records,
        ..MockConfig::default()
    })
    .await
}

/// Starts a mock CRM with `config`.
pub async fn start_mock_with(config: MockConfig) -> MockServer {
    MockServer::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("start mock")
}

/// GETs `url` and parses the JSON body (the request must succeed).
pub async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(
        response.status().is_success(),
        "GET {url}: {}",
        response.status()
    );
    let body = response.bytes().await.expect("body");
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
}

/// Every contact the mock serves now, by id (one request to `/none/contacts`).
pub async fn mock_contacts(mock_url: &str) -> BTreeMap<i64, Value> {
    let body = get_json(&format!("{mock_url}/none/contacts")).await;
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|c| (c["id"].as_i64().expect("numeric id"), c.clone()))
        .collect()
}

/// The decoded value of query parameter `name` in a raw query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://x/?{query}")).expect("query parses");
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The mock's requests to `path` so far.
pub fn requests_to(mock: &MockServer, path: &str) -> u64 {
    mock.stats().by_path.get(path).copied().unwrap_or(0)
}

/// Every contact the mock serves now, in listing order, keyless ones included
/// (one request to `/none/contacts`).
pub async fn mock_records(mock_url: &str) -> Vec<Value> {
    let body = get_json(&format!("{mock_url}/none/contacts")).await;
    body["data"].as_array().expect("data array").clone()
}

/// The id of a mock contact: its `id`, or for a contact served without one
/// (an untouched contact), the offset of its `updated_at` from [`MOCK_BASE`].
pub fn contact_id(record: &Value) -> i64 {
    if let Some(id) = record["id"].as_i64() {
        return id;
    }
    let updated = record["updated_at"].as_str().expect("updated_at");
    chrono::DateTime::parse_from_rfc3339(updated)
        .expect("updated_at is RFC 3339")
        .timestamp()
        - MOCK_BASE
}
