//! Deliberately bad records (`bad_every`) and shape drift (`/_mock/shape`).

mod common;

use common::{get, send, start_with};
use holdfast_mock::{BAD_KINDS, MockConfig, MockServer, ShapeVersion, bad_kind};
use serde_json::{Value, json};

fn config(records: u64, bad_every: u64) -> MockConfig {
    MockConfig {
        records,
        bad_every,
        ..MockConfig::default()
    }
}

/// Every contact, in id order, from one `offset` page.
async fn all(server: &MockServer) -> Vec<Value> {
    let reply = get(&format!("{}/offset/contacts?limit=1000", server.url())).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["data"].as_array().expect("a data array").clone()
}

/// Every contact from the streamed `none` listing.
async fn all_streamed(server: &MockServer) -> Vec<Value> {
    let reply = get(&format!("{}/none/contacts", server.url())).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["data"].as_array().expect("a data array").clone()
}

/// Every contact from a cursor walk in pages of 7 (ids are not needed to walk).
async fn all_by_cursor(server: &MockServer) -> Vec<Value> {
    let (url, mut out) = (server.url(), Vec::new());
    let mut next = Some(format!("{url}/cursor/contacts?limit=7"));
    while let Some(current) = next.take() {
        let reply = get(&current).await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        out.extend(reply.json["data"].as_array().expect("data").iter().cloned());
        next = reply.json["meta"]["next_cursor"]
            .as_str()
            .map(|c| format!("{url}/cursor/contacts?limit=7&cursor={c}"));
    }
    out
}

/// What `kind` makes of the good contact `good`, as documented.
fn spoil(good: &Value, kind: &str) -> Value {
    let mut bad = good.clone();
    let map = bad.as_object_mut().expect("an object");
    match kind {
        "null_email" => {
            map.insert("email".into(), Value::Null);
        }
        "string_number" => {
            map.insert("version".into(), json!("lots"));
        }
        "missing_key" => {
            map.remove("id");
        }
        "renamed_field" => {
            let email = map.remove("email").expect("an email");
            map.insert("e_mail".into(), email);
        }
        "bad_date" => {
            map.insert("created".into(), json!("31/31/2024"));
        }
        other => panic!("unknown kind {other}"),
    }
    bad
}

/// What the drifted shape makes of the original contact `original`, as documented.
fn drift(original: &Value) -> Value {
    let mut drifted = original.clone();
    let map = drifted.as_object_mut().expect("an object");
    let balance = map.remove("balance").expect("a balance");
    assert!(balance.is_string(), "{balance}");
    map.insert(
        "balance".into(),
        json!({ "value": balance, "currency": "EUR" }),
    );
    let tags = map.remove("tags").expect("tags");
    let first = tags.as_array().expect("a tag array").first().cloned();
    map.insert("tags".into(), first.unwrap_or_else(|| json!("")));
    let company = map.remove("company").expect("a company (maybe null)");
    map.insert("organization".into(), company);
    map.insert("segment".into(), json!("smb"));
    drifted
}

#[tokio::test]
async fn every_tenth_contact_is_bad_in_rotation() {
    let config = config(100, 10);
    let clean = start_with(self::config(100, 0)).await;
    let dirty = start_with(config.clone()).await;
    let (good, served) = (all(&clean).await, all(&dirty).await);
    assert_eq!((good.len(), served.len()), (100, 100));

    let bad_ids: Vec<u64> = (1..=100)
        .filter(|&id| bad_kind(&config, id).is_some())
        .collect();
    assert_eq!(bad_ids, (1..=10).map(|n| n * 10).collect::<Vec<_>>());
    for id in 1..=100u64 {
        let (good, served) = (&good[id as usize - 1], &served[id as usize - 1]);
        assert_eq!(good["id"], id);
        match bad_kind(&config, id) {
            None => assert_eq!(served, good, "id {id} should be unchanged"),
            Some(kind) => {
                assert_eq!(kind, BAD_KINDS[((id / 10) % 5) as usize], "id {id}");
                assert_eq!(served, &spoil(good, kind), "id {id} ({kind})");
            }
        }
    }
    let kinds: Vec<_> = bad_ids
        .iter()
        .filter_map(|&id| bad_kind(&config, id))
        .collect();
    assert_eq!(
        kinds,
        [
            "string_number",
            "missing_key",
            "renamed_field",
            "bad_date",
            "null_email",
            "string_number",
            "missing_key",
            "renamed_field",
            "bad_date",
            "null_email"
        ]
    );

    // Every listing serves the same records, and bad ones keep their place.
    assert_eq!(all_streamed(&dirty).await, served);
    assert_eq!(all_by_cursor(&dirty).await, served);
    assert_eq!(dirty.stats().served_ok, dirty.stats().requests);
    clean.shutdown().await;
    dirty.shutdown().await;
}

