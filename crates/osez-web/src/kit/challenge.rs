//! The proof-of-work challenge that the public forms' widget fetches.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::kit::antispam;
use crate::kit::antispam::ChallengeError;
use crate::kit::error::PageError;
use crate::kit::pool::PoolError;
use crate::kit::state::AppState;

/// A fresh proof-of-work challenge for the widget; never cached.
pub async fn altcha_challenge(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    // Making a challenge costs a key derivation: on the bounded CPU pool.
    let (secrets, cost) = (ready.secrets.clone(), state.config.altcha_cost);
    match state.challenges.run(move || antispam::new_altcha_challenge(&secrets, cost)).await {
        Ok(Ok(c)) => Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(c)).into_response()),
        Ok(Err(e)) => Err(PageError::Internal(format!("cannot create an ALTCHA challenge: {e}"))),
        Err(PoolError::Busy) => {
            let body = serde_json::json!({ "error": { "code": "busy", "message": ChallengeError::Busy.message() } });
            let headers = [(header::CACHE_CONTROL, "no-store"), (header::RETRY_AFTER, "5")];
            Ok((StatusCode::SERVICE_UNAVAILABLE, headers, axum::Json(body)).into_response())
        }
        Err(PoolError::Failed(e)) => Err(PageError::Internal(format!("ALTCHA challenge failed: {e}"))),
    }
}
