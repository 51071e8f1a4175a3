//! The HTTP side of Osez: the router, the server-rendered French pages, the
//! JSON API and the static assets. Only this crate knows HTTP and HTML.

pub mod antispam;
mod assets;
pub mod auth;
mod controllers;
mod csv_export;
mod error;
mod mail;
pub mod params;
mod pool;
pub mod security;
mod views;
mod zero_results;

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::HeaderName;
use axum::middleware;
use axum::routing::{get, post};
use osez_core::{Geography, Kind};
use osez_search::Engine;
use osez_store::Store;
use tower_http::timeout::TimeoutLayer;

pub use controllers::claims::{INVITATION_TTL, PreparedInvitation, prepare_invitation};
pub use error::{ApiError, PageError};
use security::Limits;
pub use security::Secrets;
pub use zero_results::ZeroResultLog;

/// The defaults of the settings, shared with the command line (`osez serve
/// --help` shows these), so that a `WebConfig::default()` is the server a
/// plain `osez serve` runs. Tests that want no limit say so.
pub mod defaults {
    pub const SEARCH_PER_MINUTE: u32 = 600;
    pub const FORMS_PER_MINUTE: u32 = 10;
    pub const CONTACTS_PER_HOUR: u32 = 5;
    pub const ALTCHA_COST: u32 = 5000;
    pub const MIN_FILL_SECS: u64 = 3;
    pub const RETENTION_DAYS: u32 = 365;
    /// The domain of the default sender, `ne-pas-repondre@osez.invalid`.
    pub const MAIL_DOMAIN: &str = "osez.invalid";
}

/// Settings of the web layer, passed in (never global).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Address shown on the contact page.
    pub team_email: Option<String>,
    /// Send `Strict-Transport-Security`: the site is served over TLS.
    pub hsts: bool,
    /// Searches per minute and per IP address (pages and API); 0: no limit.
    pub search_per_minute: u32,
    /// Form submissions per minute and per IP address; 0: no limit.
    pub forms_per_minute: u32,
    /// Header in which a trusted reverse proxy gives the client's address
    /// (`X-Forwarded-For`); without it, the peer address counts.
    pub trusted_proxy_header: Option<HeaderName>,
    /// Session cookies are `__Host-` and `Secure`; turn off only for a
    /// plain-http run on a machine of one's own.
    pub secure_cookies: bool,
    /// Public address of the site (`https://osez.example.fr`), for links
    /// sent by e-mail. Never taken from the request's `Host`, which a
    /// client can forge.
    pub public_url: Option<String>,
    /// Domain of the Message-IDs of outgoing mail (that of the sender).
    pub mail_domain: String,
    /// An SMTP server is configured; without one, mail waits in the outbox
    /// and the back office says so.
    pub smtp_configured: bool,
    /// Contact messages per hour and per IP address; 0: no limit.
    pub contacts_per_hour: u32,
    /// PBKDF2 iterations of an ALTCHA challenge.
    pub altcha_cost: u32,
    /// Less time than this between showing a contact form and sending it
    /// is a robot's.
    pub min_fill_secs: u64,
    /// Contact messages lose their personal data after this many days.
    pub retention_days: u32,
    /// Jobs of each CPU-heavy pool (password hashes; proof-of-work
    /// challenges) that run at once; `None`: one per core.
    pub cpu_workers: Option<usize>,
}

impl Default for WebConfig {
    /// What `osez serve` runs with no flag.
    fn default() -> Self {
        WebConfig {
            team_email: None,
            hsts: false,
            search_per_minute: defaults::SEARCH_PER_MINUTE,
            forms_per_minute: defaults::FORMS_PER_MINUTE,
            trusted_proxy_header: None,
            secure_cookies: true,
            public_url: None,
            mail_domain: defaults::MAIL_DOMAIN.into(),
            smtp_configured: false,
            contacts_per_hour: defaults::CONTACTS_PER_HOUR,
            altcha_cost: defaults::ALTCHA_COST,
            min_fill_secs: defaults::MIN_FILL_SECS,
            retention_days: defaults::RETENTION_DAYS,
            cpu_workers: None,
        }
    }
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
    pub secrets: Secrets,
    /// Searches that found nothing, waiting to be written in batches.
    pub zero_results: ZeroResultLog,
    directory: RwLock<Arc<Directory>>,
    changed: tokio::sync::Notify,
}

