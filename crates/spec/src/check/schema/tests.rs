use std::path::PathBuf;

use serde_json::json;

use super::*;
use crate::env::Env;
use crate::schema_files::SchemaFile;
use crate::span::SpanIndex;

fn files() -> SchemaFiles {
    let file = |name: &str, document| {
        let path = PathBuf::from("conf").join(name);
        (name.to_owned(), SchemaFile { path, document })
    };
    SchemaFiles::from_files([
        file("ok.json", Ok(json!({"type": "object", "required": ["id"]}))),
        file(
            "bad.json",
            Ok(json!({"properties": {"id": {"type": "strin"}}})),
        ),
        file("missing.json", Err(FileProblem::NotFound)),
        file(
            "text.json",
            Err(FileProblem::NotJson(
                "expected value at line 1 column 1".into(),
            )),
        ),
        file(
            "dir.json",
            Err(FileProblem::Unreadable(
                "Is a directory (os error 21)".into(),
            )),
        ),
    ])
}

/// The schema of `yaml` (a `schema:` value), and "message @ path | help" lines.
fn check(yaml: &str) -> (Option<Option<Schema>>, Vec<String>) {
    let raw: RawSchema = yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let out = schema(&mut ctx, "streams.s", Some(&raw), &files());
    let messages = ctx.finish().into_iter().map(|d| {
        format!(
            "{} @ {} | {}",
            d.message,
            d.key_path,
            d.help.unwrap_or_default()
        )
    });
    (out, messages.collect())
}

#[test]
fn a_file_schema_keeps_where_it_came_from() {
    let (schema, errors) = check("ok.json");
    assert!(errors.is_empty(), "{errors:?}");
    let schema = schema.flatten().expect("schema");
    assert_eq!(schema.origin, "ok.json");
    assert_eq!(schema.path, Some(PathBuf::from("conf/ok.json")));
    assert_eq!(schema.document["required"], json!(["id"]));
}

#[test]
fn an_inline_schema_becomes_json() {
    let (schema, errors) =
        check("{ type: object, properties: { n: { type: integer, minimum: 0 } } }");
    assert!(errors.is_empty(), "{errors:?}");
    let schema = schema.flatten().expect("schema");
    assert_eq!((schema.origin.as_str(), schema.path), ("inline", None));
    assert_eq!(schema.document["properties"]["n"]["minimum"], json!(0));
}

#[test]
fn file_problems_name_the_resolved_path() {
    let (schema, errors) = check("missing.json");
    assert!(schema.is_none());
    assert_eq!(
        errors,
        [
            "schema file `conf/missing.json` not found @ streams.s.schema | write the path relative to the connector file's folder, or the schema inline as a mapping"
        ]
    );
    let (_, errors) = check("text.json");
    assert_eq!(
        errors,
        [
            "schema file `conf/text.json` is not JSON: expected value at line 1 column 1 @ streams.s.schema | a schema file holds one JSON document, e.g. `{ \"type\": \"object\" }`"
        ]
    );
    let (_, errors) = check("dir.json");
    assert!(
        errors[0].starts_with("cannot read schema file `conf/dir.json`: Is a directory"),
        "{errors:?}"
    );
    let (_, errors) = check("''");
    assert!(
        errors[0].starts_with("empty `schema` path @ streams.s.schema"),
        "{errors:?}"
    );
}

#[test]
fn a_schema_that_does_not_compile_is_located() {
    let (schema, errors) = check("bad.json");
    assert!(schema.is_none());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("invalid JSON Schema `bad.json` at `/properties/id/type`: "),
        "{errors:?}"
    );
    assert!(errors[0].contains("@ streams.s.schema |"), "{errors:?}");
    let (_, errors) = check("{ properties: { id: { type: strin } }, required: [id] }");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("invalid JSON Schema: "), "{errors:?}");
    assert!(
        errors[0].contains("@ streams.s.schema.properties.id.type |"),
        "{errors:?}"
    );
    let (_, errors) = check("{ allOf: [ { minimum: x } ] }");
    assert!(
        errors[0].contains("@ streams.s.schema.allOf[0].minimum |"),
        "{errors:?}"
    );
}

#[test]
fn remote_refs_are_not_fetched() {
    let (schema, errors) = check("{ $ref: 'https://example.invalid/contact.json' }");
    assert!(schema.is_none());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("invalid JSON Schema: "), "{errors:?}");
    assert!(
        errors[0].ends_with("remote schemas are never fetched, copy them under `$defs`"),
        "{errors:?}"
    );
    let (schema, errors) =
        check("{ $defs: { id: { type: string } }, properties: { id: { $ref: '#/$defs/id' } } }");
    assert!(errors.is_empty() && schema.is_some(), "{errors:?}");
}

#[test]
fn draft_2020_12_by_default() {
    // `prefixItems` is 2020-12; a wrong type in it is only caught by that meta-schema
    let (_, errors) = check("{ prefixItems: 3 }");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (_, errors) =
        check("{ $schema: 'http://json-schema.org/draft-07/schema#', prefixItems: 3 }");
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn key_paths_from_pointers() {
    let doc = json!({"a": [{"b/c": {"~d": 1}}]});
    assert_eq!(key_path("s", &doc, "/a/0/b~1c/~0d"), "s.a[0].b/c.~d");
    assert_eq!(key_path("s", &doc, ""), "s");
    assert_eq!(key_path("s", &doc, "/x/y"), "s.x.y");
}

fn words(
    on_invalid_word: Option<&str>,
    contract_word: Option<&str>,
) -> (Option<(OnInvalid, Contract)>, Vec<String>) {
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let a = on_invalid(
        &mut ctx,
        "streams.s",
        on_invalid_word.map(str::to_owned).as_ref(),
    );
    let b = contract(
        &mut ctx,
        "streams.s",
        contract_word.map(str::to_owned).as_ref(),
    );
    let messages = ctx.finish().into_iter().map(|d| {
        format!(
            "{} @ {} | {}",
            d.message,
            d.key_path,
            d.help.unwrap_or_default()
        )
    });
    (a.zip(b), messages.collect())
}

#[test]
fn on_invalid_and_contract() {
    assert_eq!(
        words(None, None).0,
        Some((OnInvalid::Quarantine, Contract::Evolve))
    );
    assert_eq!(
        words(Some("fail"), Some("freeze")).0,
        Some((OnInvalid::Fail, Contract::Freeze))
    );
    assert_eq!(
        words(Some("quarantine"), Some("evolve")).0,
        Some((OnInvalid::Quarantine, Contract::Evolve))
    );
    let (out, errors) = words(Some("quarantien"), Some("freez"));
    assert!(out.is_none());
    assert_eq!(
        errors,
        [
            "unknown `on_invalid` value `quarantien` @ streams.s.on_invalid | use `quarantine` or `fail`; did you mean `quarantine`?",
            "unknown `contract` value `freez` @ streams.s.contract | use `evolve` or `freeze`; did you mean `freeze`?"
        ]
    );
}
