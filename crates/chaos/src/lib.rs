//! holdfast's chaos proxy: an HTTP proxy that sits in front of any API (or
//! webhook receiver) and injects the failures production brings — 429 with
//! `Retry-After`, 5xx bursts, timeouts, slow and cut-off bodies, HTML or an
//! error body behind `200 OK`, a page size cap, drifted records, expired
//! tokens, duplicate and reordered deliveries — by schedule or by rate,
//! from a named [`Profile`]. Every request it saw and what it did to it is
//! in its [`Chaos::log`], so a test can check a client's behaviour against
//! what was injected.
#![warn(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod drift;
mod profile;
mod proxy;

pub use profile::{Fault, Profile, UnknownProfile, When};
pub use proxy::{Chaos, ChaosConfig, Seen, Summary};
