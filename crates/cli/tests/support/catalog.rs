//! What the catalog tests share: the connector files of `connectors/`, the
//! environment each one reads (pointed at a replay of its vendor's
//! documented responses), and running `holdfast` on them as they are.
#![allow(dead_code)]

use std::path::PathBuf;

use crate::common::{Output, Sandbox};
use crate::replay::Replay;

/// `connectors/` at the root of the workspace.
pub fn connectors_dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../connectors")
}

/// `connectors/<vendor>.yaml`.
pub fn connector(vendor: &str) -> PathBuf {
    connectors_dir().join(format!("{vendor}.yaml"))
}

/// Every connector file of the catalog, by vendor name, sorted.
pub fn vendors() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(connectors_dir())
        .expect("read connectors/")
        .filter_map(|e| {
            let path = e.expect("dir entry").path();
            (path.extension().is_some_and(|x| x == "yaml")).then(|| {
                path.file_stem()
                    .expect("a stem")
                    .to_string_lossy()
                    .into_owned()
            })
        })
        .collect();
    names.sort();
    names
}

/// The credentials the tests give each vendor (never real ones).
pub const GITHUB_TOKEN: &str = "github_pat_11ABCDEFG0replay0only";
pub const GITHUB_WEBHOOK_SECRET: &str = "It's a Secret to Everybody";
pub const STRIPE_KEY: &str = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_replay_catalog_secret";
pub const SHOPIFY_TOKEN: &str = "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";
pub const HUBSPOT_TOKEN: &str = "pat-na1-11111111-2222-3333-4444-555555555555";
pub const ZENDESK_EMAIL: &str = "agent@example.com";
pub const ZENDESK_TOKEN: &str = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv";
pub const JIRA_EMAIL: &str = "fred@example.com";
pub const JIRA_TOKEN: &str = "ATATT3xFfGF0replayonly";
pub const JIRA_JQL: &str = "project = HSP ORDER BY key ASC";
pub const SALESFORCE_CLIENT_ID: &str =
    "3MVG9lKcPoNINVBIPJjdw1J9LLM82HnFVVX19KY1uA5mu0QqEWhqKpoW3svG3X";
pub const SALESFORCE_CLIENT_SECRET: &str = "1955279925675241571";
pub const SALESFORCE_REFRESH_TOKEN: &str = "5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrjD6N4Tw";
/// The access token the replayed Salesforce token endpoint hands out.
pub const SALESFORCE_ACCESS_TOKEN: &str =
    "00DB0000000TfcR!AQQAQFhoK8vTMg_rKA.esrJ2bCs.OOIjJgl.9Cx6O7KqjZmHMLOyVb";

pub const SAP_USER: &str = "COMM_USER_0008";
pub const SAP_PASSWORD: &str = "replay-only-Passw0rd";

/// The environment `connectors/<vendor>.yaml` reads, with its base URL at `url`.
pub fn vendor_env(vendor: &str, url: &str) -> Vec<(String, String)> {
    let pairs: Vec<(&str, &str)> = match vendor {
        "github" => vec![
            ("GITHUB_API_URL", url),
            ("GITHUB_TOKEN", GITHUB_TOKEN),
            ("GITHUB_OWNER", "octocat"),
            ("GITHUB_REPO", "Hello-World"),
            ("GITHUB_WEBHOOK_SECRET", GITHUB_WEBHOOK_SECRET),
        ],
        "stripe" => vec![
            ("STRIPE_URL", url),
            ("STRIPE_SECRET_KEY", STRIPE_KEY),
            ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
        ],
        "shopify" => vec![
            ("SHOPIFY_URL", url),
            ("SHOPIFY_ACCESS_TOKEN", SHOPIFY_TOKEN),
        ],
        "hubspot" => vec![("HUBSPOT_URL", url), ("HUBSPOT_TOKEN", HUBSPOT_TOKEN)],
        "zendesk" => vec![
            ("ZENDESK_URL", url),
            ("ZENDESK_EMAIL", ZENDESK_EMAIL),
            ("ZENDESK_API_TOKEN", ZENDESK_TOKEN),
        ],
        "jira" => vec![
            ("JIRA_URL", url),
            ("JIRA_EMAIL", JIRA_EMAIL),
            ("JIRA_API_TOKEN", JIRA_TOKEN),
            ("JIRA_JQL", JIRA_JQL),
        ],
        "salesforce" => vec![
            ("SALESFORCE_URL", url),
            ("SALESFORCE_CLIENT_ID", SALESFORCE_CLIENT_ID),
            ("SALESFORCE_CLIENT_SECRET", SALESFORCE_CLIENT_SECRET),
            ("SALESFORCE_REFRESH_TOKEN", SALESFORCE_REFRESH_TOKEN),
        ],
        "countryinfo" => vec![("COUNTRYINFO_URL", url)],
        "sap" => vec![
            ("SAP_URL", url),
            ("SAP_USER", SAP_USER),
            ("SAP_PASSWORD", SAP_PASSWORD),
        ],
        other => panic!("no test environment for connectors/{other}.yaml: add one to vendor_env"),
    };
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Runs `holdfast ARGS --config connectors/<vendor>.yaml --store <sandbox>`
/// with the vendor's environment pointed at `replay` (plus `extra`).
pub async fn run(
    sandbox: &Sandbox,
    vendor: &str,
    replay: &Replay,
    args: &[&str],
    extra: &[(&str, &str)],
) -> Output {
    let env = vendor_env(vendor, &replay.url());
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    let config = connector(vendor).display().to_string();
    let store = sandbox.store_url();
    let mut argv: Vec<&str> = args.to_vec();
    argv.extend(["--config", &config, "--store", &store]);
    sandbox.run_raw_env(&argv, &all).await
}

/// The `Authorization: Basic` value for `user:password`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `holdfast serve` on `connectors/<vendor>.yaml` and the sandbox's store,
/// with the vendor's environment pointed at `replay`.
pub async fn serve(sandbox: &Sandbox, vendor: &str, replay: &Replay) -> crate::common::Serve {
    let env = vendor_env(vendor, &replay.url());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let config = connector(vendor).display().to_string();
    let store = sandbox.store_url();
    crate::common::Serve::start_raw(sandbox, &["--config", &config, "--store", &store], &env).await
}
