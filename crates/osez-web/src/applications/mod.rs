//! Applications to join the network: the public form and the calls for
//! ambassadeurs IA, the applicant's side (their applications, their
//! profile), and the team's review.

mod apply;
mod common;
mod own;
mod review;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/candidature", get(apply::apply_form).post(apply::apply))
        .route("/candidature/envoyee", get(apply::apply_sent))
        .route("/appels", get(apply::calls_public))
        .route("/appels/{id}/candidature", get(apply::call_apply_form).post(apply::call_apply))
        .route("/admin/candidature", get(own::my_applications))
        .route("/admin/candidature/{id}", post(own::resubmit))
        .route("/admin/profil", get(own::profile_form).post(own::profile_save))
        .route("/admin/candidatures", get(review::applications))
        .route("/admin/candidatures/{id}", get(review::application).post(review::review))
        .route("/admin/appels", get(review::calls).post(review::create_call))
}
