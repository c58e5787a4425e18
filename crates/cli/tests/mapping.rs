//! The transformation layer: a `map:` using every kind of column over the
//! mock's real fields lands as typed, plain SQL columns whose values are
//! exactly what the test computes from the served JSON itself; a column added
//! to the map is added to the table and filled; `holdfast explain` shows a
//! record from payload to columns.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Sandbox, cursor_connector, ids, mock_records, open_quarantine, runs, table_columns};
use holdfast_mock::{MockConfig, bad_kind};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

const RECORDS: u64 = 200;

/// Every kind: string with transforms, decimal, timestamp and date from
/// `dd/mm/yyyy`, a value map with and without a default, booleans from a
/// value map and from an expression, a computed string, integers (one via
/// an expression transform), an RFC 3339 timestamp, and untyped columns.
const MAP: &str = r#"    map:
      email: { from: "$.properties.email", transform: [trim, lower], type: string }
      balance: { from: "$.balance", type: decimal }
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y"] }
      created_day: { from: "$.created", type: date, formats: ["%d/%m/%Y"] }
      status: { from: "$.status", map: { A: active, I: inactive }, default: unknown }
      active: { from: "$.status", map: { A: "yes", I: "no" }, type: boolean }
      full_name: { expr: "record.name.first ~ ' ' ~ record.name.last", type: string }
      version: { from: "$.version", type: integer }
      amount_cents: { from: "$.amount.value", transform: "value | replace('.', '')", type: integer }
      tier: { from: "$.tags[0]", map: { vip: gold, partner: silver }, default: standard }
      has_phone: { expr: "record.properties.phone is not none", type: boolean }
      updated: { from: "$.updated_at", type: timestamp }
      company: "$.company"
      tags: { from: "$.tags" }
"#;

/// The same map plus two columns.
fn map_with_more_columns() -> String {
    format!(
        "{MAP}      currency: {{ from: \"$.amount.currency\", type: string }}\n      \
         first_name: \"$.name.first\"\n"
    )
}

fn mock_config() -> MockConfig {
    MockConfig {
        records: RECORDS,
        bad_every: 50,
        ..MockConfig::default()
    }
}

/// The served contacts by id.
async fn served(url: &str) -> BTreeMap<i64, Value> {
    mock_records(url)
        .await
        .into_iter()
        .map(|c| (common::contact_id(&c), c))
        .collect()
}

/// One stored row, as the test expects it.
#[derive(Debug, Clone, PartialEq)]
struct Columns {
    email: Option<String>,
    balance: Option<String>,
    created: Option<String>,
    created_day: Option<String>,
    status: Option<String>,
    active: Option<i64>,
    full_name: Option<String>,
    version: Option<i64>,
    amount_cents: Option<i64>,
    tier: Option<String>,
    has_phone: Option<i64>,
    updated: Option<String>,
    company: Option<String>,
    tags: Option<Value>,
}

/// What the map must give for contact `c`, computed here from the JSON alone.
fn expected(c: &Value) -> Columns {
    let text = |v: &Value| v.as_str().expect("a string").to_owned();
    let dmy = text(&c["created"]);
    let (d, m, y) = (&dmy[0..2], &dmy[3..5], &dmy[6..10]);
    let (units, cents) = c["amount"]["value"]
        .as_str()
        .and_then(|v| v.split_once('.'))
        .expect("units.cents");
    let status = text(&c["status"]);
    Columns {
        email: Some(text(&c["properties"]["email"]).trim().to_lowercase()),
        balance: Some(text(&c["balance"])),
        created: Some(format!("{y}-{m}-{d}T00:00:00Z")),
        created_day: Some(format!("{y}-{m}-{d}")),
        status: Some(match status.as_str() {
            "A" => "active".to_owned(),
            "I" => "inactive".to_owned(),
            other => panic!("status {other}"),
        }),
        active: Some(i64::from(status == "A")),
        full_name: Some(format!(
            "{} {}",
            text(&c["name"]["first"]),
            text(&c["name"]["last"])
        )),
        version: c["version"].as_i64(),
        amount_cents: Some(
            units.parse::<i64>().expect("units") * 100 + cents.parse::<i64>().expect("cents"),
        ),
        tier: Some(
            match c["tags"].get(0).and_then(Value::as_str) {
                Some("vip") => "gold",
                Some("partner") => "silver",
                _ => "standard",
            }
            .to_owned(),
        ),
        has_phone: Some(i64::from(!c["properties"]["phone"].is_null())),
        updated: Some(text(&c["updated_at"])),
        company: c["company"].as_str().map(str::to_owned),
        tags: Some(c["tags"].clone()),
    }
}

