//! What templates may read from outside the file: environment variables as
//! `env.NAME` and secrets as `secret.NAME`.

use std::collections::BTreeMap;
use std::fmt;

/// A snapshot of environment variables (and, once loaded, secrets), read
/// once so checks do no I/O.
///
/// Secrets start "not loaded": `secret.NAME` references are then accepted
/// without checking the name (the store holding them is not known before
/// the file is read). [`Env::with_secrets`] loads them; from then on an
/// unknown name is an error.
///
/// `Debug` shows names only: values are often secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// `None` until secrets are loaded.
    secrets: Option<BTreeMap<String, String>>,
}

impl Env {
    /// The current process's environment (variables that are not UTF-8 are
    /// skipped); secrets not loaded.
    pub fn from_process() -> Env {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Env {
            vars,
            secrets: None,
        }
    }

    /// A fixed set of variables (for tests and embedding); secrets not loaded.
    pub fn from_map(map: BTreeMap<String, String>) -> Env {
        Env {
            vars: map,
            secrets: None,
        }
    }

    /// This environment with `secrets` (name → value) loaded: `secret.NAME`
    /// reads them, and a name not among them is an error when checking.
    #[must_use]
    pub fn with_secrets(mut self, secrets: BTreeMap<String, String>) -> Env {
        self.secrets = Some(secrets);
        self
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// All variables, for rendering templates (`env.NAME`).
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    /// Whether secrets were loaded ([`Env::with_secrets`]).
    pub fn secrets_loaded(&self) -> bool {
        self.secrets.is_some()
    }

    /// The value of secret `name`, if loaded and set.
    pub fn secret(&self, name: &str) -> Option<&str> {
        self.secrets.as_ref()?.get(name).map(String::as_str)
    }

    /// The loaded secrets, for rendering templates (`secret.NAME`); `None`
    /// when not loaded.
    pub fn secrets(&self) -> Option<&BTreeMap<String, String>> {
        self.secrets.as_ref()
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'a>(&'a BTreeMap<String, String>);
        impl fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_set().entries(self.0.keys()).finish()
            }
        }
        let mut d = f.debug_struct("Env");
        d.field("vars", &Names(&self.vars));
        match &self.secrets {
            Some(s) => d.field("secrets", &Names(s)),
            None => d.field("secrets", &format_args!("not loaded")),
        };
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_values() {
        let env = Env::from_map(BTreeMap::from([("TOKEN".into(), "s3cret".into())]));
        assert_eq!(env.get("TOKEN"), Some("s3cret"));
        assert_eq!(
            format!("{env:?}"),
            r#"Env { vars: {"TOKEN"}, secrets: not loaded }"#
        );
        let env = env.with_secrets(BTreeMap::from([("crm".into(), "hunter22".into())]));
        assert_eq!(env.secret("crm"), Some("hunter22"));
        assert_eq!(
            format!("{env:?}"),
            r#"Env { vars: {"TOKEN"}, secrets: {"crm"} }"#
        );
        assert!(!format!("{env:#?}").contains("hunter22"));
    }

    #[test]
    fn secrets_start_not_loaded() {
        let env = Env::default();
        assert!(!env.secrets_loaded());
        assert_eq!(env.secret("x"), None);
        let env = env.with_secrets(BTreeMap::new());
        assert!(env.secrets_loaded());
        assert_eq!(env.secrets().map(BTreeMap::len), Some(0));
    }
}
