//! What the connector-file error tests share: an environment with a secret
//! in it, and the rendered errors of a file (which must never show it).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use holdfast_spec::{Env, parse_str};

pub fn env() -> Env {
    Env::from_map(BTreeMap::from([
        (
            "CRM_URL".to_owned(),
            "https://crm.from-env.invalid".to_owned(),
        ),
        ("CRM_TOKEN".to_owned(), "do-not-print-me".to_owned()),
    ]))
}

/// The rendered errors for `yaml`; panics if it is valid.
pub fn errors(yaml: &str) -> String {
    match parse_str(yaml, Path::new("holdfast.yaml"), &env()) {
        Ok(spec) => panic!("expected errors, got {spec:#?}"),
        Err(e) => {
            let text = e.to_string();
            assert!(
                !text.contains("do-not-print-me"),
                "a secret leaked:\n{text}"
            );
            assert!(
                !text.contains("from-env.invalid"),
                "an env value leaked:\n{text}"
            );
            text
        }
    }
}

pub const CONNECTIONS: &str = r#"connections:
  crm:
    base_url: "{{ env.CRM_URL }}"
    auth: { type: bearer, token: "{{ env.CRM_TOKEN }}" }
"#;

pub fn with_streams(streams: &str) -> String {
    format!("{CONNECTIONS}streams:\n{streams}")
}
