//! Every pagination style walks the same listing: ids in order, once each.

mod common;

use common::{get, ids, start, walk};
use holdfast_mock::{MockConfig, MockServer};

const STYLES: [&str; 6] = [
    "cursor",
    "next_url",
    "offset",
    "page",
    "link_header",
    "none",
];

fn size_param(style: &str) -> &'static str {
    if style == "page" {
        "per_page=100"
    } else {
        "limit=100"
    }
}

#[tokio::test]
async fn every_style_walks_all_ids_once_in_order() {
    let server = start(250).await;
    for style in STYLES {
        let (all, sizes) = walk(&server.url(), style, size_param(style)).await;
        assert_eq!(all, (1..=250).collect::<Vec<_>>(), "{style}");
        let expected: &[usize] = if style == "none" {
            &[250]
        } else {
            &[100, 100, 50]
        };
        assert_eq!(sizes, expected, "{style}");
    }
    let (all, _) = walk(&server.url(), "cursor", "").await;
    assert_eq!(all.len(), 250, "default page size");
    server.shutdown().await;
}

#[tokio::test]
async fn v2_contacts_is_the_cursor_style() {
    let server = start(250).await;
    let url = server.url();
    let v2 = get(&format!("{url}/v2/contacts?limit=100")).await;
    let cursor = get(&format!("{url}/cursor/contacts?limit=100")).await;
    assert_eq!(v2.bytes, cursor.bytes);
    let next = v2.json["meta"]["next_cursor"].as_str().expect("a cursor");
    let page2 = get(&format!("{url}/v2/contacts?limit=100&cursor={next}")).await;
    assert_eq!(ids(&page2.json).first(), Some(&101));
}

#[tokio::test]
async fn updated_since_selects_a_contiguous_range() {
    let server = start(250).await;
    let since = "updated_since=2024-01-01T00:02:00Z"; // offset 120
    for style in STYLES {
        let query = format!("{}&{since}", size_param(style));
        let (all, _) = walk(&server.url(), style, &query).await;
        assert_eq!(all, (120..=250).collect::<Vec<_>>(), "{style}");
    }
    let plus = get(&format!(
        "{}/offset/contacts?updated_since=2024-01-01T01:02:00%2B01:00",
        server.url()
    ))
    .await;
    assert_eq!(plus.json["total"], 131);
    let future = get(&format!(
        "{}/none/contacts?updated_since=2030-01-01T00:00:00Z",
        server.url()
    ))
    .await;
    assert_eq!(future.json["data"], serde_json::json!([]));
}

#[tokio::test]
async fn touched_contacts_come_after_every_base_time_with_new_versions() {
    let server = start(250).await;
    let touched = server.touch(5);
    assert_eq!(touched.len(), 5);
    let client = reqwest::Client::new();
    let more = common::send(client.post(format!("{}/_mock/touch?count=3", server.url()))).await;
    let more: Vec<u64> = serde_json::from_value(more.json["touched"].clone()).expect("ids");
    assert_eq!(more.len(), 3);

    let since = "updated_since=2024-01-01T00:05:00Z"; // after all 250 base times
    for style in STYLES {
        let query = format!("{}&{since}", size_param(style));
        let (all, _) = walk(&server.url(), style, &query).await;
        let mut expected: Vec<u64> = touched
            .iter()
            .filter(|id| !more.contains(id))
            .copied()
            .collect();
        expected.extend(&more);
        assert_eq!(all, expected, "{style}");
    }
    let page = get(&format!("{}/none/contacts?{since}", server.url())).await;
    for contact in page.json["data"].as_array().expect("data") {
        assert!(contact["version"].as_u64() >= Some(2), "{contact}");
        assert!(contact["updated_at"].as_str() > Some("2024-01-01T00:05:00Z"));
    }
    // A full walk still lists every contact exactly once, touched ones last.
    let (all, _) = walk(&server.url(), "cursor", "limit=100").await;
    assert_eq!(all.len(), 250);
    assert_eq!(&all[242..], &ids(&page.json)[..]);
}

