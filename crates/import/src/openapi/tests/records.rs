//! Which operations become streams, where their records are, their
//! names, keys, inputs and children.

use super::*;

#[test]
fn a_bare_array_is_records_at_the_root_with_its_schema() {
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", PETS, ""), ""));
    let s = only(&i);
    assert_eq!(s.name, "list_pets");
    assert_eq!(s.path, "/pets");
    assert_eq!(s.records, "$[*]");
    assert_eq!(s.primary_key, ["id"]);
    let schema = s.schema.as_ref().expect("schema");
    assert_eq!(schema["properties"]["id"]["type"], "integer");
    assert!(
        s.schema_note.contains("operationId listPets"),
        "{}",
        s.schema_note
    );
    let conn = &i.draft.connections[0];
    assert_eq!(conn.name, "pets");
    assert_eq!(conn.base_url, "https://api.pets.example.com/v1");
}

#[test]
fn a_wrapper_object_picks_its_list_member_by_name() {
    let schema = "{ type: object, properties: { total: { type: integer }, \
                  tags: { type: array, items: { type: object, properties: { n: { type: string } } } }, \
                  data: { type: array, items: { type: object, properties: { id: { type: integer } } } } } }";
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", schema, ""), ""));
    let s = only(&i);
    assert_eq!(s.records, "$.data[*]");
    assert!(
        s.records_note.contains("2 lists of objects"),
        "{}",
        s.records_note
    );
}

#[test]
fn a_wrapper_with_unnamed_lists_is_a_noted_guess_and_the_resource_name_counts() {
    let schema = "{ type: object, properties: { alpha: { type: array, items: { type: object } }, \
                  beta: { type: array, items: { type: object } } } }";
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", schema, ""), ""));
    let s = only(&i);
    assert_eq!(s.records, "$.alpha[*]");
    assert!(s.records_note.contains("a guess"), "{}", s.records_note);

    let schema = "{ type: object, properties: { alpha: { type: array, items: { type: object } }, \
                  workflow_runs: { type: array, items: { type: object } } } }";
    let i = import(&doc30(
        &list_op("/actions/runs", "listRuns", "[]", schema, ""),
        "",
    ));
    assert_eq!(only(&i).records, "$.workflow_runs[*]");
}

#[test]
fn single_records_scalars_writes_and_other_media_are_skipped_with_why() {
    let one = "{ type: object, properties: { id: { type: integer }, tags: { type: array, items: { type: object } } } }";
    let strings = "{ type: array, items: { type: string } }";
    let paths = [
        list_op("/pets", "listPets", "[]", PETS, ""),
        list_op("/pets/{id}", "getPet", "[ { name: id, in: path, required: true, schema: { type: integer } } ]", one, ""),
        list_op("/names", "listNames", "[]", strings, ""),
        "/export:\n  get:\n    responses:\n      \"200\": { description: csv, content: { text/csv: { schema: { type: string } } } }".into(),
        "/pets/{id}/ping:\n  get:\n    responses:\n      \"204\": { description: nothing }".into(),
        "/pets2:\n  post:\n    operationId: createPet\n    responses: { \"201\": { description: made } }".into(),
    ]
    .join("\n");
    let i = import(&doc30(&paths, ""));
    assert_eq!(i.draft.streams.len(), 1);
    let reasons: Vec<(&str, &str)> = i
        .skipped
        .iter()
        .map(|s| (s.operation.as_str(), s.reason.as_str()))
        .collect();
    let find = |op: &str| {
        reasons
            .iter()
            .find(|(o, _)| o.contains(op))
            .unwrap_or_else(|| panic!("{op} not in {reasons:?}"))
            .1
    };
    assert!(find("(getPet)").starts_with("not a list: answers one object (it has an `id`)"));
    assert_eq!(
        find("(listNames)"),
        "not a list: a list of strings, not of records"
    );
    assert_eq!(find("GET /export"), "not JSON (text/csv)");
    assert_eq!(find("GET /pets/{id}/ping"), "the 204 response has no body");
    assert!(find("(createPet)").starts_with("not a GET"));
    let yaml = i.draft.to_yaml();
    assert!(yaml.contains("# 5 operation(s) not imported:"), "{yaml}");
    assert!(
        yaml.contains("#   1 not JSON:\n#     GET /export: text/csv\n"),
        "{yaml}"
    );
}

