//! The security layers, for every route present and to come: cross-site
//! state changes refused, per-IP rate limits, and the response headers.
//! Everything here is a layer on the whole router, so a route added later
//! is covered without doing anything.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::kit::error::{ErrorPage, render};
use crate::kit::limits::{client_key, wait_secs};
use crate::kit::page::Base;
use crate::kit::state::AppState;

/// True when the browser says the request comes from another site:
/// `Sec-Fetch-Site` other than same-origin (or none, for a typed URL), or an
/// `Origin` whose host differs from `Host`. Clients that send neither (curl,
/// old browsers) are not refused here: the form token covers them.
pub fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return true;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        // Sandboxed documents and some redirects send "null".
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn wants_json(req_path: &str) -> bool {
    req_path.starts_with("/api/")
}

fn refusal(path: &str, status: StatusCode, title: &'static str, message: &str) -> Response {
    if wants_json(path) {
        let code = if status == StatusCode::TOO_MANY_REQUESTS { "rate_limited" } else { "forbidden" };
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        (status, axum::Json(body)).into_response()
    } else {
        render(status, &ErrorPage { title, message: message.to_string(), base: Base::bare() })
    }
}

/// Refuses every cross-site request that is not GET, HEAD or OPTIONS.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if !is_safe(req.method()) && cross_site(req.headers()) {
        return refusal(
            req.uri().path(),
            StatusCode::FORBIDDEN,
            "Requête refusée",
            "Cette action doit être faite depuis les pages de ce site. Rechargez la page et recommencez.",
        );
    }
    next.run(req).await
}

/// The client's address, as the rate limits see it (before
/// [`client_key`]).
pub(crate) struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<Arc<AppState>> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        Ok(ClientIp(state.limits.client_of(&parts.headers, peer)))
    }
}

/// A consultation vote: the API's and the page's.
fn is_vote(path: &str) -> bool {
    (path.starts_with("/api/v1/consultations/") && path.ends_with("/votes"))
        || (path.starts_with("/consultations/") && path.ends_with("/voter"))
}

pub async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    limits.note_peer(req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0));
    let path = req.uri().path();
    let limiter = if !is_safe(req.method()) && is_vote(path) {
        // Someone voting sends many small forms, one per proposal: votes
        // have their own, larger, budget (and one per participant, counted
        // where the participant is known).
        limits.votes.as_ref()
    } else if path == "/admin/ressources/apercu" {
        // The editor's live preview posts as the editor types: limited like
        // a search, not like a form sent.
        limits.search.as_ref()
    } else if !is_safe(req.method()) {
        limits.forms.as_ref()
    } else if path.starts_with("/api/v1/")
        || path.ends_with("/proposer/proches")
        || matches!(path, "/recherche" | "/ressources" | "/altcha/defi" | "/sitemap.xml" | "/ressources/flux.atom")
    {
        // A challenge costs the server a key derivation, a sitemap or a feed
        // a walk over every page: limited like a search.
        limits.search.as_ref()
    } else {
        None
    };
    if let Some(limiter) = limiter {
        let key = client_key(limits.client(&req));
        if let Err(not_until) = limiter.check_key(&key) {
            let secs = wait_secs(&not_until);
            let mut res = refusal(
                path,
                StatusCode::TOO_MANY_REQUESTS,
                "Trop de requêtes",
                &format!("Trop de requêtes en peu de temps depuis votre adresse. Réessayez dans {secs} secondes."),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
    }
    next.run(req).await
}

/// Content-Security-Policy: no inline script or style anywhere, nothing
/// from another origin, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'";

/// Headers on every response; HSTS when the site is served over TLS.
pub async fn headers(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(HeaderName::from_static("permissions-policy"), "geolocation=(), camera=(), microphone=()");
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    if state.config.hsts {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    res
}
