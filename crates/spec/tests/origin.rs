//! Issue 13: `allowed_hosts:` and `max_response:` are checked with located errors.

use std::collections::BTreeMap;
use std::path::Path;

use holdfast_spec::{Env, parse_str};

fn parse(connection_extra: &str) -> Result<holdfast_spec::Spec, String> {
    let yaml = format!(
        "connections:\n  crm:\n    base_url: https://api.example.com\n{connection_extra}\
         streams:\n  contacts:\n    connection: crm\n    request: {{ path: /v2/contacts }}\n    \
         records: \"$.data[*]\"\n    primary_key: id\n"
    );
    parse_str(
        &yaml,
        Path::new("holdfast.yaml"),
        &Env::from_map(BTreeMap::new()),
    )
    .map_err(|e| e.to_string())
}

#[test]
fn issue_13_defaults_allow_no_other_host_and_64_mb() {
    let spec = parse("").expect("valid");
    let crm = &spec.connections["crm"];
    assert!(crm.allowed_hosts.is_empty());
    assert_eq!(crm.max_response, 64_000_000);
}

#[test]
fn issue_13_allowed_hosts_and_sizes_read_as_written() {
    let spec = parse(
        "    allowed_hosts: [files.example.com, \"*.s3.example.net\", \"http://127.0.0.1:9000\"]\n    \
         max_response: 1GiB\n",
    )
    .expect("valid");
    let crm = &spec.connections["crm"];
    let hosts: Vec<_> = crm
        .allowed_hosts
        .iter()
        .map(|h| (h.scheme.as_deref(), h.host.as_str(), h.subdomains, h.port))
        .collect();
    assert_eq!(
        hosts,
        vec![
            (None, "files.example.com", false, None),
            (None, "s3.example.net", true, None),
            (Some("http"), "127.0.0.1", false, Some(9000)),
        ]
    );
    assert_eq!(crm.max_response, 1 << 30);
}

#[test]
fn issue_13_bad_entries_are_located_with_a_fix() {
    let text = parse(
        "    allowed_hosts: [ok.example.com, \"ftp://files.example.com\", \"a.com/path\"]\n    \
         max_response: lots\n",
    )
    .expect_err("invalid");
    assert!(
        text.contains("names the scheme `ftp`: only http and https hosts are fetched"),
        "{text}"
    );
    assert!(
        text.contains("holdfast.yaml:4:"),
        "located on the line: {text}"
    );
    assert!(text.contains("`a.com/path` is not a host"), "{text}");
    assert!(text.contains("invalid size `lots`"), "{text}");
    assert!(text.contains("e.g. `64MB`"), "{text}");
    let zero = parse("    max_response: 0\n").expect_err("zero");
    assert!(zero.contains("must be more than 0"), "{zero}");
}
