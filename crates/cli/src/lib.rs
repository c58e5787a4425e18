//! The `holdfast` command line as a library: [`Holdfast`] runs the same
//! commands as the stock binary, with custom sources (a [`Source`] written
//! in Rust) compiled in. A thin layer over the engine crates.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[macro_use]
mod out;

mod backend;
mod cli;
mod cmd;
mod context;
mod custom;
mod holdfast;
mod interrupt;
mod plural;
mod progress;

pub use holdfast::Holdfast;

/// What a custom source implements, re-exported so that a binary built
/// around [`Holdfast`] needs no other holdfast crate for it.
pub use holdfast_engine::{
    Page, PageReader, ParentInfo, ReadScope, Source, SourceError, StreamInfo,
};
/// A custom stream's table and primary key (see [`StreamInfo::table`]).
pub use holdfast_store::TableSpec;
