//! Accounts: signing in (password, then a second factor where the role
//! needs it), the session, signing out, and resetting a password by mail.

mod reset;
mod session;
mod sign_in;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/connexion", get(sign_in::sign_in_form).post(sign_in::sign_in))
        .route("/connexion/code", post(sign_in::sign_in_code))
        .route("/connexion/activation", post(sign_in::sign_in_enrol))
        .route("/connexion/oubli", get(reset::forgot_form).post(reset::forgot))
        .route("/connexion/nouveau", get(reset::reset_form).post(reset::reset))
        .route("/deconnexion", post(session::sign_out))
        .route("/admin", get(session::home))
        .route("/admin/session/prolonger", post(session::extend))
        .route("/admin/session/partout", post(session::sign_out_everywhere))
}
