//! `holdfast secrets`: store encrypted secrets for `{{ secret.NAME }}`.
//!
//! `set NAME` reads the value from stdin (never from the command line,
//! where shell history and `ps` would show it), seals it with the key
//! (creating a key file when there is no key yet) and stores it; `list`
//! shows names and times only; `delete NAME` removes one.

use std::io::{IsTerminal as _, Read as _};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{SecondsFormat, Utc};
use holdfast_secrets::{KeySource, check_name, seal};
use holdfast_spec::Env;
use zeroize::Zeroizing;

use crate::cli::{Cli, SecretsAction, SecretsArgs};
use crate::context::{DEFAULT_STORE, open_url, sqlite_file};

/// The longest value accepted on stdin.
const MAX_VALUE: u64 = 64 * 1024;

pub(crate) async fn run(cli: &Cli, args: &SecretsArgs) -> anyhow::Result<ExitCode> {
    if let SecretsAction::Set { name } | SecretsAction::Delete { name } = &args.action
        && let Err(e) = check_name(name)
    {
        errln!("error: {e}");
        return Ok(ExitCode::from(2));
    }
    let Some(url) = which_store(cli) else {
        return Ok(ExitCode::from(2));
    };
    match &args.action {
        SecretsAction::Set { name } => set(&url, name).await,
        SecretsAction::List => list(&url).await,
        SecretsAction::Delete { name } => delete(&url, name).await,
    }
}

/// The store holding the secrets: as for every command (`--store`,
/// `HOLDFAST_STORE`, the file's `store:`, the default). Only `store:` is
/// read, so the rest of the file may have problems (a secret it reads may
/// not be set yet); a `store:` that cannot be read is an error (a secret
/// must not land in the default store by mistake).
fn which_store(cli: &Cli) -> Option<String> {
    if let Some(url) = &cli.store {
        return Some(url.clone());
    }
    if !cli.config.exists() {
        return Some(DEFAULT_STORE.to_owned());
    }
    let env = Env::from_process();
    let template = match holdfast_spec::load_store(&cli.config, &env) {
        Ok(template) => template,
        Err(errors) => {
            errln!("{errors}");
            errln!(
                "error: cannot tell which store holds the secrets: fix `store:` in {} or name \
                 the store with --store (or HOLDFAST_STORE)",
                cli.config.display()
            );
            return None;
        }
    };
    let Some(template) = template else {
        return Some(DEFAULT_STORE.to_owned());
    };
    match holdfast_engine::render_with_env("store", &template, &env) {
        Ok(url) => Some(url),
        Err(e) => {
            errln!("error: rendering `store:`: {e}");
            None
        }
    }
}

async fn set(url: &str, name: &str) -> anyhow::Result<ExitCode> {
    let value = match read_value(name)? {
        Some(value) => value,
        None => return Ok(ExitCode::from(2)),
    };
    let store = open_url(url).await?;
    let result = seal_and_store(&store, url, name, &value).await;
    store.close().await;
    result
}

async fn seal_and_store(
    store: &crate::backend::OpenStore,
    url: &str,
    name: &str,
    value: &str,
) -> anyhow::Result<ExitCode> {
    let others: Vec<_> = store
        .secrets()
        .await
        .with_context(|| format!("reading the secrets in {url}"))?
        .into_iter()
        .filter(|s| s.name != name)
        .collect();
    let source = KeySource::from_env();
    // A new key only for a store without secrets: the ones there were sealed
    // with a key that must be found, not replaced.
    let key = if others.is_empty() {
        let (key, created) = source.load_or_create()?;
        if let Some(path) = created {
            errln!(
                "created the secret key file {} (mode 0600): back it up, since without it the \
                 stored secrets cannot be read; or keep the key elsewhere and give it to holdfast \
                 as HOLDFAST_SECRET_KEY",
                path.display()
            );
        }
        key
    } else {
        let Some(key) = source.load()? else {
            anyhow::bail!(
                "no secret key: the store {url} holds {} other secret(s), but HOLDFAST_SECRET_KEY \
                 is not set and {source} does not exist; set HOLDFAST_SECRET_KEY to the key they \
                 were set with, or HOLDFAST_SECRET_KEY_FILE to its key file",
                others.len()
            );
        };
        // every secret of a store shares one key: refuse to mix in another
        for s in &others {
            holdfast_secrets::open(&key, &s.name, &s.sealed).with_context(|| {
                format!(
                    "the key from {source} does not open the secrets already in {url}; \
                     use the key they were set with"
                )
            })?;
        }
        key
    };
    let sealed = seal(&key, name, value.as_bytes())?;
    store
        .put_secret(name, &sealed, Utc::now())
        .await
        .with_context(|| format!("saving secret `{name}` in {url}"))?;
    outln!("secret `{name}` saved, encrypted with the key from {source}, in {url}");
    Ok(ExitCode::SUCCESS)
}

/// The value on stdin without one trailing newline; `None` (reported) when empty.
fn read_value(name: &str) -> anyhow::Result<Option<Zeroizing<String>>> {
    let stdin = std::io::stdin();
    let mut bytes = Zeroizing::new(Vec::new());
    if stdin.is_terminal() {
        errln!("value of secret `{name}` (one line, shown as typed; or pipe it in):");
        let mut line = Zeroizing::new(String::new());
        stdin
            .read_line(&mut line)
            .context("reading the value from the terminal")?;
        bytes.extend_from_slice(line.as_bytes());
    } else {
        stdin
            .lock()
            .take(MAX_VALUE + 1)
            .read_to_end(&mut bytes)
            .context("reading the value from stdin")?;
        if bytes.len() as u64 > MAX_VALUE {
            errln!("error: the value of secret `{name}` is longer than {MAX_VALUE} bytes");
            return Ok(None);
        }
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        errln!("error: the value of secret `{name}` is not UTF-8 text");
        return Ok(None);
    };
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if text.is_empty() {
        errln!(
            "error: no value for secret `{name}` on stdin: pipe it in, e.g. \
             `printf '%s' \"$TOKEN\" | holdfast secrets set {name}`"
        );
        return Ok(None);
    }
    Ok(Some(Zeroizing::new(text.to_owned())))
}

async fn list(url: &str) -> anyhow::Result<ExitCode> {
    if sqlite_file(url).is_some_and(|f| !f.exists()) {
        outln!(
            "no secrets: there is no store at {url} yet; add one with `holdfast secrets set NAME`"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_url(url).await?;
    let listed = store.secrets().await;
    store.close().await;
    let listed = listed.with_context(|| format!("reading the secrets in {url}"))?;
    if listed.is_empty() {
        outln!("no secrets in {url}; add one with `holdfast secrets set NAME`");
        return Ok(ExitCode::SUCCESS);
    }
    let width = listed.iter().map(|s| s.name.len()).max().unwrap_or(0);
    outln!("{:width$}  updated", "name");
    for s in &listed {
        outln!(
            "{:width$}  {}",
            s.name,
            s.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn delete(url: &str, name: &str) -> anyhow::Result<ExitCode> {
    if sqlite_file(url).is_some_and(|f| !f.exists()) {
        errln!("error: no secret `{name}`: there is no store at {url}");
        return Ok(ExitCode::from(1));
    }
    let store = open_url(url).await?;
    let deleted = store.delete_secret(name).await;
    store.close().await;
    if deleted.with_context(|| format!("deleting secret `{name}` in {url}"))? {
        outln!("secret `{name}` deleted from {url}");
        Ok(ExitCode::SUCCESS)
    } else {
        errln!("error: no secret `{name}` in {url}; see `holdfast secrets list`");
        Ok(ExitCode::from(1))
    }
}