#[test]
fn ref_chains_are_followed_for_responses_schemas_and_parameters() {
    let op = "/pets:\n  get:\n    operationId: listPets\n    parameters: [ { $ref: '#/components/parameters/Kind' } ]\n    responses:\n      \"200\": { $ref: '#/components/responses/Pets' }";
    let extra = "components:\n  responses:\n    Pets: { $ref: '#/components/responses/PetList' }\n    PetList:\n      description: pets\n      content: { application/json: { schema: { $ref: '#/components/schemas/Pets' } } }\n  schemas:\n    Pets: { $ref: '#/components/schemas/PetArray' }\n    PetArray: { type: array, items: { $ref: '#/components/schemas/Pet' } }\n    Pet: { allOf: [ { $ref: '#/components/schemas/Base' }, { type: object, properties: { name: { type: string } } } ] }\n    Base: { type: object, required: [uuid], properties: { uuid: { type: string, format: uuid } } }\n  parameters:\n    Kind: { $ref: '#/components/parameters/KindParam' }\n    KindParam: { name: kind, in: query, required: true, schema: { type: string } }";
    let i = import(&doc30(op, extra));
    let s = only(&i);
    assert_eq!(s.records, "$[*]");
    assert_eq!(s.primary_key, ["uuid"]);
    assert!(
        s.primary_key_note.contains("looks like a key"),
        "{}",
        s.primary_key_note
    );
    let schema = s.schema.as_ref().expect("schema");
    assert_eq!(schema["allOf"][0]["properties"]["uuid"]["format"], "uuid");
    assert_eq!(s.params[0].name, "kind");
    assert_eq!(s.params[0].value, "{{ env.KIND }}");
    let kind = i
        .draft
        .envs
        .iter()
        .find(|e| e.name == "KIND")
        .expect("KIND");
    assert!(
        kind.why.contains("required query parameter `kind`"),
        "{}",
        kind.why
    );
}

#[test]
fn path_parameters_become_inputs_and_required_defaults_are_sent() {
    let params = "[ { name: owner, in: path, required: true, description: 'The account owner.', schema: { type: string } }, \
                  { name: state, in: query, required: true, schema: { type: string, default: open } }, \
                  { name: X-Tenant, in: header, required: true, schema: { type: string } }, \
                  { name: sort, in: query, schema: { type: string, default: created } } ]";
    let i = import(&doc30(
        &list_op("/users/{owner}/pets", "listUserPets", params, PETS, ""),
        "",
    ));
    let s = only(&i);
    assert_eq!(s.path, "/users/{{ env.OWNER }}/pets");
    assert_eq!(s.params.len(), 1);
    assert_eq!(
        (s.params[0].name.as_str(), &s.params[0].value),
        ("state", &"open".into())
    );
    assert_eq!(s.headers[0].value, "{{ env.X_TENANT }}");
    let owner = i
        .draft
        .envs
        .iter()
        .find(|e| e.name == "OWNER")
        .expect("OWNER");
    assert!(owner.why.contains("The account owner."), "{}", owner.why);
}

#[test]
fn a_key_is_always_written_loudly_when_none_is_found() {
    let schema =
        "{ type: array, items: { type: object, properties: { label: { type: string } } } }";
    let i = import(&doc30(
        &list_op("/labels", "listLabels", "[]", schema, ""),
        "",
    ));
    let s = only(&i);
    assert_eq!(s.primary_key, ["id"]);
    assert!(
        s.primary_key_note.starts_with("NO KEY FOUND"),
        "{}",
        s.primary_key_note
    );
}

