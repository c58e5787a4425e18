//! The route table, and the layer every data endpoint passes: bookkeeping, latency, auth.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::MockState;
use crate::{admin, pages};

/// The mock's routes over `state`; serve it yourself or use [`MockServer`](crate::MockServer).
pub fn router(state: MockState) -> Router {
    let data = Router::new()
        .route("/v2/contacts", get(pages::v2))
        .route("/v2/contacts/{id}/deals", get(pages::contact_deals))
        .route("/{style}/contacts", get(pages::list))
        .route_layer(middleware::from_fn_with_state(state.clone(), data_layer));
    Router::new()
        .merge(data)
        .route("/_mock/stats", get(admin::stats))
        .route("/_mock/requests", get(admin::requests))
        .route("/_mock/touch", post(admin::touch))
        .route("/_mock/reset", post(admin::reset))
        .route("/healthz", get(admin::healthz))
        .fallback(not_found)
        .with_state(state)
}

/// Counts the request, waits the configured latency, then checks auth.
async fn data_layer(State(state): State<MockState>, req: Request, next: Next) -> Response {
    state.record(&req);
    let latency = state.config().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(credential) = state.credential()
        && !credential.allows(&req)
    {
        return ApiError::unauthorized().into_response();
    }
    next.run(req).await
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for `{}`", uri.path()))
}
