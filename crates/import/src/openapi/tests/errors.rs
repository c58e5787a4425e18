//! What stops an import: the message says what, where and how to fix it.

use super::*;

#[test]
fn swagger_2_is_refused_with_how_to_convert() {
    let e = error("swagger: '2.0'\ninfo: { title: Old, version: '1' }\npaths: {}").to_string();
    assert!(e.contains("Swagger 2.0"), "{e}");
    assert!(e.contains("swagger2openapi"), "{e}");
    let e = error(r#"{"swagger": "2.0", "paths": {}}"#).to_string();
    assert!(e.contains("`swagger: \"2.0\"`"), "{e}");
}

#[test]
fn not_openapi_other_versions_and_bad_syntax() {
    assert!(matches!(
        error("info: { title: x }"),
        OpenApiError::NotOpenApi
    ));
    assert!(matches!(error("- a list"), OpenApiError::NotOpenApi));
    let e = error("openapi: 4.0.0\npaths: {}");
    assert_eq!(
        e.to_string(),
        "unsupported OpenAPI version `4.0.0`: holdfast imports 3.0.x and 3.1.x"
    );
    let e = error("{\"openapi\": \"3.0.0\", ").to_string();
    assert!(
        e.starts_with("the document is neither JSON nor YAML: JSON:"),
        "{e}"
    );
}

#[test]
fn tag_filtering_keeps_the_tagged_operations() {
    let paths = [
        format!(
            "{}    tags: [pets]",
            list_op("/pets", "listPets", "[]", PETS, "")
        ),
        format!(
            "{}    tags: [stores]",
            list_op("/stores", "listStores", "[]", PETS, "")
        ),
    ]
    .join("\n");
    let options = OpenApiOptions {
        tag: Some("pets".into()),
        name: None,
    };
    let i = import_with(&doc30(&paths, ""), &options);
    assert_eq!(only(&i).name, "list_pets");
    assert_eq!(i.other_tags, 1);
    assert!(i.draft.to_yaml().contains("the operations tagged `pets`"));
}

#[test]
fn an_unknown_tag_lists_the_tags_and_the_nearest() {
    let paths = [
        format!(
            "{}    tags: [pets]",
            list_op("/pets", "listPets", "[]", PETS, "")
        ),
        format!(
            "{}    tags: [stores, pets]",
            list_op("/stores", "listStores", "[]", PETS, "")
        ),
    ]
    .join("\n");
    let options = |tag: &str| OpenApiOptions {
        tag: Some(tag.into()),
        name: None,
    };
    let e = error_with(&doc30(&paths, ""), &options("pest")).to_string();
    assert_eq!(
        e,
        "no operation has the tag `pest`; did you mean `pets`?; the tags are `pets`, `stores`"
    );
    let e = error_with(&doc30(&paths, ""), &options("billing")).to_string();
    assert_eq!(
        e,
        "no operation has the tag `billing`; the tags are `pets`, `stores`"
    );
}

#[test]
fn a_broken_ref_is_located() {
    let schema = "{ type: array, items: { $ref: '#/components/schemas/Pett' } }";
    let extra = "components:\n  schemas:\n    Pet: { type: object }";
    let e = error(&doc30(
        &list_op("/pets", "listPets", "[]", schema, ""),
        extra,
    ));
    let OpenApiError::MissingRef { at, target } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        at,
        "#/paths/~1pets/get/responses/200/content/application~1json/schema/items"
    );
    assert_eq!(target, "#/components/schemas/Pett");
    assert!(e.to_string().contains("points to nothing"), "{e}");
}

#[test]
fn external_and_cyclic_refs_are_located() {
    let schema = "{ $ref: 'pets.yaml#/Pets' }";
    let e = error(&doc30(&list_op("/pets", "listPets", "[]", schema, ""), ""));
    assert!(matches!(e, OpenApiError::ExternalRef { .. }), "{e:?}");
    assert!(e.to_string().contains("bundle"), "{e}");

    let schema = "{ $ref: '#/components/schemas/A' }";
    let extra = "components:\n  schemas:\n    A: { $ref: '#/components/schemas/B' }\n    B: { $ref: '#/components/schemas/A' }";
    let e = error(&doc30(
        &list_op("/pets", "listPets", "[]", schema, ""),
        extra,
    ));
    let OpenApiError::RefCycle { at, chain } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        at,
        "#/paths/~1pets/get/responses/200/content/application~1json/schema"
    );
    assert_eq!(
        chain,
        "#/components/schemas/A → #/components/schemas/B → #/components/schemas/A"
    );
}

#[test]
fn nothing_to_import_says_why_for_each_operation() {
    let paths = "/pets:\n  post:\n    operationId: createPet\n    responses: { \"201\": { description: made } }";
    let e = error(&doc30(paths, "")).to_string();
    assert_eq!(
        e,
        "no list endpoint to import: 1 operation(s) looked at, none is a GET answering a JSON list \
         (POST /pets (createPet): not a GET: only reads are imported)"
    );
}
