//! "Mes données": a copy or the erasure of what is held about a person,
//! through a single-use link sent by mail.

mod pages;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/mes-donnees", get(pages::ask_form).post(pages::ask))
        .route("/mes-donnees/acces", get(pages::access_form).post(pages::access))
}
