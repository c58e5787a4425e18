//! The metric counting every webhook request by its outcome.

/// Webhook requests per webhook and outcome: `accepted`, `duplicate`,
/// `unavailable`, or why one was refused (`bad_signature`, `too_large`, …).
pub const WEBHOOK_REQUESTS: &str = "holdfast_webhook_requests_total";

pub(super) fn counted(webhook: &str, outcome: &'static str) {
    metrics::counter!(WEBHOOK_REQUESTS, "webhook" => webhook.to_owned(), "outcome" => outcome)
        .increment(1);
}
