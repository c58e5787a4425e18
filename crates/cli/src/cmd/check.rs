//! `holdfast check`: validate the connector file, then test each connection.

use std::process::ExitCode;

use holdfast_engine::{Source, Sources};
use holdfast_spec::Env;

use crate::cli::{CheckArgs, Cli};
use crate::context::load_spec;
use crate::plural::count;

pub(crate) async fn run(cli: &Cli, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let mut env = Env::from_process();
    let Some(spec) = load_spec(cli, &mut env).await else {
        return Ok(ExitCode::from(2));
    };
    outln!(
        "ok: {} is valid ({}, {}, {}, {})",
        cli.config.display(),
        count(spec.connections.len(), "connection"),
        count(spec.stream_names().len(), "stream"),
        count(spec.webhooks.len(), "webhook"),
        count(spec.actions.len(), "action")
    );
    if !spec.secrets.is_empty() {
        let names: Vec<&str> = spec.secrets.iter().map(String::as_str).collect();
        outln!("ok: secrets decrypted: {}", names.join(", "));
    }
    if let Err(errors) = holdfast_server::webhook::check(&spec, &env) {
        for e in errors {
            errln!("error: {e}");
        }
        return Ok(ExitCode::from(2));
    }
    let source = crate::context::sources(cli, spec.clone(), &env)?;
    let code = connect(&source, args).await;
    source.disconnect().await;
    Ok(code)
}

/// Tests each connection (and custom source), then, with `--sample`, reads
/// a first page of each selected stream.
async fn connect(source: &Sources, args: &CheckArgs) -> ExitCode {
    if let Err(e) = source.connect().await {
        errln!("error: {e}");
        return ExitCode::from(1);
    }
    for name in source.spec().connections.keys() {
        outln!("ok: connection `{name}` answered");
    }
    let custom: std::collections::BTreeSet<&str> = source
        .spec()
        .custom_streams
        .iter()
        .map(|s| s.source.as_str())
        .collect();
    for name in custom {
        outln!("ok: custom source `{name}` connected");
    }
    if !args.sample {
        return ExitCode::SUCCESS;
    }
    match super::check_sample::sample(source, &args.streams).await {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(message) => {
            errln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
