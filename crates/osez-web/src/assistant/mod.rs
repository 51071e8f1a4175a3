//! The assistant: a conversational guide over the directory and the
//! resource centre (crate `osez-assistant`), as a page and an API. Replies
//! are computed on a bounded worker pool; conversations are kept 30 days,
//! personal data removed, and erased at once on request.

pub(crate) mod api;
pub(crate) mod model;
mod pages;
pub(crate) mod talk;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/assistant", get(pages::show).post(pages::send))
        .route("/assistant/effacer", post(pages::erase))
        .route("/api/v1/assistant/messages", post(api::messages))
        .route("/api/v1/assistant/conversations/{id}", delete(api::erase))
}
