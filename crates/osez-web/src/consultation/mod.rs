//! Citizen consultations: taking part (sequences of proposals, votes with
//! the anonymous participant's cookie and each proposal's signed key), the
//! results (counts, zones, opinion groups) and their API. The arithmetic
//! is `osez_core::consultation`'s; votes are written by the kit's group
//! commit.

mod admin;
mod api;
mod charts;
mod confirm;
mod export;
mod opendata;
mod pages;
mod participant;
mod propose;
mod results;
mod sequence;
mod views;

use std::sync::Arc;

pub use export::{Exported, export_consultation};

use axum::Router;
use axum::routing::{get, post};

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/consultations", get(pages::index))
        .route("/consultations/{slug}", get(pages::show))
        .route("/consultations/{slug}/voter", post(pages::vote))
        .route("/consultations/{slug}/proposer", get(propose::form).post(propose::submit))
        .route("/consultations/{slug}/proposer/proches", get(propose::similar))
        .route("/consultations/{slug}/confirmer", get(confirm::form).post(confirm::ask))
        .route("/consultations/{slug}/confirmer/lien", get(confirm::link_form).post(confirm::confirm))
        .route("/consultations/{slug}/mes-propositions", get(propose::mine))
        .route("/consultations/{slug}/resultats", get(pages::results_page))
        .route("/consultations/{slug}/donnees/comments.csv", get(opendata::comments))
        .route("/consultations/{slug}/donnees/votes.csv", get(opendata::votes))
        .route("/consultations/{slug}/donnees/participants-votes.csv", get(opendata::participants))
        .route("/consultations/{slug}/donnees/summary.csv", get(opendata::summary))
        .route("/admin/consultations", get(admin::list).post(admin::create))
        .route("/admin/consultations/{slug}", get(admin::queue).post(admin::update))
        .route("/admin/consultations/{slug}/propositions/{id}", post(admin::decide))
        .route("/api/v1/consultations", get(api::list))
        .route("/api/v1/consultations/{slug}/results", get(api::results_api))
        .route("/api/v1/consultations/{slug}/sequence", get(api::sequence))
        .route("/api/v1/consultations/{slug}/votes", post(api::vote))
}
