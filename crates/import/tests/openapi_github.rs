//! GitHub's official OpenAPI document (npm `@octokit/openapi`, pinned),
//! imported by tag: the connector parses and passes holdfast's own checks,
//! and the issue listings come out as GitHub documents them (a `Link`
//! header, bare arrays, `id`, `{owner}`/`{repo}` as inputs).

#[path = "../../cli/tests/support/npm.rs"]
mod npm;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use holdfast_import::openapi::{OpenApiImport, OpenApiOptions, import_openapi};
use holdfast_import::{Auth, Paginate, Stream};

/// The package and version read (`npm view @octokit/openapi versions`).
const PACKAGE: &str = "@octokit/openapi@23.0.2";

/// The installed document's path.
fn document() -> PathBuf {
    let dir = npm::install(
        "octokit-openapi",
        PACKAGE,
        r#"{"name": "holdfast-octokit-openapi", "version": "1.0.0", "private": true}"#,
    );
    dir.join("node_modules/@octokit/openapi/generated/api.github.com.json")
}

fn import(tag: &str) -> OpenApiImport {
    let path = document();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let started = Instant::now();
    let options = OpenApiOptions {
        tag: Some(tag.into()),
        name: None,
    };
    let import = import_openapi(&text, &options).unwrap_or_else(|e| panic!("--tag {tag}: {e}"));
    eprintln!(
        "imported --tag {tag} from {} ({:.1} MB) in {:.2?}: {} streams, {} skipped, {} with other tags",
        path.display(),
        text.len() as f64 / 1e6,
        started.elapsed(),
        import.draft.streams.len(),
        import.skipped.len(),
        import.other_tags
    );
    let out = std::env::temp_dir().join(format!("github-{tag}.yaml"));
    if std::fs::write(&out, import.draft.to_yaml()).is_ok() {
        eprintln!("written to {}", out.display());
    }
    import
}

/// The draft as holdfast reads it: every env and secret it names set.
fn checked(import: &OpenApiImport, tag: &str) -> holdfast_spec::Spec {
    let yaml = import.draft.to_yaml();
    let mut vars: BTreeMap<String, String> = import
        .draft
        .envs
        .iter()
        .map(|e| (e.name.clone(), "x".to_owned()))
        .collect();
    vars.extend(
        import
            .draft
            .envs
            .iter()
            .filter(|e| e.name.ends_with("_URL"))
            .map(|e| (e.name.clone(), "https://api.example.com".to_owned())),
    );
    let secrets = import
        .draft
        .secrets
        .iter()
        .map(|s| (s.name.clone(), "s3cret".to_owned()))
        .collect();
    let env = holdfast_spec::Env::from_map(vars).with_secrets(secrets);
    let file = format!("github-{tag}.yaml");
    match holdfast_spec::parse_str(&yaml, Path::new(&file), &env) {
        Ok(spec) => spec,
        Err(errors) => {
            let out = std::env::temp_dir().join(&file);
            let _ = std::fs::write(&out, &yaml);
            panic!("{errors}\n(the file: {})", out.display())
        }
    }
}

fn stream<'d>(import: &'d OpenApiImport, name: &str) -> &'d Stream {
    let names: Vec<&str> = import
        .draft
        .streams
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    import
        .draft
        .streams
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no stream `{name}` among {names:?}"))
}

