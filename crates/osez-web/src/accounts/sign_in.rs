//! Signing in: the password, then a TOTP code (or its enrolment) for the
//! roles that need a second factor; failed attempts throttled per account
//! and per address.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use osez_core::account::{Email, totp, verify_password};
use osez_store::User;

use crate::accounts::views::{SignInPage, TotpCodePage, TotpEnrolPage};
use crate::kit::error::{PageError, render};
use crate::kit::forms::FormFields;
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::passwords::{PasswordWorkError, busy_page, record_sign_in_failure, sign_in_blocked};
use crate::kit::session::{ABSOLUTE_TIMEOUT, ip_pseudonym, loggable_email, new_token, session_cookie, token_hash};
use crate::kit::state::AppState;
use crate::kit::tokens::{TokenError, check_form_token, check_form_token_within, form_token, now_ms};

const SIGN_IN: &str = "/connexion";

fn sign_in_page(
    state: &AppState,
    status: StatusCode,
    email: String,
    error: Option<String>,
    notice: Option<&str>,
) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, SIGN_IN)).unwrap_or_default();
    no_store(render(
        status,
        &SignInPage { email, error, notice: notice.map(str::to_string), token, base: state.base() },
    ))
}

pub async fn sign_in_form(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let notice = if raw.get("expiree").is_some() {
        Some("Votre session a expiré. Reconnectez-vous pour continuer.")
    } else if raw.get("sortie").is_some() {
        Some("Vous êtes déconnecté.")
    } else if raw.get("bienvenue").is_some() {
        Some("Votre mot de passe est enregistré. Connectez-vous pour gérer votre profil.")
    } else if raw.get("reinitialise").is_some() {
        Some(
            "Votre mot de passe a été changé, et vos autres sessions fermées. Connectez-vous avec le nouveau mot de passe.",
        )
    } else {
        None
    };
    Ok(sign_in_page(&state, StatusCode::OK, String::new(), None, notice))
}

pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(Form(fields)) = form else {
        return Ok(sign_in_page(
            &state,
            StatusCode::BAD_REQUEST,
            String::new(),
            Some("Formulaire illisible.".into()),
            None,
        ));
    };
    let typed_email = fields.get("email").map(|s| s.trim().to_string()).unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    if let Err(e) = check_form_token(&ready.secrets, SIGN_IN, fields.get("jeton").map(String::as_str)) {
        return Ok(sign_in_page(&state, StatusCode::FORBIDDEN, typed_email, Some(e.message().into()), None));
    }
    let ip = state.limits.client_of(&headers, peer.map(|p| p.0.0));
    // What may be kept of the e-mail field: an address, or a fixed marker
    // (a password typed there must not reach the log).
    let email_key = loggable_email(&typed_email);
    let place = ip_pseudonym(&ready.secrets, ip);
    if sign_in_blocked(&ready.store, &ready.secrets, &email_key, ip).await? {
        ready.store.record_audit(&email_key, "connexion.bloquee", &place, None, None).await?;
        let res = sign_in_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            typed_email,
            Some("Trop de tentatives de connexion en une minute. Patientez une minute avant de réessayer.".into()),
            None,
        );
        return Ok(res);
    }
    let user = match Email::parse(&typed_email) {
        Ok(email) => ready.store.user_by_email(&email).await?,
        Err(_) => None,
    };
    // The same work whether the account exists or not: no timing oracle.
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| state.passwords.decoy().to_string());
    let checked = match state.passwords.run(move || verify_password(&password, &hash)).await {
        Ok(checked) => checked,
        Err(PasswordWorkError::Busy) => return Ok(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e)),
    };
    let user = user.filter(|u| checked && !u.disabled);
    let Some(user) = user else {
        record_sign_in_failure(&ready.store, &ready.secrets, &email_key, ip).await?;
        ready.store.record_audit(&email_key, "connexion.echec", &place, None, None).await?;
        let res = sign_in_page(
            &state,
            StatusCode::UNAUTHORIZED,
            typed_email,
            Some("Adresse e-mail ou mot de passe incorrect.".into()),
            None,
        );
        return Ok(res);
    };
    match (&user.totp_secret, user.role.requires_totp()) {
        (Some(_), _) => Ok(code_page(&state, &user, StatusCode::OK, None)),
        (None, true) => {
            let secret = totp::secret_base32(&rand::random());
            Ok(enrol_page(&state, &user, &secret, StatusCode::OK, None))
        }
        (None, false) => open_session(&state, &user, ip, "/admin").await,
    }
}

/// How long the second step of a sign-in may take.
const SECOND_STEP_TTL: Duration = Duration::from_secs(5 * 60);

fn code_binding(user_id: i64) -> String {
    format!("/connexion/code|{user_id}")
}

fn enrol_binding(user_id: i64, secret: &str) -> String {
    format!("/connexion/activation|{user_id}|{secret}")
}

fn code_page(state: &AppState, user: &User, status: StatusCode, error: Option<String>) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, &code_binding(user.id))).unwrap_or_default();
    no_store(render(status, &TotpCodePage { user_id: user.id, token, error, base: state.base() }))
}

fn enrol_page(state: &AppState, user: &User, secret: &str, status: StatusCode, error: Option<String>) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, &enrol_binding(user.id, secret))).unwrap_or_default();
    // Groups of four, easier to type and to read aloud.
    let grouped =
        secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    let page = TotpEnrolPage {
        user_id: user.id,
        secret: secret.to_string(),
        secret_grouped: grouped,
        otpauth: totp::otpauth_url(secret, user.email.as_str()).unwrap_or_default(),
        token,
        error,
        base: state.base(),
    };
    no_store(render(status, &page))
}

