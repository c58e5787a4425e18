//! The whole client stack against a scripted server on 127.0.0.1: what the
//! server saw and what the client reported.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use holdfast_http::classify::{Classifier, Verdict};
use holdfast_http::concurrency::InFlight;
use holdfast_http::retry::RetryPolicy;
use holdfast_http::{
    AttemptRecord, Client, ClientConfig, HttpErrorKind, HttpRequest, RequestSink, ResolvedAuth,
};
use serde_json::Value;

/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);
/// When a request arrived and its Authorization header.
type Seen = (Instant, Option<String>);

/// A server answering from a script, then `{"ok": true}`; it records each request.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Script {
    fn push(&self, status: u16, headers: &[(&'static str, &str)], body: &str) {
        let headers = headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        self.answers
            .lock()
            .unwrap()
            .push_back((status, headers, body.to_owned()));
    }

    fn seen(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    async fn serve(&self) -> String {
        let script = self.clone();
        let app = Router::new().route(
            "/x",
            get(move |headers: HeaderMap| {
                let script = script.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    script.seen.lock().unwrap().push((Instant::now(), auth));
                    let next = script.answers.lock().unwrap().pop_front();
                    let (status, hs, body) =
                        next.unwrap_or((200, vec![], r#"{"ok": true}"#.into()));
                    let mut response: Response =
                        (StatusCode::from_u16(status).unwrap(), body).into_response();
                    for (k, v) in hs {
                        response.headers_mut().insert(k, v.parse().unwrap());
                    }
                    if !response.headers().contains_key("content-type") {
                        response
                            .headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                    }
                    response
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/x")
    }
}

#[derive(Default)]
struct Log(Mutex<Vec<AttemptRecord>>);

impl RequestSink for Log {
    fn record(&self, attempt: AttemptRecord) {
        self.0.lock().unwrap().push(attempt);
    }
}

fn config(log: &Arc<Log>, base: &str) -> ClientConfig {
    let mut c = ClientConfig::new("crm", &base.parse().unwrap());
    c.retry = RetryPolicy {
        attempts: 4,
        initial: Duration::from_millis(10),
        max: Duration::from_millis(20),
        max_wait: Duration::from_secs(10),
    };
    c.auth = ResolvedAuth::Bearer {
        token: "tok-secret-1".into(),
    };
    c.sink = log.clone();
    c
}

fn request(url: &str) -> HttpRequest {
    HttpRequest::get_json(url.parse().unwrap())
}

#[tokio::test]
async fn transient_failures_are_retried_with_credentials_on_every_attempt() {
    let script = Script::default();
    script.push(503, &[], "down");
    script.push(200, &[("content-type", "text/html")], "<html>login</html>");
    script.push(200, &[], r#"{"data": [1, 2"#);
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let client = Client::new(config(&log, &url)).unwrap();
    let response = client
        .send(request(&url))
        .await
        .expect("fourth attempt succeeds");
    assert_eq!(response.json, Some(serde_json::json!({"ok": true})));
    assert_eq!(script.seen(), 4);
    let auths: Vec<_> = script
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.1.clone())
        .collect();
    assert!(
        auths
            .iter()
            .all(|a| a.as_deref() == Some("Bearer tok-secret-1")),
        "{auths:?}"
    );
    let log = log.0.lock().unwrap();
    let classes: Vec<_> = log.iter().map(|a| (a.attempt, a.error)).collect();
    assert_eq!(
        classes,
        vec![
            (1, Some("status_5xx")),
            (2, Some("not_json")),
            (3, Some("not_json")),
            (4, None)
        ]
    );
    assert!(log.iter().all(|a| !a.url.contains("tok-secret")));
}

#[tokio::test]
async fn client_errors_fail_at_once_with_the_body() {
    let script = Script::default();
    script.push(404, &[], r#"{"error": "no such list"}"#);
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let err = Client::new(config(&log, &url))
        .unwrap()
        .send(request(&url))
        .await
        .unwrap_err();
    assert_eq!(script.seen(), 1);
    assert_eq!(err.status, Some(404));
    let text = err.to_string();
    assert!(
        text.contains("connection `crm`")
            && text.contains("404 Not Found")
            && text.contains("no such list"),
        "{text}"
    );
}

#[tokio::test]
async fn retry_after_is_waited_out_and_capped_by_max_wait() {
    let script = Script::default();
    script.push(429, &[("retry-after", "1")], "slow down");
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let client = Client::new(config(&log, &url)).unwrap();
    client
        .send(request(&url))
        .await
        .expect("second attempt succeeds");
    let seen = script.seen.lock().unwrap().clone();
    assert!(
        seen[1].0 - seen[0].0 >= Duration::from_millis(990),
        "waited {:?}",
        seen[1].0 - seen[0].0
    );
    assert_eq!(log.0.lock().unwrap()[1].waited, Duration::from_secs(1));

    let script = Script::default();
    script.push(503, &[("retry-after", "3600")], "maintenance");
    let url = script.serve().await;
    let client = Client::new(config(&log, &url)).unwrap();
    let err = client.send(request(&url)).await.unwrap_err();
    assert_eq!(
        script.seen(),
        1,
        "an hour's wait is past max_wait: no retry"
    );
    assert!(err.to_string().contains("retry.max_wait"), "{err}");
}

#[tokio::test]
async fn every_attempt_spends_from_the_rate_limit() {
    let script = Script::default();
    for _ in 0..3 {
        script.push(500, &[], "oops");
    }
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let mut c = config(&log, &url);
    c.rate_limit = Some((5, Duration::from_secs(1), 1));
    Client::new(c)
        .unwrap()
        .send(request(&url))
        .await
        .expect("fourth attempt");
    let times: Vec<Instant> = script.seen.lock().unwrap().iter().map(|s| s.0).collect();
    assert_eq!(times.len(), 4);
    // Slots are 200 ms apart, so four attempts span at least three slots. The
    // span, not each gap, is checked: on a loaded machine one arrival may lag
    // its slot and shorten the gap after it (unlimited retries take ~50 ms).
    let span = times[3] - times[0];
    assert!(span >= Duration::from_millis(570), "{span:?}");
}

#[tokio::test]
async fn an_open_breaker_fails_fast_without_sending() {
    let script = Script::default();
    for _ in 0..20 {
        script.push(503, &[], "down");
    }
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let mut c = config(&log, &url);
    c.breaker = Some((3, Duration::from_secs(60)));
    let client = Client::new(c).unwrap();
    let err = client.send(request(&url)).await.unwrap_err();
    // Attempts 1-3 reach the server and open the breaker; attempt 4 never leaves.
    assert_eq!(script.seen(), 3);
    assert_eq!(err.kind(), HttpErrorKind::BreakerOpen);
    assert!(err.to_string().contains("remote looks down"), "{err}");
    let again = client.send(request(&url)).await.unwrap_err();
    assert_eq!(again.kind(), HttpErrorKind::BreakerOpen);
    assert_eq!(script.seen(), 3, "no budget spent while open");
}

struct SuccessFalse;

impl Classifier for SuccessFalse {
    fn classify(&self, status: u16, _headers: &axum::http::HeaderMap, body: &Value) -> Verdict {
        if status == 200 && body["success"] == Value::Bool(false) {
            Verdict::Retry("status == 200 and body.success == false".into())
        } else if status == 404 {
            Verdict::Skip
        } else {
            Verdict::Pass
        }
    }
}

#[tokio::test]
async fn user_rules_turn_lying_answers_into_retries_or_skips() {
    let script = Script::default();
    script.push(200, &[], r#"{"success": false, "error": "internal"}"#);
    script.push(404, &[], r#"{"error": "gone"}"#);
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let mut c = config(&log, &url);
    c.classifier = Some(Arc::new(SuccessFalse));
    let client = Client::new(c).unwrap();
    let skipped = client
        .send(request(&url))
        .await
        .expect("the 404 is skipped");
    assert!(skipped.skipped);
    assert_eq!(script.seen(), 2);
    assert_eq!(log.0.lock().unwrap()[0].error, Some("rule"));
}

#[tokio::test]
async fn adaptive_concurrency_starts_at_one() {
    let script = Script::default();
    let url = script.serve().await;
    let log = Arc::new(Log::default());
    let mut c = config(&log, &url);
    c.in_flight = InFlight::adaptive(8);
    let client = Client::new(c).unwrap();
    assert_eq!(client.in_flight().limit(), 1);
    for _ in 0..20 {
        client.send(request(&url)).await.unwrap();
    }
    assert!(
        client.in_flight().limit() > 1,
        "clean answers raise the bound"
    );
}

#[tokio::test]
async fn extra_secrets_are_redacted_like_credentials() {
    let mut c = ClientConfig::new("crm", &"http://h".parse().unwrap());
    c.secrets = vec!["tenant-secret-77".into()];
    let client = Client::new(c).expect("client");
    let url: url::Url = "http://h/t/tenant-secret-77/x?q=tenant-secret-77"
        .parse()
        .expect("url");
    let shown = client.redactor().url(&url);
    assert!(!shown.contains("tenant-secret-77"), "{shown}");
    assert_eq!(
        client.redactor().text("as tenant-secret-77."),
        "as REDACTED."
    );
}
