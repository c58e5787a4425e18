//! `holdfast demo`: the whole loop on one machine, no set-up: start the mock
//! API, sync `examples/holdfast.yaml` into a SQLite file, change some records
//! upstream, sync again incrementally, and show what landed.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use holdfast_engine::DeclarativeSource;
use holdfast_engine::sync::SyncOptions;
use holdfast_mock::{MockConfig, MockServer};
use holdfast_spec::Env;
use holdfast_store_sqlite::SqliteStore;

use crate::cli::DemoArgs;
use crate::cmd::sync::{DEFAULT_STREAMS_AT_ONCE, sync_all};
use crate::plural::count;

/// The example connector file, built into the binary so the demo runs from anywhere.
const EXAMPLE: &str = include_str!("../../../../examples/holdfast.yaml");

pub(crate) async fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let file = match &args.store {
        None => args.db.clone(),
        Some(url) => match crate::context::sqlite_file(url) {
            Some(file) => file,
            None => {
                errln!(
                    "error: `demo --store {url}`: the demo writes a SQLite file; give `--store sqlite://FILE` or `--db FILE`"
                );
                return Ok(ExitCode::from(2));
            }
        },
    };
    let mock = MockServer::start(
        MockConfig {
            records: args.records,
            ..MockConfig::default()
        },
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .context("starting the mock API")?;
    outln!(
        "1. mock CRM API on {} serving {}",
        mock.url(),
        count(args.records, "contact")
    );

    let env = Env::from_map(BTreeMap::from([("CRM_URL".to_owned(), mock.url())]));
    let spec = holdfast_spec::parse_str(EXAMPLE, Path::new("examples/holdfast.yaml"), &env)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = DeclarativeSource::new(Arc::new(spec), &env)?;
    let _ = std::fs::remove_file(&file);
    let db = file.display().to_string();
    let store = SqliteStore::open(&db).await?;

    let never = holdfast_engine::schedule::CancellationToken::new();
    outln!("2. first sync of examples/holdfast.yaml into {db} (full: nothing saved yet)");
    let failed = sync_all(
        (&source, &db),
        &store,
        &[],
        (SyncOptions::default(), &never),
        false,
        DEFAULT_STREAMS_AT_ONCE,
    )
    .await?
    .failed;

    let touched = mock.touch(10);
    outln!(
        "3. the API changed {} upstream: {touched:?}",
        count(touched.len(), "contact")
    );
    outln!("4. second sync: incremental from the saved cursor, only the changes come back");
    let failed = failed
        | sync_all(
            (&source, &db),
            &store,
            &["contacts".to_owned()],
            (SyncOptions::default(), &never),
            false,
            DEFAULT_STREAMS_AT_ONCE,
        )
        .await?
        .failed;

    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(store.pool())
        .await?;
    let deals: i64 = sqlx::query_scalar("SELECT count(*) FROM deals")
        .fetch_one(store.pool())
        .await?;
    outln!(
        "5. {db} now holds {} and {}; a sample:",
        count(contacts, "contact"),
        count(deals, "deal")
    );
    let sample: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, _raw ->> '$.email', _updated_at FROM contacts ORDER BY _updated_at DESC, id LIMIT 3",
    )
    .fetch_all(store.pool())
    .await?;
    for (id, email, updated) in sample {
        outln!("     contact {id:<6} {email:<36} last changed {updated}");
    }
    outln!(
        "   look yourself: sqlite3 {db} \"select id, _raw ->> '$.name.last' from contacts limit 5\"\n   \
         and the runs: holdfast runs --store sqlite://{db}"
    );
    store.close().await;
    mock.shutdown().await;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