#[test]
fn issues_become_link_header_streams_that_pass_holdfast_check() {
    let import = import("issues");
    let spec = checked(&import, "issues");
    assert_eq!(spec.stream_names().len(), import.draft.streams.len());

    let conn = &import.draft.connections[0];
    assert_eq!(conn.name, "github");
    assert_eq!(conn.base_url, "https://api.github.com");
    assert_eq!(
        conn.auth,
        Auth::Bearer {
            token: "{{ secret.github_token }}".into()
        }
    );
    assert!(conn.auth_note.contains("401"), "{}", conn.auth_note);
    assert!(
        import
            .draft
            .secrets
            .iter()
            .any(|s| s.name == "github_token")
    );

    let issues = stream(&import, "issues_list_for_repo");
    assert_eq!(issues.path, "/repos/{{ env.OWNER }}/{{ env.REPO }}/issues");
    assert_eq!(issues.paginate, Paginate::LinkHeader);
    assert!(
        issues.paginate_note.contains("#/components/headers/link"),
        "{}",
        issues.paginate_note
    );
    assert_eq!(issues.records, "$[*]");
    assert_eq!(issues.primary_key, ["id"]);
    let per_page = issues
        .params
        .iter()
        .find(|p| p.name == "per_page")
        .expect("per_page");
    assert_eq!(per_page.value, 100);
    assert!(
        issues.params.iter().all(|p| p.name != "page"),
        "{:?}",
        issues.params
    );
    let schema = issues.schema.as_ref().expect("a schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["properties"]["id"]["type"], "integer");
    assert!(jsonschema::meta::is_valid(schema));
    assert!(
        issues.schema_note.contains("issues/list-for-repo"),
        "{}",
        issues.schema_note
    );
    for env in ["OWNER", "REPO"] {
        let input = import.draft.envs.iter().find(|e| e.name == env).expect(env);
        assert!(input.why.contains("path parameter"), "{}", input.why);
    }

    // GitHub's own documented example answer passes the imported schema
    let text = std::fs::read_to_string(document()).expect("the document");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let example = &doc["components"]["examples"]["issue-items"]["value"];
    let validator = jsonschema::validator_for(schema).expect("compiles");
    for issue in example.as_array().expect("a list") {
        let errors: Vec<String> = validator
            .iter_errors(issue)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }

    // a comment list under each issue: one request chain per issue
    let comments = stream(&import, "issues_list_comments");
    assert_eq!(
        comments.for_each,
        Some(("issues_list_for_repo".into(), "issue".into()))
    );
    assert_eq!(
        comments.path,
        "/repos/{{ env.OWNER }}/{{ env.REPO }}/issues/{{ issue.number }}/comments"
    );
    // writes and single records are not streams, and say why
    let create = import
        .skipped
        .iter()
        .find(|s| s.operation.contains("issues/create)"))
        .expect("create");
    assert!(create.reason.starts_with("not a GET"), "{create:?}");
    let get = import
        .skipped
        .iter()
        .find(|s| s.operation.contains("(issues/get)"))
        .expect("get");
    assert!(get.reason.starts_with("not a list"), "{get:?}");
    let yaml = import.draft.to_yaml();
    assert!(
        yaml.starts_with("# Imported by holdfast import openapi from GitHub"),
        "{}",
        &yaml[..300]
    );
}

#[test]
fn repos_import_and_pass_holdfast_check_too() {
    let import = import("repos");
    checked(&import, "repos");
    let list = stream(&import, "repos_list_for_org");
    assert_eq!(list.paginate, Paginate::LinkHeader);
    assert_eq!(list.primary_key, ["id"]);
    assert!(
        import.draft.streams.len() > 20,
        "{}",
        import.draft.streams.len()
    );
}

#[test]
fn the_whole_document_imports_and_passes_holdfast_check() {
    let path = document();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let started = Instant::now();
    let import =
        import_openapi(&text, &OpenApiOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let yaml = import.draft.to_yaml();
    eprintln!(
        "imported all of {} in {took:.2?}: {} streams, {} skipped, {:.1} MB of YAML",
        path.display(),
        import.draft.streams.len(),
        import.skipped.len(),
        yaml.len() as f64 / 1e6
    );
    for s in &import.draft.streams {
        let schema = s.schema.as_ref().expect("a schema");
        assert!(jsonschema::meta::is_valid(schema), "{}: {schema}", s.name);
    }
    let started = Instant::now();
    checked(&import, "all");
    eprintln!("holdfast's checks took {:.2?}", started.elapsed());
}
