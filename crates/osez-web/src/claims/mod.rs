//! Claims of imported profiles ("C'est ma structure"), their review by the
//! team, and the invitation links that let an adviser set a password.

pub(crate) mod invitation;
mod public;
mod review;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use crate::kit::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/conseillers/{id}/revendiquer", get(public::claim_form).post(public::claim_submit))
        .route("/admin/revendications", get(review::claims).post(review::invite))
        .route("/admin/revendications/{id}", get(review::claim).post(review::claim_decide))
        .route("/invitation", get(invitation::invitation_form).post(invitation::invitation_accept))
}
