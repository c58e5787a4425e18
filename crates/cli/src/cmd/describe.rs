//! `holdfast describe [CONNECTION|STREAM]`: the runbook the engine writes
//! from the connector file and the store, printed or written to `--out`.
//! Reads no secret and never creates a store: without one, the runbook has
//! its static part and says no runs were recorded.

use std::process::ExitCode;

use anyhow::Context as _;
use holdfast_engine::describe::{History, Options, Subject, runbook};
use holdfast_spec::Env;

use crate::cli::{Cli, DescribeArgs};
use crate::context::{choose_store, load_spec_without_secrets, open_store_to_read, sqlite_file};

pub(crate) async fn run(cli: &Cli, args: &DescribeArgs) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    let Some(spec) = load_spec_without_secrets(cli, &env) else {
        return Ok(ExitCode::from(2));
    };
    let subject = match &args.name {
        None => Subject::All,
        Some(name) => match Subject::find(&spec, name) {
            Ok(subject) => subject,
            Err(e) => {
                errln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let choice = choose_store(cli)?;
    let missing = sqlite_file(&choice.url).filter(|file| !file.exists());
    let store = match missing {
        Some(_) => None,
        None => Some(open_store_to_read(cli).await?),
    };
    let history = match (&store, missing) {
        (Some(store), _) => History::Store {
            store: &**store,
            shown: store.shown().to_owned(),
        },
        (None, file) => {
            let file = file.unwrap_or_default();
            let shown = std::path::absolute(&file).unwrap_or(file);
            History::Missing(format!(
                "store {} not found; named by {}",
                shown.display(),
                choice.from
            ))
        }
    };
    let options = Options {
        window: args.window,
        runs: args.runs,
        ..Options::default()
    };
    let text = runbook(&spec, &subject, history, &options).await;
    if let Some(store) = store {
        store.close().await;
    }
    let text = text?;
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| {
                format!(
                    "writing the runbook to {}: check that its folder exists and is writable, \
                     or leave out --out to print it",
                    path.display()
                )
            })?;
            errln!("wrote the runbook to {}", path.display());
        }
        None => crate::out::stdout(format_args!("{text}")),
    }
    Ok(ExitCode::SUCCESS)
}
