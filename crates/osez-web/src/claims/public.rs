//! The public claim form on an imported profile ("C'est ma structure").

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::account::{Email, siret_is_valid};
use osez_store::{ClaimOutcome, NewClaim};

use crate::claims::views::ClaimPage;
use crate::kit::antispam;
use crate::kit::antispam::HONEYPOT;
use crate::kit::error::{PageError, render};
use crate::kit::public_form::{FormKind, PublicForm, sent_redirect, was_sent};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::form_token;

const MAX_CLAIM_MESSAGE: usize = 1_000;

fn claim_path(id: &str) -> String {
    format!("/conseillers/{id}/revendiquer")
}

// ------------------------------------------------------------ public form

async fn claim_page(state: &AppState, ready: &Ready, id: &str, name: &str) -> Result<ClaimPage, PageError> {
    let action = claim_path(id);
    Ok(ClaimPage {
        base: state.base(),
        adviser_id: id.to_string(),
        adviser_name: name.to_string(),
        token: form_token(&ready.secrets, &action),
        action,
        linked: ready.store.profile_has_account(id).await?,
        sent: false,
        email: String::new(),
        siret: String::new(),
        message: String::new(),
        error: None,
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        max_message: MAX_CLAIM_MESSAGE,
    })
}

pub async fn claim_form(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let mut page = claim_page(&state, ready, a.id.as_str(), &a.name).await?;
    page.sent = was_sent(query.as_deref());
    Ok(render(StatusCode::OK, &page))
}

/// A claim: its own hourly budget per client and per address.
pub(crate) struct ClaimForm;

impl FormKind for ClaimForm {
    const BUDGET: &'static str = "revendication";
    const WHAT: &'static str = "demandes envoyées";
    const PERSON: Option<&'static str> = Some("email");
}

pub async fn claim_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    PublicForm { form, checked, .. }: PublicForm<ClaimForm>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let mut page = claim_page(&state, ready, a.id.as_str(), &a.name).await?;
    page.email = form.text("email").trim().chars().take(254).collect();
    page.siret = form.text("siret").trim().chars().take(20).collect();
    let message = form.text("message").trim().to_string();
    page.message = message.chars().take(MAX_CLAIM_MESSAGE).collect();
    let refuse = |mut page: ClaimPage, status: StatusCode, message: &str| {
        page.error = Some(message.to_string());
        Ok(render(status, &page))
    };
    if page.linked {
        return Ok(render(StatusCode::CONFLICT, &page));
    }
    let challenge = match checked {
        Ok(c) => c,
        Err(refusal) => {
            page.error = Some(refusal.message.clone());
            return Ok(refusal.render(&page));
        }
    };
    let Ok(email) = Email::parse(&page.email) else {
        return refuse(
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Adresse e-mail invalide : écrivez-la ainsi, prenom.nom@exemple.fr.",
        );
    };
    if !siret_is_valid(&page.siret) {
        return refuse(
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "SIRET invalide : il compte 14 chiffres, et sa clé de contrôle ne correspond pas. Vérifiez-le sur votre extrait Kbis ou sur annuaire-entreprises.data.gouv.fr.",
        );
    }
    if message.chars().count() > MAX_CLAIM_MESSAGE {
        let too_long = format!("Le message dépasse {MAX_CLAIM_MESSAGE} caractères : raccourcissez-le.");
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, &too_long);
    }
    let siret: String = page.siret.chars().filter(|c| !c.is_whitespace()).collect();
    let claim = NewClaim { adviser: a.id.as_str(), email: &email, siret: &siret, message: &message };
    match ready.store.record_claim(&claim, &challenge).await? {
        ClaimOutcome::Saved(claim_id) => tracing::info!(claim_id, adviser = %a.id, "profile claim saved"),
        ClaimOutcome::TooMany => {
            return refuse(
                page,
                StatusCode::TOO_MANY_REQUESTS,
                "Ce profil a déjà plusieurs demandes en attente : l'équipe France Num les examine. Votre demande n'a pas été enregistrée ; si elle est urgente, écrivez à l'équipe depuis la page Contact.",
            );
        }
        ClaimOutcome::Replayed => {
            return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message());
        }
        ClaimOutcome::UnknownProfile => return Err(PageError::NotFound),
    }
    Ok(sent_redirect(&page.action))
}
