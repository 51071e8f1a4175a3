//! Writing to the France Num team or to one adviser. The message is saved
//! with its mails (to the recipient, and a receipt to the sender) in one
//! transaction before the page says it was sent; the mail worker delivers
//! them. Robots meet a honeypot, a minimum fill time, a per-address limit
//! and a challenge (see `antispam`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::Adviser;
use osez_core::contact::{MAX_MESSAGE_CHARS, Need, RawContact};
use osez_store::{Recipient, Recorded};

use super::FormList;
use super::pages::is_demo;
use crate::antispam::{self, ChallengeError, HONEYPOT};
use crate::error::render;
use crate::pool::PoolError;
use crate::security::{ClientIp, check_form_token, form_token, hourly_limit_message, now_ms, token_issued};
use crate::views::ContactPage;
use crate::{AppState, PageError, Ready, mail};

const TEAM_PATH: &str = "/contact";

fn adviser_path(id: &str) -> String {
    format!("/conseillers/{id}/contact")
}

fn blank(state: &AppState, ready: &Ready, adviser: Option<&Adviser>) -> ContactPage {
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

/// The honeypot and the minimum fill time, for the public forms that take
/// a challenge (contact, abuse reports): the refusal, in French, of a form
/// a robot sent; `None` for a person.
pub(crate) fn robot_refusal(state: &AppState, form: &FormList) -> Option<&'static str> {
    if !form.get(HONEYPOT).unwrap_or("").is_empty() {
        tracing::info!("public form refused: honeypot filled");
        return Some(
            "Le formulaire n'a pas pu être envoyé : un champ caché, que seuls les robots remplissent, l'a été. Si vous êtes une personne, rechargez la page et recommencez.",
        );
    }
    let issued = form.get("jeton").and_then(token_issued).unwrap_or(0);
    let min_fill = Duration::from_secs(state.config.min_fill_secs);
    if (now_ms() / 1000) < (issued + min_fill.as_secs()) as i64 {
        return Some(
            "Le formulaire a été envoyé trop vite après son affichage. Relisez-le, puis envoyez-le de nouveau.",
        );
    }
    None
}

/// A fresh proof-of-work challenge for the widget; never cached.
pub async fn altcha_challenge(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    // Making a challenge costs a key derivation: on the bounded CPU pool.
    let (secrets, cost) = (ready.secrets.clone(), state.config.altcha_cost);
    match state.challenges.run(move || antispam::new_altcha_challenge(&secrets, cost)).await {
        Ok(Ok(c)) => Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(c)).into_response()),
        Ok(Err(e)) => Err(PageError::Internal(format!("cannot create an ALTCHA challenge: {e}"))),
        Err(PoolError::Busy) => {
            let body = serde_json::json!({ "error": { "code": "busy", "message": ChallengeError::Busy.message() } });
            let headers = [(header::CACHE_CONTROL, "no-store"), (header::RETRY_AFTER, "5")];
            Ok((StatusCode::SERVICE_UNAVAILABLE, headers, axum::Json(body)).into_response())
        }
        Err(PoolError::Failed(e)) => Err(PageError::Internal(format!("ALTCHA challenge failed: {e}"))),
    }
}
