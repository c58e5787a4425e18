//! The environment variables templates may read as `env.NAME`.

use std::collections::BTreeMap;
use std::fmt;

/// A snapshot of environment variables, read once so checks do no I/O.
///
/// `Debug` shows names only: values are often secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process's environment (variables that are not UTF-8 are skipped).
    pub fn from_process() -> Env {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Env { vars }
    }

    /// A fixed set of variables (for tests and embedding).
    pub fn from_map(map: BTreeMap<String, String>) -> Env {
        Env { vars: map }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// All variables, for rendering templates (`env.NAME`).
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_values() {
        let env = Env::from_map(BTreeMap::from([("TOKEN".into(), "s3cret".into())]));
        assert_eq!(env.get("TOKEN"), Some("s3cret"));
        assert_eq!(format!("{env:?}"), r#"{"TOKEN"}"#);
    }
}
