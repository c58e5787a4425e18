//! `holdfast import openapi` on GitHub's official OpenAPI document (npm
//! `@octokit/openapi`, pinned): the connector it writes passes `holdfast
//! check`, its issue listing pages by `Link` header, and it syncs a local
//! server answering in GitHub's documented shape: every issue once, three
//! pages of 100 asked for, the token as a bearer header.

mod common;
#[path = "support/github_shape.rs"]
mod github_shape;
#[path = "support/npm.rs"]
mod npm;

use common::{Sandbox, count, ids, set_secret};
use github_shape::{GithubShape, TOKEN, documented_issue};
use serde_json::Value;

const PACKAGE: &str = "@octokit/openapi@23.0.2";
const ISSUES: usize = 250;

fn document() -> std::path::PathBuf {
    npm::install(
        "octokit-openapi",
        PACKAGE,
        r#"{"name": "holdfast-octokit-openapi", "version": "1.0.0", "private": true}"#,
    )
    .join("node_modules/@octokit/openapi/generated/api.github.com.json")
}

#[tokio::test(flavor = "multi_thread")]
async fn githubs_document_imports_to_a_connector_that_syncs_issues_by_link_header() {
    let doc_path = document();
    let doc: Value =
        serde_json::from_slice(&std::fs::read(&doc_path).expect("the document")).expect("JSON");
    let server = GithubShape::start("octo", "hello", &documented_issue(&doc), ISSUES).await;
    let sandbox = Sandbox::new();
    let config = sandbox.config.display().to_string();
    let doc_arg = doc_path.display().to_string();

    // Imported as written by GitHub: the document's own base URL.
    let imported = sandbox
        .run_raw(&["import", "openapi", &doc_arg, "--tag", "issues"])
        .await;
    imported.expect_code(0);
    assert!(
        imported
            .stdout
            .contains("base_url: \"https://api.github.com\""),
        "{imported}"
    );

    // Pointed at the local stand-in, written to the connector file.
    let imported = sandbox
        .run_raw(&[
            "import",
            "openapi",
            &doc_arg,
            "--tag",
            "issues",
            "--base-url",
            &server.url(),
            "-o",
            &config,
        ])
        .await;
    imported.expect_code(0);
    assert!(
        imported.stderr.contains("set secret `github_token`"),
        "{imported}"
    );
    let again = sandbox
        .run_raw(&[
            "import", "openapi", &doc_arg, "--tag", "issues", "-o", &config,
        ])
        .await;
    again.expect_code(2);
    assert!(
        again.stderr.contains("exists: pass --force to replace it"),
        "{again}"
    );
    let text = std::fs::read_to_string(&sandbox.config).expect("the connector");
    let stream = text
        .split("\n  issues_list_for_repo:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n  # ").next())
        .unwrap_or_else(|| panic!("issues_list_for_repo in:\n{text}"));
    for expected in [
        "path: \"/repos/{{ env.OWNER }}/{{ env.REPO }}/issues\"",
        "per_page: 100",
        "type: link_header",
        "records: \"$[*]\"",
        "primary_key: id",
    ] {
        assert!(stream.contains(expected), "{expected} in:\n{stream}");
    }

    let env = [("OWNER", "octo"), ("REPO", "hello"), ("ORG", "octo-org")];
    set_secret(&sandbox, "github_token", TOKEN, &env)
        .await
        .expect_code(0);
    sandbox.run_env(&["check"], &env).await.expect_code(0);
    let before = server.requests().len();
    let synced = sandbox
        .run_env(&["sync", "issues_list_for_repo"], &env)
        .await;
    synced.expect_code(0);
    let pool = sandbox.pool().await;
    let table = "issues_list_for_repo";
    assert_eq!(count(&pool, table).await, ISSUES as i64, "{synced}");
    let mut want: Vec<i64> = server
        .issues()
        .iter()
        .map(|i| i["id"].as_i64().expect("an id"))
        .collect();
    want.sort_unstable();
    assert_eq!(ids(&pool, table).await, want);
    let sync_requests: Vec<_> = server.requests().into_iter().skip(before).collect();
    let pages: Vec<String> = sync_requests.iter().map(|r| r.line()).collect();
    assert_eq!(sync_requests.len(), 3, "{pages:#?}");
    for (n, r) in sync_requests.iter().enumerate() {
        assert_eq!(r.param("per_page"), Some("100"), "{pages:#?}");
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        let page = (n + 1).to_string();
        assert_eq!(r.param("page").unwrap_or("1"), page, "{pages:#?}");
    }
}
