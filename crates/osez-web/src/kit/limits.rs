//! Per-IP limits, keyed by IPv4 address or IPv6 /64, and the address of
//! the client as a trusted reverse proxy gives it.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::kit::config::WebConfig;

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

/// Per-IP limits. `None` quotas are unlimited (benchmarks, tests).
pub struct Limits {
    /// Searches: `/api/…` and `/recherche`.
    pub(crate) search: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Every state-changing request (forms).
    pub(crate) forms: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Public forms sent (contact, claims, data requests, abuse reports),
    /// per hour, per form and per client, and per form and per e-mail
    /// address typed in it: counted in the database (every node shares
    /// them); 0 is unlimited.
    pub(crate) contacts_per_hour: u32,
    /// Consultation votes, per minute and per client.
    pub(crate) votes: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Consultation votes, per minute and per participant (the hash of
    /// their token).
    participant_votes: Option<DefaultKeyedRateLimiter<String>>,
    /// New anonymous participants, per hour and per client, counted in the
    /// database; 0 is unlimited.
    pub(crate) participants_per_hour: u32,
    trusted_proxy_header: Option<HeaderName>,
    /// The warning of [`proxy_suspected`] was logged: once is enough.
    proxy_warned: AtomicBool,
}

impl Limits {
    pub fn new(config: &WebConfig) -> Self {
        let limiter = |n: u32| NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Limits {
            search: limiter(config.search_per_minute),
            forms: limiter(config.forms_per_minute),
            contacts_per_hour: config.contacts_per_hour,
            votes: limiter(config.votes_per_minute),
            participant_votes: NonZeroU32::new(config.participant_votes_per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            participants_per_hour: config.participants_per_hour,
            trusted_proxy_header: config.trusted_proxy_header.clone(),
            proxy_warned: AtomicBool::new(false),
        }
    }

    /// Warns once when a peer looks like a reverse proxy and no trusted
    /// proxy header is set. Only a request tells the peer, so this runs on
    /// requests, not at start-up.
    pub(crate) fn note_peer(&self, peer: Option<SocketAddr>) {
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

    /// Counts a vote of the participant `token_hash`; the seconds to wait
    /// if they voted too often this minute.
    pub(crate) fn participant_vote_wait(&self, token_hash: &str) -> Option<u64> {
        self.participant_votes.as_ref()?.check_key(&token_hash.to_owned()).err().map(|n| wait_secs(&n))
    }

    /// Forgets addresses that have not been seen for a while.
    pub fn forget_idle(&self) {
        for l in [&self.search, &self.forms, &self.votes].into_iter().flatten() {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.participant_votes {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    pub(crate) fn client(&self, req: &Request) -> IpAddr {
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
pub(crate) fn wait_secs(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())).as_secs().max(1)
}

/// "Trop de … depuis votre adresse en une heure. Réessayez dans 12 minutes."
/// (`from`: "depuis votre adresse", "pour cette adresse e-mail").
pub(crate) fn hourly_limit_message(what: &str, from: &str, secs: u64) -> String {
    let minutes = secs.div_ceil(60);
    format!(
        "Trop de {what} {from} en une heure. Réessayez dans {minutes} minute{}.",
        if minutes > 1 { "s" } else { "" }
    )
}
