//! What the webhook end-to-end tests share: a connector file with three
//! webhooks (one per signing scheme) into three streams, its secrets, and
//! helpers to sign requests and read the `contacts` table.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::common::Sandbox;

/// A Standard Webhooks secret (`whsec_` + base64).
pub const CRM_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Another valid secret: signatures made with it must not verify.
pub const OTHER_SECRET: &str = "whsec_dGhpcyBpcyBub3QgdGhlIHJpZ2h0IGtleQ==";
pub const STRIPE_SECRET: &str = "whsec_stripe_e2e_secret";
pub const GH_SECRET: &str = "It's a Secret to Everybody";
pub const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// The connector file: three webhooks, one per signing scheme, into three
/// streams (never synced; the connection is never called).
pub const CONFIG: &str = r#"
connections:
  crm: { base_url: "http://127.0.0.1:9" }
streams:
  contacts:
    connection: crm
    request: { path: /v2/contacts }
    records: "$.data[*]"
    primary_key: id
    map: { email: "$.email" }
  invoices:
    connection: crm
    request: { path: /v2/invoices }
    records: "$.data[*]"
    primary_key: id
    map: { amount_due: { from: "$.amount_due", type: integer } }
  repos:
    connection: crm
    request: { path: /v2/repos }
    records: "$.data[*]"
    primary_key: id
    map: { full_name: "$.full_name" }
webhooks:
  crm_events:
    path: /hooks/crm
    verify: { scheme: standard_webhooks, secret: "{{ env.CRM_WEBHOOK_SECRET }}", tolerance: 5m }
    version: "$.data.updated_at"
    max_body: 4kb
    route:
      - when: "body.type is startingwith('contact.')"
        stream: contacts
        record: "$.data"
        delete_when: "body.type == 'contact.deleted'"
  billing:
    path: /hooks/stripe
    verify: { scheme: stripe, secret: "{{ env.STRIPE_SECRET }}" }
    route: [ { stream: invoices, record: "$.data.object" } ]
  gh:
    path: /hooks/github
    verify: { scheme: github, secret: "{{ env.GH_SECRET }}" }
    route: [ { stream: repos, record: "$.repository" } ]
"#;

pub fn env() -> [(&'static str, &'static str); 3] {
    [
        ("CRM_WEBHOOK_SECRET", CRM_SECRET),
        ("STRIPE_SECRET", STRIPE_SECRET),
        ("GH_SECRET", GH_SECRET),
    ]
}

pub fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.write_config(CONFIG);
    sandbox
}

/// The version as the store keeps it: `t` + RFC 3339 UTC with nine fraction digits.
pub fn stored_version(t: DateTime<Utc>) -> String {
    format!("t{}", t.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

/// A request to `sign.py`.
pub fn sign_request(scheme: &str, secret: &str, id: &str, timestamp: i64, body: &str) -> Value {
    json!({ "scheme": scheme, "secret": secret, "id": id, "timestamp": timestamp, "body": body })
}

/// A request signed for `body` by the official Standard Webhooks library.
pub fn crm_sign(id: &str, secret: &str, timestamp: i64, body: &str) -> Value {
    sign_request("standard_webhooks", secret, id, timestamp, body)
}

/// One row of the `contacts` table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: i64,
    pub email: Option<String>,
    pub _raw: String,
    pub _version: Option<String>,
    pub _deleted_at: Option<String>,
    pub _last_change: i64,
}

/// Every row of the `contacts` table, by id.
pub async fn contact_rows(pool: &sqlx::SqlitePool) -> BTreeMap<i64, ContactRow> {
    let rows: Vec<ContactRow> = sqlx::query_as(
        "SELECT id, email, _raw, _version, _deleted_at, _last_change FROM contacts ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("read contacts");
    rows.into_iter().map(|r| (r.id, r)).collect()
}
