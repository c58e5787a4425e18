//! `holdfast`: the command-line tool. A thin layer over the engine crates.
#![forbid(unsafe_code)]

mod cli;
mod cmd;
mod context;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Syncs allocate and free many small JSON values across threads; mimalloc
/// handles that far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    context::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Check => cmd::check::run(&cli).await,
            Command::Sync(args) => cmd::sync::run(&cli, args).await,
            Command::Runs(args) => cmd::runs::run(&cli, args).await,
            Command::Status(args) => cmd::status::run(&cli, args).await,
            Command::Quarantine(args) => cmd::quarantine::run(&cli, args).await,
            Command::Mock(args) => cmd::mock::run(args).await,
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Bench(args) => cmd::bench::run(args).await,
            Command::BenchBaseline(args) => cmd::bench::baseline(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
