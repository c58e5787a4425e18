//! What every command needs: logging, the checked connector file (with the
//! secrets it reads), the store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use holdfast_secrets::KeySource;
use holdfast_spec::{Env, Spec};
use holdfast_store::Store as _;
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

/// Reads and checks the connector file. When its templates read secrets
/// (`{{ secret.NAME }}`), the store's secrets are opened with the key and
/// added to `env` first, so that an unknown name is reported and templates
/// render them. On problems, prints every one and returns `None`: the
/// caller exits with code 2.
///
/// The file is read twice then: once with secrets not loaded, to learn the
/// store (`--store`, `HOLDFAST_STORE` or `store:`, which cannot read
/// secrets), then with them. A file that reads no secret needs no key.
pub(crate) async fn load_spec(cli: &Cli, env: &mut Env) -> Option<Arc<Spec>> {
    let spec = checked(cli, env)?;
    if spec.secrets.is_empty() || env.secrets_loaded() {
        return Some(Arc::new(spec));
    }
    match load_secrets(cli, &spec, env).await {
        Ok(secrets) => *env = std::mem::take(env).with_secrets(secrets),
        Err(e) => {
            eprintln!("error: {e:#}");
            return None;
        }
    }
    checked(cli, env).map(Arc::new)
}

/// Opens the store: `--store`/`HOLDFAST_STORE`, else the file's `store:`, else
/// [`DEFAULT_STORE`].
pub(crate) async fn open_store(
    cli: &Cli,
    spec: Option<&Spec>,
    env: &Env,
) -> anyhow::Result<SqliteStore> {
    open_url(&store_url(cli, spec, env)?).await
}

/// The store's URL: `--store`/`HOLDFAST_STORE`, else the file's `store:`
/// rendered, else [`DEFAULT_STORE`].
fn store_url(cli: &Cli, spec: Option<&Spec>, env: &Env) -> anyhow::Result<String> {
    Ok(match (&cli.store, spec.and_then(|s| s.store.as_ref())) {
        (Some(url), _) => url.clone(),
        (None, Some(template)) => holdfast_engine::render_with_env("store", template, env)
            .context("rendering `store:`")?,
        (None, None) => DEFAULT_STORE.to_owned(),
    })
}

/// Opens the store at `url` (creating a SQLite file that is missing).
pub(crate) async fn open_url(url: &str) -> anyhow::Result<SqliteStore> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        anyhow::bail!(
            "store `{url}`: PostgreSQL stores are not supported by this version yet; \
             use a sqlite:// URL (the default is {DEFAULT_STORE})"
        );
    }
    Ok(SqliteStore::open(url).await?)
}

/// The SQLite file `url` names, when it names one (not `:memory:`).
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(':')).then(|| PathBuf::from(path))
}

/// Parses and checks the file with `env`, printing the problems if any.
fn checked(cli: &Cli, env: &Env) -> Option<Spec> {
    match holdfast_spec::load(&cli.config, env) {
        Ok(spec) => Some(spec),
        Err(errors) => {
            eprintln!("{errors}");
            None
        }
    }
}

/// Every secret in the store, opened with the key. A store that does not
/// exist yet, or holds no secret, gives none (and needs no key): the check
/// then names each secret the file reads as not set.
async fn load_secrets(
    cli: &Cli,
    spec: &Spec,
    env: &Env,
) -> anyhow::Result<BTreeMap<String, String>> {
    let url = store_url(cli, Some(spec), env)?;
    if sqlite_file(&url).is_some_and(|f| !f.exists()) {
        return Ok(BTreeMap::new());
    }
    let store = open_url(&url).await?;
    let stored = store.secrets().await;
    store.close().await;
    let stored = stored.with_context(|| format!("reading the secrets in {url}"))?;
    if stored.is_empty() {
        return Ok(BTreeMap::new());
    }
    let source = KeySource::from_env();
    let Some(key) = source.load()? else {
        let names: Vec<&str> = stored.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!(
            "no secret key: the store {url} holds {} secret(s) ({}), but HOLDFAST_SECRET_KEY is \
             not set and {source} does not exist; set HOLDFAST_SECRET_KEY to the key they were \
             set with, or HOLDFAST_SECRET_KEY_FILE to its key file",
            names.len(),
            names.join(", ")
        );
    };
    let mut secrets = BTreeMap::new();
    for s in &stored {
        let value = holdfast_secrets::open(&key, &s.name, &s.sealed)
            .with_context(|| format!("opening the secrets in {url} with the key from {source}"))?;
        secrets.insert(s.name.clone(), value.expose().to_owned());
    }
    Ok(secrets)
}

/// The store-backed, sealed OAuth2 token store, when some connection of
/// `spec` uses `type: oauth2` (the secrets key is loaded, or created like
/// `holdfast secrets set` does).
pub(crate) fn token_store(
    spec: &Spec,
    store: &SqliteStore,
) -> anyhow::Result<Option<holdfast_engine::tokens::SharedTokenStore>> {
    let uses_oauth2 = spec
        .connections
        .values()
        .any(|c| matches!(c.auth, holdfast_spec::Auth::OAuth2(_)));
    if !uses_oauth2 {
        return Ok(None);
    }
    let source = KeySource::from_env();
    let (key, created) = source
        .load_or_create()
        .with_context(|| format!("loading the secret key from {source} for OAuth2 tokens"))?;
    if let Some(path) = created {
        eprintln!(
            "created secret key file {} (OAuth2 tokens are kept encrypted with it)",
            path.display()
        );
    }
    Ok(Some(Arc::new(
        holdfast_engine::tokens::SealedTokenStore::new(Arc::new(store.handle()), key),
    )))
}
