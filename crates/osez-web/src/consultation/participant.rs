//! The anonymous participant of consultations, and the signed key of each
//! proposal served to them.
//!
//! A participant is a random 128-bit token in a cookie, signed by the
//! server (`TOKEN.HMAC`): a client cannot make up participants of its own,
//! only get them from the server, which counts the new ones per address.
//! The store knows only the token's SHA-256. No account, no address: one
//! vote per participant and proposal, and nothing that names a person.
//!
//! Each proposal served carries a key, an HMAC of (consultation, proposal,
//! token): it proves the proposal was served to this participant. A vote
//! without a valid key is kept as untrusted and counted nowhere (Make.org's
//! rule): scripts that vote without reading a sequence weigh nothing.

use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::kit::error::{ApiError, ErrorPage, PageError, render};
use crate::kit::limits::hourly_limit_message;
use crate::kit::security::ClientIp;
use crate::kit::shared_limits::Shared;
use crate::kit::state::AppState;
use crate::kit::tokens::{Secrets, hex, unhex};

type HmacSha256 = Hmac<Sha256>;

/// A year: a consultation runs for months.
const MAX_AGE_SECS: u64 = 365 * 24 * 3600;
/// Bytes of the cookie's signature and of a proposal's key (128 bits).
const MAC_BYTES: usize = 16;

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-osez_participant" } else { "osez_participant" }
}

fn mac(secrets: &Secrets, parts: &[&[u8]]) -> HmacSha256 {
    // The form key signs other things too: a label per use keeps a
    // participant's signature from being any other token's.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&secrets.form_key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac
}

/// The participant of this request.
#[derive(Debug, Clone)]
pub struct Participant {
    token: String,
    /// Made for this request: the response must set the cookie.
    pub fresh: bool,
}

impl Participant {
    /// The participant's cookie, if the request has a valid one.
    pub fn from_headers(headers: &HeaderMap, secrets: &Secrets, secure: bool) -> Option<Participant> {
        let name = cookie_name(secure);
        let value = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)?;
        let (token, signature) = value.split_once('.')?;
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let signature = unhex(signature)?;
        mac(secrets, &[b"participant", token.as_bytes()]).verify_truncated_left(&signature).ok()?;
        (signature.len() == MAC_BYTES).then(|| Participant { token: token.to_owned(), fresh: false })
    }

    pub fn new() -> Participant {
        Participant { token: hex(&rand::random::<[u8; 16]>()), fresh: true }
    }

    /// What the store knows of the participant.
    pub fn token_hash(&self) -> String {
        hex(&Sha256::digest(self.token.as_bytes()))
    }

    /// The `Set-Cookie` header of a fresh participant.
    pub fn set_cookie(&self, secrets: &Secrets, secure: bool) -> Option<HeaderValue> {
        if !self.fresh {
            return None;
        }
        let signature = mac(secrets, &[b"participant", self.token.as_bytes()]).finalize().into_bytes();
        let secure_attr = if secure { "; Secure" } else { "" };
        let value = format!(
            "{}={}.{}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure_attr}",
            cookie_name(secure),
            self.token,
            hex(&signature[..MAC_BYTES])
        );
        HeaderValue::from_str(&value).ok()
    }

    /// `res` with the participant's cookie when it is fresh, and
    /// `Cache-Control: no-store` (what it shows is this participant's).
    pub fn attach(&self, mut res: Response, secrets: &Secrets, secure: bool) -> Response {
        if let Some(cookie) = self.set_cookie(secrets, secure) {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }

    /// The key of a proposal served to this participant.
    pub fn key(&self, secrets: &Secrets, consultation_id: i64, proposal_id: i64) -> String {
        let m =
            mac(secrets, &[b"vote", &consultation_id.to_be_bytes(), &proposal_id.to_be_bytes(), self.token.as_bytes()]);
        hex(&m.finalize().into_bytes()[..MAC_BYTES])
    }

    /// Whether `key` is the key of this proposal served to this
    /// participant (compared in constant time).
    pub fn key_checks(&self, secrets: &Secrets, consultation_id: i64, proposal_id: i64, key: &str) -> bool {
        let Some(bytes) = unhex(key).filter(|b| b.len() == MAC_BYTES) else {
            return false;
        };
        mac(secrets, &[b"vote", &consultation_id.to_be_bytes(), &proposal_id.to_be_bytes(), self.token.as_bytes()])
            .verify_truncated_left(&bytes)
            .is_ok()
    }
}

/// The signature of a link that confirms a participant's address: it
/// holds for this participant, this address and this expiry only.
pub fn confirmation_signature(secrets: &Secrets, participant_id: i64, email: &str, expires_ms: i64) -> String {
    let m = mac(secrets, &[b"confirm", &participant_id.to_be_bytes(), email.as_bytes(), &expires_ms.to_be_bytes()]);
    hex(&m.finalize().into_bytes()[..MAC_BYTES])
}

