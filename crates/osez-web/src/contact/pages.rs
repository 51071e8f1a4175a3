//! Writing to the France Num team or to one adviser. The message is saved
//! with its mails (to the recipient, and a receipt to the sender) in one
//! transaction before the page says it was sent; the mail worker delivers
//! them. The form is a [`PublicForm`]: token, honeypot, fill time,
//! challenge and limits are checked before the handler reads a field.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use osez_core::Adviser;
use osez_core::contact::{MAX_MESSAGE_CHARS, Need, RawContact};
use osez_store::{Recipient, Recorded};

use crate::assistant;
use crate::contact::views::ContactPage;
use crate::kit::antispam::{self, ChallengeError, HONEYPOT};
use crate::kit::error::{PageError, render};
use crate::kit::public_form::{FormKind, PublicForm, sent_redirect, was_sent};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::form_token;
use crate::mail;

const TEAM_PATH: &str = "/contact";

fn adviser_path(id: &str) -> String {
    format!("/conseillers/{id}/contact")
}

pub(crate) fn blank(state: &AppState, ready: &Ready, adviser: Option<&Adviser>) -> ContactPage {
    let (title, action) = match adviser {
        Some(a) => (format!("Contacter « {} »", a.name), adviser_path(a.id.as_str())),
        None => ("Contacter l'équipe France Num".to_string(), TEAM_PATH.to_string()),
    };
    ContactPage {
        base: state.base(),
        title,
        adviser: adviser.map(|a| (a.id.as_str().to_string(), a.name.clone())),
        token: form_token(&ready.secrets, &action),
        action,
        raw: RawContact::default(),
        errors: Vec::new(),
        error: None,
        needs: Need::all().map(|n| (n.slug(), n.label())).collect(),
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        sent: false,
        via_team: false,
        from_assistant: false,
        retention: mail::retention_label(state.config.retention_days),
        max_message: MAX_MESSAGE_CHARS,
    }
}

pub async fn team_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let mut page = blank(&state, ready, None);
    page.sent = was_sent(query.as_deref());
    // "Parler à une personne" from the assistant: the need summed up, for
    // the person to read, change or clear; sent only if they send the form.
    if query.as_deref().is_some_and(|q| q.split('&').any(|p| p == "depuis=assistant"))
        && let Some((summary, specialty)) = assistant::talk::handoff(&state, ready, &headers).await
    {
        page.raw.message = summary;
        page.raw.need = specialty.map(|s| Need::Specialty(s).slug().to_string()).unwrap_or_default();
        page.from_assistant = true;
    }
    Ok(render(StatusCode::OK, &page))
}

pub async fn adviser_form(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let mut page = blank(&state, ready, Some(a));
    if was_sent(query.as_deref()) {
        page.sent = true;
        page.via_team = ready.store.adviser_addresses(&a.id).await?.is_empty();
    }
    Ok(render(StatusCode::OK, &page))
}

/// A message: its own hourly budget per client and per sender's address.
pub(crate) struct Message;

impl FormKind for Message {
    const BUDGET: &'static str = "contact";
    const WHAT: &'static str = "messages envoyés";
    const PERSON: Option<&'static str> = Some("email");
}

pub async fn team_submit(State(state): State<Arc<AppState>>, form: PublicForm<Message>) -> Result<Response, PageError> {
    submit(&state, None, form).await
}

pub async fn adviser_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: PublicForm<Message>,
) -> Result<Response, PageError> {
    submit(&state, Some(id), form).await
}

async fn submit(
    state: &Arc<AppState>,
    adviser_id: Option<String>,
    PublicForm { form, checked, .. }: PublicForm<Message>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let adviser = match &adviser_id {
        Some(id) => Some(directory.engine.find(id).ok_or(PageError::NotFound)?),
        None => None,
    };
    let mut page = blank(state, ready, adviser);
    page.raw = RawContact {
        name: form.text("name"),
        email: form.text("email"),
        company: form.text("company"),
        commune: form.text("commune"),
        need: form.text("need"),
        message: form.text("message").chars().take(MAX_MESSAGE_CHARS + 1_000).collect(),
    };
    let challenge = match checked {
        Ok(c) => c,
        Err(refusal) => {
            page.error = Some(refusal.message.clone());
            return Ok(refusal.render(&page));
        }
    };
    let checked = match page.raw.check(&state.geo) {
        Ok(c) => c,
        Err(errors) => {
            page.errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };

    let config = &state.config;
    let mut mails = Vec::new();
    let (recipient, recipient_label) = match adviser {
        Some(a) => {
            let addresses = ready.store.adviser_addresses(&a.id).await?;
            for to in &addresses {
                mails.push(mail::to_adviser(config, to, &checked, &a.name));
            }
            let via_team = addresses.is_empty();
            if via_team && let Some(team) = &config.team_email {
                mails.push(mail::to_team(config, team, &checked, Some(&a.name)));
            }
            (Recipient::Adviser { id: a.id.clone(), via_team }, format!("« {} »", a.name))
        }
        None => {
            if let Some(team) = &config.team_email {
                mails.push(mail::to_team(config, team, &checked, None));
            }
            (Recipient::Team, "l'équipe France Num".to_string())
        }
    };
    mails.push(mail::receipt(config, &checked, &recipient_label));
    match ready.store.record_contact(&recipient, &checked, &mails, &challenge).await? {
        Recorded::Saved(id) => {
            tracing::info!(id, recipient = ?recipient, mails = mails.len(), "contact message saved");
            state.mail_wake.notify_one();
        }
        Recorded::Replayed => {
            page.error = Some(ChallengeError::Expired.message().into());
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    }
    Ok(sent_redirect(&page.action))
}