#[tokio::test]
async fn same_seed_same_bytes_other_seed_other_names() {
    let start_seed = |seed| {
        MockServer::start(
            MockConfig {
                records: 50,
                seed,
                ..MockConfig::default()
            },
            "127.0.0.1:0".parse().expect("addr"),
        )
    };
    let (a, b, c) = (
        start_seed(7).await.expect("a"),
        start_seed(7).await.expect("b"),
        start_seed(8).await.expect("c"),
    );
    let body = |s: &MockServer| format!("{}/none/contacts", s.url());
    let (ra, rb, rc) = (
        get(&body(&a)).await,
        get(&body(&b)).await,
        get(&body(&c)).await,
    );
    assert_eq!(ra.bytes, rb.bytes);
    let names = |r: &common::Reply| {
        r.json["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|c| c["name"].clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(names(&ra), names(&rc));
    let first = &ra.json["data"][16];
    assert_eq!(first["id"], 17);
    assert_eq!(first["updated_at"], "2024-01-01T00:00:17Z");
    assert_eq!(first["version"], 1);
}

#[tokio::test]
async fn deals_are_deterministic_and_unknown_contacts_404() {
    let server = start(250).await;
    let url = server.url();
    let mut total = 0;
    for id in [1, 17, 100, 250] {
        let a = get(&format!("{url}/v2/contacts/{id}/deals")).await;
        let b = get(&format!("{url}/v2/contacts/{id}/deals")).await;
        assert_eq!((a.status.as_u16(), &a.bytes), (200, &b.bytes));
        let deals = a.json["data"].as_array().expect("data");
        assert!(deals.len() <= 3);
        for (n, deal) in deals.iter().enumerate() {
            assert_eq!(deal["id"], format!("d-{id}-{}", n + 1));
            assert_eq!(deal["contact_id"], id);
            assert!(["won", "lost", "open"].contains(&deal["stage"].as_str().unwrap_or("")));
        }
        total += deals.len();
    }
    assert!(total > 0);
    for id in ["0", "251"] {
        let reply = get(&format!("{url}/v2/contacts/{id}/deals")).await;
        assert_eq!(reply.status, 404);
        assert!(reply.json["error"].is_string());
    }
}

#[tokio::test]
async fn unknown_styles_are_json_404s() {
    let server = start(10).await;
    let reply = get(&format!("{}/graphql/contacts", server.url())).await;
    assert_eq!(reply.status, 404);
    assert!(
        reply.json["error"]
            .as_str()
            .is_some_and(|e| e.contains("graphql"))
    );
    let reply = get(&format!("{}/nowhere", server.url())).await;
    assert_eq!(reply.status, 404);
    assert!(reply.json["error"].is_string());
}

#[tokio::test]
async fn offset_past_the_end_is_empty_and_next_links_are_absolute() {
    let server = start(250).await;
    let url = server.url();
    let reply = get(&format!("{url}/offset/contacts?offset=999")).await;
    assert_eq!(
        (reply.json["data"].clone(), reply.json["total"].clone()),
        (serde_json::json!([]), 250.into())
    );

    let q = "limit=100&updated_since=2024-01-01T00:00:10Z&extra=a%20b";
    let reply = get(&format!("{url}/next_url/contacts?{q}")).await;
    let next = reply.json["links"]["next"].as_str().expect("next");
    assert!(
        next.starts_with(&format!("{url}/next_url/contacts?page_token=")),
        "{next}"
    );
    for part in [
        "limit=100",
        "updated_since=2024-01-01T00%3A00%3A10Z",
        "extra=a%20b",
    ] {
        assert!(next.contains(part), "{next} lacks {part}");
    }
    let reply = get(&format!("{url}/link_header/contacts?limit=100")).await;
    let link = reply
        .headers
        .get("link")
        .and_then(|l| l.to_str().ok())
        .expect("link");
    assert!(
        link.starts_with(&format!(
            "<{url}/link_header/contacts?limit=100>; rel=\"first\", <"
        )),
        "{link}"
    );
    let last = get(&format!("{url}/link_header/contacts?limit=1000")).await;
    let link = last
        .headers
        .get("link")
        .and_then(|l| l.to_str().ok())
        .expect("link");
    assert!(!link.contains("rel=\"next\""), "{link}");
}
