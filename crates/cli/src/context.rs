//! What every command needs: logging, the checked connector file, the store.

use std::sync::Arc;

use anyhow::Context as _;
use holdfast_spec::{Env, Spec};
use holdfast_store_sqlite::SqliteStore;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, LogFormat};

/// The store used when neither `--store`, `HOLDFAST_STORE` nor `store:` names one.
pub(crate) const DEFAULT_STORE: &str = "sqlite://holdfast.db";

/// Logs to stderr; the level comes from `HOLDFAST_LOG` (default `warn`).
pub(crate) fn init_logging(cli: &Cli) {
    let filter = EnvFilter::try_from_env("HOLDFAST_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Reads and checks the connector file. On problems, prints every one and
/// returns `None`: the caller exits with code 2.
pub(crate) fn load_spec(cli: &Cli, env: &Env) -> Option<Arc<Spec>> {
    match holdfast_spec::load(&cli.config, env) {
        Ok(spec) => Some(Arc::new(spec)),
        Err(errors) => {
            eprintln!("{errors}");
            None
        }
    }
}

/// Opens the store: `--store`/`HOLDFAST_STORE`, else the file's `store:`, else
/// [`DEFAULT_STORE`].
pub(crate) async fn open_store(
    cli: &Cli,
    spec: Option<&Spec>,
    env: &Env,
) -> anyhow::Result<SqliteStore> {
    let url = match (&cli.store, spec.and_then(|s| s.store.as_ref())) {
        (Some(url), _) => url.clone(),
        (None, Some(template)) => holdfast_engine::render_with_env("store", template, env)
            .context("rendering `store:`")?,
        (None, None) => DEFAULT_STORE.to_owned(),
    };
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        anyhow::bail!(
            "store `{url}`: PostgreSQL stores are not supported by this version yet; \
             use a sqlite:// URL (the default is {DEFAULT_STORE})"
        );
    }
    Ok(SqliteStore::open(&url).await?)
}