/// Opens a session: a new token at every sign-in, so that a token planted
/// before cannot be reused.
pub(crate) async fn open_session(
    state: &AppState,
    user: &User,
    ip: std::net::IpAddr,
    to: &str,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let token = new_token();
    let expires = now_ms() + ABSOLUTE_TIMEOUT.as_millis() as i64;
    ready.store.create_session(&token_hash(&token), user.id, expires).await?;
    let place = ip_pseudonym(&ready.secrets, ip);
    ready.store.record_audit(user.email.as_str(), "connexion.reussie", &place, None, None).await?;
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(&token, state.config.secure_cookies));
    Ok(no_store(res))
}

/// The user of a second-step form, if its token is good.
async fn second_step_user(
    state: &AppState,
    fields: &HashMap<String, String>,
    binding: impl Fn(i64) -> String,
) -> Result<Result<User, &'static str>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some(user_id) = fields.get("uid").and_then(|v| v.parse::<i64>().ok()) else {
        return Ok(Err("Formulaire incomplet : recommencez la connexion."));
    };
    if let Err(e) = check_form_token_within(
        &ready.secrets,
        &binding(user_id),
        fields.get("jeton").map(String::as_str),
        SECOND_STEP_TTL,
    ) {
        return Ok(Err(match e {
            TokenError::Expired => "Le délai pour saisir le code est dépassé : recommencez la connexion.",
            _ => "Le formulaire n'a pas pu être vérifié : recommencez la connexion.",
        }));
    }
    match ready.store.user(user_id).await? {
        Some(u) if !u.disabled => Ok(Ok(u)),
        _ => Ok(Err("Compte introuvable : recommencez la connexion.")),
    }
}

fn restart(state: &AppState, status: StatusCode, message: &str) -> Response {
    sign_in_page(state, status, String::new(), Some(message.to_string()), None)
}

fn unix_now() -> u64 {
    (now_ms() / 1000) as u64
}

/// Second step: the code of the authenticator app.
pub async fn sign_in_code(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    FormFields(fields): FormFields,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let user = match second_step_user(&state, &fields, code_binding).await? {
        Ok(u) => u,
        Err(message) => return Ok(restart(&state, StatusCode::FORBIDDEN, message)),
    };
    let ip = state.limits.client_of(&headers, peer.map(|p| p.0.0));
    if sign_in_blocked(&ready.store, &ready.secrets, user.email.as_str(), ip).await? {
        return Ok(restart(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives en une minute. Patientez une minute avant de réessayer.",
        ));
    }
    let code = fields.get("code").map(String::as_str).unwrap_or("");
    let secret = user.totp_secret.clone().unwrap_or_default();
    let step = totp::accepted_step(&secret, code, unix_now(), user.totp_last_step);
    let accepted = match step {
        Some(s) => ready.store.accept_totp_step(user.id, s).await?,
        None => false,
    };
    if !accepted {
        record_sign_in_failure(&ready.store, &ready.secrets, user.email.as_str(), ip).await?;
        let place = ip_pseudonym(&ready.secrets, ip);
        ready.store.record_audit(user.email.as_str(), "connexion.code_refuse", &place, None, None).await?;
        let message = "Code incorrect ou déjà utilisé. Saisissez le code affiché maintenant par votre application.";
        return Ok(code_page(&state, &user, StatusCode::UNAUTHORIZED, Some(message.into())));
    }
    open_session(&state, &user, ip, "/admin").await
}

/// First sign-in of a role that needs a second factor: the app is set up,
/// and a first code proves it.
pub async fn sign_in_enrol(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    FormFields(fields): FormFields,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let secret = fields.get("secret").cloned().unwrap_or_default();
    let user = match second_step_user(&state, &fields, |id| enrol_binding(id, &secret)).await? {
        Ok(u) => u,
        Err(message) => return Ok(restart(&state, StatusCode::FORBIDDEN, message)),
    };
    if user.totp_secret.is_some() {
        return Ok(restart(
            &state,
            StatusCode::CONFLICT,
            "La double authentification est déjà activée : reconnectez-vous.",
        ));
    }
    let ip = state.limits.client_of(&headers, peer.map(|p| p.0.0));
    if sign_in_blocked(&ready.store, &ready.secrets, user.email.as_str(), ip).await? {
        return Ok(restart(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de tentatives en une minute. Patientez une minute avant de réessayer.",
        ));
    }
    let code = fields.get("code").map(String::as_str).unwrap_or("");
    let Some(step) = totp::accepted_step(&secret, code, unix_now(), None) else {
        record_sign_in_failure(&ready.store, &ready.secrets, user.email.as_str(), ip).await?;
        let message =
            "Code incorrect. Vérifiez que l'application utilise la clé affichée, puis saisissez le code du moment.";
        return Ok(enrol_page(&state, &user, &secret, StatusCode::UNAUTHORIZED, Some(message.into())));
    };
    if !ready.store.enable_totp(&user, &secret, step).await? {
        // Another enrolment of this account won the race: its secret stays.
        return Ok(restart(
            &state,
            StatusCode::CONFLICT,
            "La double authentification est déjà activée : reconnectez-vous.",
        ));
    }
    open_session(&state, &user, ip, "/admin").await
}
