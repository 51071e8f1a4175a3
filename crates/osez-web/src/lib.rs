//! The HTTP side of Osez: the router, the server-rendered French pages, the
//! JSON API and the static assets. Only this crate knows HTTP and HTML.

mod assets;
mod controllers;
mod error;
pub mod params;
mod views;

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use osez_core::{Geography, Kind};
use osez_search::Engine;
use osez_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::{ApiError, PageError};

/// Settings of the web layer, passed in (never global).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Address shown on the contact page.
    pub team_email: Option<String>,
}

/// Key figures of the directory, computed once per engine.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub total: usize,
    pub activateurs: usize,
    pub ambassadeurs: usize,
    pub departments: usize,
    pub remote: usize,
    pub demo: usize,
}

/// The searchable directory: an engine and its figures, swapped whole.
pub struct Directory {
    pub engine: Engine,
    pub figures: Figures,
}

impl Directory {
    pub fn new(engine: Engine) -> Self {
        let a = engine.advisers();
        let mut departments: Vec<&str> = a.iter().map(|x| x.department.as_str()).collect();
        departments.sort_unstable();
        departments.dedup();
        let figures = Figures {
            total: a.len(),
            activateurs: a.iter().filter(|x| x.kind == Kind::Activateur).count(),
            ambassadeurs: a.iter().filter(|x| x.kind == Kind::AmbassadeurIa).count(),
            departments: departments.len(),
            remote: a.iter().filter(|x| x.remote).count(),
            demo: a.iter().filter(|x| x.is_demo).count(),
        };
        Directory { engine, figures }
    }
}

/// What the handlers need once start-up is over.
pub struct Ready {
    pub store: Store,
    directory: RwLock<Arc<Directory>>,
}

impl Ready {
    pub fn directory(&self) -> Arc<Directory> {
        match self.directory.read() {
            Ok(d) => d.clone(),
            // A writer panicked mid-swap; the Arc inside is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the directory (after an import or a reindex).
    pub fn replace_directory(&self, directory: Directory) {
        let fresh = Arc::new(directory);
        match self.directory.write() {
            Ok(mut d) => *d = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
    }
}

pub struct AppState {
    pub geo: Arc<Geography>,
    pub config: WebConfig,
    ready: OnceLock<Ready>,
}

impl AppState {
    pub fn new(geo: Arc<Geography>, config: WebConfig) -> Arc<Self> {
        Arc::new(AppState { geo, config, ready: OnceLock::new() })
    }

    /// Marks the service ready: `/healthz` answers 200 from now on.
    pub fn set_ready(&self, store: Store, directory: Directory) {
        let _ = self.ready.set(Ready { store, directory: RwLock::new(Arc::new(directory)) });
    }

    pub fn ready(&self) -> Option<&Ready> {
        self.ready.get()
    }
}

/// Every route of Osez.
pub fn router(state: Arc<AppState>) -> Router {
    use controllers::{api, health, pages};
    Router::new()
        .route("/", get(pages::home))
        .route("/recherche", get(pages::search))
        .route("/conseillers/{id}", get(pages::profile))
        .route("/conseillers/{id}/signaler", get(pages::report_form).post(pages::report_submit))
        .route("/accessibilite", get(pages::accessibility))
        .route("/mentions-legales", get(pages::legal))
        .route("/contact", get(pages::contact))
        .route("/healthz", get(health::healthz))
        .route("/api/v1/advisers", get(api::advisers))
        .route("/api/v1/advisers/{id}", get(api::adviser))
        .route("/api/openapi.json", get(api::openapi))
        .route("/static/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .fallback(pages::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("geolocation=(), camera=(), microphone=()"),
        ))
        .with_state(state)
}

/// Headers sent with every response. No inline script or style anywhere, so
/// the policy can be strict.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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
