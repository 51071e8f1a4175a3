//! The directory of advisers: home, search (pages and API), profiles and
//! abuse reports on them.

pub(crate) mod api;
mod pages;
pub(crate) use pages::not_found;
pub(crate) mod params;
pub(crate) mod report;
pub(crate) mod search;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(pages::home))
        .route("/recherche", get(search::search))
        .route("/conseillers/{id}", get(pages::profile))
        .route("/conseillers/{id}/signaler", get(report::report_form).post(report::report_submit))
        .route("/accessibilite", get(pages::accessibility))
        .route("/mentions-legales", get(pages::legal))
        .route("/api/v1/advisers", get(api::advisers))
        .route("/api/v1/advisers/{id}", get(api::adviser))
        .route("/api/openapi.json", get(api::openapi))
}
