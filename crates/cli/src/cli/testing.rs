//! The arguments of the commands that test an integration before
//! production: `record`, `test`, `chaos`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Target;

#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The streams to record (each with the streams it reads parents from).
    #[arg(required = true)]
    pub(crate) streams: Vec<String>,
    /// Stop after this many pages (a partial cassette; its replay stops there too).
    #[arg(long, value_name = "N")]
    pub(crate) pages: Option<u64>,
    /// The cassette file (one stream only); default `cassettes/STREAM.har`
    /// beside the connector file.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ChaosArgs {
    #[command(subcommand)]
    pub(crate) action: Option<ChaosAction>,
    /// The API to stand in front of (`https://api.example.com/v2`).
    #[arg(long, value_name = "URL")]
    pub(crate) target: Option<String>,
    /// Where the proxy listens.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8800")]
    pub(crate) listen: String,
    /// The faults to inject (`holdfast chaos profiles` lists them).
    #[arg(long, value_name = "NAME", default_value = "mixed")]
    pub(crate) profile: String,
    /// The seed of faults drawn by rate.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// On stop, write every request seen (one JSON object per line) here.
    #[arg(long, value_name = "FILE")]
    pub(crate) log: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ChaosAction {
    /// Run a stream through the proxy (and once without faults) and print a report card.
    Run(ChaosRunArgs),
    /// The named profiles and what each injects.
    Profiles,
}

#[derive(Debug, Args)]
pub(crate) struct ChaosRunArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// The stream (its parents run too).
    pub(crate) stream: String,
    /// The faults to inject (`holdfast chaos profiles` lists them).
    #[arg(long, value_name = "NAME", default_value = "mixed")]
    pub(crate) profile: String,
    /// The seed of faults drawn by rate.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Print the report card as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    #[command(flatten)]
    pub(crate) target: Target,
    /// Only the cassettes of these streams (default: every cassette).
    pub(crate) streams: Vec<String>,
    /// The folder of cassettes; default `cassettes/` beside the connector file.
    #[arg(long, value_name = "DIR")]
    pub(crate) cassettes: Option<PathBuf>,
    /// Keep the replayed rows in this store (`sqlite://FILE`) instead of a
    /// scratch store that is deleted: to compare them, or look at them.
    #[arg(long, value_name = "URL")]
    pub(crate) into: Option<String>,
    /// Print `{"streams": [...]}` on stdout, one object per cassette.
    #[arg(long)]
    pub(crate) json: bool,
}
