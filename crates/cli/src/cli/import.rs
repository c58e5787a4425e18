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
    /// An OpenAPI 3 document (JSON or YAML): a stream per list endpoint, with
    /// pagination, auth, base URL and a JSON Schema from the document.
    Openapi(ImportOpenApiArgs),
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

#[derive(Debug, Args)]
pub(crate) struct ImportOpenApiArgs {
    /// The OpenAPI document (JSON or YAML).
    pub(crate) file: PathBuf,
    /// Only the operations with this tag.
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: Option<String>,
    /// The connection's name (default: from the server's host or the title).
    #[arg(long, value_name = "NAME")]
    pub(crate) connection: Option<String>,
    /// The base URL to write instead of the document's `servers` (a sandbox,
    /// a proxy, a local stand-in).
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Write the connector here (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub(crate) force: bool,
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