async fn stored(pool: &SqlitePool) -> BTreeMap<i64, Columns> {
    let rows = sqlx::query(
        "SELECT id, email, balance, created, created_day, status, active, full_name, version, \
         amount_cents, tier, has_phone, updated, company, tags FROM contacts ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("mapped columns");
    rows.iter()
        .map(|r| {
            let s = |name: &str| -> Option<String> {
                r.try_get(name).unwrap_or_else(|e| panic!("{name}: {e}"))
            };
            let i = |name: &str| -> Option<i64> {
                r.try_get(name).unwrap_or_else(|e| panic!("{name}: {e}"))
            };
            let id: i64 = r.try_get("id").expect("id");
            let columns = Columns {
                email: s("email"),
                balance: s("balance"),
                created: s("created"),
                created_day: s("created_day"),
                status: s("status"),
                active: i("active"),
                full_name: s("full_name"),
                version: i("version"),
                amount_cents: i("amount_cents"),
                tier: s("tier"),
                has_phone: i("has_phone"),
                updated: s("updated"),
                company: s("company"),
                tags: s("tags").map(|t| serde_json::from_str(&t).expect("tags JSON")),
            };
            (id, columns)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_column_holds_exact_values() {
    let config = mock_config();
    let mock = common::start_mock_with(config.clone()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, MAP));
    sandbox.run(&["sync"]).await.expect_code(0);
    let served = served(&mock.url()).await;
    let pool = sandbox.pool().await;

    // Bad records the map cannot coerce are held back; a renamed `email`
    // does not matter to a map reading `properties.email`.
    let bad: BTreeMap<i64, &str> = (1..=RECORDS)
        .filter_map(|id| bad_kind(&config, id).map(|k| (id as i64, k)))
        .collect();
    assert_eq!(
        bad,
        BTreeMap::from([
            (50, "string_number"),
            (100, "missing_key"),
            (150, "renamed_field"),
            (200, "bad_date")
        ])
    );
    let held = open_quarantine(&pool).await;
    assert_eq!(
        held.keys().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([50, 100, 200])
    );
    assert_eq!(held[&50].pointers(), ["/version"]);
    assert_eq!(
        held[&50].violations[0].message,
        r#"expected an integer, found "lots""#
    );
    assert_eq!(
        held[&200].pointers(),
        ["/created", "/created"],
        "the timestamp and the date column"
    );
    let expected_ids: Vec<i64> = (1..=RECORDS as i64)
        .filter(|id| ![50, 100, 200].contains(id))
        .collect();
    assert_eq!(ids(&pool, "contacts").await, expected_ids);

    // Every stored row, every column, exactly.
    let rows = stored(&pool).await;
    for (id, got) in &rows {
        assert_eq!(got, &expected(&served[id]), "contact {id}");
    }
    // The value maps' default and both booleans were really exercised.
    let tiers: BTreeSet<&str> = rows.values().filter_map(|c| c.tier.as_deref()).collect();
    assert_eq!(tiers, BTreeSet::from(["gold", "silver", "standard"]));
    assert!(rows.values().any(|c| c.active == Some(0)));
    assert!(rows.values().any(|c| c.has_phone == Some(0)));
    assert!(rows.values().any(|c| c.company.is_none()));

    // Real columns, queried with plain SQL, with their storage types.
    let (email, balance): (String, String) =
        sqlx::query_as("select email, balance from contacts where id = 7")
            .fetch_one(&pool)
            .await
            .expect("plain SQL");
    let seven = &served[&7];
    assert_eq!(
        email,
        seven["properties"]["email"]
            .as_str()
            .expect("email")
            .to_lowercase()
    );
    assert_eq!(balance, seven["balance"].as_str().expect("balance"));
    let types: (String, String, String, String, String, String, String) = sqlx::query_as(
        "select typeof(balance), typeof(created), typeof(created_day), typeof(version), \
         typeof(active), typeof(amount_cents), typeof(tags) from contacts where id = 7",
    )
    .fetch_one(&pool)
    .await
    .expect("typeof");
    assert_eq!(
        types,
        (
            "text".into(),
            "text".into(),
            "text".into(),
            "integer".into(),
            "integer".into(),
            "integer".into(),
            "text".into()
        )
    );
    let declared: BTreeMap<String, String> =
        table_columns(&pool, "contacts").await.into_iter().collect();
    for (column, ty) in [
        ("email", "TEXT"),
        ("balance", "TEXT"),
        ("created", "TEXT"),
        ("created_day", "TEXT"),
        ("version", "INTEGER"),
        ("active", "INTEGER"),
        ("has_phone", "INTEGER"),
        ("status", ""),
        ("company", ""),
    ] {
        assert_eq!(
            declared.get(column).map(String::as_str),
            Some(ty),
            "{column}"
        );
    }

    // Two more columns: the table grows (ALTER TABLE) and every row is filled,
    // though no record changed.
    sandbox.write_config(&cursor_connector(&mock.url(), 50, &map_with_more_columns()));
    sandbox.run(&["sync"]).await.expect_code(0);
    let second = runs(&pool).await.last().expect("run").clone();
    assert_eq!(
        (second.created, second.updated, second.unchanged),
        (0, 0, 197)
    );
    let columns: Vec<String> = table_columns(&pool, "contacts")
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let n = columns.len();
    assert_eq!(
        columns[n - 2..],
        ["currency".to_owned(), "first_name".to_owned()],
        "added at the end: {columns:?}"
    );
    let added: Vec<(i64, Option<String>, Option<String>)> =
        sqlx::query_as("select id, currency, first_name from contacts order by id")
            .fetch_all(&pool)
            .await
            .expect("new columns");
    assert_eq!(added.len(), expected_ids.len());
    for (id, currency, first_name) in &added {
        let c = &served[id];
        assert_eq!(
            currency.as_deref(),
            c["amount"]["currency"].as_str(),
            "{id}"
        );
        assert_eq!(first_name.as_deref(), c["name"]["first"].as_str(), "{id}");
    }
    assert_eq!(stored(&pool).await, rows, "the other columns are untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_payload_columns_and_the_run() {
    let mock = common::start_mock_with(mock_config()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, MAP));
    sandbox.run(&["sync"]).await.expect_code(0);
    let served = served(&mock.url()).await;
    let c = &served[&7];
    let want = expected(c);

    let out = sandbox.run(&["explain", "contacts", "7"]).await;
    out.expect_code(0);
    let text = &out.stdout;
    assert!(text.starts_with("contacts 7\n"), "{out}");
    assert!(
        text.contains("in table `contacts`")
            && text.contains("content last changed by run 1")
            && text.contains("last seen by run 1")
            && text.contains("(created then)"),
        "{out}"
    );
    // The raw payload, pretty-printed.
    assert!(text.contains("raw payload last received:"), "{out}");
    for line in [
        "\"id\": 7,".to_owned(),
        format!("\"email\": {},", c["email"]),
        format!("\"balance\": {},", c["balance"]),
        format!("\"created\": {},", c["created"]),
    ] {
        assert!(text.contains(&line), "{line} in\n{out}");
    }
    // One line per column: stored value ← source [coercion] raw value.
    let column = |name: &str| -> &str {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{out}"))
    };
    let quoted = |s: &Option<String>| json!(s.as_deref().expect("value")).to_string();
    let int = |i: Option<i64>| i.expect("value").to_string();
    let checks: [(&str, String, String, String); 9] = [
        (
            "email",
            quoted(&want.email),
            "$.properties.email [string]".into(),
            c["properties"]["email"].to_string(),
        ),
        (
            "balance",
            quoted(&want.balance),
            "$.balance [decimal]".into(),
            c["balance"].to_string(),
        ),
        (
            "created",
            quoted(&want.created),
            "$.created [timestamp from %d/%m/%Y]".into(),
            c["created"].to_string(),
        ),
        (
            "created_day",
            quoted(&want.created_day),
            "$.created [date from %d/%m/%Y]".into(),
            c["created"].to_string(),
        ),
        (
            "status",
            quoted(&want.status),
            "$.status [any (unchanged)]".into(),
            c["status"].to_string(),
        ),
        (
            "full_name",
            quoted(&want.full_name),
            "expr: record.name.first ~ ' ' ~ record.name.last [string]".into(),
            quoted(&want.full_name),
        ),
        (
            "version",
            int(want.version),
            "$.version [integer]".into(),
            c["version"].to_string(),
        ),
        (
            "amount_cents",
            int(want.amount_cents),
            "$.amount.value [integer]".into(),
            c["amount"]["value"].to_string(),
        ),
        (
            "updated",
            quoted(&want.updated),
            "$.updated_at [timestamp from rfc3339, epoch_seconds, epoch_millis]".into(),
            c["updated_at"].to_string(),
        ),
    ];
    for (name, value, source, raw) in checks {
        let line = column(name);
        assert!(line.contains(&format!("= {value} ")), "{name}: {line}");
        assert!(
            line.contains(&format!("← {source} raw {raw}")),
            "{name}: {line}"
        );
    }
    for name in ["active", "tier", "has_phone", "company", "tags"] {
        assert!(column(name).contains(" ← "), "{name}");
    }

    // An id never served is neither stored nor held.
    let missing = sandbox.run(&["explain", "contacts", "9999"]).await;
    missing.expect_code(1);
    assert!(
        missing.stdout.contains("not in table `contacts`"),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_of_a_quarantined_id_prints_its_violations() {
    let mock = common::start_mock_with(mock_config()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, MAP));
    sandbox.run(&["sync"]).await.expect_code(0);

    let out = sandbox.run(&["explain", "contacts", "50"]).await;
    out.expect_code(0);
    assert!(out.stdout.contains("not in table `contacts`"), "{out}");
    assert!(out.stdout.contains("quarantined by run 1"), "{out}");
    assert!(
        out.stdout
            .contains(r#"    /version: expected an integer, found "lots""#),
        "{out}"
    );

    let date = sandbox.run(&["explain", "contacts", "200"]).await;
    date.expect_code(0);
    assert!(
        date.stdout
            .contains(r#"    /created: expected a timestamp, found "31/31/2024""#)
            && date
                .stdout
                .contains(r#"    /created: expected a date, found "31/31/2024""#),
        "{date}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_with_an_unchanged_map_reports_no_difference() {
    let mock = common::start_mock_with(mock_config()).await;
    let sandbox = Sandbox::new();
    sandbox.write_config(&cursor_connector(&mock.url(), 50, MAP));
    sandbox.run(&["sync"]).await.expect_code(0);
    for id in ["1", "7", "42"] {
        let out = sandbox.run(&["explain", "contacts", id]).await;
        out.expect_code(0);
        assert!(
            !out.stdout.contains("the current map would give"),
            "the map did not change since the record was written:\n{out}"
        );
    }
}
