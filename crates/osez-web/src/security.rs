//! The security baseline, for every route present and to come:
//! cross-site state changes refused, signed form tokens, per-IP rate
//! limits, and the response headers.
//!
//! Everything here is a layer on the whole router, so a route added later
//! is covered without doing anything.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::AppState;
use crate::error::render;
use crate::views::ErrorPage;

/// How long a form may stay open before its token expires.
pub const FORM_TOKEN_TTL: Duration = Duration::from_secs(4 * 3600);

/// Secrets loaded at start-up (shared by every node through the database).
#[derive(Clone)]
pub struct Secrets {
    /// Key of the HMAC that signs form tokens.
    pub form_key: [u8; 32],
}

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
        render(status, &ErrorPage { title, message: message.to_string(), demo: false })
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

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hexadecimal of bytes (tokens, keys, hashes).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hexadecimal string; `None` if it is not one.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2).map(|i| text.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// The web layer's one clock, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn now_secs() -> u64 {
    (now_ms() / 1000) as u64
}

fn signature(key: &[u8; 32], issued: u64, binding: &str) -> Option<String> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    mac.update(issued.to_string().as_bytes());
    mac.update(b"|");
    mac.update(binding.as_bytes());
    Some(hex(&mac.finalize().into_bytes()))
}

/// A token for a form, bound to what it may change (the form's action, and
/// later the session): `ISSUED.HMAC`.
pub fn form_token(secrets: &Secrets, binding: &str) -> String {
    let issued = now_secs();
    format!("{issued}.{}", signature(&secrets.form_key, issued, binding).unwrap_or_default())
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Missing,
    Invalid,
    Expired,
}

impl TokenError {
    pub fn message(&self) -> &'static str {
        match self {
            TokenError::Missing | TokenError::Invalid => {
                "Le formulaire n'a pas pu être vérifié. Rechargez la page et envoyez-le de nouveau."
            }
            TokenError::Expired => "Le formulaire a expiré. Rechargez la page et envoyez-le de nouveau.",
        }
    }
}

/// When a form token was issued (Unix seconds), signature not checked.
pub fn token_issued(token: &str) -> Option<u64> {
    token.split_once('.').and_then(|(issued, _)| issued.parse().ok())
}