#[test]
fn names_are_unique_identifiers_from_operation_ids_or_paths() {
    let paths = [
        list_op("/a", "list-things", "[]", PETS, ""),
        list_op("/b", "list_things", "[]", PETS, ""),
        list_op("/c", "2fa/devices", "[]", PETS, ""),
        "/v2/pg_stats/{x}/items:\n  parameters: [ { name: x, in: path, required: true, schema: { type: string } } ]\n  get:\n    responses:\n      \"200\": { description: ok, content: { application/json: { schema: { type: array, items: { type: object } } } } }".into(),
    ]
    .join("\n");
    let i = import(&doc30(&paths, ""));
    let names: Vec<&str> = i.draft.streams.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "list_things",
            "list_things_2",
            "api_2fa_devices",
            "v2_pg_stats_items"
        ]
    );
}

#[test]
fn a_list_under_a_list_item_becomes_a_child_stream() {
    let comments =
        "{ type: array, items: { type: object, properties: { id: { type: integer } } } }";
    let issues = "{ type: array, items: { type: object, properties: { id: { type: integer }, number: { type: integer } } } }";
    let owner = "{ name: owner, in: path, required: true, schema: { type: string } }";
    let number = "{ name: issue_number, in: path, required: true, schema: { type: integer } }";
    let paths = [
        list_op(
            "/repos/{owner}/issues/{issue_number}/comments",
            "listComments",
            &format!("[ {owner}, {number} ]"),
            comments,
            "",
        ),
        list_op(
            "/repos/{owner}/issues",
            "listIssues",
            &format!("[ {owner} ]"),
            issues,
            "",
        ),
    ]
    .join("\n");
    let i = import(&doc30(&paths, ""));
    let names: Vec<&str> = i.draft.streams.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["list_issues", "list_comments"], "parents first");
    let child = &i.draft.streams[1];
    assert_eq!(child.for_each, Some(("list_issues".into(), "issue".into())));
    assert_eq!(
        child.path,
        "/repos/{{ env.OWNER }}/issues/{{ issue.number }}/comments"
    );
    assert!(
        i.draft.envs.iter().all(|e| e.name != "ISSUE_NUMBER"),
        "{:?}",
        i.draft.envs
    );
    assert!(
        child.note.contains("its `number` fills `{issue_number}`"),
        "{}",
        child.note
    );
}

#[test]
fn server_variables_relative_urls_and_no_servers() {
    let op = list_op("/pets", "listPets", "[]", PETS, "");
    let text = doc30(&op, "").replace(
        "servers: [ { url: \"https://api.pets.example.com/v1\" } ]",
        "servers:\n  - url: 'https://{region}.shop.example.com/{version}'\n    variables:\n      region: { default: eu, enum: [eu, us] }\n      version: { default: v2 }",
    );
    let i = import(&text);
    let conn = &i.draft.connections[0];
    assert_eq!(conn.base_url, "https://eu.shop.example.com/v2");
    assert!(
        conn.base_url_note
            .contains("`{region}` = `eu` (its default; also: us)"),
        "{}",
        conn.base_url_note
    );
    assert_eq!(conn.name, "shop");

    let text = doc30(&op, "").replace("https://api.pets.example.com/v1", "/api/v3");
    let i = import(&text);
    let conn = &i.draft.connections[0];
    assert_eq!(conn.name, "pet_store", "from the title");
    assert_eq!(conn.base_url, "{{ env.PET_STORE_URL }}/api/v3");
    assert_eq!(i.draft.envs[0].name, "PET_STORE_URL");

    let text = doc30(&op, "").replace(
        "servers: [ { url: \"https://api.pets.example.com/v1\" } ]\n",
        "",
    );
    let i = import_with(
        &text,
        &OpenApiOptions {
            tag: None,
            name: Some("Petz".into()),
        },
    );
    assert_eq!(i.draft.connections[0].base_url, "{{ env.PETZ_URL }}");
}

#[test]
fn yaml_and_json_documents_read_the_same() {
    let yaml = doc31(&list_op("/pets", "listPets", "[]", PETS, ""), "");
    let value: serde_json::Value = yaml_serde::from_str(&yaml).expect("yaml");
    let json = serde_json::to_string_pretty(&value).expect("json");
    assert_eq!(import(&yaml).draft.to_yaml(), import(&json).draft.to_yaml());
}