/// Whether `signature` is the one of this link (compared in constant time).
pub fn confirmation_checks(
    secrets: &Secrets,
    participant_id: i64,
    email: &str,
    expires_ms: i64,
    signature: &str,
) -> bool {
    let Some(bytes) = unhex(signature).filter(|b| b.len() == MAC_BYTES) else {
        return false;
    };
    mac(secrets, &[b"confirm", &participant_id.to_be_bytes(), email.as_bytes(), &expires_ms.to_be_bytes()])
        .verify_truncated_left(&bytes)
        .is_ok()
}

/// Too many new participants from one address this hour: 429, in JSON on
/// the API, as a French page elsewhere.
pub struct TooManyParticipants {
    api: bool,
    secs: u64,
}

impl IntoResponse for TooManyParticipants {
    fn into_response(self) -> Response {
        let message = hourly_limit_message("nouveaux participants", "depuis votre adresse", self.secs);
        let mut res = if self.api {
            ApiError::Refused {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "rate_limited",
                message,
                retry_after: None,
            }
            .into_response()
        } else {
            let base = crate::kit::page::Base::bare();
            render(StatusCode::TOO_MANY_REQUESTS, &ErrorPage { title: "Trop de participants", message, base })
        };
        if let Ok(v) = HeaderValue::from_str(&self.secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl axum::extract::FromRequestParts<Arc<AppState>> for Participant {
    type Rejection = Response;

    /// The request's participant, or a new one if the client is allowed
    /// one more this hour.
    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let Some(ready) = state.ready() else {
            return Err(ApiError::Starting.into_response());
        };
        let secure = state.config.secure_cookies;
        if let Some(p) = Participant::from_headers(&parts.headers, &ready.secrets, secure) {
            return Ok(p);
        }
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await.unwrap_or_else(|never| match never {});
        let shared = Shared { store: &ready.store, secrets: &ready.secrets };
        let api = parts.uri.path().starts_with("/api/");
        let wait = shared.new_participant_wait(&state.limits, ip).await.map_err(|e| match api {
            true => ApiError::from(e).into_response(),
            false => PageError::from(e).into_response(),
        })?;
        if let Some(secs) = wait {
            return Err(TooManyParticipants { api, secs }.into_response());
        }
        Ok(Participant::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(k: u8) -> Secrets {
        Secrets { form_key: [k; 32] }
    }

    fn cookie_headers(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("autre=1; {pair}")).unwrap());
        h
    }

    #[test]
    fn a_participant_comes_back_only_with_the_servers_signature() {
        let p = Participant::new();
        let set = p.set_cookie(&secrets(1), true).unwrap();
        assert!(set.to_str().unwrap().starts_with("__Host-osez_participant="));
        assert!(set.to_str().unwrap().contains("HttpOnly"));
        let back = Participant::from_headers(&cookie_headers(&set), &secrets(1), true).unwrap();
        assert_eq!(back.token_hash(), p.token_hash());
        assert!(!back.fresh);
        assert!(back.set_cookie(&secrets(1), true).is_none(), "an old participant's cookie is not set again");
        // Another server's key, or a token made up by the client: none.
        assert!(Participant::from_headers(&cookie_headers(&set), &secrets(2), true).is_none());
        let mut forged = HeaderMap::new();
        let made_up = format!("__Host-osez_participant={}.{}", "a".repeat(32), "b".repeat(32));
        forged.insert(header::COOKIE, HeaderValue::from_str(&made_up).unwrap());
        assert!(Participant::from_headers(&forged, &secrets(1), true).is_none());
    }

    #[test]
    fn a_key_holds_for_one_participant_one_proposal_one_consultation() {
        let (a, b) = (Participant::new(), Participant::new());
        let s = secrets(3);
        let key = a.key(&s, 1, 42);
        assert!(a.key_checks(&s, 1, 42, &key));
        assert!(!b.key_checks(&s, 1, 42, &key), "another participant");
        assert!(!a.key_checks(&s, 1, 43, &key), "another proposal");
        assert!(!a.key_checks(&s, 2, 42, &key), "another consultation");
        assert!(!a.key_checks(&secrets(4), 1, 42, &key), "another server");
        assert!(!a.key_checks(&s, 1, 42, "forged"));
        assert!(!a.key_checks(&s, 1, 42, ""));
        assert!(!a.key_checks(&s, 1, 42, &key[..16]), "a shortened key");
    }

    #[test]
    fn a_confirmation_link_holds_for_its_participant_address_and_expiry() {
        let s = secrets(5);
        let sig = confirmation_signature(&s, 7, "ana@exemple.fr", 1_000);
        assert!(confirmation_checks(&s, 7, "ana@exemple.fr", 1_000, &sig));
        assert!(!confirmation_checks(&s, 8, "ana@exemple.fr", 1_000, &sig), "another participant");
        assert!(!confirmation_checks(&s, 7, "bob@exemple.fr", 1_000, &sig), "another address");
        assert!(!confirmation_checks(&s, 7, "ana@exemple.fr", 2_000, &sig), "a later expiry");
        assert!(!confirmation_checks(&secrets(6), 7, "ana@exemple.fr", 1_000, &sig), "another server");
        // A vote key is not a confirmation, even with the same numbers.
        let p = Participant::new();
        assert!(!confirmation_checks(&s, 7, "ana@exemple.fr", 1_000, &p.key(&s, 7, 1_000)));
    }
}
