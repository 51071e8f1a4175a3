//! The team's review of claims, and invitations sent from the back office.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::account::Email;
use osez_store::{Claim, Invitation, InviteError};

use crate::claims::invitation::{INVITE_DAYS, invitation_link, new_link};
use crate::claims::views::{AdminClaimPage, AdminClaimsPage, ClaimView};
use crate::kit::error::{PageError, render};
use crate::kit::format::format_time;
use crate::kit::forms::FormFields;
use crate::kit::guard::{Editors, Guard};
use crate::kit::page::no_store;
use crate::kit::session::{CurrentUser, checked, session_binding, token_hash};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::mail;
use crate::menu::chrome;

const MAX_REASON: usize = 1_000;

const CLAIMS: &str = "/admin/revendications";

// ------------------------------------------------------------ back office

fn view(state: &AppState, c: &Claim) -> ClaimView {
    let name = state
        .ready()
        .and_then(|r| r.directory().engine.find(&c.adviser_id).map(|a| a.name.clone()))
        .unwrap_or_else(|| c.adviser_id.clone());
    ClaimView {
        id: c.id,
        adviser_id: c.adviser_id.clone(),
        adviser_name: name,
        email: c.email.clone(),
        siret: c.siret.clone(),
        message: c.message.clone(),
        pending: c.is_pending(),
        status: c.status_label(),
        reason: c.reason.clone().unwrap_or_default(),
        decided: match (&c.decided_by, c.decided_at_ms) {
            (Some(by), Some(at)) => format!("par {by} le {}", format_time(at)),
            _ => String::new(),
        },
        created: format_time(c.created_at_ms),
    }
}

