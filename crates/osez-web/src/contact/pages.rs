//! Writing to the France Num team or to one adviser. The message is saved
//! with its mails (to the recipient, and a receipt to the sender) in one
//! transaction before the page says it was sent; the mail worker delivers
//! them. Robots meet a honeypot, a minimum fill time, a per-address limit
//! and a challenge (see `kit::antispam`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::Adviser;
use osez_core::contact::{MAX_MESSAGE_CHARS, Need, RawContact};
use osez_store::{Recipient, Recorded};

use crate::contact::views::ContactPage;
use crate::kit::antispam;
use crate::kit::antispam::{HONEYPOT, robot_refusal};
use crate::kit::error::{PageError, render};
use crate::kit::forms::FormList;
use crate::kit::limits::hourly_limit_message;
use crate::kit::security::ClientIp;
use crate::kit::state::{AppState, Ready, is_demo};
use crate::kit::tokens::{check_form_token, form_token};
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
        demo: is_demo(state),
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
        retention: mail::retention_label(state.config.retention_days),
        max_message: MAX_MESSAGE_CHARS,
    }
}

/// `?envoye=1`: the page a successful post redirects to, so that reloading
/// it sends nothing again.
fn sent(query: Option<&str>) -> bool {
    query.is_some_and(|q| q.split('&').any(|p| p == "envoye=1"))
}

pub async fn team_form(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let mut page = blank(&state, ready, None);
    page.sent = sent(query.as_deref());
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
    if sent(query.as_deref()) {
        page.sent = true;
        page.via_team = ready.store.adviser_addresses(&a.id).await?.is_empty();
    }
    Ok(render(StatusCode::OK, &page))
}

pub async fn team_submit(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    form: FormList,
) -> Result<Response, PageError> {
    submit(&state, ip, None, form).await
}

pub async fn adviser_submit(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    submit(&state, ip, Some(id), form).await
}

async fn submit(
    state: &Arc<AppState>,
    ip: std::net::IpAddr,
    adviser_id: Option<String>,
    form: FormList,
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
    let refuse = |mut page: ContactPage, status: StatusCode, message: &str| {
        page.error = Some(message.to_string());
        Ok(render(status, &page))
    };

    let token = form.get("jeton");
    if let Err(e) = check_form_token(&ready.secrets, &page.action, token) {
        return refuse(page, StatusCode::FORBIDDEN, e.message());
    }
    if let Some(refusal) = robot_refusal(state, &form) {
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, refusal);
    }
    let checked = match page.raw.check(&state.geo) {
        Ok(c) => c,
        Err(errors) => {
            page.errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let challenge = match antispam::checked_challenge(&state.challenges, ready, &form).await? {
        Ok(c) => c,
        Err(e) => return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, e.message()),
    };
    if let Some(secs) = state.limits.contact_wait(ip) {
        let message = hourly_limit_message("messages envoyés", secs);
        let mut res = refuse(page, StatusCode::TOO_MANY_REQUESTS, &message)?;
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }

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
            return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message());
        }
    }
    Ok(Redirect::to(&format!("{}?envoye=1", page.action)).into_response())
}
