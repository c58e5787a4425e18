//! Session login, for portals without an API: a chain of login requests
//! (e.g. GET the login page, take its CSRF token, POST the credentials)
//! whose cookies every later request carries, and one new login when the
//! session turns out to have expired.
//!
//! - **Cookies** live in a [`SessionJar`] shared by the login requests and
//!   the connection's transport; a new login starts from an empty jar.
//! - **Values** taken from a step's answer ([`Extract`]: an HTML element by
//!   CSS selector, a regex, a cookie, a JSON path or a header) feed the later
//!   steps' templates and the headers added to every request (`session.NAME`).
//! - **Expiry** ([`SessionExpiry`]) is judged by the classify layer, on the
//!   raw answer: a configured status (401, 403), a redirect to a login step's
//!   page, or a condition. The auth layer then logs in once (single-flight:
//!   concurrent requests share one login) and retries once.

mod config;
mod credential;
mod login;

pub use crate::classify::SessionExpiry;
pub use crate::transport::SessionJar;
pub use config::{Extract, LoginBody, LoginStep, RenderFn, SessionConfig};
pub use credential::{Session, SessionCredential};
