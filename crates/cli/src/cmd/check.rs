//! `holdfast check`: validate the connector file, then test each connection.

use std::process::ExitCode;

use holdfast_engine::{DeclarativeSource, Source};
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
        count(spec.streams.len(), "stream"),
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
    let source = DeclarativeSource::new(spec.clone(), &env)?;
    match source.connect().await {
        Ok(()) => {
            for name in spec.connections.keys() {
                outln!("ok: connection `{name}` answered");
            }
            if !args.sample {
                return Ok(ExitCode::SUCCESS);
            }
            match super::check_sample::sample(&source, &args.streams).await {
                Ok(false) => Ok(ExitCode::SUCCESS),
                Ok(true) => Ok(ExitCode::from(1)),
                Err(message) => {
                    errln!("error: {message}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Err(e) => {
            errln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
