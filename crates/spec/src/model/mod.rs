//! The checked connector file: what the engine runs.
//!
//! Every value here has passed `check`: names resolve, JSONPaths and templates
//! compile, durations parse. Templates keep their source text and are rendered
//! by the engine at run time (they may read `cursor` or a parent record).

mod action;
mod alerts;
mod auth;
mod body;
mod bulk;
mod calendar;
mod connection;
mod contract;
mod custom;
mod format;
mod map;
mod paginate;
mod spec;
mod stream;
mod values;
mod webhook;

pub use action::*;
pub use alerts::*;
pub use auth::*;
pub use body::*;
pub use bulk::*;
pub use calendar::*;
pub use connection::*;
pub use contract::*;
pub use custom::*;
pub use format::*;
pub use map::*;
pub use paginate::*;
pub use spec::*;
pub use stream::*;
pub use values::*;
pub use webhook::*;
