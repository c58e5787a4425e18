//! What every command needs: logging, the checked connector file (with the
//! secrets it reads), the store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use holdfast_secrets::KeySource;
use holdfast_spec::{Env, Spec};

use crate::backend::OpenStore;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, LogFormat};

/// The store used when neither `--store`, `HOLDFAST_STORE` nor `store:` names one.
pub(crate) const DEFAULT_STORE: &str = "sqlite://holdfast.db";

/// Logs to stderr; the level comes from `HOLDFAST_LOG` (default `warn`).
pub(crate) fn init_logging(cli: &Cli) {
    use std::io::IsTerminal as _;
    // A one-shot command shows warnings (its own output says the rest);
    // `serve` also logs each run, retry, skipped or quarantined record and
    // alert transition, so an unattended process leaves a trail.
    let default = match cli.command {
        crate::cli::Command::Serve(_) => {
            "warn,holdfast=info,holdfast_engine=info,holdfast_http=info,holdfast_webhook=info,holdfast_server=info"
        }
        _ => "warn",
    };
    let filter =
        EnvFilter::try_from_env("HOLDFAST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(crate::out::log_writer)
        .log_internal_errors(false);
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
            errln!("error: {e:#}");
            return None;
        }
    }
    checked(cli, env).map(Arc::new)
}

/// Reads and checks the connector file without the store: every secret it
/// reads stands as `REDACTED` (what a cassette holds in its place), so a
/// replay needs neither the store nor the secrets key.
pub(crate) fn load_spec_offline(cli: &Cli, env: &mut Env) -> Option<Arc<Spec>> {
    let spec = checked(cli, env)?;
    let placeholders = spec
        .secrets
        .iter()
        .map(|name| (name.clone(), holdfast_http::REDACTED.to_owned()))
        .collect();
    *env = std::mem::take(env).with_secrets(placeholders);
    checked(cli, env).map(Arc::new)
}

/// As [`load_spec`] without opening any store: `{{ secret.NAME }}`
/// references are accepted unchecked and no secret is read, for commands
/// that never send a request (`describe`). On problems, prints every one
/// and returns `None`: the caller exits with code 2.
pub(crate) fn load_spec_without_secrets(cli: &Cli, env: &Env) -> Option<Arc<Spec>> {
    checked(cli, env).map(Arc::new)
}

/// Opens the store: `--store`/`HOLDFAST_STORE`, else the file's `store:`, else
/// [`DEFAULT_STORE`].
pub(crate) async fn open_store(
    cli: &Cli,
    spec: Option<&Spec>,
    env: &Env,
) -> anyhow::Result<OpenStore> {
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

/// Where a command's store URL came from, for messages.
#[derive(Debug, Clone)]
pub(crate) enum StoreFrom {
    /// `--store`.
    Flag,
    /// `HOLDFAST_STORE`.
    EnvVar,
    /// `store:` in this connector file.
    File(PathBuf),
    /// Nothing named one: [`DEFAULT_STORE`] (the connector file, which may not exist).
    Default(PathBuf),
}

impl std::fmt::Display for StoreFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreFrom::Flag => write!(f, "--store"),
            StoreFrom::EnvVar => write!(f, "HOLDFAST_STORE"),
            StoreFrom::File(path) => write!(f, "`store:` in {}", path.display()),
            StoreFrom::Default(config) if config.exists() => write!(
                f,
                "the default (no --store, no HOLDFAST_STORE, no `store:` in {})",
                config.display()
            ),
            StoreFrom::Default(config) => write!(
                f,
                "the default (no --store, no HOLDFAST_STORE, and no connector file at {})",
                config.display()
            ),
        }
    }
}

/// A store URL and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct StoreChoice {
    /// The URL.
    pub(crate) url: String,
    /// Where it came from.
    pub(crate) from: StoreFrom,
}

/// Which store a command works on: `--store`, `HOLDFAST_STORE`, the file's
/// `store:`, else [`DEFAULT_STORE`]. Only the `store:` key is read (rendered
/// with the environment variables it uses), so the rest of the file may
/// have problems, such as a connection's unset variable or secret.
///
/// # Errors
/// A `store:` that cannot be read or rendered (e.g. it reads an unset
/// variable): the command must not guess another store.
pub(crate) fn choose_store(cli: &Cli) -> anyhow::Result<StoreChoice> {
    if let Some(url) = &cli.store {
        let typed = std::env::args_os()
            .any(|a| a == "--store" || a.to_string_lossy().starts_with("--store="));
        let from = if typed {
            StoreFrom::Flag
        } else {
            StoreFrom::EnvVar
        };
        return Ok(StoreChoice {
            url: url.clone(),
            from,
        });
    }
    let default = || StoreChoice {
        url: DEFAULT_STORE.to_owned(),
        from: StoreFrom::Default(cli.config.clone()),
    };
    if !cli.config.exists() {
        return Ok(default());
    }
    let env = Env::from_process();
    let cannot = |problem: String| {
        anyhow::anyhow!(
            "{problem}\ncannot tell which store to read: fix `store:` in {} (set the \
             environment variables it reads), or name the store with --store or HOLDFAST_STORE",
            cli.config.display()
        )
    };
    let template = holdfast_spec::load_store(&cli.config, &env)
        .map_err(|errors| cannot(errors.to_string()))?;
    let Some(template) = template else {
        return Ok(default());
    };
    let url = holdfast_engine::render_with_env("store", &template, &env)
        .map_err(|e| cannot(format!("rendering `store:`: {e}")))?;
    Ok(StoreChoice {
        url,
        from: StoreFrom::File(cli.config.clone()),
    })
}