#[tokio::test]
async fn shape_flips_at_runtime_and_back() {
    let server = start_with(config(100, 0)).await;
    let url = server.url();
    let client = reqwest::Client::new();
    assert_eq!(server.shape(), ShapeVersion::Original);
    let original = get(&format!("{url}/offset/contacts?limit=1000")).await;
    let original_data = original.json["data"].as_array().expect("data").clone();
    assert!(original_data.iter().all(|c| c["balance"].is_string()));

    let flip = send(client.post(format!("{url}/_mock/shape?version=drifted"))).await;
    assert_eq!(flip.status, 200);
    assert_eq!(flip.json, json!({ "shape": "drifted" }));
    assert_eq!(server.shape(), ShapeVersion::Drifted);
    assert_eq!(server.state().config().shape, ShapeVersion::Original);
    let drifted = all(&server).await;
    assert_eq!(drifted.len(), 100);
    for (before, after) in original_data.iter().zip(&drifted) {
        assert_eq!(after, &drift(before), "id {}", before["id"]);
    }
    // Some contacts have no tags, some several: both become one string.
    assert!(drifted.iter().any(|c| c["tags"] == ""));
    assert!(
        original_data
            .iter()
            .any(|c| c["tags"].as_array().is_some_and(|t| t.len() > 1))
    );
    assert_eq!(all_streamed(&server).await, drifted);
    assert_eq!(all_by_cursor(&server).await, drifted);

    let back = send(client.post(format!("{url}/_mock/shape?version=original"))).await;
    assert_eq!(back.json, json!({ "shape": "original" }));
    let restored = get(&format!("{url}/offset/contacts?limit=1000")).await;
    assert_eq!(restored.bytes, original.bytes);

    // The method on the server does the same as the endpoint.
    server.set_shape(ShapeVersion::Drifted);
    assert_eq!(all(&server).await, drifted);
    server.set_shape(ShapeVersion::Original);
    assert_eq!(all(&server).await, original_data);

    // Bad versions are 400s naming the parameter and change nothing.
    for query in ["version=sideways", "", "shape=drifted"] {
        let reply = send(client.post(format!("{url}/_mock/shape?{query}"))).await;
        assert_eq!(reply.status, 400, "{query}");
        let error = reply.json["error"].as_str().unwrap_or_default();
        assert!(error.contains("`version`"), "{query}: {error}");
    }
    assert_eq!(server.shape(), ShapeVersion::Original);
    // Control requests are not counted.
    let stats = server.stats();
    assert_eq!(stats.requests, stats.served_ok);
    assert!(!stats.by_path.contains_key("/_mock/shape"));
    server.shutdown().await;
}

#[tokio::test]
async fn drift_and_bad_records_compose_and_reset_keeps_the_shape() {
    let clean = start_with(config(40, 0)).await;
    let config = MockConfig {
        shape: ShapeVersion::Drifted,
        ..config(40, 3)
    };
    let both = start_with(config.clone()).await;
    assert_eq!(both.shape(), ShapeVersion::Drifted);
    let (good, served) = (all(&clean).await, all(&both).await);
    for (id, (good, served)) in (1..).zip(good.iter().zip(&served)) {
        let want = match bad_kind(&config, id) {
            Some(kind) => spoil(&drift(good), kind),
            None => drift(good),
        };
        assert_eq!(served, &want, "id {id}");
    }
    send(reqwest::Client::new().post(format!("{}/_mock/reset", both.url()))).await;
    assert_eq!(both.shape(), ShapeVersion::Drifted);
    clean.shutdown().await;
    both.shutdown().await;
}

#[tokio::test]
async fn bad_records_and_balances_are_deterministic() {
    let config = MockConfig {
        seed: 9,
        ..config(200, 7)
    };
    let a = start_with(config.clone()).await;
    let b = start_with(config.clone()).await;
    let page = |s: &MockServer| format!("{}/offset/contacts?limit=1000", s.url());
    let (first, second) = (get(&page(&a)).await, get(&page(&b)).await);
    assert_eq!(first.bytes, second.bytes);
    assert_eq!(
        get(&page(&a)).await.bytes,
        first.bytes,
        "same server, again"
    );

    // Balances are plain decimal strings, fixed per (seed, id): a touch leaves them alone.
    let balances = |v: &Value| -> Vec<Value> {
        let data = v["data"].as_array().expect("data");
        data.iter().map(|c| c["balance"].clone()).collect()
    };
    let before = balances(&first.json);
    for balance in &before {
        let text = balance.as_str().expect("a string balance");
        let (units, cents) = text.split_once('.').expect("a decimal point");
        assert!(!units.is_empty() && cents.len() == 2, "{text}");
        assert!(
            units
                .chars()
                .chain(cents.chars())
                .all(|c| c.is_ascii_digit())
        );
    }
    a.touch(50);
    let touched = get(&page(&a)).await;
    assert_ne!(touched.bytes, first.bytes);
    let (mut before_sorted, mut after) = (before.clone(), balances(&touched.json));
    before_sorted.sort_by_key(ToString::to_string);
    after.sort_by_key(ToString::to_string);
    assert_eq!(after, before_sorted);

    // Another seed, other balances; bad ids depend on bad_every only.
    let other = start_with(MockConfig {
        seed: 10,
        ..config.clone()
    })
    .await;
    assert_ne!(balances(&get(&page(&other)).await.json), before);
    for id in 1..=200 {
        assert_eq!(bad_kind(other.state().config(), id), bad_kind(&config, id));
    }
    a.shutdown().await;
    b.shutdown().await;
    other.shutdown().await;
}
