//! The `holdfast` command line as a library: [`Holdfast`] runs the same
//! commands as the stock binary, with custom sources (a
//! [`Source`](holdfast_engine::Source) written in Rust) compiled in. A thin
//! layer over the engine crates.
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