/// Opens the store of a command that only reads ([`choose_store`]): never
/// creates or migrates it.
///
/// # Errors
/// A missing store names the path looked for and where that path came
/// from; a store of another schema version says what to run (see
/// [`OpenStore::open_read_only`]).
pub(crate) async fn open_store_to_read(cli: &Cli) -> anyhow::Result<OpenStore> {
    let choice = choose_store(cli)?;
    if let Some(file) = sqlite_file(&choice.url)
        && !file.exists()
    {
        let shown = std::path::absolute(&file).unwrap_or(file);
        anyhow::bail!(
            "no store at {} (named by {}): a command that only reads does not create one; \
             run `holdfast sync` to create and fill it, or name the store that holds your runs \
             with --store, HOLDFAST_STORE or `store:`",
            shown.display(),
            choice.from
        );
    }
    OpenStore::open_read_only(&choice.url)
        .await
        .with_context(|| format!("the store named by {}", choice.from))
}

/// As [`load_spec`] for a command that only reads, with `store` open
/// already (read-only): the secrets the file reads come from it.
pub(crate) async fn load_spec_from(
    cli: &Cli,
    env: &mut Env,
    store: &OpenStore,
) -> Option<Arc<Spec>> {
    let spec = checked(cli, env)?;
    if spec.secrets.is_empty() || env.secrets_loaded() {
        return Some(Arc::new(spec));
    }
    match open_secrets(store, store.shown()).await {
        Ok(secrets) => *env = std::mem::take(env).with_secrets(secrets),
        Err(e) => {
            errln!("error: {e:#}");
            return None;
        }
    }
    checked(cli, env).map(Arc::new)
}

/// Opens the store at `url`: PostgreSQL for `postgres://…`, else SQLite
/// (creating a file that is missing).
pub(crate) async fn open_url(url: &str) -> anyhow::Result<OpenStore> {
    OpenStore::open(url).await
}

/// The SQLite file `url` names, when it names one (not `:memory:`, not a
/// PostgreSQL database).
pub(crate) fn sqlite_file(url: &str) -> Option<PathBuf> {
    if crate::backend::is_postgres(url) {
        return None;
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(':')).then(|| PathBuf::from(path))
}

