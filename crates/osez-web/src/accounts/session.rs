//! The signed-in home page, and extending or ending sessions.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::account::Role;

use crate::accounts::views::AdminHomePage;
use crate::kit::error::{PageError, render};
use crate::kit::forms::FormFields;
use crate::kit::guard::{AnyRole, Guard};
use crate::kit::page::{back_to, no_store, safe_return};
use crate::kit::session::{checked, clear_cookie, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::menu::chrome;

pub async fn home(State(state): State<Arc<AppState>>, current: Guard<AnyRole>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let open_cases = if matches!(current.user.role, Role::Admin | Role::Moderator) {
        Some(usize::try_from(ready.store.moderation_case_count().await?).unwrap_or_default())
    } else {
        None
    };
    Ok(no_store(render(
        StatusCode::OK,
        &AdminHomePage {
            chrome: chrome(&state, &current, "/admin"),
            token_everywhere: form_token(&ready.secrets, &session_binding("/admin/session/partout", &current)),
            open_cases,
            base: state.base(),
        },
    )))
}

pub async fn extend(
    State(state): State<Arc<AppState>>,
    current: Guard<AnyRole>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, "/admin/session/prolonger", &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.touch_session(&current.token_hash).await?;
    Ok(back_to(&safe_return(form.get("retour"))))
}

/// Back to the sign-in page, with the session cookie cleared.
fn signed_out(state: &AppState) -> Response {
    let mut res = Redirect::to("/connexion?sortie=1").into_response();
    res.headers_mut().insert(header::SET_COOKIE, clear_cookie(state.config.secure_cookies));
    no_store(res)
}

pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    current: Guard<AnyRole>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, "/deconnexion", &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.delete_session(&current.token_hash).await?;
    ready.store.record_audit(current.user.email.as_str(), "deconnexion", "session", None, None).await?;
    Ok(signed_out(&state))
}

pub async fn sign_out_everywhere(
    State(state): State<Arc<AppState>>,
    current: Guard<AnyRole>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, "/admin/session/partout", &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let ended = ready.store.delete_sessions_of(current.user.id).await?;
    let after = format!("{{\"sessions_terminees\":{ended}}}");
    ready
        .store
        .record_audit(current.user.email.as_str(), "deconnexion.partout", "sessions", None, Some(&after))
        .await?;
    Ok(signed_out(&state))
}
