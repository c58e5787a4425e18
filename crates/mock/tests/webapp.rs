//! The web app behind the portal's login: `/home`, its assets, and the
//! `/api/` routes its script calls (a bearer token from the session, cursor
//! pages of contacts, each contact by id).

mod common;

use std::collections::BTreeSet;

use common::{Reply, send, start_with};
use holdfast_mock::{MockAuth, MockConfig, MockServer};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const USER: &str = "ada";
const PASSWORD: &str = "hunter2-mock";

async fn app(records: u64, requests_per_session: u64, analytics: Option<&str>) -> MockServer {
    start_with(MockConfig {
        records,
        auth: Some(MockAuth::Session {
            username: USER.into(),
            password: PASSWORD.into(),
            requests_per_session,
        }),
        analytics_url: analytics.map(str::to_owned),
        ..MockConfig::default()
    })
    .await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// The `name=value` part of the response's `Set-Cookie` for `name`.
fn set_cookie(reply: &Reply, name: &str) -> String {
    reply
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", reply.headers))
        .to_owned()
}

/// Logs in as a browser does; the `mock_session=…` cookie.
async fn login(server: &MockServer) -> String {
    let form = send(client().get(format!("{}/login", server.url()))).await;
    let html = String::from_utf8_lossy(&form.bytes).into_owned();
    let csrf = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a csrf_token input");
    let posted = send(
        client()
            .post(format!("{}/login", server.url()))
            .header(COOKIE, set_cookie(&form, "mock_login"))
            .form(&[
                ("username", USER),
                ("password", PASSWORD),
                ("csrf_token", csrf),
            ]),
    )
    .await;
    assert_eq!(posted.status, 303);
    assert_eq!(posted.headers[LOCATION], "/home");
    set_cookie(&posted, "mock_session")
}

async fn token(server: &MockServer, session: &str) -> String {
    let reply = send(
        client()
            .get(format!("{}/api/session", server.url()))
            .header(COOKIE, session),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["user"], json!({ "username": USER }));
    reply.json["token"].as_str().expect("a token").to_owned()
}

async fn api(server: &MockServer, path: &str, token: Option<&str>) -> Reply {
    let mut req = client().get(format!("{}{path}", server.url()));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    send(req).await
}

#[tokio::test]
async fn the_api_needs_a_token_from_a_live_session() {
    let server = app(25, 100, None).await;
    let unauthorized = json!({ "error": "unauthorized" });
    for (path, token) in [
        ("/api/session", None),
        ("/api/contacts", None),
        ("/api/contacts?limit=10", Some("tok_0000000000000000")),
        ("/api/contacts/1", None),
        ("/api/contacts/1", Some("")),
    ] {
        let reply = api(&server, path, token).await;
        assert_eq!(reply.status, 401, "{path} {token:?}");
        assert_eq!(reply.json, unauthorized, "{path}");
    }
    let home = send(client().get(format!("{}/home", server.url()))).await;
    assert_eq!(home.status, 302);
    assert_eq!(home.headers[LOCATION], "/login");

    let session = login(&server).await;
    // The session cookie alone opens no API route but /api/session.
    let cookie_only = send(
        client()
            .get(format!("{}/api/contacts", server.url()))
            .header(COOKIE, &session),
    )
    .await;
    assert_eq!(cookie_only.status, 401);
    let token = token(&server, &session).await;
    assert!(token.starts_with("tok_"), "{token}");
    let again = self::token(&server, &session).await;
    assert_eq!(again, token, "one token per session");
    let reply = api(&server, "/api/contacts?limit=1", Some(&token)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.headers["cache-control"], "no-store");

    // The API calls are data requests: logged with their bearer token.
    let log = server.requests();
    let last = log.last().expect("logged");
    assert_eq!(last.path, "/api/contacts");
    assert_eq!(last.headers["authorization"], format!("Bearer {token}"));
    assert_eq!(last.status, 200);
}

#[tokio::test]
async fn cursor_pages_cover_every_record_once() {
    let server = app(25, 100, None).await;
    let token = token(&server, &login(&server).await).await;
    let (mut ids, mut sizes, mut cursors) = (Vec::new(), Vec::new(), Vec::new());
    let mut path = "/api/contacts?limit=10".to_owned();
    loop {
        let page = api(&server, &path, Some(&token)).await;
        assert_eq!(page.status, 200, "{path}: {:?}", page.json);
        assert_eq!(page.headers[CONTENT_TYPE], "application/json");
        let data = page.json["data"].as_array().expect("data");
        sizes.push(data.len());
        for contact in data {
            let keys: BTreeSet<&str> = contact
                .as_object()
                .expect("an object")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                keys,
                BTreeSet::from(["id", "name", "email", "updated_at"]),
                "{contact}"
            );
            assert!(contact["name"].is_string() && contact["email"].is_string());
            ids.push(contact["id"].as_u64().expect("an id"));
        }
        match &page.json["next_cursor"] {
            Value::String(cursor) => {
                cursors.push(cursor.clone());
                path = format!("/api/contacts?limit=10&cursor={cursor}");
            }
            Value::Null => break,
            other => panic!("next_cursor {other}"),
        }
        assert!(sizes.len() < 10, "runaway");
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(
        ids,
        (1..=25).collect::<Vec<_>>(),
        "every record once, in order"
    );
    assert_eq!(cursors.len(), 2);
    for cursor in &cursors {
        assert!(
            cursor.parse::<u64>().is_err(),
            "an opaque cursor, not an id: {cursor}"
        );
    }
    assert_ne!(cursors[0], cursors[1]);
    let junk = api(&server, "/api/contacts?cursor=11", Some(&token)).await;
    assert_eq!(junk.status, 400, "{:?}", junk.json);
}

#[tokio::test]
async fn each_contact_by_id_has_more_than_the_list() {
    let server = app(25, 100, None).await;
    let token = token(&server, &login(&server).await).await;
    let list = api(&server, "/api/contacts?limit=25", Some(&token)).await;
    for summary in list.json["data"].as_array().expect("data") {
        let id = summary["id"].as_u64().expect("an id");
        let detail = api(&server, &format!("/api/contacts/{id}"), Some(&token)).await;
        assert_eq!(detail.status, 200, "{:?}", detail.json);
        let c = &detail.json;
        assert_eq!(c["id"], id);
        assert_eq!(c["email"], summary["email"]);
        assert_eq!(c["updated_at"], summary["updated_at"]);
        let name = format!(
            "{} {}",
            c["name"]["first"].as_str().expect("first"),
            c["name"]["last"].as_str().expect("last")
        );
        assert_eq!(summary["name"], name.as_str());
        for field in ["company", "properties", "balance", "tags", "version"] {
            assert!(c.get(field).is_some(), "{field} in {c}");
        }
        assert!(c["properties"].get("phone").is_some(), "{c}");
    }
    let missing = api(&server, "/api/contacts/26", Some(&token)).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["error"], "no contact with id 26");
    let bad = api(&server, "/api/contacts/abc", Some(&token)).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn a_token_dies_with_its_session() {
    // /api/session and two list calls spend the session's three requests.
    let server = app(25, 3, None).await;
    let session = login(&server).await;
    let token = token(&server, &session).await;
    for _ in 0..2 {
        let ok = api(&server, "/api/contacts?limit=5", Some(&token)).await;
        assert_eq!(ok.status, 200);
    }
    let spent = api(&server, "/api/contacts?limit=5", Some(&token)).await;
    assert_eq!(spent.status, 401);
    let no_more = send(
        client()
            .get(format!("{}/api/session", server.url()))
            .header(COOKIE, &session),
    )
    .await;
    assert_eq!(no_more.status, 401);
    // A new login gives a new session and a new token.
    let fresh = self::token(&server, &login(&server).await).await;
    assert_ne!(fresh, token);
    let ok = api(&server, "/api/contacts?limit=5", Some(&fresh)).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn the_home_page_loads_its_assets_and_the_beacon() {
    let server = app(25, 100, Some("http://localhost:9/a\"b")).await;
    let session = login(&server).await;
    let home = send(
        client()
            .get(format!("{}/home", server.url()))
            .header(COOKIE, &session),
    )
    .await;
    assert_eq!(home.status, 200);
    let html = String::from_utf8_lossy(&home.bytes).into_owned();
    for needle in [
        "<link rel=\"stylesheet\" href=\"/static/app.css\">",
        "<script src=\"/static/app.js\" defer></script>",
        "src=\"/static/logo.png\"",
        "<div id=\"status\">loading</div>",
        "src=\"http://localhost:9/a&quot;b/collect?page=%2Fhome&amp;event=pageview\"",
        "Welcome back",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    // /home spends no session request.
    let before = server.stats().requests;
    for (path, mime, starts) in [
        (
            "/static/app.js",
            "text/javascript; charset=utf-8",
            &b"// "[..],
        ),
        ("/static/app.css", "text/css; charset=utf-8", b"/* "),
        ("/static/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ] {
        // Assets are open to anyone.
        let asset = send(client().get(format!("{}{path}", server.url()))).await;
        assert_eq!(asset.status, 200, "{path}");
        assert_eq!(asset.headers[CONTENT_TYPE], mime, "{path}");
        assert!(asset.bytes.starts_with(starts), "{path}");
    }
    assert_eq!(
        server.stats().requests,
        before,
        "assets are no data requests"
    );
    let script = send(client().get(format!("{}/static/app.js", server.url()))).await;
    let script = String::from_utf8_lossy(&script.bytes).into_owned();
    for call in [
        "'/api/session'",
        "'/api/contacts?limit=10'",
        "'&cursor='",
        "'Bearer '",
    ] {
        assert!(script.contains(call), "{call}");
    }

    let plain = app(5, 100, None).await;
    let session = login(&plain).await;
    let home = send(
        client()
            .get(format!("{}/home", plain.url()))
            .header(COOKIE, &session),
    )
    .await;
    let html = String::from_utf8_lossy(&home.bytes).into_owned();
    assert!(!html.contains("collect"), "no beacon without analytics_url");
}
