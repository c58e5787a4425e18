//! Hand-made captures, one per kind of origin a value can have (an earlier
//! JSON body, a cookie, a response header, an HTML form field, a meta tag,
//! an earlier URL) and values with none; credentials never reach the output.

#[path = "support/capture.rs"]
mod capture;

use capture::{BASE, E, get, har, options};
use holdfast_import::{Auth, ExtractFrom, GraphFormat, HarOptions, Paginate, import_har};
use serde_json::{Value, json};

fn contacts(ids: std::ops::Range<u32>, next: Option<&str>) -> Value {
    let data: Vec<Value> = ids
        .map(|i| json!({"id": i, "name": format!("Contact {i}"), "email": format!("c{i}@example.com")}))
        .collect();
    json!({"data": data, "next_cursor": next})
}

const PASSWORD: &str = "correct-horse-battery-9";
const TOKEN: &str = "tok_4f9a8b7c6d5e4f3a2b1c";

/// The whole chain: a form with a CSRF field, a login that sets a cookie, a
/// token in a JSON body sent as a bearer header, cursor pages, detail calls.
fn portal() -> Vec<E> {
    let mut e = vec![
        get("/login")
            .html("<form><input type=\"hidden\" name=\"csrf_token\" value=\"csrf-91b2c3d4e5\"><input name=\"username\"></form>")
            .answer_header("Set-Cookie", "login_nonce=n0nce-77aa; Path=/; HttpOnly"),
        get("/login")
            .post_form(&[("username", "ada@example.com"), ("password", PASSWORD), ("csrf_token", "csrf-91b2c3d4e5")])
            .header("Cookie", "login_nonce=n0nce-77aa")
            .status(303)
            .html("")
            .answer_header("Location", "/home")
            .answer_header("Set-Cookie", "sid=s3ss10n-5f6e7d; Path=/; HttpOnly"),
        get("/home").header("Cookie", "sid=s3ss10n-5f6e7d").html("<h1>Home</h1>"),
        get("/static/app.js").header("Cookie", "sid=s3ss10n-5f6e7d"),
        get("/api/session").header("Cookie", "sid=s3ss10n-5f6e7d").json(json!({"token": TOKEN, "user": {"name": "Ada"}})),
        E { url: "https://www.google-analytics.com/g/collect?v=2".into(), ..get("") },
        E { url: "https://cdn.other.example/lib.json".into(), ..get("").json(json!({"x": 1})) },
    ];
    e[3].mime = "application/javascript";
    let bearer = format!("Bearer {TOKEN}");
    e.push(
        get("/api/contacts?limit=3")
            .header("Authorization", &bearer)
            .json(contacts(1..4, Some("cur_Mg"))),
    );
    e.push(
        get("/api/contacts?limit=3&cursor=cur_Mg")
            .header("Authorization", &bearer)
            .json(contacts(4..7, Some("cur_Nw"))),
    );
    e.push(
        get("/api/contacts?limit=3&cursor=cur_Nw")
            .header("Authorization", &bearer)
            .json(contacts(7..8, None)),
    );
    for id in 1..8 {
        e.push(
            get(&format!("/api/contacts/{id}"))
                .header("Authorization", &bearer)
                .json(json!({"id": id, "name": format!("Contact {id}"), "phone": "+1 555 0100"})),
        );
    }
    e
}