/// The key of a client for per-address limits and pseudonyms: an IPv4
/// address as it is (an IPv4-mapped IPv6 address is read as its IPv4), an
/// IPv6 address by its /64, the block one subscriber gets. Keyed by the
/// whole IPv6 address, one subscriber would have 2^64 quotas.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A pseudonym of a client for one purpose and one period (a day, say):
/// an HMAC of its [`client_key`] and of the period, under a key derived
/// from the form key, which every node shares. The address is never
/// stored, and the pseudonyms of two periods cannot be matched without the
/// key.
pub(crate) fn client_pseudonym(secrets: &Secrets, purpose: &str, period: i64, ip: IpAddr) -> String {
    let mut derive = HmacSha256::new_from_slice(&secrets.form_key).expect("HMAC takes any key length");
    // Form tokens sign "ISSUED|…" with the form key: a message that starts
    // with a word cannot be one of them.
    derive.update(b"pseudonyme|");
    derive.update(purpose.as_bytes());
    let key = derive.finalize().into_bytes();
    let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(period.to_string().as_bytes());
    mac.update(b"|");
    mac.update(client_key(ip).to_string().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// True when a peer's address suggests a reverse proxy in front of us
/// (loopback, private or link-local) while no trusted proxy header is set:
/// every client would then be that one address, and share its quotas.
pub(crate) fn proxy_suspected(peer: IpAddr, trusted_proxy_header: bool) -> bool {
    if trusted_proxy_header {
        return false;
    }
    // The address itself, not its /64: `::1` is loopback, `::` is not.
    match peer.to_canonical() {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
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

/// Checks a form token, in constant time.
pub fn check_form_token(secrets: &Secrets, binding: &str, token: Option<&str>) -> Result<(), TokenError> {
    check_form_token_within(secrets, binding, token, FORM_TOKEN_TTL)
}

/// Same, with a shorter life (the second step of a sign-in).
pub fn check_form_token_within(
    secrets: &Secrets,
    binding: &str,
    token: Option<&str>,
    ttl: Duration,
) -> Result<(), TokenError> {
    let token = token.filter(|t| !t.is_empty()).ok_or(TokenError::Missing)?;
    let (issued, sig) = token.split_once('.').ok_or(TokenError::Invalid)?;
    let issued: u64 = issued.parse().map_err(|_| TokenError::Invalid)?;
    let sig_bytes = unhex(sig).ok_or(TokenError::Invalid)?;
    let mut mac = HmacSha256::new_from_slice(&secrets.form_key).map_err(|_| TokenError::Invalid)?;
    mac.update(issued.to_string().as_bytes());
    mac.update(b"|");
    mac.update(binding.as_bytes());
    mac.verify_slice(&sig_bytes).map_err(|_| TokenError::Invalid)?;
    let now = now_secs();
    if issued > now + 60 || now - issued.min(now) > ttl.as_secs() {
        return Err(TokenError::Expired);
    }
    Ok(())
}

/// Per-IP limits. `None` quotas are unlimited (benchmarks, tests).
pub struct Limits {
    /// Searches: `/api/…` and `/recherche`.
    search: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Every state-changing request (forms).
    forms: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Contact messages accepted, per hour.
    contacts: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxy_header: Option<HeaderName>,
    /// The warning of [`proxy_suspected`] was logged: once is enough.
    proxy_warned: AtomicBool,
}

impl Limits {
    pub fn new(config: &crate::WebConfig) -> Self {
        let limiter = |n: u32| NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Limits {
            search: limiter(config.search_per_minute),
            forms: limiter(config.forms_per_minute),
            contacts: NonZeroU32::new(config.contacts_per_hour).map(|n| RateLimiter::keyed(Quota::per_hour(n))),
            trusted_proxy_header: config.trusted_proxy_header.clone(),
            proxy_warned: AtomicBool::new(false),
        }
    }

    /// Warns once when a peer looks like a reverse proxy and no trusted
    /// proxy header is set. Only a request tells the peer, so this runs on
    /// requests, not at start-up.
    fn note_peer(&self, peer: Option<SocketAddr>) {
        if self.proxy_warned.load(Ordering::Relaxed) {
            return;
        }
        if let Some(peer) = peer
            && proxy_suspected(peer.ip(), self.trusted_proxy_header.is_some())
            && !self.proxy_warned.swap(true, Ordering::Relaxed)
        {
            // No address in the log: it is the proxy's, or the operator's.
            tracing::warn!(
                "a client connects from a loopback or private address and no --trusted-proxy-header is set: \
                 behind a reverse proxy, every client is that one address for the per-IP limits and the \
                 abuse reports; set --trusted-proxy-header (X-Forwarded-For) if a proxy is in front"
            );
        }
    }

    /// Counts a contact message from `ip`; the seconds to wait if there were
    /// too many.
    pub(crate) fn contact_wait(&self, ip: IpAddr) -> Option<u64> {
        self.contacts.as_ref()?.check_key(&client_key(ip)).err().map(|n| wait_secs(&n))
    }

    /// Forgets addresses that have not been seen for a while.
    pub fn forget_idle(&self) {
        for l in [&self.search, &self.forms, &self.contacts].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    fn client(&self, req: &Request) -> IpAddr {
        self.client_of(req.headers(), req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0))
    }

    /// The client's address: the last entry of the trusted proxy's header
    /// when one is configured (the address the proxy saw), else the peer.
    pub(crate) fn client_of(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
        if let Some(name) = &self.trusted_proxy_header {
            let forwarded = headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|ip| ip.trim().parse().ok());
            if let Some(ip) = forwarded {
                return ip;
            }
        }
        peer.map(|p| p.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]))
    }
}

/// Whole seconds until a limiter lets the next request through (1 at least).
fn wait_secs(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())).as_secs().max(1)
}

/// "Trop de … depuis votre adresse en une heure. Réessayez dans 12 minutes."
pub(crate) fn hourly_limit_message(what: &str, secs: u64) -> String {
    let minutes = secs.div_ceil(60);
    format!(
        "Trop de {what} depuis votre adresse en une heure. Réessayez dans {minutes} minute{}.",
        if minutes > 1 { "s" } else { "" }
    )
}

