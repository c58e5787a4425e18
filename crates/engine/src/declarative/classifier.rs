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

/// Codes (in an error's `extensions.code`, `code` or `type`, any case) that
/// mean the GraphQL API is throttling: such an answer is retried.
const THROTTLED: [&str; 5] = [
    "THROTTLED",
    "RATE_LIMITED",
    "RATE_LIMIT_EXCEEDED",
    "TOO_MANY_REQUESTS",
    "RATELIMITED",
];

/// The answers of a `graphql:` request: a top-level `errors` that is not an
/// empty list makes the answer an error (partial `data` beside it is never
/// used). Throttling errors retry; any other fails with the errors' messages.
pub(crate) struct GraphqlClassifier;

impl Classifier for GraphqlClassifier {
    fn classify(&self, _: u16, _: &HeaderMap, body: &serde_json::Value) -> Verdict {
        let errors = match body.get("errors") {
            None | Some(serde_json::Value::Null) => return Verdict::Pass,
            Some(serde_json::Value::Array(list)) if list.is_empty() => return Verdict::Pass,
            Some(serde_json::Value::Array(list)) => list.as_slice(),
            Some(other) => std::slice::from_ref(other),
        };
        let messages: Vec<String> = errors.iter().take(5).map(message).collect();
        let more = if errors.len() > messages.len() {
            format!(" (and {} more)", errors.len() - messages.len())
        } else {
            String::new()
        };
        let partial = if body.get("data").is_some_and(|d| !d.is_null()) {
            " (its partial `data` is not used)"
        } else {
            ""
        };
        let why = format!(
            "with GraphQL errors{partial}: {}{more}",
            messages.join("; ")
        );
        if errors.iter().any(throttled) {
            Verdict::Retry(why)
        } else {
            Verdict::Fail(why)
        }
    }
}

/// One GraphQL error as text: its `message` (quoted) and code, or the JSON.
fn message(error: &serde_json::Value) -> String {
    let text = match error.get("message").and_then(|m| m.as_str()) {
        Some(m) => format!("\"{}\"", m.chars().take(200).collect::<String>()),
        None => error.to_string().chars().take(200).collect(),
    };
    match code(error) {
        Some(code) => format!("{text} ({code})"),
        None => text,
    }
}

/// The error's code: `extensions.code`, `code` or `type`.
fn code(error: &serde_json::Value) -> Option<&str> {
    error
        .get("extensions")
        .and_then(|e| e.get("code"))
        .or_else(|| error.get("code"))
        .or_else(|| error.get("type"))
        .and_then(|c| c.as_str())
}

fn throttled(error: &serde_json::Value) -> bool {
    code(error).is_some_and(|c| THROTTLED.iter().any(|t| t.eq_ignore_ascii_case(c)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn verdict(body: serde_json::Value) -> Verdict {
        GraphqlClassifier.classify(200, &HeaderMap::new(), &body)
    }

    #[test]
    fn graphql_errors_fail_or_retry() {
        assert_eq!(verdict(json!({"data": {"a": 1}})), Verdict::Pass);
        assert_eq!(
            verdict(json!({"data": {"a": 1}, "errors": []})),
            Verdict::Pass
        );
        assert_eq!(
            verdict(
                json!({"errors": [{"message": "Cannot query field \"x\"", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]})
            ),
            Verdict::Fail(
                "with GraphQL errors: \"Cannot query field \"x\"\" (GRAPHQL_VALIDATION_FAILED)"
                    .into()
            )
        );
        assert!(matches!(
            verdict(json!({"data": {"a": 1}, "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]})),
            Verdict::Retry(why) if why.contains("partial `data` is not used") && why.contains("\"Throttled\"")
        ));
        assert!(matches!(
            verdict(json!({"errors": [{"type": "RATE_LIMITED", "message": "slow down"}]})),
            Verdict::Retry(_)
        ));
        assert!(matches!(
            verdict(json!({"errors": "boom"})),
            Verdict::Fail(_)
        ));
    }
}
