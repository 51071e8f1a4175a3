//! Sessions: the cookie, the signed-in user as an extractor, and the form
//! tokens bound to a session.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_store::User;
use sha2::{Digest, Sha256};

use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::page::Base;
use crate::kit::page::no_store;
use crate::kit::state::AppState;
use crate::kit::tokens::{Secrets, check_form_token, client_pseudonym, hex, now_ms};

/// Form tokens of signed-in pages are bound to the session as well.
pub(crate) fn session_binding(action: &str, current: &CurrentUser) -> String {
    format!("{action}|{}", current.token_hash)
}

/// Checks the form token of a signed-in action; a bad one sends the user
/// back to the page with a French message.
pub(crate) async fn checked(
    state: &AppState,
    current: &CurrentUser,
    action: &str,
    form: &HashMap<String, String>,
) -> Result<(), Response> {
    let Some(ready) = state.ready() else { return Err(PageError::Starting.into_response()) };
    check_form_token(&ready.secrets, &session_binding(action, current), form.get("jeton").map(String::as_str)).map_err(
        |e| {
            let page = ErrorPage { title: "Action refusée", message: e.message().to_string(), base: Base::bare() };
            no_store(render(StatusCode::FORBIDDEN, &page))
        },
    )
}

pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

pub fn cookie_name(secure: bool) -> &'static str {
    // The `__Host-` prefix needs Secure; a plain-http local run gets a
    // plain name.
    if secure { "__Host-osez_session" } else { "osez_session" }
}

