//! `holdfast`: the command-line tool. A thin layer over the engine crates.
#![forbid(unsafe_code)]

#[macro_use]
mod out;

mod backend;
mod cli;
mod cmd;
mod context;
mod interrupt;
mod plural;
mod progress;

use std::process::ExitCode;

use cli::{Cli, Command};

/// Syncs allocate and free many small JSON values across threads; mimalloc
/// handles that far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    context::init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Check(args) => cmd::check::run(&cli, args).await,
            Command::Sync(args) => cmd::sync::run(&cli, args).await,
            Command::Runs(args) => cmd::runs::run(&cli, args).await,
            Command::Status(args) => cmd::status::run(&cli, args).await,
            Command::Quarantine(args) => cmd::quarantine::run(&cli, args).await,
            Command::Drift(args) => cmd::drift::run(&cli, args).await,
            Command::Alerts(args) => cmd::alerts::run(&cli, args).await,
            Command::Explain(args) => cmd::explain::run(&cli, args).await,
            Command::Schema(args) => cmd::schema::run(&cli, args).await,
            Command::Serve(args) => cmd::serve::run(&cli, args).await,
            Command::Act(args) => cmd::act::run(&cli, args).await,
            Command::Queue(args) => cmd::queue::run(&cli, args).await,
            Command::Secrets(args) => cmd::secrets::run(&cli, args).await,
            Command::Store(cli::StoreAction::Migrate(args)) => cmd::store_migrate::run(args).await,
            Command::Mock(args) => cmd::mock::run(args).await,
            Command::Demo(args) => cmd::demo::run(args).await,
            Command::Bench(args) => holdfast_bench::run(args, bench_report()).await,
            Command::BenchWebhookBaseline(args) => {
                holdfast_bench::webhook_baseline(args, bench_report()).await
            }
            Command::BenchBaseline(args) => {
                holdfast_bench::sync_baseline(args, bench_report()).await
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            errln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Benchmark reports go to stdout through [`out::stdout`] (never a panic on a closed pipe).
fn bench_report() -> holdfast_bench::Report {
    holdfast_bench::Report::new(out::stdout)
}
