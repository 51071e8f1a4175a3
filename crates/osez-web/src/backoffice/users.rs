//! Accounts: sessions and the state (active, suspended) of each.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::backoffice::views::{UserView, UsersPage};
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::format_time;
use crate::kit::forms::FormFields;
use crate::kit::guard::{Admins, Guard};
use crate::kit::page::no_store;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::menu::chrome;

// -------------------------------------------------------------------- accounts

fn user_action(id: i64, what: &str) -> String {
    format!("/admin/comptes/{id}/{what}")
}

async fn users_page(state: &AppState, current: &CurrentUser, notice: Option<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let token = |action: &str| form_token(&ready.secrets, &session_binding(action, current));
    let users = ready
        .store
        .users_overview()
        .await?
        .into_iter()
        .map(|u| UserView {
            id: u.user.id,
            email: u.user.email.to_string(),
            role: u.user.role.label(),
            totp: u.user.totp_secret.is_some(),
            disabled: u.user.disabled,
            sessions: u.sessions,
            created: format_time(u.created_at_ms),
            is_self: u.user.id == current.user.id,
            token_sessions: token(&user_action(u.user.id, "sessions")),
            token_toggle: token(&user_action(u.user.id, "etat")),
        })
        .collect();
    let page = UsersPage { chrome: chrome(state, current, "/admin/comptes"), users, notice, base: state.base() };
    Ok(no_store(render(StatusCode::OK, &page)))
}

pub async fn users(State(state): State<Arc<AppState>>, current: Guard<Admins>) -> Result<Response, PageError> {
    users_page(&state, &current, None).await
}

/// The account an admin's form acts on: the account (never the
/// signed-in admin themself: they have "Se déconnecter de tous les
/// appareils") and the form token are checked, or the refusal is returned.
async fn target_user(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    what: &str,
    form: &HashMap<String, String>,
) -> Result<Result<osez_store::User, Response>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::NotFound) };
    let Some(user) = ready.store.user(id).await? else { return Err(PageError::NotFound) };
    if user.id == current.user.id {
        let page = ErrorPage {
            title: "Action refusée",
            message: "Vous ne pouvez pas agir ainsi sur votre propre compte depuis cette page.".into(),
            base: state.base(),
        };
        return Ok(Err(no_store(render(StatusCode::CONFLICT, &page))));
    }
    if let Err(res) = checked(state, current, &user_action(user.id, what), form).await {
        return Ok(Err(res));
    }
    Ok(Ok(user))
}

pub async fn user_sessions(
    State(state): State<Arc<AppState>>,
    current: Guard<Admins>,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let user = match target_user(&state, &current, &id, "sessions", &form).await? {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let ready = state.ready().ok_or(PageError::Starting)?;
    let ended = ready.store.end_sessions_of(&user, current.user.email.as_str()).await?;
    let notice = match ended {
        0 => format!("{} n'avait aucune session ouverte.", user.email),
        1 => format!("1 session de {} fermée.", user.email),
        n => format!("{n} sessions de {} fermées.", user.email),
    };
    users_page(&state, &current, Some(notice)).await
}

pub async fn user_state(
    State(state): State<Arc<AppState>>,
    current: Guard<Admins>,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let user = match target_user(&state, &current, &id, "etat", &form).await? {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let disabled = match form.get("etat").map(String::as_str) {
        Some("desactive") => true,
        Some("actif") => false,
        _ => {
            let page = ErrorPage {
                title: "Formulaire incomplet",
                message: "L'état demandé est manquant. Revenez à la page précédente.".into(),
                base: state.base(),
            };
            return Ok(no_store(render(StatusCode::UNPROCESSABLE_ENTITY, &page)));
        }
    };
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.set_user_disabled(&user, disabled, current.user.email.as_str()).await?;
    let notice = if disabled {
        format!("Compte {} désactivé ; ses sessions sont fermées.", user.email)
    } else {
        format!("Compte {} réactivé.", user.email)
    };
    users_page(&state, &current, Some(notice)).await
}