#[test]
fn a_portal_capture_becomes_session_auth_a_cursor_stream_and_a_child_stream() {
    let import = import_har(&har(&portal()), &options()).expect("import");
    let draft = &import.draft;
    let Auth::Session { login, headers } = &draft.connections[0].auth else {
        panic!("session auth: {}", import.text)
    };
    let steps: Vec<String> = login
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(
        steps,
        ["GET /login", "POST /login", "GET /api/session"],
        "{}",
        import.text
    );
    // The CSRF field comes from the form, by CSS; the credentials are secrets.
    assert_eq!(
        login[0].extract[0].from,
        ExtractFrom::Css {
            selector: "input[name=\"csrf_token\"]".into(),
            attr: Some("value".into())
        }
    );
    let form: Vec<(String, Value)> = login[1]
        .form
        .iter()
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect();
    assert_eq!(
        form,
        [
            ("username".to_owned(), json!("{{ secret.portal_username }}")),
            ("password".to_owned(), json!("{{ secret.portal_password }}")),
            ("csrf_token".to_owned(), json!("{{ session.csrf_token }}")),
        ]
    );
    // The bearer token comes from the JSON body of the session call.
    assert_eq!(
        login[2].extract[0].from,
        ExtractFrom::Json("$.token".into())
    );
    assert_eq!(headers[0].name, "Authorization");
    assert_eq!(headers[0].value, json!("Bearer {{ session.token }}"));
    // The list: cursor pagination confirmed across pages; the detail: a child.
    let contacts = &draft.streams[0];
    assert_eq!(contacts.name, "contacts");
    assert_eq!(
        contacts.paginate,
        Paginate::Cursor {
            next: "$.next_cursor".into(),
            param: "cursor".into()
        }
    );
    assert!(
        contacts.paginate_note.contains("3 pages captured"),
        "{}",
        contacts.paginate_note
    );
    assert_eq!(contacts.records, "$.data[*]");
    assert_eq!(contacts.primary_key, ["id"]);
    assert_eq!(
        contacts.params.len(),
        1,
        "limit only: {:?}",
        contacts.params
    );
    let details = &draft.streams[1];
    assert_eq!(details.name, "contact_details");
    assert_eq!(
        details.for_each,
        Some(("contacts".into(), "contact".into()))
    );
    assert_eq!(details.path, "/api/contacts/{{ contact.id }}");
    assert_eq!(details.records, "$");
    // Assets, analytics and other hosts are dropped and said.
    let report = import.report.join("\n");
    assert!(
        report.contains("static asset (portal.example.com)"),
        "{report}"
    );
    assert!(
        report.contains("analytics (www.google-analytics.com)"),
        "{report}"
    );
    assert!(report.contains("--keep-host cdn.other.example"), "{report}");
    // The graph: login → csrf → token → list → detail.
    let text = import.graph.render(GraphFormat::Text);
    assert!(text.contains("  <- form field `csrf_token` ← html input[name=\"csrf_token\"] @value  (from GET /login)"), "{text}");
    assert!(text.contains("(from GET /api/session)"), "{text}");
    assert!(text.contains("GET /api/contacts/{contact_id}\n  <- path segment 3 ← body $.data[*].id  (from GET /api/contacts)"), "{text}");
    let mermaid = import.graph.render(GraphFormat::Mermaid);
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    // Nothing secret anywhere in what is printed or written.
    for out in [
        &import.text,
        &text,
        &mermaid,
        &report,
        &import.graph.render(GraphFormat::Dot),
    ] {
        for secret in [
            PASSWORD,
            TOKEN,
            "s3ss10n-5f6e7d",
            "csrf-91b2c3d4e5",
            "n0nce-77aa",
            "ada@example.com",
        ] {
            assert!(!out.contains(secret), "{secret} in:\n{out}");
        }
    }
    let secrets: Vec<&str> = draft.secrets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(secrets, ["portal_username", "portal_password"]);
    assert!(
        import.text.contains("holdfast secrets set portal_password"),
        "{}",
        import.text
    );
}

#[test]
fn a_cookie_value_sent_back_as_a_header_is_extracted_from_the_cookie() {
    let entries = vec![
        get("/")
            .html("<p>app</p>")
            .answer_header("Set-Cookie", "XSRF-TOKEN=xsrf-aa11bb22; Path=/"),
        get("/api/items")
            .header("X-XSRF-TOKEN", "xsrf-aa11bb22")
            .header("Cookie", "XSRF-TOKEN=xsrf-aa11bb22")
            .json(json!([{"id": "a"}, {"id": "b"}])),
    ];
    let import = import_har(&har(&entries), &options()).expect("import");
    let Auth::Session { login, headers } = &import.draft.connections[0].auth else {
        panic!("{}", import.text)
    };
    assert_eq!(
        login[0].extract[0].from,
        ExtractFrom::Cookie("XSRF-TOKEN".into())
    );
    assert_eq!(headers[0].value, json!("{{ session.xsrf_token }}"));
    assert_eq!(import.draft.streams[0].records, "$[*]");
}

#[test]
fn a_token_from_a_response_header_and_one_from_a_meta_tag() {
    let entries = vec![
        get("/auth")
            .json(json!({"ok": true}))
            .answer_header("X-Auth-Token", "hdr-tok-123456"),
        get("/home").html(
            "<html><head><meta name=\"csrf-token\" content=\"meta-csrf-9876\"></head></html>",
        ),
        get("/api/items?page=1")
            .header("X-Auth-Token", "hdr-tok-123456")
            .header("X-CSRF-Token", "meta-csrf-9876")
            .json(json!({"items": [{"id": 1}, {"id": 2}]})),
        get("/api/items?page=2")
            .header("X-Auth-Token", "hdr-tok-123456")
            .header("X-CSRF-Token", "meta-csrf-9876")
            .json(json!({"items": [{"id": 3}]})),
    ];
    let import = import_har(&har(&entries), &options()).expect("import");
    let Auth::Session { login, headers } = &import.draft.connections[0].auth else {
        panic!("{}", import.text)
    };
    let from: Vec<&ExtractFrom> = login
        .iter()
        .flat_map(|s| s.extract.iter().map(|e| &e.from))
        .collect();
    assert_eq!(
        from,
        [
            &ExtractFrom::Header("x-auth-token".into()),
            &ExtractFrom::Css {
                selector: "meta[name=\"csrf-token\"]".into(),
                attr: Some("content".into())
            },
        ]
    );
    assert_eq!(headers.len(), 2);
    let stream = &import.draft.streams[0];
    assert_eq!(
        stream.paginate,
        Paginate::Page {
            param: "page".into(),
            start: 1,
            size: None
        }
    );
    assert_eq!(stream.records, "$.items[*]");
    for secret in ["hdr-tok-123456", "meta-csrf-9876"] {
        assert!(!import.text.contains(secret), "{}", import.text);
    }
}

