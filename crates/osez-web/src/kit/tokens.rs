//! Secrets, signed form tokens, and keyed pseudonyms of clients; the web
//! layer's one clock.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::kit::limits::client_key;

/// How long a form may stay open before its token expires.
pub const FORM_TOKEN_TTL: Duration = Duration::from_secs(4 * 3600);

/// Secrets loaded at start-up (shared by every node through the database).
#[derive(Clone)]
pub struct Secrets {
    /// Key of the HMAC that signs form tokens.
    pub form_key: [u8; 32],
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

/// A pseudonym of a client for one purpose and one period (a day, say):
/// an HMAC of its [`client_key`] and of the period, under a key derived
/// from the form key, which every node shares. The address is never
/// stored, and the pseudonyms of two periods cannot be matched without the
/// key.
pub(crate) fn client_pseudonym(secrets: &Secrets, purpose: &str, period: i64, ip: IpAddr) -> String {
    let mut mac = purpose_mac(secrets, purpose);
    mac.update(period.to_string().as_bytes());
    mac.update(b"|");
    mac.update(client_key(ip).to_string().as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A pseudonym of a text (an e-mail address) for one purpose: the first
/// 128 bits of an HMAC under the purpose's key, as [`client_pseudonym`].
/// The text is never stored.
pub(crate) fn text_pseudonym(secrets: &Secrets, purpose: &str, text: &str) -> String {
    let mut mac = purpose_mac(secrets, purpose);
    mac.update(b"texte|");
    mac.update(text.as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

/// An HMAC under the key of `purpose`, derived from the form key.
fn purpose_mac(secrets: &Secrets, purpose: &str) -> HmacSha256 {
    let mut derive = HmacSha256::new_from_slice(&secrets.form_key).expect("HMAC takes any key length");
    // Form tokens sign "ISSUED|…" with the form key: a message that starts
    // with a word cannot be one of them.
    derive.update(b"pseudonyme|");
    derive.update(purpose.as_bytes());
    let key = derive.finalize().into_bytes();
    HmacSha256::new_from_slice(&key).expect("HMAC takes any key length")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::limits::*;
    use crate::kit::security::*;
    use axum::http::{HeaderMap, HeaderName, HeaderValue};

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
