//! `holdfast bench`: sync throughput and peak memory, measured against a raw
//! baseline doing the same I/O in the same run.
//!
//! Both contenders run as child processes (so each has its own peak memory)
//! against one mock API served by this process, alternating run by run:
//! - **holdfast**: `holdfast sync` of a cursor-paginated stream into SQLite;
//! - **baseline**: the same pages fetched with a plain reqwest loop, each
//!   record's JSON parsed and inserted with one prepared statement, one
//!   transaction per page;
//! - **holdfast + rules**: the same sync with a 20-property JSON Schema and a
//!   20-column `map:` (coercions, value maps, an expression), to price
//!   validation and mapping per record.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::args::{BaselineArgs, BenchArgs};
use crate::contenders::{
    Sample, check_count, child, run_holdfast, sqlite, start_mock, tempfile_dir,
};
use crate::report::Report;
use crate::stats::{mb, median, peak_rss_bytes};

/// `holdfast bench`: the three contenders, run by run, then the memory check.
///
/// # Errors
/// A contender that fails or syncs the wrong number of records.
pub(crate) async fn run(args: &BenchArgs, report: Report) -> anyhow::Result<ExitCode> {
    let dir = tempfile_dir()?;
    let mock = start_mock(args.records).await?;
    say!(
        report,
        "bench: {} records, pages of {}, {} runs each; mock on {}",
        args.records,
        args.page_size,
        args.runs,
        mock.url()
    );
    let (mut ours, mut raw, mut ruled) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.runs {
        // Rotate who goes first, so no one always gets a warm cache.
        let mut trio = [None, None, None];
        for k in 0..3 {
            let who = (i + k) % 3;
            trio[who] = Some(match who {
                0 => {
                    run_holdfast(
                        &mock.url(),
                        args.page_size,
                        &dir,
                        &format!("ours{i}"),
                        "",
                        &sqlite(&dir, &format!("ours{i}")),
                    )
                    .await?
                }
                1 => run_baseline(&mock.url(), args.page_size, &dir, &format!("base{i}")).await?,
                _ => {
                    run_holdfast(
                        &mock.url(),
                        args.page_size,
                        &dir,
                        &format!("rules{i}"),
                        RULES,
                        &sqlite(&dir, &format!("rules{i}")),
                    )
                    .await?
                }
            });
        }
        let [Some(o), Some(b), Some(r)] = trio else {
            bail!("a contender did not run");
        };
        check_count(o, args.records, "holdfast")?;
        check_count(b, args.records, "baseline")?;
        check_count(r, args.records, "holdfast + rules")?;
        say!(
            report,
            "  run {}: holdfast {:>9.0}/s ({:.1} MB)   baseline {:>9.0}/s ({:.1} MB)   holdfast + schema + map {:>9.0}/s",
            i + 1,
            o.rate(),
            mb(o.peak_rss),
            b.rate(),
            mb(b.peak_rss),
            r.rate()
        );
        ours.push(o);
        raw.push(b);
        ruled.push(r);
    }
    mock.shutdown().await;
    let (o, b, r) = (median_rate(&ours), median_rate(&raw), median_rate(&ruled));
    say!(
        report,
        "median: holdfast {o:.0} records/s, baseline {b:.0} records/s, ratio {:.2}; \
         peak memory holdfast {:.1} MB (median), baseline {:.1} MB",
        o / b,
        mb(median(ours.iter().map(|s| s.peak_rss as f64).collect()) as u64),
        mb(median(raw.iter().map(|s| s.peak_rss as f64).collect()) as u64),
    );
    say!(
        report,
        "median: with a 20-property schema and a 20-column map {r:.0} records/s ({:.0}% of plain); \
         validation + mapping cost {:.1} µs per record",
        100.0 * r / o,
        (1.0 / r - 1.0 / o) * 1e6
    );
    for &n in args.memory_records.iter().filter(|n| **n > 0) {
        let mock = start_mock(n).await?;
        let s = run_holdfast(
            &mock.url(),
            args.page_size,
            &dir,
            &format!("mem{n}"),
            "",
            &sqlite(&dir, &format!("mem{n}")),
        )
        .await?;
        check_count(s, n, "holdfast")?;
        say!(
            report,
            "memory: {n:>8} records: peak {:.1} MB, {:.0} records/s",
            mb(s.peak_rss),
            s.rate()
        );
        mock.shutdown().await;
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(ExitCode::SUCCESS)
}

/// `holdfast bench-baseline`: the raw baseline, run in its own process by [`run`](crate::run).
///
/// # Errors
/// The mock or the SQLite file failing.
pub async fn baseline(args: &BaselineArgs, report: Report) -> anyhow::Result<ExitCode> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&args.db)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal),
        )
        .await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS contacts (id PRIMARY KEY, raw TEXT NOT NULL)")
        .execute(&pool)
        .await?;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut records = 0u64;
    let mut cursor: Option<String> = None;
    loop {
        let mut url = reqwest::Url::parse(&format!("{}/v2/contacts", args.url))?;
        url.query_pairs_mut()
            .append_pair("limit", &args.page_size.to_string());
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let bytes = client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let mut body: Value = serde_json::from_slice(&bytes)?;
        let mut tx = pool.begin().await?;
        if let Value::Array(items) = body["data"].take() {
            for item in items {
                sqlx::query("INSERT INTO contacts (id, raw) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET raw = excluded.raw")
                    .bind(item["id"].as_i64())
                    .bind(item.to_string())
                    .execute(&mut *tx)
                    .await?;
                records += 1;
            }
        }
        tx.commit().await?;
        match body["meta"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    pool.close().await;
    say!(
        report,
        "{}",
        serde_json::json!({"records": records, "seconds": seconds, "peak_rss_bytes": peak_rss_bytes()})
    );
    Ok(ExitCode::SUCCESS)
}

/// A 20-property schema and a 20-column map over the mock's contacts.
const RULES: &str = r#"    on_invalid: quarantine
    schema:
      type: object
      required: [id, email, name, status, updated_at, version]
      properties:
        id: { type: integer, minimum: 1 }
        email: { type: string, format: email }
        name:
          type: object
          required: [first, last]
          properties: { first: { type: string }, last: { type: string } }
        properties:
          type: object
          properties: { email: { type: string }, phone: { type: [string, "null"] } }
        company: { type: [string, "null"] }
        amount:
          type: object
          properties: { value: { type: string }, currency: { type: string, enum: [EUR, GBP, USD] } }
        balance: { type: string, pattern: "^[0-9]+\\.[0-9]{2}$" }
        status: { type: string, enum: [A, I] }
        created: { type: string }
        tags: { type: array, items: { type: string } }
        updated_at: { type: string, format: date-time }
        version: { type: integer }
    map:
      email: { from: "$.email", transform: [trim, lower] }
      first_name: "$.name.first"
      last_name: "$.name.last"
      full_name: { expr: "record.name.first ~ ' ' ~ record.name.last" }
      work_email: { from: "$.properties.email", type: string, transform: lower }
      phone: { from: "$.properties.phone", type: string }
      company: { from: "$.company", type: string, default: "" }
      amount: { from: "$.amount.value", type: decimal }
      currency: { from: "$.amount.currency", type: string }
      balance: { from: "$.balance", type: decimal }
      status: { from: "$.status", map: { A: active, I: inactive }, default: unknown }
      active: { from: "$.status", map: { A: "yes", I: "no" }, type: boolean }
      created: { from: "$.created", type: timestamp, formats: ["%d/%m/%Y"] }
      created_on: { from: "$.created", type: date, formats: ["%d/%m/%Y"] }
      updated: { from: "$.updated_at", type: timestamp }
      version: { from: "$.version", type: integer }
      tags: "$.tags"
      first_tag: { from: "$.tags[0]", type: string, default: none }
      upper_last: { from: "$.name.last", transform: upper }
      trimmed_first: { from: "$.name.first", transform: trim }
"#;

async fn run_baseline(url: &str, page_size: u64, dir: &Path, name: &str) -> anyhow::Result<Sample> {
    let db = dir.join(format!("{name}.db"));
    let out = child(&[
        "bench-baseline",
        "--url",
        url,
        "--db",
        &db.display().to_string(),
        "--page-size",
        &page_size.to_string(),
    ])
    .await?;
    Ok(Sample {
        records: out["records"].as_u64().unwrap_or(0),
        seconds: out["seconds"].as_f64().unwrap_or(f64::NAN),
        peak_rss: out["peak_rss_bytes"].as_u64().unwrap_or(0),
    })
}

fn median_rate(samples: &[Sample]) -> f64 {
    median(samples.iter().map(Sample::rate).collect())
}
