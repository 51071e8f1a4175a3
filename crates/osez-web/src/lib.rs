//! The HTTP side of Osez: the router, the server-rendered French pages, the
//! JSON API and the static assets. Only this crate knows HTTP and HTML.
//!
//! One module per feature, each exporting its `Router` and owning its
//! handlers, view structs and templates (`templates/<feature>/`); the shared
//! [`kit`] under them knows no feature. See ARCHITECTURE.md.

mod accounts;
mod applications;
mod assistant;
mod backoffice;
mod claims;
mod consultation;
mod contact;
mod directory;
mod health;
mod kit;
mod mail;
mod menu;
mod my_data;
mod resources;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;

pub use claims::invitation::{INVITATION_TTL, PreparedInvitation, prepare_invitation};
pub use consultation::{Exported, export_consultation};
pub use kit::config::{LlmConfig, WebConfig, defaults};
pub use kit::error::{ApiError, PageError};
pub use kit::session::token_hash;
pub use kit::state::{AppState, Directory, Figures, Library, Ready};
pub use kit::tokens::{Secrets, form_token, hex, now_ms, unhex};
pub use kit::zero_results::ZeroResultLog;
pub use resources::registration::webinar_mails;

/// Every route of Osez: each feature's router, merged.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(directory::routes())
        .merge(contact::routes())
        .merge(my_data::routes())
        .merge(accounts::routes())
        .merge(applications::routes())
        .merge(backoffice::routes())
        .merge(claims::routes())
        .merge(resources::routes())
        .merge(consultation::routes())
        .merge(assistant::routes())
        .route("/altcha/defi", get(kit::challenge::altcha_challenge))
        .route("/healthz", get(health::healthz))
        .route("/static/{file}", get(kit::assets::serve))
        .route("/favicon.ico", get(kit::assets::favicon))
        .fallback(directory::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .merge(resources::upload_routes(&state))
        // Outermost last: headers go on every answer, refusals included.
        .layer(middleware::from_fn(kit::security::refuse_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), kit::security::rate_limit))
        .layer(middleware::from_fn_with_state(state.clone(), kit::security::headers))
        .with_state(state)
}

/// Serves the router on `listener` until `shutdown` completes, then lets
/// the requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
