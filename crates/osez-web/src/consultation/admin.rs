//! The team's side of consultations: the list, a consultation created or
//! changed (administrators), and the moderation of its proposals
//! (moderators): accept, refuse with a reason, postpone, archive. The
//! author who left an address is told by mail, written with the decision.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use osez_core::account::Role;
use osez_core::consultation::proposal::{ProposalStatus, RefusalReason};
use osez_store::{
    Consultation, ConsultationError, ConsultationStatus, Moderation, NewConsultation, NewMail, Origin, ProposalRow,
};

use crate::kit::error::{PageError, render};
use crate::kit::forms::FormFields;
use crate::kit::guard::{Admins, Guard, Moderators};
use crate::kit::page::{Base, Chrome, no_store};
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::mail::{base_url, consultation_demo_notice, message_id, signature};
use crate::menu::chrome;

const LIST: &str = "/admin/consultations";
/// Proposals shown at once in a moderation queue.
const QUEUE_PAGE: i64 = 50;
const MAX_TITLE: usize = 200;
const MAX_QUESTION: usize = 300;
const MAX_DESCRIPTION: usize = 5_000;

pub struct Line {
    pub slug: String,
    pub title: String,
    pub status: &'static str,
    pub when: String,
}

/// The fields of a consultation's form, as typed.
#[derive(Default)]
pub struct Fields {
    pub slug: String,
    pub title: String,
    pub question: String,
    pub description: String,
    pub opens: String,
    pub closes: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "consultation/admin_list.html")]
pub struct ListPage {
    pub base: Base,
    pub chrome: Chrome,
    pub lines: Vec<Line>,
    pub can_create: bool,
    pub token: String,
    pub fields: Fields,
    pub error: Option<String>,
}

pub struct Pending {
    pub id: i64,
    pub text: String,
    pub status: &'static str,
    pub token: String,
}

#[derive(Template)]
#[template(path = "consultation/admin_queue.html")]
pub struct QueuePage {
    pub base: Base,
    pub chrome: Chrome,
    pub slug: String,
    pub title: String,
    pub pending: Vec<Pending>,
    pub total: i64,
    pub reasons: Vec<(&'static str, &'static str)>,
    pub can_edit: bool,
    pub edit_token: String,
    pub fields: Fields,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn status_label(s: ConsultationStatus) -> &'static str {
    match s {
        ConsultationStatus::Draft => "Brouillon",
        ConsultationStatus::Published => "Publiée",
        ConsultationStatus::Archived => "Archivée",
    }
}

fn day(ms: i64) -> String {
    crate::kit::format::zoned(ms).date().to_string()
}

fn fields_of(c: &Consultation) -> Fields {
    Fields {
        slug: c.slug.clone(),
        title: c.title.clone(),
        question: c.question.clone(),
        description: c.description.clone(),
        opens: day(c.opens_at),
        closes: day(c.closes_at - 1),
        status: c.status.slug().into(),
    }
}

async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    fields: Fields,
    error: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let lines = ready
        .store
        .consultations(true, 500)
        .await?
        .into_iter()
        .map(|c| Line {
            when: format!("du {} au {}", day(c.opens_at), day(c.closes_at - 1)),
            status: status_label(c.status),
            slug: c.slug,
            title: c.title,
        })
        .collect();
    let page = ListPage {
        base: state.base(),
        chrome: chrome(state, current, LIST),
        lines,
        can_create: current.user.role == Role::Admin,
        token: form_token(&ready.secrets, &session_binding(LIST, current)),
        fields,
        error: error.clone(),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(no_store(render(status, &page)))
}

pub async fn list(State(state): State<Arc<AppState>>, current: Guard<Moderators>) -> Result<Response, PageError> {
    list_page(&state, &current, Fields { status: "draft".into(), ..Fields::default() }, None).await
}

fn typed(form: &std::collections::HashMap<String, String>) -> Fields {
    let get = |k: &str, max: usize| form.get(k).map(|v| v.trim().chars().take(max).collect()).unwrap_or_default();
    Fields {
        slug: get("slug", 80),
        title: get("title", MAX_TITLE + 1),
        question: get("question", MAX_QUESTION + 1),
        description: get("description", MAX_DESCRIPTION + 1),
        opens: get("opens", 10),
        closes: get("closes", 10),
        status: get("status", 10),
    }
}

