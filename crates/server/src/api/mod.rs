//! The admin API of `holdfast serve`: JSON over HTTP under `/api/`, behind
//! a bearer token (`HOLDFAST_ADMIN_TOKEN`, or the secret `admin_token`; the
//! records of the local copy also with `HOLDFAST_READ_TOKEN`),
//! described by the OpenAPI document at `/openapi.json`. `/healthz` and
//! `/readyz` are open.
//!
//! What it shows comes from the store (shared by every process of a
//! cluster): connections with their token health, streams with their last
//! run, runs and their requests, quarantine, drift, the queue. What it does
//! goes through the queue: trigger a sync, retry dead jobs, perform an
//! action. The dashboard at `/` shows it all on one page that refreshes
//! itself.

mod actions;
mod alerts;
mod auth;
mod changes;
mod charts;
mod handlers;
mod openapi;
mod records;
mod routes;
mod state;
mod stream_actions;
pub mod views;

pub(crate) use actions::{ActionIntake, action_router};
pub(crate) use auth::problem;
pub use auth::{ADMIN_TOKEN, ADMIN_TOKEN_SECRET, READ_TOKEN, READ_TOKEN_SECRET};
pub(crate) use routes::router;
pub(crate) use state::ApiState;