#[test]
fn an_earlier_url_and_values_with_no_origin() {
    let entries = vec![
        get("/app?account=acct_778899").html("<p>app</p>"),
        get("/api/orders?account=acct_778899&q=blue%20shoes&_=1764835200000")
            .header("X-Api-Key", "key-live-31337abc")
            .json(json!({"results": [{"order_id": 7}, {"order_id": 8}]})),
    ];
    let import = import_har(&har(&entries), &options()).expect("import");
    let text = import.graph.render(GraphFormat::Text);
    assert!(
        text.contains("query `account` ← URL query `account`  (from GET /app)"),
        "{text}"
    );
    // No origin: the API key is a secret, the search term a kept input, the
    // cache buster left out.
    assert_eq!(
        import.draft.connections[0].auth,
        Auth::ApiKey {
            name: "X-Api-Key".into(),
            value: "{{ secret.portal_x_api_key }}".into(),
            location: "header".into()
        }
    );
    // The value from the page's URL is the user's input: an environment
    // variable, with the captured value said in the header.
    let stream = &import.draft.streams[0];
    let params: Vec<(&str, &Value)> = stream
        .params
        .iter()
        .map(|p| (p.name.as_str(), &p.value))
        .collect();
    assert_eq!(
        params,
        [
            ("account", &json!("{{ env.ACCOUNT }}")),
            ("q", &json!("blue shoes"))
        ]
    );
    assert_eq!(import.draft.envs[0].name, "ACCOUNT");
    assert!(import.text.contains("#   ACCOUNT    # query `account` of stream `orders`: the user's input, from the URL of GET /app (captured: acct_778899)"), "{}", import.text);
    assert!(
        import
            .report
            .iter()
            .any(|l| l.contains("`q` has no origin in the capture")),
        "{:?}",
        import.report
    );
    assert_eq!(stream.primary_key, ["order_id"]);
    assert!(
        import.report.iter().any(|l| l.contains("left out `_`")),
        "{:?}",
        import.report
    );
    assert!(
        !import.text.contains("key-live-31337abc"),
        "{}",
        import.text
    );
}

#[test]
fn an_id_seen_once_with_no_origin_stays_in_the_path_and_a_capture_without_data_is_refused() {
    let entries =
        vec![get("/api/projects/9f86d081884c7d65/tasks").json(json!({"data": [{"id": 1}]}))];
    let import = import_har(&har(&entries), &options()).expect("import");
    assert_eq!(
        import.draft.streams[0].path,
        "/api/projects/9f86d081884c7d65/tasks"
    );
    assert!(
        import.draft.streams[0]
            .note
            .contains("seen once with no origin: kept as written")
    );
    let err = import_har(&har(&[get("/").html("<p>hi</p>")]), &options()).expect_err("nothing");
    assert!(err.to_string().contains("no JSON answers"), "{err}");
    let err = import_har(b"{\"log\": {}}", &options()).expect_err("not har");
    assert!(err.to_string().contains("not a HAR 1.2 document"), "{err}");
}

#[test]
fn a_capture_without_bodies_says_how_to_export_one() {
    let mut e = get("/api/items").json(json!([{"id": 1}]));
    e.body = String::new();
    let mut doc: Value = serde_json::from_slice(&har(&[e])).expect("json");
    doc["log"]["entries"][0]["response"]["content"]
        .as_object_mut()
        .expect("content")
        .remove("text");
    let err =
        import_har(&serde_json::to_vec(&doc).expect("json"), &options()).expect_err("no bodies");
    assert!(
        err.to_string()
            .contains("have no body in the capture: export the HAR with content"),
        "{err}"
    );
}

#[test]
fn a_kept_host_is_reported_not_written_into_the_apps_connection() {
    let entries = vec![
        get("/api/items?page=1").json(json!([{"id": 1}])),
        E {
            url: "https://api.other.example/v1/things".into(),
            ..get("").json(json!([{"id": 9}]))
        },
        get("/api/items?page=2").json(json!([{"id": 2}])),
    ];
    let options = HarOptions {
        keep_hosts: vec!["api.other.example".into()],
        ..options()
    };
    let import = import_har(&har(&entries), &options).expect("import");
    let names: Vec<&str> = import
        .draft
        .streams
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["items"]);
    assert_eq!(import.draft.connections[0].base_url, BASE);
    let report = import.report.join("\n");
    assert!(
        report.contains(
            "not a stream: GET /v1/things on https://api.other.example: one connection per import"
        ),
        "{report}"
    );
}

#[test]
fn a_stream_named_like_a_stores_own_table_is_renamed() {
    let entries = vec![get("/api/pg_stats").json(json!([{"id": 1}]))];
    let import = import_har(&har(&entries), &options()).expect("import");
    assert_eq!(
        import.draft.streams[0].name, "api_pg_stats",
        "{}",
        import.text
    );
}
