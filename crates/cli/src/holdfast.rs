//! [`Holdfast`]: the `holdfast` command line, with the custom sources a
//! team compiles into its own binary.

use std::process::ExitCode;
use std::sync::Arc;

use holdfast_engine::Source;

use crate::cli::{Cli, Command};
use crate::cmd;
use crate::context;
use crate::custom::{Registered, register};

/// The `holdfast` command line: every command of the stock binary, and the
/// custom sources the connector file's `source:` streams may name.
///
/// The stock `holdfast` is `Holdfast::new().run()`. A team with an API the
/// connector file cannot describe writes a [`Source`] in Rust and builds its
/// own binary around it:
///
/// ```no_run
/// # use holdfast_cli::{PageReader, ReadScope, Source, SourceError, StreamInfo};
/// # struct LegacyErp;
/// # #[async_trait::async_trait]
/// # impl Source for LegacyErp {
/// #     fn streams(&self) -> Vec<StreamInfo> { Vec::new() }
/// #     fn read(&self, stream: &str, _: ReadScope) -> Result<Box<dyn PageReader + '_>, SourceError> {
/// #         Err(SourceError::UnknownStream(stream.into()))
/// #     }
/// # }
/// fn main() -> std::process::ExitCode {
///     holdfast_cli::Holdfast::new()
///         .source("legacy_erp", LegacyErp)
///         .run()
/// }
/// ```
///
/// A stream under `streams:` with `source: legacy_erp` is then read by
/// `LegacyErp` (its table and primary key from `LegacyErp::streams()`), and
/// `sync`, `serve`, its `schedule:` and webhook routes (through
/// [`Source::handle_event`]) drive it like a declarative stream. Every
/// command checks, when it reads the connector file, that each `source:`
/// names a registered source that offers the stream.
#[derive(Default)]
pub struct Holdfast {
    sources: Vec<(String, Arc<dyn Source>)>,
}

impl std::fmt::Debug for Holdfast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.sources.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Holdfast").field("sources", &names).finish()
    }
}

impl Holdfast {
    /// The stock command line, with no custom source.
    pub fn new() -> Holdfast {
        Holdfast::default()
    }

    /// Registers `source` as `name`: the connector file's streams with
    /// `source: NAME` are read by it. A name registered twice makes
    /// [`run`](Holdfast::run) fail.
    #[must_use]
    pub fn source(mut self, name: impl Into<String>, source: impl Source + 'static) -> Holdfast {
        self.sources.push((name.into(), Arc::new(source)));
        self
    }

    /// Parses the process's arguments and runs the command; the exit code
    /// the command chose (0 success, 1 failure, 2 a usage or connector-file
    /// problem).
    pub fn run(self) -> ExitCode {
        let mut cli = Cli::parse_args();
        let mut registered = Registered::default();
        for (name, source) in self.sources {
            if let Err(e) = register(&mut registered, name, source) {
                errln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        cli.custom = registered;
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
        match runtime.block_on(dispatch(&cli)) {
            Ok(code) => code,
            Err(e) => {
                errln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

/// Runs the command `cli` names.
async fn dispatch(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Check(args) => cmd::check::run(cli, args).await,
        Command::Sync(args) => cmd::sync::run(cli, args).await,
        Command::Reconcile(args) => cmd::reconcile::run(cli, args).await,
        Command::Record(args) => cmd::record::run(cli, args).await,
        Command::Test(args) => cmd::contract::run(cli, args).await,
        Command::Chaos(args) => cmd::chaos::run(cli, args).await,
        Command::Import(args) => cmd::import::run(args).await,
        Command::Runs(args) => cmd::runs::run(cli, args).await,
        Command::Status(args) => cmd::status::run(cli, args).await,
        Command::Quarantine(args) => cmd::quarantine::run(cli, args).await,
        Command::Drift(args) => cmd::drift::run(cli, args).await,
        Command::Alerts(args) => cmd::alerts::run(cli, args).await,
        Command::Explain(args) => cmd::explain::run(cli, args).await,
        Command::Describe(args) => cmd::describe::run(cli, args).await,
        Command::Schema(args) => cmd::schema::run(cli, args).await,
        Command::Serve(args) => cmd::serve::run(cli, args).await,
        Command::Act(args) => cmd::act::run(cli, args).await,
        Command::Queue(args) => cmd::queue::run(cli, args).await,
        Command::Secrets(args) => cmd::secrets::run(cli, args).await,
        Command::Store(crate::cli::StoreAction::Migrate(args)) => {
            cmd::store_migrate::run(args).await
        }
        Command::Mock(args) => cmd::mock::run(args).await,
        Command::Demo(args) => cmd::demo::run(args).await,
        Command::Bench(args) => holdfast_bench::run(args, bench_report()).await,
        Command::BenchWebhookBaseline(args) => {
            holdfast_bench::webhook_baseline(args, bench_report()).await
        }
        Command::BenchBaseline(args) => holdfast_bench::sync_baseline(args, bench_report()).await,
    }
}

/// Benchmark reports go to stdout through [`crate::out::stdout`] (never a
/// panic on a closed pipe).
fn bench_report() -> holdfast_bench::Report {
    holdfast_bench::Report::new(crate::out::stdout)
}
