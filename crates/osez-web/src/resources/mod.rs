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
mod proposals;
pub(crate) mod registration;
mod uploads;
pub(crate) mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    // The editor's form carries a whole document.
    let limit = || DefaultBodyLimit::max(editor::FORM_LIMIT);
    Router::new()
        .route("/ressources", get(pages::index))
        .route("/ressources/flux.atom", get(feeds::atom))
        .route("/ressources/{slug}", get(pages::show))
        .route("/ressources/{slug}/calendrier.ics", get(agenda::one))
        .route("/ressources/{slug}/sous-titres.vtt", get(uploads::captions))
        .route("/ressources/{slug}/inscription", get(registration::form).post(registration::register))
        .route("/ressources/{slug}/inscription/annuler", get(registration::cancel_form).post(registration::cancel))
        .route("/ressources/{slug}/fichiers/{file}", get(uploads::public_file))
        .route("/admin/ressources/{slug}/fichiers/{file}", get(uploads::editor_file))
        .route("/admin/ressources/{slug}/fichiers/retirer", post(uploads::remove))
        .route("/agenda", get(agenda::page))
        .route("/admin/ressources", get(editorial::list))
        .route("/admin/ressources/nouvelle", get(editor::new_form).post(editor::create).layer(limit()))
        .route("/admin/ressources/apercu", post(editor::preview).layer(limit()))
        .route("/admin/ressources/{slug}", get(editorial::resource))
        .route("/admin/ressources/{slug}/modifier", get(editor::edit_form).post(editor::save).layer(limit()))
        .route("/admin/ressources/{slug}/etat", post(editorial::change_status))
        .route("/admin/ressources/{slug}/restaurer", post(editorial::restore))
        .route("/admin/evenements", get(proposals::list))
        .route("/admin/evenements/nouveau", get(proposals::new_form).post(proposals::create).layer(limit()))
        .route("/admin/evenements/apercu", post(proposals::preview).layer(limit()))
        .route("/admin/evenements/{slug}", get(proposals::edit_form).post(proposals::save).layer(limit()))
        .route("/agenda.ics", get(agenda::feed))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/api/v1/resources", get(api::resources))
        .route("/api/v1/resources/{slug}", get(api::resource))
        .route("/api/v1/search", get(api::search_all))
}

/// Uploads: larger and longer than any other request, so outside the
/// router's 64 KB body limit and 30-second deadline, with their own.
pub(crate) fn upload_routes(state: &AppState) -> Router<Arc<AppState>> {
    let limit = state.files.as_ref().map_or(64 * 1024, |f| usize::try_from(f.max_request()).unwrap_or(usize::MAX));
    Router::new()
        .route("/admin/ressources/{slug}/fichiers", post(uploads::upload))
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, UPLOAD_DEADLINE))
}

/// Longest upload: 1 GiB at 2.5 Mbit/s.
const UPLOAD_DEADLINE: Duration = Duration::from_secs(3 * 3600);
