//! The connection's `errors:` rules as a [`Classifier`]: Jinja conditions
//! over `status`, `headers` and `body`, compiled once, first match wins.

use std::collections::BTreeMap;

use holdfast_http::classify::{Classifier, Verdict};
use holdfast_spec::{ErrorAction, ErrorRule};
use minijinja::Value;
use reqwest::header::HeaderMap;

use crate::SourceError;
use crate::template::Condition;

/// Compiled rules of one connection.
pub(crate) struct RuleClassifier {
    rules: Vec<(Condition, ErrorAction)>,
}

impl RuleClassifier {
    /// Compiles each rule's condition, named by its key path in errors
    /// (`connections.crm.errors[0].when`).
    pub(crate) fn new<'r>(
        rules: impl IntoIterator<Item = (String, &'r ErrorRule)>,
    ) -> Result<Self, SourceError> {
        let rules = rules
            .into_iter()
            .map(|(field, rule)| Ok((Condition::new(&field, &rule.when.source)?, rule.action)))
            .collect::<Result<_, SourceError>>()?;
        Ok(RuleClassifier { rules })
    }
}

impl Classifier for RuleClassifier {
    fn classify(&self, status: u16, headers: &HeaderMap, body: &serde_json::Value) -> Verdict {
        let headers: BTreeMap<String, String> = headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let ctx = Value::from(BTreeMap::from([
            ("status".to_owned(), Value::from(status)),
            (
                "headers".to_owned(),
                Value::from(minijinja::value::Serde(&headers)),
            ),
            (
                "body".to_owned(),
                Value::from(minijinja::value::Serde(body)),
            ),
        ]));
        for (when, action) in &self.rules {
            match when.holds(&ctx) {
                Ok(true) => {
                    let name = when.source().to_owned();
                    return match action {
                        ErrorAction::Retry => Verdict::Retry(name),
                        ErrorAction::Fail => Verdict::Fail(name),
                        ErrorAction::Skip => Verdict::Skip,
                    };
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(rule = %when.source(), "an `errors:` rule could not be evaluated: {e}")
                }
            }
        }
        Verdict::Pass
    }
}
