//! OAuth2 credentials against a scripted token endpoint and API on
//! 127.0.0.1: single-flight refresh, proactive renewal, one reactive retry
//! on 401, `invalid_grant` failing fast, rotated refresh tokens saved first.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use holdfast_http::retry::RetryPolicy;
use holdfast_http::{
    Client, ClientConfig, HttpErrorKind, HttpRequest, OAuth2ClientAuth, OAuth2Config,
    OAuth2Credential, OAuth2Grant, ResolvedAuth, TokenState, TokenStore,
};

/// A token endpoint issuing `access-N` / `refresh-N` and an API accepting
/// only the latest access token.
#[derive(Default)]
struct Server {
    issued: AtomicU32,
    expires_in: AtomicU32,
    refuse_grant: AtomicBool,
    /// The API refuses the current token once (as if revoked).
    revoke: AtomicBool,
    api_401s: AtomicU32,
    forms: Mutex<Vec<String>>,
}

impl Server {
    async fn serve(self: &Arc<Self>) -> String {
        let token_side = self.clone();
        let api_side = self.clone();
        let app = Router::new()
            .route(
                "/token",
                post(move |body: String| {
                    let s = token_side.clone();
                    async move {
                        s.forms.lock().unwrap().push(body);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        if s.refuse_grant.load(Ordering::SeqCst) {
                            return (
                                StatusCode::BAD_REQUEST,
                                r#"{"error":"invalid_grant"}"#.to_owned(),
                            )
                                .into_response();
                        }
                        let n = s.issued.fetch_add(1, Ordering::SeqCst) + 1;
                        let body = serde_json::json!({
                            "access_token": format!("access-{n}"),
                            "token_type": "Bearer",
                            "expires_in": s.expires_in.load(Ordering::SeqCst),
                            "refresh_token": format!("refresh-{n}"),
                        });
                        axum::Json(body).into_response()
                    }
                }),
            )
            .route(
                "/api",
                get(move |headers: HeaderMap| {
                    let s = api_side.clone();
                    async move {
                        let auth = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("");
                        let latest = format!("Bearer access-{}", s.issued.load(Ordering::SeqCst));
                        if auth != latest || s.revoke.swap(false, Ordering::SeqCst) {
                            s.api_401s.fetch_add(1, Ordering::SeqCst);
                            let r: Response = (StatusCode::UNAUTHORIZED, "{}").into_response();
                            return r;
                        }
                        axum::Json(serde_json::json!({"ok": true})).into_response()
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }
}

/// A store that can be told to fail.
#[derive(Default)]
struct MemoryStore {
    state: Mutex<Option<TokenState>>,
    fail: AtomicBool,
}

#[async_trait::async_trait]
impl TokenStore for MemoryStore {
    async fn load(&self, _: &str) -> Result<Option<TokenState>, String> {
        Ok(self.state.lock().unwrap().clone())
    }
    async fn save(&self, _: &str, state: &TokenState) -> Result<(), String> {
        if self.fail.load(Ordering::SeqCst) {
            return Err("disk full".into());
        }
        *self.state.lock().unwrap() = Some(state.clone());
        Ok(())
    }
}

fn credential(base: &str, store: &Arc<MemoryStore>) -> Arc<OAuth2Credential> {
    credential_with(base, store, Duration::from_secs(86_400))
}

fn credential_with(base: &str, store: &Arc<MemoryStore>, every: Duration) -> Arc<OAuth2Credential> {
    let config = OAuth2Config {
        connection: "crm".into(),
        token_url: format!("{base}/token").parse().unwrap(),
        grant: OAuth2Grant::RefreshToken,
        client_id: "client-id".into(),
        client_secret: "client-secret-123".into(),
        refresh_token: Some("refresh-0".into()),
        scope: Some("read".into()),
        audience: None,
        params: vec![],
        client_auth: OAuth2ClientAuth::Basic,
        refresh_before_expiry: Duration::from_secs(1),
        refresh_at_least_every: every,
        timeout: Duration::from_secs(5),
        reauth_hint: "set a new one with `holdfast secrets set crm_refresh_token`".into(),
    };
    let store: Arc<dyn TokenStore> = store.clone();
    Arc::new(OAuth2Credential::new(config, Some(store)).unwrap())
}

fn client(credential: &Arc<OAuth2Credential>, base: &str) -> Client {
    let mut c = ClientConfig::new("crm", &base.parse().unwrap());
    c.retry = RetryPolicy {
        attempts: 3,
        initial: Duration::from_millis(10),
        max: Duration::from_millis(20),
        max_wait: Duration::from_secs(10),
    };
    c.in_flight = holdfast_http::concurrency::InFlight::fixed(32);
    c.auth = ResolvedAuth::OAuth2(credential.clone());
    Client::new(c).unwrap()
}

fn get_api(base: &str) -> HttpRequest {
    HttpRequest::get_json(format!("{base}/api").parse().unwrap())
}

#[tokio::test]
async fn twenty_concurrent_requests_share_one_token_request() {
    let server = Arc::new(Server::default());
    server.expires_in.store(3600, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    let cred = credential(&base, &store);
    let client = client(&cred, &base);
    let calls = (0..20).map(|_| client.send(get_api(&base)));
    for r in futures::future::join_all(calls).await {
        r.expect("every request succeeds");
    }
    assert_eq!(cred.token_requests(), 1);
    assert_eq!(server.api_401s.load(Ordering::SeqCst), 0);
    let form = server.forms.lock().unwrap()[0].clone();
    assert!(form.contains("grant_type=refresh_token"), "{form}");
    assert!(form.contains("refresh_token=refresh-0"), "{form}");
    // The rotated refresh token was saved, encrypted or not is the store's business.
    let saved = store.state.lock().unwrap().clone().unwrap();
    assert_eq!(saved.refresh_token.as_deref(), Some("refresh-1"));
    // Tokens are hidden from messages.
    assert_eq!(client.redactor().text("x access-1 y"), "x REDACTED y");
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let server = Arc::new(Server::default());
    server.expires_in.store(2, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    let cred = credential(&base, &store);
    let client = client(&cred, &base);
    for _ in 0..12 {
        client.send(get_api(&base)).await.expect("no request fails");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // 3s of requests with 2s tokens renewed 1s early: 3 or 4 tokens, no 401.
    assert!(cred.token_requests() >= 3, "{}", cred.token_requests());
    assert_eq!(server.api_401s.load(Ordering::SeqCst), 0);
    // Each refresh used the refresh token issued before it.
    let forms = server.forms.lock().unwrap().clone();
    assert!(forms[1].contains("refresh_token=refresh-1"), "{forms:?}");
}

#[tokio::test]
async fn a_401_renews_once_and_retries_once() {
    let server = Arc::new(Server::default());
    server.expires_in.store(3600, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    let cred = credential(&base, &store);
    let client = client(&cred, &base);
    client.send(get_api(&base)).await.unwrap();
    server.revoke.store(true, Ordering::SeqCst);
    client
        .send(get_api(&base))
        .await
        .expect("renewed and retried");
    assert_eq!(cred.token_requests(), 2);
    assert_eq!(server.api_401s.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn invalid_grant_needs_reauthorization_without_a_storm() {
    let server = Arc::new(Server::default());
    server.expires_in.store(3600, Ordering::SeqCst);
    server.refuse_grant.store(true, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    let cred = credential(&base, &store);
    let client = client(&cred, &base);
    for _ in 0..5 {
        let e = client.send(get_api(&base)).await.expect_err("refused");
        assert_eq!(e.kind(), HttpErrorKind::Auth);
        let text = e.to_string();
        assert!(
            text.contains("connection `crm` needs re-authorization: the refresh token was refused (invalid_grant); set a new one with `holdfast secrets set crm_refresh_token`"),
            "{text}"
        );
        assert!(
            !text.contains("refresh-0") && !text.contains("client-secret"),
            "{text}"
        );
    }
    assert_eq!(cred.token_requests(), 1, "no retry storm");
    let saved = store.state.lock().unwrap().clone().unwrap();
    assert!(saved.needs_reauth);
    assert_eq!(saved.consecutive_failures, 1);
}

#[tokio::test]
async fn a_rotated_refresh_token_is_saved_before_it_is_used() {
    let server = Arc::new(Server::default());
    server.expires_in.store(3600, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    store.fail.store(true, Ordering::SeqCst);
    let cred = credential(&base, &store);
    let client = client(&cred, &base);
    let e = client.send(get_api(&base)).await.expect_err("not saved");
    assert!(e.to_string().contains("cannot save"), "{e}");
    assert_eq!(cred.token_requests(), 1);
    store.fail.store(false, Ordering::SeqCst);
    client.send(get_api(&base)).await.expect("saved, then used");
    assert_eq!(
        cred.token_requests(),
        1,
        "the kept state was saved, not re-fetched"
    );
    let saved = store.state.lock().unwrap().clone().unwrap();
    assert_eq!(saved.refresh_token.as_deref(), Some("refresh-1"));
}

#[tokio::test]
async fn a_restarted_credential_reuses_the_saved_token() {
    let server = Arc::new(Server::default());
    server.expires_in.store(3600, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    let first = credential(&base, &store);
    client(&first, &base).send(get_api(&base)).await.unwrap();
    let second = credential(&base, &store);
    client(&second, &base).send(get_api(&base)).await.unwrap();
    assert_eq!(second.token_requests(), 0);
}

#[tokio::test]
async fn keep_alive_renews_an_idle_credential() {
    let server = Arc::new(Server::default());
    server.expires_in.store(3600, Ordering::SeqCst);
    let base = server.serve().await;
    let store = Arc::new(MemoryStore::default());
    let cred = credential_with(&base, &store, Duration::from_millis(300));
    let client = client(&cred, &base);
    client.send(get_api(&base)).await.unwrap();
    client.keep_alive().await.unwrap();
    assert_eq!(cred.token_requests(), 1, "renewed recently: nothing to do");
    tokio::time::sleep(Duration::from_millis(400)).await;
    client.keep_alive().await.unwrap();
    assert_eq!(cred.token_requests(), 2, "idle past refresh_at_least_every");
    let forms = server.forms.lock().unwrap().clone();
    assert!(forms[1].contains("refresh_token=refresh-1"), "{forms:?}");
}
