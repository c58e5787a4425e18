//! Delivery of alert transitions to the `notify:` webhooks of the
//! connector file.

use std::time::Duration;

use super::board::Transition;

/// POSTs `transition` as JSON to `url`, trying up to three times (1 s, then
/// 2 s apart) on a network error or a non-2xx answer.
///
/// # Errors
/// The last failure, as text (the URL is not repeated: it may hold a token).
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    transition: &Transition,
    config: &str,
) -> Result<(), String> {
    let body = serde_json::json!({
        "rule": transition.rule,
        "subject": transition.subject,
        "state": transition.state,
        "since": transition.since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "message": transition.message,
        "place": transition.place,
        "config": config,
    });
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
        }
        match client
            .post(url)
            .timeout(Duration::from_secs(10))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("the receiver answered {}", r.status()),
            Err(e) => last = format!("the receiver could not be reached: {}", e.without_url()),
        }
    }
    Err(last)
}
