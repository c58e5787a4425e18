//! The arguments of `holdfast import har|openapi`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    #[command(subcommand)]
    pub(crate) action: ImportAction,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImportAction {
    /// A browser capture (HAR) of a web app: the login chain, list and detail
    /// endpoints, pagination and the dependency graph between requests.
    Har(ImportHarArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ImportHarArgs {
    /// The HAR file ("Save all as HAR" in the browser's network panel).
    pub(crate) file: PathBuf,
    /// Write the connector here (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Keep calls to this host too (third-party hosts are dropped); repeatable.
    #[arg(long, value_name = "HOST")]
    pub(crate) keep_host: Vec<String>,
    /// The connection's name (default: from the host).
    #[arg(long, value_name = "NAME")]
    pub(crate) connection: Option<String>,
    /// Print the request dependency graph in this form on standard output
    /// (with no `--out`, only the graph is printed).
    #[arg(long, value_name = "FORMAT")]
    pub(crate) graph: Option<GraphArg>,
}

/// The forms `--graph` prints.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum GraphArg {
    /// One line per dependency.
    Text,
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}