async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    invite: (String, String),
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let claims = ready.store.claims().await?.iter().map(|c| view(state, c)).collect();
    let page = AdminClaimsPage {
        chrome: chrome(state, current, CLAIMS),
        claims,
        notice,
        error,
        token_invite: form_token(&ready.secrets, &session_binding(CLAIMS, current)),
        invite_id: invite.0,
        invite_email: invite.1,
        invite_days: INVITE_DAYS,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

pub async fn claims(State(state): State<Arc<AppState>>, current: Guard<Editors>) -> Result<Response, PageError> {
    list_page(&state, &current, StatusCode::OK, None, None, Default::default()).await
}

fn claim_action(id: i64) -> String {
    format!("{CLAIMS}/{id}")
}

async fn one_page(
    state: &AppState,
    current: &CurrentUser,
    c: &Claim,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let page = AdminClaimPage {
        chrome: chrome(state, current, CLAIMS),
        claim: view(state, c),
        token: form_token(&ready.secrets, &session_binding(&claim_action(c.id), current)),
        error,
        invite_days: INVITE_DAYS,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

pub async fn claim(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = ready.store.claim(id).await?.ok_or(PageError::NotFound)?;
    one_page(&state, &current, &c, StatusCode::OK, None).await
}

/// The French sentence for an invitation that wrote nothing.
fn invite_error(e: InviteError) -> Result<String, PageError> {
    Ok(match e {
        InviteError::UnknownProfile => {
            "Aucun profil n'a cet identifiant : vérifiez-le sur la page publique du profil.".into()
        }
        InviteError::TeamAccount => {
            "Cette adresse est celle d'un compte de l'équipe : un compte de conseiller doit avoir sa propre adresse."
                .into()
        }
        InviteError::OtherProfile(p) => {
            format!("Cette adresse a déjà un compte de conseiller, lié à un autre profil ({p}) : rien n'a été changé.")
        }
        InviteError::AlreadyDecided => "Cette revendication a déjà été traitée par un autre membre de l'équipe.".into(),
        InviteError::Store(e) => return Err(e.into()),
    })
}

pub async fn claim_decide(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(id): Path<i64>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, &claim_action(id), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = ready.store.claim(id).await?.ok_or(PageError::NotFound)?;
    let actor = current.user.email.as_str();
    let name = view(&state, &c).adviser_name;
    match form.get("decision").map(String::as_str) {
        Some("accepter") => {
            let Ok(email) = Email::parse(&c.email) else {
                let e = "L'adresse de cette revendication n'est pas valide : refusez-la.".to_string();
                return one_page(&state, &current, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
            };
            let link = match new_link(&state).await {
                Ok(l) => l,
                Err(res) => return Ok(res),
            };
            let mail = mail::invitation(
                &state.config,
                email.as_str(),
                &name,
                &invitation_link(&state, &link.token),
                INVITE_DAYS,
            );
            let inv = Invitation {
                adviser: &c.adviser_id,
                email: &email,
                placeholder_hash: &link.placeholder_hash,
                token_hash: &token_hash(&link.token),
                expires_at_ms: link.expires_at_ms,
                mail: &mail,
            };
            if let Err(e) = ready.store.accept_claim(id, &inv, actor).await {
                let message = invite_error(e)?;
                let c = ready.store.claim(id).await?.ok_or(PageError::NotFound)?;
                return one_page(&state, &current, &c, StatusCode::CONFLICT, Some(message)).await;
            }
            state.mail_wake.notify_one();
            let notice = format!("Revendication acceptée : {} est invité à gérer « {name} ».", c.email);
            list_page(&state, &current, StatusCode::OK, Some(notice), None, Default::default()).await
        }
        Some("refuser") => {
            let reason: String =
                form.get("motif").map(|r| r.trim().chars().take(MAX_REASON).collect()).unwrap_or_default();
            if reason.is_empty() {
                let e = "Écrivez le motif du refus : il est envoyé à la personne.".to_string();
                return one_page(&state, &current, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
            }
            let mail = mail::claim_refused(&state.config, &c.email, &name, &reason);
            if !ready.store.refuse_claim(id, &reason, &mail, actor).await? {
                let message = invite_error(InviteError::AlreadyDecided)?;
                return one_page(&state, &current, &c, StatusCode::CONFLICT, Some(message)).await;
            }
            state.mail_wake.notify_one();
            let notice = format!("Revendication refusée : {} en est informé par e-mail.", c.email);
            list_page(&state, &current, StatusCode::OK, Some(notice), None, Default::default()).await
        }
        _ => {
            let e = "Choisissez « Accepter » ou « Refuser ».".to_string();
            one_page(&state, &current, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await
        }
    }
}

/// The team's own invitation: a profile identifier and an address.
pub async fn invite(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, CLAIMS, &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let adviser = form.get("identifiant").map(|s| s.trim().to_string()).unwrap_or_default();
    let raw_email = form.get("email").map(|s| s.trim().to_string()).unwrap_or_default();
    let typed = (adviser.chars().take(100).collect(), raw_email.chars().take(254).collect());
    let fail = |message: String| {
        list_page(&state, &current, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message), typed.clone())
    };
    let Ok(email) = Email::parse(&raw_email) else {
        return fail("Adresse e-mail invalide : écrivez-la ainsi, prenom.nom@exemple.fr.".into()).await;
    };
    let name = ready.directory().engine.find(&adviser).map(|a| a.name.clone()).unwrap_or_else(|| adviser.clone());
    let link = match new_link(&state).await {
        Ok(l) => l,
        Err(res) => return Ok(res),
    };
    let mail =
        mail::invitation(&state.config, email.as_str(), &name, &invitation_link(&state, &link.token), INVITE_DAYS);
    let inv = Invitation {
        adviser: &adviser,
        email: &email,
        placeholder_hash: &link.placeholder_hash,
        token_hash: &token_hash(&link.token),
        expires_at_ms: link.expires_at_ms,
        mail: &mail,
    };
    if let Err(e) = ready.store.invite_adviser(&inv, current.user.email.as_str()).await {
        return fail(invite_error(e)?).await;
    }
    state.mail_wake.notify_one();
    let notice = format!("Invitation envoyée à {email} pour gérer « {name} ».");
    list_page(&state, &current, StatusCode::OK, Some(notice), None, Default::default()).await
}
