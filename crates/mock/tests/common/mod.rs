//! Helpers shared by the mock's tests: start a server, GET JSON, walk a listing.
#![allow(dead_code, unreachable_pub)]

use holdfast_mock::{MockConfig, MockServer};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub async fn start(records: u64) -> MockServer {
    start_with(MockConfig {
        records,
        ..MockConfig::default()
    })
    .await
}

pub async fn start_with(config: MockConfig) -> MockServer {
    let addr = "127.0.0.1:0".parse().expect("valid address");
    MockServer::start(config, addr).await.expect("mock starts")
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

pub async fn send(req: reqwest::RequestBuilder) -> Reply {
    let resp = req.send().await.expect("request succeeds");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.bytes().await.expect("body").to_vec();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        bytes,
        json,
    }
}

pub async fn get(url: &str) -> Reply {
    send(reqwest::Client::new().get(url)).await
}

pub fn ids(page: &Value) -> Vec<u64> {
    let data = page["data"].as_array().expect("a data array");
    data.iter()
        .map(|c| c["id"].as_u64().expect("an id"))
        .collect()
}

/// Follows `style` from `first` (a full URL) to the end; returns every id and the page sizes.
pub async fn walk(base: &str, style: &str, query: &str) -> (Vec<u64>, Vec<usize>) {
    let (mut all, mut sizes) = (Vec::new(), Vec::new());
    let sep = if query.is_empty() { "" } else { "&" };
    let mut url = Some(format!("{base}/{style}/contacts?{query}"));
    let mut page = 1;
    while let Some(current) = url.take() {
        let reply = get(&current).await;
        assert_eq!(reply.status, 200, "{current}: {:?}", reply.json);
        let got = ids(&reply.json);
        sizes.push(got.len());
        all.extend(got);
        url = match style {
            "cursor" => reply.json["meta"]["next_cursor"]
                .as_str()
                .map(|c| format!("{base}/cursor/contacts?{query}{sep}cursor={c}")),
            "next_url" => reply.json["links"]["next"].as_str().map(str::to_owned),
            "link_header" => next_link(&reply.headers),
            "offset" => (all.len() < reply.json["total"].as_u64().expect("total") as usize)
                .then(|| format!("{base}/offset/contacts?{query}{sep}offset={}", all.len())),
            "page" => {
                page += 1;
                (page <= reply.json["total_pages"].as_u64().expect("total_pages"))
                    .then(|| format!("{base}/page/contacts?{query}{sep}page={page}"))
            }
            _ => None,
        };
        assert!(sizes.len() < 100, "runaway walk");
    }
    (all, sizes)
}

/// The `rel="next"` target of a Link header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',')
        .find(|l| l.contains("rel=\"next\""))
        .map(|l| {
            let start = l.find('<').expect("<") + 1;
            l[start..l.find('>').expect(">")].to_owned()
        })
}