/// Parses and checks the file with `env`, and that every custom source it
/// names is one this binary has, printing the problems if any.
fn checked(cli: &Cli, env: &Env) -> Option<Spec> {
    let checked = holdfast_spec::load(&cli.config, env)
        .and_then(|spec| cli.custom.check(&spec).map(|()| spec));
    match checked {
        Ok(spec) => Some(spec),
        Err(errors) => {
            errln!("{errors}");
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
    let secrets = open_secrets(&store, &url).await;
    store.close().await;
    secrets
}

/// Every secret in `store` (shown as `url`), opened with the key; none when
/// it holds none (then no key is needed).
async fn open_secrets(store: &OpenStore, url: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let stored = store
        .secrets()
        .await
        .with_context(|| format!("reading the secrets in {url}"))?;
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

/// The admin API's bearer token: `HOLDFAST_ADMIN_TOKEN`, else the secret
/// `admin_token` (opened with the secrets key), else none (the API is off).
pub(crate) async fn admin_token(env: &Env, store: &OpenStore) -> anyhow::Result<Option<String>> {
    api_token(
        env,
        store,
        holdfast_server::ADMIN_TOKEN,
        holdfast_server::ADMIN_TOKEN_SECRET,
        "the admin API's token",
    )
    .await
}

/// The records API's read-only token: `HOLDFAST_READ_TOKEN`, else the
/// secret `read_token`, else none (only the admin token reads records).
pub(crate) async fn read_token(env: &Env, store: &OpenStore) -> anyhow::Result<Option<String>> {
    api_token(
        env,
        store,
        holdfast_server::READ_TOKEN,
        holdfast_server::READ_TOKEN_SECRET,
        "the records API's read-only token",
    )
    .await
}

/// A bearer token from environment variable `var`, else from secret `name`.
async fn api_token(
    env: &Env,
    store: &OpenStore,
    var: &str,
    name: &str,
    what: &str,
) -> anyhow::Result<Option<String>> {
    if let Some(t) = env.get(var).filter(|t| !t.is_empty()) {
        return Ok(Some(t.to_owned()));
    }
    let stored = store.secrets().await?;
    let Some(sealed) = stored.iter().find(|s| s.name == name) else {
        return Ok(None);
    };
    let source = KeySource::from_env();
    let key = source.load()?.ok_or_else(|| {
        anyhow::anyhow!(
            "the secret `{name}` ({what}) cannot be opened: no secret key \
             (set HOLDFAST_SECRET_KEY or HOLDFAST_SECRET_KEY_FILE)"
        )
    })?;
    let value = holdfast_secrets::open(&key, name, &sealed.sealed)
        .with_context(|| format!("opening the secret `{name}` with the key from {source}"))?;
    Ok(Some(value.expose().to_owned()).filter(|t| !t.is_empty()))
}

/// The sources of `spec`: its declarative streams, with token state
/// (sealed) in the store when a connection needs it and, on a PostgreSQL
/// store (shared by many processes), each connection's rate budget kept in
/// the store too; and the custom sources (of this binary) its `source:`
/// streams name.
pub(crate) fn source(
    cli: &Cli,
    spec: Arc<Spec>,
    env: &Env,
    store: &OpenStore,
) -> anyhow::Result<holdfast_engine::Sources> {
    source_with_tape(cli, spec, env, store, None)
}

/// As [`source`], every exchange going through `tape` (recorded, or
/// answered from a cassette).
pub(crate) fn source_with_tape(
    cli: &Cli,
    spec: Arc<Spec>,
    env: &Env,
    store: &OpenStore,
    tape: Option<holdfast_http::tape::Tape>,
) -> anyhow::Result<holdfast_engine::Sources> {
    source_with_options(cli, spec, env, store, (tape, BTreeMap::new()))
}

/// As [`source`], with a tape and base URLs used instead of the
/// connections' own (by connection name).
pub(crate) fn source_with_options(
    cli: &Cli,
    spec: Arc<Spec>,
    env: &Env,
    store: &OpenStore,
    (tape, base_urls): (Option<holdfast_http::tape::Tape>, BTreeMap<String, String>),
) -> anyhow::Result<holdfast_engine::Sources> {
    let token_store = token_store(&spec, store)?;
    let rate_budget = store.is_shared().then(|| {
        Arc::new(holdfast_engine::budget::StoreBudget::new(store.store()))
            as Arc<dyn holdfast_http::rate_limit::RateBudget>
    });
    let declarative = holdfast_engine::DeclarativeSource::with_options(
        spec,
        env,
        holdfast_engine::SourceOptions {
            token_store,
            rate_budget,
            tape,
            base_urls,
        },
    )?;
    Ok(holdfast_engine::Sources::new(declarative, &cli.custom.0)?)
}

/// The sources of `spec` for a command that does not sync (no token state
/// in the store, no shared rate budget): the declarative streams, and the
/// custom sources of this binary its `source:` streams name.
pub(crate) fn sources(
    cli: &Cli,
    spec: Arc<Spec>,
    env: &Env,
) -> anyhow::Result<holdfast_engine::Sources> {
    let declarative = holdfast_engine::DeclarativeSource::new(spec, env)?;
    Ok(holdfast_engine::Sources::new(declarative, &cli.custom.0)?)
}

/// The store-backed, sealed token store, when some connection of `spec`
/// uses `type: oauth2` or `type: session` (the secrets key is loaded, or
/// created like `holdfast secrets set` does).
pub(crate) fn token_store(
    spec: &Spec,
    store: &OpenStore,
) -> anyhow::Result<Option<holdfast_engine::tokens::SharedTokenStore>> {
    let uses_tokens = spec.connections.values().any(|c| {
        matches!(
            c.auth,
            holdfast_spec::Auth::OAuth2(_) | holdfast_spec::Auth::Session(_)
        )
    });
    if !uses_tokens {
        return Ok(None);
    }
    let source = KeySource::from_env();
    let (key, created) = source
        .load_or_create()
        .with_context(|| format!("loading the secret key from {source} for auth state"))?;
    if let Some(path) = created {
        errln!(
            "created secret key file {} (OAuth2 tokens and login state are kept encrypted with it)",
            path.display()
        );
    }
    Ok(Some(Arc::new(
        holdfast_engine::tokens::SealedTokenStore::new(store.store(), key),
    )))
}
