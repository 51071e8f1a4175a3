//! The resource centre: articles, practical guides, AI use cases and
//! webinars; their search (page and API), their pages, and the search of
//! advisers and resources together.

mod agenda;
pub(crate) mod api;
mod draft;
mod editor;
mod editorial;
mod feeds;
pub(crate) mod pages;
pub(crate) mod params;
pub(crate) mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ressources", get(pages::index))
        .route("/ressources/flux.atom", get(feeds::atom))
        .route("/ressources/{slug}", get(pages::show))
        .route("/ressources/{slug}/calendrier.ics", get(agenda::one))
        .route("/agenda", get(agenda::page))
        .route("/admin/ressources", get(editorial::list))
        .route(editor::NEW, get(editor::new_form).post(editor::create).layer(DefaultBodyLimit::max(editor::FORM_LIMIT)))
        .route(editor::PREVIEW, post(editor::preview).layer(DefaultBodyLimit::max(editor::FORM_LIMIT)))
        .route("/admin/ressources/{slug}", get(editorial::resource))
        .route(
            "/admin/ressources/{slug}/modifier",
            get(editor::edit_form).post(editor::save).layer(DefaultBodyLimit::max(editor::FORM_LIMIT)),
        )
        .route("/admin/ressources/{slug}/etat", post(editorial::change_status))
        .route("/admin/ressources/{slug}/restaurer", post(editorial::restore))
        .route("/agenda.ics", get(agenda::feed))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/api/v1/resources", get(api::resources))
        .route("/api/v1/resources/{slug}", get(api::resource))
        .route("/api/v1/search", get(api::search_all))
}
