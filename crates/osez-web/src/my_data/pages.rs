//! "Mes données": a person enters their address, receives a single-use
//! link, and with it downloads everything held about them (JSON) or erases
//! it. The answer to the request is the same whether anything is held or
//! not, so the page tells nobody who wrote to whom. Erasure keeps the
//! anonymous counts (see `osez_store::contacts`).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use osez_core::account::Email;

use crate::kit::antispam;
use crate::kit::antispam::HONEYPOT;
use crate::kit::error::{PageError, render};
use crate::kit::forms::{FormList, unreadable_form};
use crate::kit::page::no_store;
use crate::kit::public_form::{FormKind, PublicForm};
use crate::kit::session::{new_token, token_hash};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{check_form_token, form_token, now_ms};
use crate::mail;
use crate::my_data::views::{MyDataPage, MyDataStep};

const ASK: &str = "/mes-donnees";
const ACCESS: &str = "/mes-donnees/acces";
/// How long a link can be used.
pub const LINK_TTL: Duration = Duration::from_secs(30 * 60);

pub(crate) fn page(state: &AppState, ready: &Ready, step: MyDataStep) -> MyDataPage {
    MyDataPage {
        base: state.base(),
        step,
        token: form_token(&ready.secrets, ASK),
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        email: String::new(),
        error: None,
        retention: mail::retention_label(state.config.retention_days),
        link: String::new(),
        access_token: String::new(),
        messages: 0,
        mails: 0,
        account: false,
        claims: 0,
        registrations: 0,
        proposals: 0,
        participations: 0,
        link_minutes: LINK_TTL.as_secs() / 60,
    }
}

pub async fn ask_form(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    Ok(no_store(render(StatusCode::OK, &page(&state, ready, MyDataStep::Ask))))
}

/// A request for one's data: its own hourly budget per client and per
/// address.
pub(crate) struct DataRequest;

impl FormKind for DataRequest {
    const BUDGET: &'static str = "mes-donnees";
    const WHAT: &'static str = "demandes";
    const PERSON: Option<&'static str> = Some("email");
}

pub async fn ask(
    State(state): State<Arc<AppState>>,
    PublicForm { form, checked, .. }: PublicForm<DataRequest>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let mut p = page(&state, ready, MyDataStep::Ask);
    p.email = form.text("email").chars().take(254).collect();
    let refuse = |mut p: MyDataPage, status: StatusCode, message: &str| {
        p.error = Some(message.to_string());
        Ok(no_store(render(status, &p)))
    };
    let challenge = match checked {
        Ok(c) => c,
        Err(refusal) => {
            p.error = Some(refusal.message.clone());
            return Ok(no_store(refusal.render(&p)));
        }
    };
    let email = match Email::parse(&p.email) {
        Ok(e) if !osez_core::contact::breaks_header(&p.email) => e,
        _ => {
            return refuse(
                p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Indiquez une adresse e-mail valide (ex. prenom.nom@exemple.fr).",
            );
        }
    };
    let held = ready.store.holds_personal_data(email.as_str()).await?;
    let link_token = new_token();
    let link = format!("{}{ACCESS}?jeton={link_token}", mail::base_url(&state.config));
    let letter = held.then(|| mail::data_link(&state.config, email.as_str(), &link, LINK_TTL.as_secs() / 60));
    let expires = now_ms() + LINK_TTL.as_millis() as i64;
    let fresh = ready
        .store
        .create_data_request(&token_hash(&link_token), email.as_str(), expires, letter.as_ref(), &challenge)
        .await?;
    if !fresh {
        return refuse(p, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message());
    }
    if held {
        state.mail_wake.notify_one();
    }
    tracing::info!(sent = held, "data access requested");
    p.step = MyDataStep::Asked;
    p.email = email.to_string();
    Ok(no_store(render(StatusCode::OK, &p)))
}

fn link_of(query: Option<&str>) -> String {
    query
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "jeton").map(|(_, v)| v.into_owned()))
        .unwrap_or_default()
}

fn access_binding(link: &str) -> String {
    format!("{ACCESS}|{link}")
}

fn gone(state: &AppState, ready: &Ready) -> Response {
    no_store(render(StatusCode::GONE, &page(state, ready, MyDataStep::Gone)))
}

/// The summary a valid link opens, with the forms that spend it.
async fn summary(state: &AppState, ready: &Ready, link: String, email: String) -> Result<MyDataPage, PageError> {
    let held = ready.store.personal_data(&email).await?;
    let mut p = page(state, ready, MyDataStep::Access);
    p.email = email;
    p.messages = held.messages.len();
    p.mails = held.mails.len();
    p.account = held.account.is_some();
    p.claims = held.claims.len();
    p.registrations = held.registrations.len();
    p.proposals = held.proposals.len();
    p.participations = held.participations.len();
    p.access_token = form_token(&ready.secrets, &access_binding(&link));
    p.link = link;
    Ok(p)
}

/// What the link opens; the link is not spent by looking (mail scanners
/// open links), only by the download or the erasure.
pub async fn access_form(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let link = link_of(query.as_deref());
    let Some(email) = ready.store.data_request_email(&token_hash(&link)).await? else { return Ok(gone(&state, ready)) };
    Ok(no_store(render(StatusCode::OK, &summary(&state, ready, link, email).await?)))
}

pub async fn access(State(state): State<Arc<AppState>>, form: FormList) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let link = form.text("lien");
    if let Err(e) = check_form_token(&ready.secrets, &access_binding(&link), form.get("jeton")) {
        let mut p = page(&state, ready, MyDataStep::Gone);
        p.error = Some(e.message().into());
        return Ok(no_store(render(StatusCode::FORBIDDEN, &p)));
    }
    let action = form.text("action");
    if action != "telecharger" && action != "effacer" {
        return Ok(unreadable_form(StatusCode::BAD_REQUEST));
    }
    let hash = token_hash(&link);
    if action == "effacer" {
        if form.get("confirmer") != Some("oui") {
            let Some(email) = ready.store.data_request_email(&hash).await? else { return Ok(gone(&state, ready)) };
            let mut p = summary(&state, ready, link, email).await?;
            p.error = Some("Cochez la case de confirmation pour effacer vos données.".into());
            return Ok(no_store(render(StatusCode::UNPROCESSABLE_ENTITY, &p)));
        }
        // Spent and erased in one transaction: never one without the other.
        let Some(erased) = ready.store.erase_by_link(&hash).await? else { return Ok(gone(&state, ready)) };
        tracing::info!(messages = erased.messages, mails = erased.mails, "personal data erased on request");
        let mut p = page(&state, ready, MyDataStep::Erased);
        p.messages = erased.messages as usize;
        return Ok(no_store(render(StatusCode::OK, &p)));
    }
    // The copy is made before the link is spent: a failure leaves it usable.
    let Some(email) = ready.store.data_request_email(&hash).await? else { return Ok(gone(&state, ready)) };
    let data = ready.store.personal_data(&email).await?;
    let body = serde_json::json!({
        "service": "Osez",
        "genere_le_ms": now_ms(),
        "conservation": mail::retention_label(state.config.retention_days),
        "donnees": data,
    });
    let json = serde_json::to_string_pretty(&body).map_err(|e| PageError::Internal(e.to_string()))?;
    if ready.store.spend_data_request(&hash).await?.is_none() {
        return Ok(gone(&state, ready));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"mes-donnees-osez.json\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        json,
    )
        .into_response())
}
