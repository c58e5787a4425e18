use super::*;
use crate::env::Env;
use crate::model::Method;
use crate::raw::RawStream;
use crate::schema_files::SchemaFiles;
use crate::span::SpanIndex;

fn check(name: &str, yaml: &str) -> (Option<Stream>, Vec<String>) {
    let raw: RawStream = yaml_serde::from_str(yaml).unwrap_or_else(|e| panic!("{e}"));
    let known = Known {
        connections: vec!["crm"],
        streams: vec!["contacts", "deals"],
        schemas: &SchemaFiles::default(),
    };
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    let s = stream(&mut ctx, name, &raw, &known);
    let messages = ctx
        .finish()
        .into_iter()
        .map(|d| format!("{} | {}", d.message, d.help.unwrap_or_default()));
    (s, messages.collect())
}

#[test]
fn defaults() {
    let (s, errors) = check(
        "contacts",
        "{ connection: crm, request: { path: /c }, records: $.data, primary_key: id }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let s = s.expect("valid");
    assert_eq!(s.into, "contacts");
    assert_eq!(s.request.method, Method::Get);
    assert!(s.incremental.is_none() && s.for_each.is_none());
}

#[test]
fn unknown_connection_suggests() {
    let (s, errors) = check(
        "contacts",
        "{ connection: crn, request: { path: /c }, records: $.data, primary_key: id }",
    );
    assert!(s.is_none());
    assert_eq!(
        errors,
        ["unknown connection `crn` | use a name under `connections:`; did you mean `crm`?"]
    );
}

#[test]
fn child_stream_sees_its_alias() {
    let yaml = "{ connection: crm, for_each: { stream: contacts, as: contact }, request: { path: '/c/{{ contact.id }}' }, records: $.data, primary_key: id }";
    let (s, errors) = check("deals", yaml);
    assert!(errors.is_empty(), "{errors:?}");
    let parent = s.and_then(|s| s.for_each).expect("for_each");
    assert_eq!(
        (parent.stream.as_str(), parent.alias.as_str()),
        ("contacts", "contact")
    );
}

#[test]
fn for_each_rules() {
    let yaml = "{ connection: crm, for_each: { stream: deals, as: cursor }, request: { path: /d }, records: $.data, primary_key: [] }";
    let (_, errors) = check("deals", yaml);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].starts_with("stream `deals` cannot be its own parent"));
    assert!(errors[1].starts_with("`as: cursor` hides the template variable `cursor`"));
    assert!(errors[2].starts_with("`primary_key` is empty"));
}

#[test]
fn shared_tables_are_reported_on_the_second_stream() {
    let yaml = "{ connection: crm, request: { path: /c }, records: $.data, primary_key: id, into: people }";
    let (a, _) = check("contacts", yaml);
    let (b, _) = check("deals", yaml);
    let index = SpanIndex::default();
    let env = Env::default();
    let mut ctx = Ctx::new(&index, &env);
    shared_tables(&mut ctx, &[a.expect("a"), b.expect("b")]);
    let errors = ctx.finish();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        "table `people` is already used by stream `contacts`"
    );
    assert_eq!(errors[0].key_path, "streams.deals.into");
}