impl Ready {
    pub fn directory(&self) -> Arc<Directory> {
        match self.directory.read() {
            Ok(d) => d.clone(),
            // A writer panicked mid-swap; the Arc inside is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Says that this node changed the directory in the database (a
    /// profile hidden or published), so that it is reloaded now rather than
    /// at the next periodic check.
    pub fn directory_changed(&self) {
        self.changed.notify_one();
    }

    /// Completes after [`Ready::directory_changed`] was called (at once if
    /// it was called since the last wait).
    pub async fn wait_directory_changed(&self) {
        self.changed.notified().await;
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
    pub(crate) limits: Limits,
    pub(crate) failures: auth::Failures,
    pub(crate) passwords: auth::PasswordWork,
    /// Making and checking proof-of-work challenges (PBKDF2).
    pub(crate) challenges: pool::CpuPool,
    /// Wakes the mail worker when a mail was just written.
    pub mail_wake: Arc<tokio::sync::Notify>,
    ready: OnceLock<Ready>,
}

impl AppState {
    pub fn new(geo: Arc<Geography>, config: WebConfig) -> Arc<Self> {
        let limits = Limits::new(&config);
        let passwords = auth::PasswordWork::new(config.cpu_workers);
        let challenges = pool::CpuPool::new(config.cpu_workers);
        Arc::new(AppState {
            geo,
            config,
            limits,
            failures: auth::Failures::default(),
            passwords,
            challenges,
            mail_wake: Default::default(),
            ready: OnceLock::new(),
        })
    }

    /// Marks the service ready: `/healthz` answers 200 from now on. Starts
    /// the writer of searches without results on the current runtime (call
    /// [`ZeroResultLog::close`] at shutdown).
    pub fn set_ready(&self, store: Store, secrets: Secrets, directory: Directory) {
        let _ = self.ready.set(Ready {
            zero_results: ZeroResultLog::start(store.clone(), zero_results::QUEUE),
            store,
            secrets,
            directory: RwLock::new(Arc::new(directory)),
            changed: Default::default(),
        });
    }

    /// Forgets rate-limit state of addresses not seen for a while; call it
    /// now and then.
    pub fn forget_idle_clients(&self) {
        self.limits.forget_idle();
        self.failures.forget_idle();
    }

    pub fn ready(&self) -> Option<&Ready> {
        self.ready.get()
    }
}

/// Every route of Osez.
pub fn router(state: Arc<AppState>) -> Router {
    use controllers::{admin, api, applications, backoffice, claims, contact, health, messages, my_data, pages};
    Router::new()
        .route("/", get(pages::home))
        .route("/recherche", get(pages::search))
        .route("/conseillers/{id}", get(pages::profile))
        .route("/conseillers/{id}/signaler", get(pages::report_form).post(pages::report_submit))
        .route("/accessibilite", get(pages::accessibility))
        .route("/mentions-legales", get(pages::legal))
        .route("/contact", get(contact::team_form).post(contact::team_submit))
        .route("/conseillers/{id}/contact", get(contact::adviser_form).post(contact::adviser_submit))
        .route("/altcha/defi", get(contact::altcha_challenge))
        .route("/mes-donnees", get(my_data::ask_form).post(my_data::ask))
        .route("/mes-donnees/acces", get(my_data::access_form).post(my_data::access))
        .route("/connexion", get(admin::sign_in_form).post(admin::sign_in))
        .route("/connexion/code", post(admin::sign_in_code))
        .route("/connexion/activation", post(admin::sign_in_enrol))
        .route("/connexion/oubli", get(admin::forgot_form).post(admin::forgot))
        .route("/connexion/nouveau", get(admin::reset_form).post(admin::reset))
        .route("/deconnexion", post(admin::sign_out))
        .route("/admin", get(admin::home))
        .route("/admin/session/prolonger", post(admin::extend))
        .route("/admin/session/partout", post(admin::sign_out_everywhere))
        .route("/candidature", get(applications::apply_form).post(applications::apply))
        .route("/candidature/envoyee", get(applications::apply_sent))
        .route("/appels", get(applications::calls_public))
        .route("/appels/{id}/candidature", get(applications::call_apply_form).post(applications::call_apply))
        .route("/admin/candidature", get(applications::my_applications))
        .route("/admin/candidature/{id}", post(applications::resubmit))
        .route("/admin/profil", get(applications::profile_form).post(applications::profile_save))
        .route("/admin/candidatures", get(applications::applications))
        .route("/admin/candidatures/{id}", get(applications::application).post(applications::review))
        .route("/admin/appels", get(applications::calls).post(applications::create_call))
        .route("/admin/messages", get(messages::inbox))
        .route("/admin/messages/{id}", get(messages::message).post(messages::message_act))
        .route("/admin/demandes", get(messages::requests))
        .route("/admin/demandes/{id}", post(messages::request_outcome))
        .route("/admin/suivi", get(messages::outcomes))
        .route("/admin/moderation", get(backoffice::moderation))
        .route("/admin/moderation/{id}", post(backoffice::moderation_decide))
        .route("/admin/recherches", get(backoffice::zero_results))
        .route("/admin/recherches.csv", get(backoffice::zero_results_csv))
        .route("/admin/couverture", get(backoffice::coverage))
        .route("/admin/journal", get(backoffice::audit))
        .route("/admin/journal.csv", get(backoffice::audit_csv))
        .route("/admin/comptes", get(backoffice::users))
        .route("/admin/comptes/{id}/sessions", post(backoffice::user_sessions))
        .route("/admin/comptes/{id}/etat", post(backoffice::user_state))
        .route("/conseillers/{id}/revendiquer", get(claims::claim_form).post(claims::claim_submit))
        .route("/admin/revendications", get(claims::claims).post(claims::invite))
        .route("/admin/revendications/{id}", get(claims::claim).post(claims::claim_decide))
        .route("/invitation", get(claims::invitation_form).post(claims::invitation_accept))
        .route("/healthz", get(health::healthz))
        .route("/api/v1/advisers", get(api::advisers))
        .route("/api/v1/advisers/{id}", get(api::adviser))
        .route("/api/openapi.json", get(api::openapi))
        .route("/static/{file}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .fallback(pages::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        // Outermost last: headers go on every answer, refusals included.
        .layer(middleware::from_fn(security::refuse_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), security::rate_limit))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A default configuration once had no retention, no proof of work and
    /// no fill time: whatever used it ran a weaker server than `osez serve`.
    #[test]
    fn the_default_configuration_is_what_osez_serve_runs() {
        let c = WebConfig::default();
        assert_eq!((c.retention_days, c.altcha_cost, c.min_fill_secs), (365, 5000, 3));
        assert_eq!((c.search_per_minute, c.forms_per_minute, c.contacts_per_hour), (600, 10, 5));
        assert!(c.secure_cookies && !c.hsts && c.trusted_proxy_header.is_none());
    }
}