pub async fn rate_limit(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    limits.note_peer(req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0));
    let path = req.uri().path();
    let limiter = if !is_safe(req.method()) {
        limits.forms.as_ref()
    } else if path.starts_with("/api/v1/") || path == "/recherche" || path == "/altcha/defi" {
        // A challenge costs the server a key derivation: limited like a search.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets { form_key: [7; 32] }
    }

    #[test]
    fn form_tokens_are_bound_and_signed() {
        let t = form_token(&secrets(), "/conseillers/a/signaler");
        assert_eq!(check_form_token(&secrets(), "/conseillers/a/signaler", Some(&t)), Ok(()));
        assert_eq!(check_form_token(&secrets(), "/conseillers/b/signaler", Some(&t)), Err(TokenError::Invalid));
        assert_eq!(
            check_form_token(&Secrets { form_key: [8; 32] }, "/conseillers/a/signaler", Some(&t)),
            Err(TokenError::Invalid)
        );
        assert_eq!(check_form_token(&secrets(), "/x", None), Err(TokenError::Missing));
        for forged in ["", "abc", "1.zz", "99999999999999999999.00", "1.0", "1."] {
            assert!(check_form_token(&secrets(), "/x", Some(forged)).is_err(), "{forged}");
        }
    }

    #[test]
    fn clients_are_keyed_by_ipv4_address_or_ipv6_slash_64() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("198.51.100.7"), key("198.51.100.7"));
        assert_ne!(key("198.51.100.7"), key("198.51.100.8"));
        assert_eq!(key("::ffff:198.51.100.7"), key("198.51.100.7"), "IPv4-mapped IPv6 is IPv4");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "one /64");
        assert_eq!(key("2001:db8:1:2::1").to_string(), "2001:db8:1:2::");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"), "another /64");
    }

    #[test]
    fn pseudonyms_are_keyed_per_purpose_and_period_and_hide_the_address() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let p = client_pseudonym(&secrets(), "signalement", 20_000, ip("2001:db8:1:2::1"));
        assert_eq!(p.len(), 64);
        assert!(!p.contains("2001") && !p.contains("db8"));
        assert_eq!(p, client_pseudonym(&secrets(), "signalement", 20_000, ip("2001:db8:1:2::9")), "one /64");
        assert_ne!(p, client_pseudonym(&secrets(), "signalement", 20_001, ip("2001:db8:1:2::1")), "next day");
        assert_ne!(p, client_pseudonym(&secrets(), "autre", 20_000, ip("2001:db8:1:2::1")), "other purpose");
        assert_ne!(p, client_pseudonym(&Secrets { form_key: [8; 32] }, "signalement", 20_000, ip("2001:db8:1:2::1")));
        assert_ne!(p, client_pseudonym(&secrets(), "signalement", 20_000, ip("2001:db8:1:3::1")));
    }

    #[test]
    fn a_proxy_is_suspected_behind_private_peers_without_a_trusted_header() {
        for peer in [
            "127.0.0.1",
            "10.0.0.2",
            "172.17.0.1",
            "192.168.1.10",
            "169.254.1.1",
            "::1",
            "fd00::2",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(proxy_suspected(peer.parse().unwrap(), false), "{peer}");
            assert!(!proxy_suspected(peer.parse().unwrap(), true), "{peer}: the header is set");
        }
        for peer in ["198.51.100.7", "2001:db8::1", "::ffff:203.0.113.9"] {
            assert!(!proxy_suspected(peer.parse().unwrap(), false), "{peer}");
        }
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(unhex(&hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn old_tokens_expire() {
        let issued = now_secs() - FORM_TOKEN_TTL.as_secs() - 10;
        let t = format!("{issued}.{}", signature(&secrets().form_key, issued, "/x").unwrap());
        assert_eq!(check_form_token(&secrets(), "/x", Some(&t)), Err(TokenError::Expired));
    }

    #[test]
    fn cross_site_is_read_from_fetch_metadata_and_origin() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            m
        };
        assert!(cross_site(&h(&[("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&h(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&h(&[("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&h(&[("origin", "https://evil.example"), ("host", "osez.test")])));
        assert!(!cross_site(&h(&[("origin", "https://osez.test"), ("host", "osez.test")])));
        assert!(cross_site(&h(&[("origin", "null"), ("host", "osez.test")])));
        assert!(!cross_site(&h(&[])));
    }
}
