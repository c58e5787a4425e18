//! The connection's `errors:` rules as a [`Classifier`]: Jinja conditions
//! over `status`, `headers` and `body`, first match wins.

use std::collections::BTreeMap;

use holdfast_http::classify::{Classifier, Verdict};
use holdfast_spec::{ErrorAction, ErrorRule};
use minijinja::{Environment, Value};
use reqwest::header::HeaderMap;

/// Compiled rules of one connection.
pub(crate) struct RuleClassifier {
    env: Environment<'static>,
    rules: Vec<ErrorRule>,
}

impl RuleClassifier {
    pub(crate) fn new(rules: Vec<ErrorRule>) -> Self {
        RuleClassifier {
            env: holdfast_spec::sandbox::environment(),
            rules,
        }
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
        for rule in &self.rules {
            let holds = self
                .env
                .compile_expression(&rule.when.source)
                .and_then(|e| e.eval(ctx.clone()))
                .map(|v| v.is_true());
            match holds {
                Ok(true) => {
                    let name = rule.when.source.clone();
                    return match rule.action {
                        ErrorAction::Retry => Verdict::Retry(name),
                        ErrorAction::Fail => Verdict::Fail(name),
                        ErrorAction::Skip => Verdict::Skip,
                    };
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(rule = %rule.when.source, "an `errors:` rule could not be evaluated: {e}")
                }
            }
        }
        Verdict::Pass
    }
}