pub fn new_token() -> String {
    hex(&rand::random::<[u8; 16]>())
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure_attr = if secure { "; Secure" } else { "" };
    let value = format!("{}={token}; Path=/; HttpOnly; SameSite=Lax{secure_attr}", cookie_name(secure));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(secure: bool) -> HeaderValue {
    let secure_attr = if secure { "; Secure" } else { "" };
    let value = format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure_attr}", cookie_name(secure));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of the cookie `name` sent by the browser, if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The session token sent by the browser, if any.
pub fn token_from(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie_value(headers, cookie_name(secure)).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Recorded instead of the e-mail field of a failed sign-in when it does not
/// hold an address: what was typed there may be a password.
pub const NOT_AN_EMAIL: &str = "(adresse non valide)";

/// The e-mail field of a sign-in as the audit log (and the failure counter)
/// may keep it: an address (at most 254 characters, as [`Email::parse`]
/// checks), or [`NOT_AN_EMAIL`].
///
/// [`Email::parse`]: osez_core::account::Email::parse
pub fn loggable_email(typed: &str) -> String {
    osez_core::account::Email::parse(typed).map(|e| e.as_str().to_string()).unwrap_or_else(|_| NOT_AN_EMAIL.into())
}

/// The pseudonym of a client address in the audit log: an HMAC-SHA256 of
/// the address (an IPv6 address by its /64, which one subscriber usually
/// holds whole), 64 bits of it in hex. The raw address is never stored: the
/// team can still see that entries come from one place, and nobody can
/// read the address back without the key.
///
/// The key is derived from the form key, which the database keeps and every
/// node shares, rather than kept as a second secret: one secret less to load
/// and to rotate, and the label keeps the two uses apart.
pub fn ip_pseudonym(secrets: &Secrets, ip: IpAddr) -> String {
    // The same keyed hash as the abuse reports', for another purpose: one
    // way to key a client (IPv6 by its /64), one derivation of keys.
    let pseudonym = client_pseudonym(secrets, "journal", 0, ip);
    format!("ip:{}", &pseudonym[..16])
}

/// The signed-in user of a back-office request. Without a valid session,
/// the request is sent to the sign-in page.
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
    /// When the session ends without further activity (Unix ms).
    pub idle_deadline_ms: i64,
}

/// The user of the request's session. Without a session, or with an
/// expired one, the rejection sends to the sign-in page. Handlers reach
/// it only through a guard ([`crate::kit::guard`]), which states the roles
/// admitted.
pub(crate) async fn session_user(parts: &Parts, state: &AppState) -> Result<CurrentUser, Response> {
    let to_sign_in = || Redirect::to("/connexion").into_response();
    let ready = state.ready().ok_or_else(|| PageError::Starting.into_response())?;
    let secure = state.config.secure_cookies;
    let token = token_from(&parts.headers, secure).ok_or_else(to_sign_in)?;
    let hash = token_hash(&token);
    let session = ready.store.session(&hash).await.map_err(|e| PageError::from(e).into_response())?;
    let Some(session) = session else { return Err(to_sign_in()) };
    let now = now_ms();
    let idle_ms = IDLE_TIMEOUT.as_millis() as i64;
    if now > session.expires_at_ms || now > session.last_seen_at_ms + idle_ms {
        let _ = ready.store.delete_session(&hash).await;
        return Err(Redirect::to("/connexion?expiree=1").into_response());
    }
    let user = ready.store.user(session.user_id).await.map_err(|e| PageError::from(e).into_response())?;
    let Some(user) = user.filter(|u| !u.disabled) else { return Err(to_sign_in()) };
    // Activity extends the session; one write a minute is enough.
    let mut last_seen = session.last_seen_at_ms;
    if now - last_seen > 60_000 {
        ready.store.touch_session(&hash).await.map_err(|e| PageError::from(e).into_response())?;
        last_seen = now;
    }
    Ok(CurrentUser { user, token_hash: hash, idle_deadline_ms: (last_seen + idle_ms).min(session.expires_at_ms) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::passwords::*;
    use crate::kit::tokens::Secrets;

    #[tokio::test]
    async fn failed_sign_ins_of_one_ipv6_slash_64_count_together() {
        let store = osez_store::testing::sqlite_store().await;
        let secrets = Secrets { form_key: [7; 32] };
        for i in 0..MAX_FAILURES_PER_MINUTE {
            let ip: IpAddr = format!("2001:db8:1:2::{:x}", i + 1).parse().unwrap();
            record_sign_in_failure(&store, &secrets, &format!("compte{i}@exemple.fr"), ip).await.unwrap();
        }
        let neighbour: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(sign_in_blocked(&store, &secrets, "autre@exemple.fr", neighbour).await.unwrap());
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(!sign_in_blocked(&store, &secrets, "autre@exemple.fr", elsewhere).await.unwrap());
    }

    #[test]
    fn tokens_are_128_bit_hex_and_hashed() {
        let t = new_token();
        assert_eq!(t.len(), 32);
        assert_ne!(t, new_token());
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
    }

    #[test]
    fn cookie_attributes() {
        let c = session_cookie("ab", true).to_str().unwrap().to_string();
        assert!(c.starts_with("__Host-osez_session=ab;"));
        for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(!c.contains("Domain"), "__Host- cookies have no Domain");
        let plain = session_cookie("ab", false).to_str().unwrap().to_string();
        assert!(plain.starts_with("osez_session=") && !plain.contains("Secure"));
    }

    #[test]
    fn only_well_formed_tokens_are_read() {
        let mut h = HeaderMap::new();
        let t = new_token();
        h.insert(header::COOKIE, HeaderValue::from_str(&format!("a=b; __Host-osez_session={t}")).unwrap());
        assert_eq!(token_from(&h, true), Some(t));
        h.insert(header::COOKIE, HeaderValue::from_static("__Host-osez_session=forged'); DROP TABLE"));
        assert_eq!(token_from(&h, true), None);
    }

    #[test]
    fn only_addresses_are_logged_from_the_email_field() {
        assert_eq!(loggable_email(" Ana@Exemple.fr "), "ana@exemple.fr");
        assert_eq!(loggable_email("Mon mot de passe 2026!"), NOT_AN_EMAIL);
        assert_eq!(loggable_email(&format!("{}@exemple.fr", "a".repeat(300))), NOT_AN_EMAIL, "capped");
    }

    #[test]
    fn ip_pseudonyms_are_keyed_and_take_ipv6_by_its_64() {
        let s = Secrets { form_key: [1; 32] };
        let p = |ip: &str| ip_pseudonym(&s, ip.parse().unwrap());
        assert_eq!(p("2001:db8:1:2::5"), p("2001:db8:1:2:ffff::9"), "one /64");
        assert_ne!(p("2001:db8:1:2::5"), p("2001:db8:1:3::5"));
        assert_ne!(p("192.0.2.1"), p("192.0.2.2"));
        assert_eq!(p("::ffff:192.0.2.1"), p("192.0.2.1"), "mapped IPv4 is IPv4");
        assert!(!p("192.0.2.1").contains("192"), "{}", p("192.0.2.1"));
        assert_ne!(p("192.0.2.1"), ip_pseudonym(&Secrets { form_key: [2; 32] }, "192.0.2.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn five_failures_a_minute_block_the_account_and_the_address() {
        // Counted in the database: every node of a deployment sees them.
        for (backend, store) in osez_store::testing::stores().await {
            let secrets = Secrets { form_key: [9; 32] };
            let (blocked, record) = (
                |email: &'static str, ip: &str| {
                    let (store, secrets, ip) = (store.clone(), secrets.clone(), ip.parse::<IpAddr>().unwrap());
                    async move { sign_in_blocked(&store, &secrets, email, ip).await.unwrap() }
                },
                |email: &'static str, ip: &str| {
                    let (store, secrets, ip) = (store.clone(), secrets.clone(), ip.parse::<IpAddr>().unwrap());
                    async move { record_sign_in_failure(&store, &secrets, email, ip).await.unwrap() }
                },
            );
            for _ in 0..MAX_FAILURES_PER_MINUTE {
                assert!(!blocked("a@b.fr", "192.0.2.1").await, "{backend}");
                record("a@b.fr", "192.0.2.1").await;
            }
            assert!(blocked("a@b.fr", "192.0.2.1").await, "{backend}");
            assert!(blocked("other@b.fr", "192.0.2.1").await, "{backend}: same address");
            assert!(blocked("a@b.fr", "192.0.2.2").await, "{backend}: same account");
            assert!(!blocked("other@b.fr", "192.0.2.2").await, "{backend}");
            // No address is stored, only pseudonyms.
            let keys = store.limit_counter_keys().await.unwrap();
            assert!(!keys.iter().any(|k| k.contains("b.fr") || k.contains("192.0")), "{backend}: {keys:?}");
        }
    }
}
