//! Writing to the France Num team or to one adviser.

mod pages;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/contact", get(pages::team_form).post(pages::team_submit))
        .route("/conseillers/{id}/contact", get(pages::adviser_form).post(pages::adviser_submit))
}