/// The consultation the fields describe, or what is wrong, in French.
fn parse<'a>(f: &'a Fields) -> Result<NewConsultation<'a>, String> {
    let slug_ok = !f.slug.is_empty()
        && f.slug.len() <= 80
        && f.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        return Err("L'adresse se compose de lettres minuscules sans accent, de chiffres et de tirets.".into());
    }
    if f.title.is_empty() || f.title.chars().count() > MAX_TITLE {
        return Err(format!("Le titre est obligatoire ({MAX_TITLE} caractères au plus)."));
    }
    if f.question.is_empty() || f.question.chars().count() > MAX_QUESTION {
        return Err(format!("La question est obligatoire ({MAX_QUESTION} caractères au plus)."));
    }
    if f.description.chars().count() > MAX_DESCRIPTION {
        return Err(format!("La description tient en {MAX_DESCRIPTION} caractères."));
    }
    let paris = |d: &str| -> Option<i64> {
        let date: jiff::civil::Date = d.parse().ok()?;
        crate::kit::format::day_start_ms(date)
    };
    let (Some(opens_at), Some(closes_day)) = (paris(&f.opens), paris(&f.closes)) else {
        return Err("Indiquez les dates d'ouverture et de clôture (jour, mois, année).".into());
    };
    // Closes at the end of its last day.
    let closes_at = closes_day + 86_400_000;
    if closes_at <= opens_at {
        return Err("La clôture vient après l'ouverture.".into());
    }
    let status = ConsultationStatus::from_slug(&f.status).ok_or("Choisissez un statut.")?;
    Ok(NewConsultation {
        slug: &f.slug,
        title: &f.title,
        question: &f.question,
        description: &f.description,
        opens_at,
        closes_at,
        status,
        origin: Origin::Osez,
    })
}

