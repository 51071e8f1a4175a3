//! A forgotten password: a single-use link by mail, and the page that
//! sets a new password with it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::account::{Email, NewPassword, hash_password};

use crate::accounts::views::{ForgotPage, ResetPage};
use crate::kit::error::{PageError, render};
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::passwords::{PasswordWorkError, busy_page};
use crate::kit::session::{new_token, token_hash};
use crate::kit::state::AppState;
use crate::kit::tokens::{check_form_token, form_token, now_ms};
use crate::mail::{base_url, password_reset};

/// How long a password reset link works.
pub const RESET_LINK_TTL: Duration = Duration::from_secs(30 * 60);

const FORGOT: &str = "/connexion/oubli";

const RESET: &str = "/connexion/nouveau";

fn forgot_page(state: &AppState, status: StatusCode, sent: bool, error: Option<String>) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, FORGOT)).unwrap_or_default();
    no_store(render(status, &ForgotPage { token, sent, error, base: state.base() }))
}

pub async fn forgot_form(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    state.ready().ok_or(PageError::Starting)?;
    Ok(forgot_page(&state, StatusCode::OK, false, None))
}

/// Sends a single-use link, valid 30 minutes, to an account's address, at
/// most three an hour per account. The answer is the same whether the
/// account exists or not, and whether a link was sent or not.
pub async fn forgot(
    State(state): State<Arc<AppState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(Form(fields)) = form else {
        return Ok(forgot_page(&state, StatusCode::BAD_REQUEST, false, Some("Formulaire illisible.".into())));
    };
    if let Err(e) = check_form_token(&ready.secrets, FORGOT, fields.get("jeton").map(String::as_str)) {
        return Ok(forgot_page(&state, StatusCode::FORBIDDEN, false, Some(e.message().into())));
    }
    let Ok(email) = Email::parse(fields.get("email").map(String::as_str).unwrap_or("")) else {
        return Ok(forgot_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            Some("Adresse e-mail invalide.".into()),
        ));
    };
    if let Some(user) = ready.store.user_by_email(&email).await?.filter(|u| !u.disabled) {
        let link_token = new_token();
        let expires = now_ms() + RESET_LINK_TTL.as_millis() as i64;
        let link = format!("{}{RESET}?jeton={link_token}", base_url(&state.config));
        let minutes = RESET_LINK_TTL.as_secs() / 60;
        let mail = password_reset(&state.config, email.as_str(), &link, minutes);
        // Beyond a few links an hour, nothing is sent, and the answer does
        // not say so: the form must not flood an inbox.
        if ready.store.create_password_reset(&token_hash(&link_token), user.id, expires, &mail).await? {
            ready
                .store
                .record_audit(email.as_str(), "compte.lien_reinitialisation", email.as_str(), None, None)
                .await?;
            state.mail_wake.notify_one();
        }
    }
    Ok(forgot_page(&state, StatusCode::OK, true, None))
}

fn reset_page(state: &AppState, status: StatusCode, link: &str, error: Option<String>) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, &format!("{RESET}|{link}"))).unwrap_or_default();
    no_store(render(status, &ResetPage { link: link.to_string(), token, error, base: state.base() }))
}

fn dead_link(state: &AppState) -> Response {
    let message = "Ce lien de réinitialisation n'est plus valable : il a déjà servi ou a expiré (30 minutes). Demandez-en un nouveau.";
    forgot_page(state, StatusCode::GONE, false, Some(message.into()))
}

pub async fn reset_form(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let link = raw.get("jeton").unwrap_or("").to_string();
    if link.len() != 32 || ready.store.password_reset_user(&token_hash(&link)).await?.is_none() {
        return Ok(dead_link(&state));
    }
    Ok(reset_page(&state, StatusCode::OK, &link, None))
}

pub async fn reset(
    State(state): State<Arc<AppState>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(Form(fields)) = form else { return Ok(dead_link(&state)) };
    let link = fields.get("lien").cloned().unwrap_or_default();
    if let Err(e) =
        check_form_token(&ready.secrets, &format!("{RESET}|{link}"), fields.get("jeton").map(String::as_str))
    {
        return Ok(reset_page(&state, StatusCode::FORBIDDEN, &link, Some(e.message().into())));
    }
    let first = fields.get("password").cloned().unwrap_or_default();
    let second = fields.get("password2").cloned().unwrap_or_default();
    if first != second {
        return Ok(reset_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &link,
            Some("Les deux mots de passe diffèrent.".into()),
        ));
    }
    let password = match NewPassword::parse(&first) {
        Ok(p) => p,
        Err(e) => {
            let message = format!("Le mot de passe est refusé : {e}.");
            return Ok(reset_page(&state, StatusCode::UNPROCESSABLE_ENTITY, &link, Some(message)));
        }
    };
    let salt: [u8; 16] = rand::random();
    let hash = match state.passwords.run(move || hash_password(&password, &salt)).await {
        Ok(hash) => hash,
        Err(PasswordWorkError::Busy) => return Ok(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e)),
    };
    if !ready.store.reset_password(&token_hash(&link), &hash).await? {
        return Ok(dead_link(&state));
    }
    Ok(no_store(Redirect::to("/connexion?reinitialise=1").into_response()))
}
