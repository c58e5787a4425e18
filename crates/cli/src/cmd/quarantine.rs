//! `holdfast quarantine`: records that were not written, and why.

use std::process::ExitCode;

use holdfast_spec::Env;
use holdfast_store::Store;

use crate::cli::{Cli, QuarantineArgs};
use crate::context::open_store;

pub(crate) async fn run(cli: &Cli, args: &QuarantineArgs) -> anyhow::Result<ExitCode> {
    let env = Env::from_process();
    let spec = holdfast_spec::load(&cli.config, &env).ok();
    let store = open_store(cli, spec.as_ref(), &env).await?;
    let rows = store.quarantine(args.stream.as_deref(), args.limit).await?;
    if rows.is_empty() {
        println!("quarantine is empty");
    }
    for q in rows {
        let raw: String = q.raw.chars().take(160).collect();
        println!(
            "#{} {} run {} at {}: {}\n    {}",
            q.id,
            q.stream,
            q.run,
            q.at.format("%Y-%m-%d %H:%M:%S"),
            q.reason,
            raw
        );
    }
    Ok(ExitCode::SUCCESS)
}