/// A new consultation (administrators).
pub async fn create(
    State(state): State<Arc<AppState>>,
    current: Guard<Admins>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, LIST, &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let fields = typed(&form);
    let new = match parse(&fields) {
        Ok(new) => new,
        Err(e) => return list_page(&state, &current, fields, Some(e)).await,
    };
    match ready.store.create_consultation(&new).await {
        Ok(_) => {
            let actor = current.user.email.as_str();
            ready.store.record_audit(actor, "consultation.create", &fields.slug, None, Some(&fields.title)).await?;
            Ok(no_store(axum::response::Redirect::to(&format!("{LIST}/{}", fields.slug)).into_response()))
        }
        Err(ConsultationError::SlugTaken) => {
            list_page(&state, &current, fields, Some("Une consultation a déjà cette adresse.".into())).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

fn queue_action(slug: &str, id: i64) -> String {
    format!("{LIST}/{slug}/propositions/{id}")
}

async fn queue_page(
    state: &AppState,
    current: &CurrentUser,
    c: &Consultation,
    fields: Option<Fields>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let (rows, total) = ready.store.proposals_to_moderate(c.id, QUEUE_PAGE).await?;
    let here = format!("{LIST}/{}", c.slug);
    let pending = rows
        .into_iter()
        .map(|p: ProposalRow| Pending {
            token: form_token(&ready.secrets, &session_binding(&queue_action(&c.slug, p.id), current)),
            id: p.id,
            text: p.text,
            status: p.status.label(),
        })
        .collect();
    let page = QueuePage {
        base: state.base(),
        chrome: chrome(state, current, LIST),
        slug: c.slug.clone(),
        title: c.title.clone(),
        pending,
        total,
        reasons: RefusalReason::ALL.iter().map(|r| (r.slug(), r.label())).collect(),
        can_edit: current.user.role == Role::Admin,
        edit_token: form_token(&ready.secrets, &session_binding(&here, current)),
        fields: fields.unwrap_or_else(|| fields_of(c)),
        notice,
        error: error.clone(),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(no_store(render(status, &page)))
}

async fn any_consultation(state: &AppState, slug: &str) -> Result<Consultation, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.consultation(slug).await?.ok_or(PageError::NotFound)
}

/// A consultation's moderation queue (and its settings, for administrators).
pub async fn queue(
    State(state): State<Arc<AppState>>,
    current: Guard<Moderators>,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let c = any_consultation(&state, &slug).await?;
    queue_page(&state, &current, &c, None, None, None).await
}

/// A consultation's texts, dates and status changed (administrators).
pub async fn update(
    State(state): State<Arc<AppState>>,
    current: Guard<Admins>,
    Path(slug): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let c = any_consultation(&state, &slug).await?;
    if let Err(res) = checked(&state, &current, &format!("{LIST}/{slug}"), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let mut fields = typed(&form);
    fields.slug = c.slug.clone();
    let new = match parse(&fields) {
        Ok(new) => new,
        Err(e) => return queue_page(&state, &current, &c, Some(fields), None, Some(e)).await,
    };
    ready.store.update_consultation(c.id, &new).await?;
    let actor = current.user.email.as_str();
    ready
        .store
        .record_audit(actor, "consultation.update", &c.slug, Some(c.status.slug()), Some(&fields.status))
        .await?;
    let c = any_consultation(&state, &slug).await?;
    queue_page(&state, &current, &c, None, Some("Consultation enregistrée.".into()), None).await
}

/// The author's mail: the decision, and a refusal's reason.
fn decision_mail(state: &AppState, c: &Consultation, p: &ProposalRow, to: &str) -> Option<NewMail> {
    let (subject, what) = match p.status {
        ProposalStatus::Accepted => (
            "Votre proposition est soumise au vote",
            "a été acceptée : elle est désormais soumise au vote des participants.".to_string(),
        ),
        ProposalStatus::Refused => (
            "Votre proposition n'a pas été retenue",
            format!(
                "n'a pas été retenue. Motif : {}. {}",
                p.refusal_reason.map_or("", |r| r.label()),
                p.refusal_reason.map_or("", |r| r.explanation())
            ),
        ),
        // Postponed or archived: nothing to act on for the author.
        _ => return None,
    };
    let demo = consultation_demo_notice(c);
    Some(NewMail {
        message_id: message_id(&state.config),
        kind: "consultation_decision",
        to: to.to_owned(),
        reply_to: None,
        subject: format!("{subject} : {}", c.title),
        body: format!(
            "Bonjour,\n\n{demo}Votre proposition « {} » à la consultation « {} » {what}\n\nLa consultation : {}/consultations/{}\n\n{}\n",
            p.text,
            c.title,
            base_url(&state.config),
            c.slug,
            signature(&state.config)
        ),
    })
}

/// A moderator's decision on one proposal.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    current: Guard<Moderators>,
    Path((slug, id)): Path<(String, i64)>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let c = any_consultation(&state, &slug).await?;
    if let Err(res) = checked(&state, &current, &queue_action(&slug, id), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let decision = match form.get("decision").map(String::as_str) {
        Some("accepter") => Moderation::Accept,
        Some("refuser") => match form.get("motif").and_then(|m| RefusalReason::from_slug(m)) {
            Some(reason) => Moderation::Refuse(reason),
            None => {
                let e = "Choisissez le motif du refus : l'auteur le recevra.".to_string();
                return queue_page(&state, &current, &c, None, None, Some(e)).await;
            }
        },
        Some("reporter") => Moderation::Postpone,
        Some("archiver") => Moderation::Archive,
        _ => {
            let e = "Choisissez une décision : accepter, refuser, reporter ou archiver.".to_string();
            return queue_page(&state, &current, &c, None, None, Some(e)).await;
        }
    };
    // A proposal of this consultation only.
    match ready.store.proposal(id).await? {
        Some(p) if p.consultation_id == c.id => {}
        _ => return Err(PageError::NotFound),
    }
    let moderator = current.user.email.as_str().to_owned();
    let decided =
        ready.store.moderate_proposal(id, decision, &moderator, |p, to| decision_mail(&state, &c, p, to)).await;
    match decided {
        Ok(p) => {
            state.mail_wake.notify_one();
            let notice = format!("« {} » : {}.", p.text, p.status.label().to_lowercase());
            queue_page(&state, &current, &c, None, Some(notice), None).await
        }
        Err(ConsultationError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(PageError::from(e)),
    }
}
