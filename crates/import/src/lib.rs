//! From a browser capture (HAR) or an OpenAPI document to a holdfast
//! connector file, deterministically.
//!
//! - [`har`]: a capture of a web app's own requests → the login chain
//!   (`session` auth), list streams with their pagination, child streams for
//!   detail calls, and the dependency graph between requests.
//! - [`openapi`]: a published API description → a stream per list endpoint.
//!
//! Both end in a [`Draft`]: the connector to write, with a comment at every
//! guess, and the secrets and environment variables it reads.

pub mod draft;
pub mod har;
mod infer;
mod names;
pub mod openapi;
mod path;
pub mod yaml;

pub use draft::{
    Auth, Connection, Draft, Extract, ExtractFrom, Field, Input, LoginStep, Paginate, Stream,
};
pub use har::{GraphFormat, HarError, HarImport, HarOptions, import_har};
