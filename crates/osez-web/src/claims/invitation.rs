//! Invitation links: made by the team (one claim, one address, or a CSV
//! through the command line) and spent by the adviser who sets a password.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::account::{Email, NewPassword, hash_password};
use osez_store::Invitation;

use crate::claims::views::InvitationPage;
use crate::kit::config::WebConfig;
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::forms::FormFields;
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::passwords::{PasswordWorkError, busy_page};
use crate::kit::session::{new_token, token_hash};
use crate::kit::state::AppState;
use crate::kit::tokens::{check_form_token, form_token, now_ms};
use crate::mail;

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 86_400);

pub(crate) const INVITE_DAYS: u64 = INVITATION_TTL.as_secs() / 86_400;

const INVITATION: &str = "/invitation";

/// A fresh invitation link for `email` to `adviser`: the token (to put in
/// the mail) and the hash of a random password for a new account.
pub(crate) struct NewLink {
    pub token: String,
    pub placeholder_hash: String,
    pub expires_at_ms: i64,
}

pub(crate) async fn new_link(state: &AppState) -> Result<NewLink, Response> {
    let secret = NewPassword::parse(&format!("{}{}", new_token(), new_token())).map_err(|_| busy_page())?;
    let salt: [u8; 16] = rand::random();
    let placeholder_hash = match state.passwords.run(move || hash_password(&secret, &salt)).await {
        Ok(h) => h,
        Err(PasswordWorkError::Busy) => return Err(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e).into_response()),
    };
    Ok(NewLink { token: new_token(), placeholder_hash, expires_at_ms: now_ms() + INVITATION_TTL.as_millis() as i64 })
}

pub(crate) fn invitation_link(state: &AppState, token: &str) -> String {
    format!("{}{INVITATION}?jeton={token}", mail::base_url(&state.config))
}

// ------------------------------------------------------------ invitation link

fn invitation_page(state: &AppState, status: StatusCode, email: String, link: &str, error: Option<String>) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, &format!("{INVITATION}|{link}"))).unwrap_or_default();
    no_store(render(status, &InvitationPage { email, link: link.to_string(), token, error, base: state.base() }))
}

fn dead_link(state: &AppState) -> Response {
    let page = ErrorPage {
        title: "Lien d'invitation expiré",
        message: format!(
            "Ce lien d'invitation n'est plus valable : il a déjà servi ou a expiré ({INVITE_DAYS} jours). Si vous avez déjà choisi votre mot de passe, connectez-vous ; sinon, demandez une nouvelle invitation à l'équipe France Num depuis la page Contact."
        ),
        base: state.base(),
    };
    no_store(render(StatusCode::GONE, &page))
}

pub async fn invitation_form(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let link = raw.get("jeton").unwrap_or("").to_string();
    if link.len() != 32 {
        return Ok(dead_link(&state));
    }
    match ready.store.invitation_email(&token_hash(&link)).await? {
        Some(email) => Ok(invitation_page(&state, StatusCode::OK, email, &link, None)),
        None => Ok(dead_link(&state)),
    }
}

pub async fn invitation_accept(
    State(state): State<Arc<AppState>>,
    FormFields(fields): FormFields,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let link = fields.get("lien").cloned().unwrap_or_default();
    let Some(email) = ready.store.invitation_email(&token_hash(&link)).await? else {
        return Ok(dead_link(&state));
    };
    if let Err(e) =
        check_form_token(&ready.secrets, &format!("{INVITATION}|{link}"), fields.get("jeton").map(String::as_str))
    {
        return Ok(invitation_page(&state, StatusCode::FORBIDDEN, email, &link, Some(e.message().into())));
    }
    let first = fields.get("password").cloned().unwrap_or_default();
    let second = fields.get("password2").cloned().unwrap_or_default();
    if first != second {
        let message = "Les deux mots de passe diffèrent.".to_string();
        return Ok(invitation_page(&state, StatusCode::UNPROCESSABLE_ENTITY, email, &link, Some(message)));
    }
    let password = match NewPassword::parse(&first) {
        Ok(p) => p,
        Err(e) => {
            let message = format!("Le mot de passe est refusé : {e}.");
            return Ok(invitation_page(&state, StatusCode::UNPROCESSABLE_ENTITY, email, &link, Some(message)));
        }
    };
    let salt: [u8; 16] = rand::random();
    let hash = match state.passwords.run(move || hash_password(&password, &salt)).await {
        Ok(hash) => hash,
        Err(PasswordWorkError::Busy) => return Ok(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e)),
    };
    if ready.store.accept_invitation(&token_hash(&link), &hash).await?.is_none() {
        return Ok(dead_link(&state));
    }
    // Sign-in goes through the second factor's enrolment where the role
    // requires one.
    Ok(no_store(Redirect::to("/connexion?bienvenue=1").into_response()))
}

/// An invitation prepared outside a request (`osez admin invite`): the
/// link's token hash, the mail that carries the link, and when it ends.
pub struct PreparedInvitation {
    pub adviser: String,
    pub email: Email,
    pub token_hash: String,
    pub expires_at_ms: i64,
    pub mail: osez_store::NewMail,
}

impl PreparedInvitation {
    /// The invitation to write, with the placeholder password of a new
    /// account (see [`Invitation::placeholder_hash`]).
    pub fn invitation<'a>(&'a self, placeholder_hash: &'a str) -> Invitation<'a> {
        Invitation {
            adviser: &self.adviser,
            email: &self.email,
            placeholder_hash,
            token_hash: &self.token_hash,
            expires_at_ms: self.expires_at_ms,
            mail: &self.mail,
        }
    }
}

/// Prepares the invitation of `email` to the profile `adviser` (named
/// `adviser_name` in the mail), as the back office writes it.
pub fn prepare_invitation(config: &WebConfig, adviser: &str, adviser_name: &str, email: Email) -> PreparedInvitation {
    let token = new_token();
    let link = format!("{}{INVITATION}?jeton={token}", mail::base_url(config));
    PreparedInvitation {
        adviser: adviser.to_string(),
        mail: mail::invitation(config, email.as_str(), adviser_name, &link, INVITE_DAYS),
        email,
        token_hash: token_hash(&token),
        expires_at_ms: now_ms() + INVITATION_TTL.as_millis() as i64,
    }
}
