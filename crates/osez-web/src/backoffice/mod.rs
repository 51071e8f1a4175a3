//! The team's back office, one module per section: messages and their
//! follow-up, moderation, searches that found nothing, coverage of the
//! territory, the audit log and accounts. Every page states the roles it
//! admits and is never cached.

mod audit;
mod coverage;
mod messages;
mod moderation;
mod searches;
mod users;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/messages", get(messages::inbox))
        .route("/admin/messages/{id}", get(messages::message).post(messages::message_act))
        .route("/admin/demandes", get(messages::requests))
        .route("/admin/demandes/{id}", post(messages::request_outcome))
        .route("/admin/suivi", get(messages::outcomes))
        .route("/admin/moderation", get(moderation::moderation))
        .route("/admin/moderation/{id}", post(moderation::moderation_decide))
        .route("/admin/recherches", get(searches::zero_results))
        .route("/admin/recherches.csv", get(searches::zero_results_csv))
        .route("/admin/couverture", get(coverage::coverage))
        .route("/admin/journal", get(audit::audit))
        .route("/admin/journal.csv", get(audit::audit_csv))
        .route("/admin/comptes", get(users::users))
        .route("/admin/comptes/{id}/sessions", post(users::user_sessions))
        .route("/admin/comptes/{id}/etat", post(users::user_state))
}
