//! Each security scheme to `auth:`, with its secrets.

use super::*;
use crate::draft::Auth;

/// A one-stream document with `schemes` (YAML mapping lines under
/// `securitySchemes:`) and global `security`.
fn with_security(schemes: &str, security: &str) -> OpenApiImport {
    let extra = format!(
        "components:\n  securitySchemes:\n{}\nsecurity: {security}",
        indent(&indent(schemes))
    );
    import(&doc30(
        &list_op("/pets", "listPets", "[]", PETS, ""),
        &extra,
    ))
}

fn secrets(i: &OpenApiImport) -> Vec<&str> {
    i.draft.secrets.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn http_bearer_is_a_bearer_token_secret() {
    let i = with_security(
        "token: { type: http, scheme: bearer, bearerFormat: JWT }",
        "[ { token: [] } ]",
    );
    let conn = &i.draft.connections[0];
    assert_eq!(
        conn.auth,
        Auth::Bearer {
            token: "{{ secret.pets_token }}".into()
        }
    );
    assert!(
        conn.auth_note.contains("securitySchemes.token"),
        "{}",
        conn.auth_note
    );
    assert_eq!(secrets(&i), ["pets_token"]);
}

#[test]
fn http_basic_is_basic_with_two_secrets() {
    let i = with_security(
        "basicAuth: { type: http, scheme: Basic }",
        "[ { basicAuth: [] } ]",
    );
    assert_eq!(
        i.draft.connections[0].auth,
        Auth::Basic {
            username: "{{ secret.pets_username }}".into(),
            password: "{{ secret.pets_password }}".into()
        }
    );
    assert_eq!(secrets(&i), ["pets_username", "pets_password"]);
}

#[test]
fn api_keys_in_header_query_and_cookie() {
    let i = with_security(
        "key: { type: apiKey, in: header, name: X-Api-Key }",
        "[ { key: [] } ]",
    );
    assert_eq!(
        i.draft.connections[0].auth,
        Auth::ApiKey {
            name: "X-Api-Key".into(),
            value: "{{ secret.pets_api_key }}".into(),
            location: "header".into()
        }
    );
    let i = with_security(
        "key: { type: apiKey, in: query, name: api_key }",
        "[ { key: [] } ]",
    );
    assert!(
        matches!(&i.draft.connections[0].auth, Auth::ApiKey { location, .. } if location == "query")
    );
    let i = with_security(
        "key: { type: apiKey, in: cookie, name: sid }",
        "[ { key: [] } ]",
    );
    let conn = &i.draft.connections[0];
    assert_eq!(conn.auth, Auth::None);
    assert_eq!(conn.headers[0].name, "Cookie");
    assert_eq!(conn.headers[0].value, "sid={{ secret.pets_api_key }}");
}

#[test]
fn oauth2_client_credentials_with_its_token_url_and_scopes() {
    let schemes = "oauth:\n  type: oauth2\n  flows:\n    clientCredentials:\n      tokenUrl: https://auth.pets.example.com/token\n      scopes: { pets.read: read, pets.write: write }";
    let i = with_security(schemes, "[ { oauth: [pets.read] } ]");
    assert_eq!(
        i.draft.connections[0].auth,
        Auth::OAuth2 {
            grant: "client_credentials".into(),
            token_url: "https://auth.pets.example.com/token".into(),
            client_id: "{{ secret.pets_client_id }}".into(),
            client_secret: "{{ secret.pets_client_secret }}".into(),
            refresh_token: None,
            scope: Some("pets.read".into())
        }
    );
    assert_eq!(secrets(&i), ["pets_client_id", "pets_client_secret"]);
}

#[test]
fn oauth2_authorization_code_is_a_refresh_token_grant_with_a_note() {
    let schemes = "oauth:\n  type: oauth2\n  flows:\n    authorizationCode:\n      authorizationUrl: https://pets.example.com/authorize\n      tokenUrl: https://pets.example.com/token\n      refreshUrl: https://pets.example.com/refresh\n      scopes: {}";
    let i = with_security(schemes, "[ { oauth: [] } ]");
    let conn = &i.draft.connections[0];
    let Auth::OAuth2 {
        grant,
        token_url,
        refresh_token,
        ..
    } = &conn.auth
    else {
        panic!("{:?}", conn.auth)
    };
    assert_eq!(grant, "refresh_token");
    assert_eq!(token_url, "https://pets.example.com/refresh");
    assert_eq!(
        refresh_token.as_deref(),
        Some("{{ secret.pets_refresh_token }}")
    );
    assert!(
        conn.auth_note
            .contains("`holdfast connect` does not exist yet"),
        "{}",
        conn.auth_note
    );
    assert!(
        conn.auth_note
            .contains("https://pets.example.com/authorize"),
        "{}",
        conn.auth_note
    );
    assert_eq!(
        secrets(&i),
        ["pets_client_id", "pets_client_secret", "pets_refresh_token"]
    );
}

#[test]
fn open_id_connect_is_a_token_with_a_note() {
    let i = with_security(
        "oidc: { type: openIdConnect, openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration' }",
        "[ { oidc: [] } ]",
    );
    let conn = &i.draft.connections[0];
    assert!(matches!(conn.auth, Auth::Bearer { .. }));
    assert!(
        conn.auth_note.contains("does not run OpenID Connect"),
        "{}",
        conn.auth_note
    );
    assert!(
        conn.auth_note.contains("openid-configuration"),
        "{}",
        conn.auth_note
    );
}

#[test]
fn the_scheme_most_operations_require_wins_and_the_others_are_noted() {
    let extra = "components:\n  securitySchemes:\n    key: { type: apiKey, in: header, name: X-Key }\n    token: { type: http, scheme: bearer }\nsecurity: [ { token: [] } ]";
    let paths = [
        list_op("/a", "listA", "[]", PETS, ""),
        list_op("/b", "listB", "[]", PETS, ""),
        format!(
            "{}    security: [ {{ key: [] }} ]",
            list_op("/c", "listC", "[]", PETS, "")
        ),
    ]
    .join("\n");
    let i = import(&doc30(&paths, extra));
    let conn = &i.draft.connections[0];
    assert!(matches!(conn.auth, Auth::Bearer { .. }), "{:?}", conn.auth);
    assert!(
        conn.auth_note.contains("required by 2 of the 3"),
        "{}",
        conn.auth_note
    );
    assert!(conn.auth_note.contains("`key` (1)"), "{}", conn.auth_note);
}

#[test]
fn no_scheme_is_none_unless_the_api_answers_401() {
    let i = import(&doc30(&list_op("/pets", "listPets", "[]", PETS, ""), ""));
    let conn = &i.draft.connections[0];
    assert_eq!(conn.auth, Auth::None);
    assert!(
        conn.auth_note.contains("declares no securitySchemes"),
        "{}",
        conn.auth_note
    );

    let guarded = format!(
        "{}\n/me:\n  post:\n    responses: {{ \"401\": {{ description: who are you }} }}",
        list_op("/pets", "listPets", "[]", PETS, "")
    );
    let i = import(&doc30(&guarded, ""));
    let conn = &i.draft.connections[0];
    assert!(matches!(conn.auth, Auth::Bearer { .. }));
    assert!(conn.auth_note.starts_with("A GUESS"), "{}", conn.auth_note);
    assert_eq!(secrets(&i), ["pets_token"]);
}

#[test]
fn optional_auth_is_none() {
    let i = with_security("token: { type: http, scheme: bearer }", "[ {} ]");
    let conn = &i.draft.connections[0];
    assert_eq!(conn.auth, Auth::None);
    assert!(conn.auth_note.contains("allow it"), "{}", conn.auth_note);
}
