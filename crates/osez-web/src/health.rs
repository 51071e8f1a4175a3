//! `/healthz`: 200 once start-up is over, 503 before.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;

use crate::kit::state::AppState;

/// 200 once start-up is over and the database answers; 503 before.
pub async fn healthz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    let Some(ready) = state.ready() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting");
    };
    match ready.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
