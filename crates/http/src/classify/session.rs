//! When an answer means a login session has expired: judged here, on the
//! raw answer, so the auth layer can log in again and retry once.

use std::sync::Arc;

use serde_json::Value;

use super::{Classifier, Verdict};
use crate::HttpResponse;

/// What says that a session has expired.
#[derive(Clone, Default)]
pub struct SessionExpiry {
    /// Statuses that mean "log in again" (default 401 and 403).
    pub statuses: Vec<u16>,
    /// Paths of login pages: an answer that was redirected to one of them.
    pub login_paths: Vec<String>,
    /// A user condition over `status`, `headers` and `body`.
    pub when: Option<Arc<dyn Classifier>>,
}

impl std::fmt::Debug for SessionExpiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionExpiry")
            .field("statuses", &self.statuses)
            .field("login_paths", &self.login_paths)
            .field("when", &self.when.is_some())
            .finish()
    }
}

impl SessionExpiry {
    /// Why `response` (with its parsed `body`, or null) means the session
    /// has expired, if it does.
    pub fn check(&self, response: &HttpResponse, body: &Value) -> Option<String> {
        if let Some(to) = &response.redirected_to
            && self.login_paths.iter().any(|p| p == to.path())
        {
            return Some(format!(
                "was redirected to the login page {}: the session has expired",
                to.path()
            ));
        }
        if self.statuses.contains(&response.status) {
            return Some(format!(
                "answered {}: the session has expired",
                response.status
            ));
        }
        let rule = self.when.as_ref()?;
        match rule.classify(response.status, &response.headers, body) {
            Verdict::Pass => None,
            _ => Some(format!(
                "answered {} and the session's `expired_when` holds: the session has expired",
                response.status
            )),
        }
    }
}
