//! Messages in the back office: the team's inbox (read, assign, answer by
//! mail, status), the requests an adviser received and what came of them,
//! and those outcomes counted by department and need.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::contact::{ContactStatus, Need, Outcome, check_body, check_subject};
use osez_store::{ContactMessage, InboxQuery};

use crate::backoffice::views::{
    InboxPage, MessagePage, MessageRow, OutcomeRow, OutcomesPage, ReplyView, RequestRow, RequestsPage, TeamMember,
};
use crate::kit::error::{PageError, render};
use crate::kit::format::{day_start_ms, format_time, today};
use crate::kit::forms::{FormFields, unreadable_form};
use crate::kit::guard::{Advisers, Guard, RoleSet, Team};
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{form_token, now_ms};
use crate::mail;
use crate::menu::chrome;

fn need_label(slug: &str) -> &'static str {
    Need::from_slug(slug).map(Need::label).unwrap_or("Besoin inconnu")
}

fn row(m: &ContactMessage) -> MessageRow {
    MessageRow {
        id: m.id,
        at: format_time(m.created_at_ms),
        name: m.name.clone(),
        company: m.company.clone().unwrap_or_default(),
        commune: m.commune_label.clone(),
        need: need_label(&m.need),
        status: m.status().label(),
        assigned_to: m.assigned_to.clone().unwrap_or_default(),
        adviser: m.via_team.then(|| m.adviser_name.clone().unwrap_or_else(|| "profil supprimé".into())),
    }
}

/// What the back office must say about mail: no SMTP server, failures,
/// mail waiting long.
async fn outbox_notice(state: &AppState, ready: &Ready) -> Result<Option<String>, PageError> {
    let s = ready.store.outbox_status().await?;
    let waiting = |n: i64| if n > 1 { format!("{n} courriels attendent") } else { format!("{n} courriel attend") };
    Ok(if !state.config.smtp_configured {
        Some(format!(
            "Aucun serveur d'envoi (SMTP) n'est configuré : les courriels ne partent pas. {} dans la file d'envoi ; \
             ils partiront dès qu'un serveur sera configuré (option --smtp-url).",
            waiting(s.pending)
        ))
    } else if s.failed > 0 {
        Some(format!(
            "{} courriel{} n'{} pas pu être remis au serveur d'envoi malgré les nouvelles tentatives ; {} dans la file.",
            s.failed,
            if s.failed > 1 { "s" } else { "" },
            if s.failed > 1 { "ont" } else { "a" },
            waiting(s.pending)
        ))
    } else {
        s.oldest_pending_ms.filter(|t| now_ms() - t > 15 * 60_000).map(|oldest| {
            format!(
                "{} dans la file d'envoi, le plus ancien depuis le {} : le serveur d'envoi ne répond pas.",
                waiting(s.pending),
                format_time(oldest)
            )
        })
    })
}

pub async fn inbox(
    State(state): State<Arc<AppState>>,
    current: Guard<Team>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let status = raw.get("statut").and_then(ContactStatus::from_slug);
    let mine = raw.get("moi") == Some("1");
    let q = InboxQuery { status, assigned_to: mine.then_some(current.user.id) };
    let messages = ready.store.team_inbox(&q).await?;
    let page = InboxPage {
        chrome: chrome(&state, &current, "/admin/messages"),
        rows: messages.iter().map(row).collect(),
        statuses: ContactStatus::ALL.iter().map(|s| (s.slug(), s.label())).collect(),
        status: status.map(ContactStatus::slug).unwrap_or(""),
        mine,
        outbox: outbox_notice(&state, ready).await?,
        base: state.base(),
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

fn message_action(id: i64) -> String {
    format!("/admin/messages/{id}")
}

async fn message_page(
    state: &AppState,
    current: &CurrentUser,
    m: ContactMessage,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    draft: (String, String),
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    // Only the enabled team members, read as such: not every account.
    let team = ready
        .store
        .team_members(Team::ROLES)
        .await?
        .into_iter()
        .map(|u| TeamMember {
            selected: m.assigned_to.as_deref() == Some(u.email.as_str()),
            id: u.id,
            email: u.email.to_string(),
        })
        .collect();
    let token = form_token(&ready.secrets, &session_binding(&message_action(m.id), current));
    let page = MessagePage {
        chrome: chrome(state, current, "/admin/messages"),
        row: row(&m),
        email: m.email.clone(),
        message: m.message.clone(),
        replies: m
            .replies
            .iter()
            .map(|r| ReplyView {
                author: r.author.clone(),
                at: format_time(r.created_at_ms),
                subject: r.subject.clone(),
                body: r.body.clone(),
            })
            .collect(),
        statuses: ContactStatus::ALL.iter().map(|s| (s.slug(), s.label(), *s == m.status())).collect(),
        team,
        token,
        subject: if draft.0.is_empty() { "Votre message sur Osez".into() } else { draft.0 },
        body: draft.1,
        notice,
        error,
        outbox: outbox_notice(state, ready).await?,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

/// A message the team may see: to the team, or passed on for an adviser
/// without an account.
async fn team_message(ready: &Ready, id: i64) -> Result<ContactMessage, PageError> {
    match ready.store.contact_message(id).await? {
        Some(m) if m.recipient == "team" || m.via_team => Ok(m),
        _ => Err(PageError::NotFound),
    }
}

pub async fn message(
    State(state): State<Arc<AppState>>,
    current: Guard<Team>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let ready = state.ready().ok_or(PageError::Starting)?;
    let m = team_message(ready, id).await?;
    message_page(&state, &current, m, StatusCode::OK, None, None, Default::default()).await
}

pub async fn message_act(
    State(state): State<Arc<AppState>>,
    current: Guard<Team>,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let ready = state.ready().ok_or(PageError::Starting)?;
    let m = team_message(ready, id).await?;
    if let Err(res) = checked(&state, &current, &message_action(id), &form).await {
        return Ok(res);
    }
    let actor = current.user.email.to_string();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    match field("action") {
        "suivi" => {
            let Some(status) = ContactStatus::from_slug(field("statut")) else {
                let e = Some("Choisissez un statut.".to_string());
                return message_page(
                    &state,
                    &current,
                    m,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    e,
                    Default::default(),
                )
                .await;
            };
            let assignee = match field("attribue") {
                "" => None,
                raw => {
                    let member = match raw.parse::<i64>() {
                        Ok(uid) => {
                            ready.store.user(uid).await?.filter(|u| Team::ROLES.contains(&u.role) && !u.disabled)
                        }
                        Err(_) => None,
                    };
                    let Some(member) = member else {
                        let e = Some("La personne choisie ne fait pas partie de l'équipe.".to_string());
                        let status = StatusCode::UNPROCESSABLE_ENTITY;
                        return message_page(&state, &current, m, status, None, e, Default::default()).await;
                    };
                    Some(member.id)
                }
            };
            ready.store.update_contact(id, status, assignee, &actor).await?;
            let m = team_message(ready, id).await?;
            let notice = Some(format!("Suivi enregistré : {}.", status.label()));
            message_page(&state, &current, m, StatusCode::OK, notice, None, Default::default()).await
        }
        "repondre" => {
            let draft = (field("objet").to_string(), field("reponse").to_string());
            let subject = check_subject(field("objet"));
            let body = check_body(field("reponse"), "reponse");
            let (subject, body) = match (subject, body) {
                (Ok(s), Ok(b)) => (s, b),
                (s, b) => {
                    let errors: Vec<String> = [s.err(), b.err()].into_iter().flatten().map(|e| e.message).collect();
                    let e = Some(format!("La réponse n'a pas été envoyée : {}", errors.join(" ")));
                    return message_page(&state, &current, m, StatusCode::UNPROCESSABLE_ENTITY, None, e, draft).await;
                }
            };
            let letter = mail::answer(&state.config, &m.email, &subject, &body, &m.message);
            ready.store.answer_contact(id, &actor, &subject, &body, &letter).await?;
            state.mail_wake.notify_one();
            let m = team_message(ready, id).await?;
            let notice = Some(format!("Réponse envoyée à {} et gardée avec le message.", m.email));
            message_page(&state, &current, m, StatusCode::OK, notice, None, Default::default()).await
        }
        _ => Ok(unreadable_form(StatusCode::BAD_REQUEST)),
    }
}

// ----------------------------------------------------------- adviser's side

fn request_action(id: i64) -> String {
    format!("/admin/demandes/{id}")
}

async fn requests_page(
    state: &AppState,
    current: &CurrentUser,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let requests = match &current.user.adviser_id {
        Some(a) => ready.store.adviser_requests(a).await?,
        None => Vec::new(),
    };
    let rows = requests
        .iter()
        .map(|m| RequestRow {
            row: row(m),
            email: m.email.clone(),
            message: m.message.clone(),
            outcome: m.outcome().map(Outcome::label),
            token: form_token(&ready.secrets, &session_binding(&request_action(m.id), current)),
        })
        .collect();
    let page = RequestsPage {
        chrome: chrome(state, current, "/admin/demandes"),
        has_profile: current.user.adviser_id.is_some(),
        rows,
        outcomes: Outcome::ALL.iter().map(|o| (o.slug(), o.label())).collect(),
        notice,
        error,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

pub async fn requests(State(state): State<Arc<AppState>>, current: Guard<Advisers>) -> Result<Response, PageError> {
    requests_page(&state, &current, StatusCode::OK, None, None).await
}

pub async fn request_outcome(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    if let Err(res) = checked(&state, &current, &request_action(id), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some(outcome) = form.get("suite").and_then(|s| Outcome::from_slug(s)) else {
        let n = Some("Choisissez ce qui est advenu de la demande.".to_string());
        return requests_page(&state, &current, StatusCode::UNPROCESSABLE_ENTITY, None, n).await;
    };
    let Some(adviser) = &current.user.adviser_id else { return Err(PageError::NotFound) };
    if !ready.store.record_outcome(id, adviser, outcome).await? {
        return Err(PageError::NotFound);
    }
    requests_page(&state, &current, StatusCode::OK, Some(format!("Suite enregistrée : {}.", outcome.label())), None)
        .await
}

// ------------------------------------------------------------------ outcomes

pub async fn outcomes(
    State(state): State<Arc<AppState>>,
    current: Guard<Team>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let default_from = today().checked_sub(jiff::Span::new().years(1)).unwrap_or(today());
    let (from, error) = match raw.get("depuis").filter(|s| !s.is_empty()) {
        None => (default_from, None),
        Some(s) => match s.parse::<jiff::civil::Date>() {
            Ok(d) => (d, None),
            Err(_) => (default_from, Some("Date de début invalide : utilisez le format AAAA-MM-JJ.".to_string())),
        },
    };
    let from_ms = day_start_ms(from).unwrap_or(0);
    let counts = ready.store.contact_outcomes(from_ms).await?;
    let geo = &state.geo;
    let rows: Vec<OutcomeRow> = counts
        .iter()
        .map(|c| OutcomeRow {
            department: geo
                .department(&c.department)
                .map(|d| format!("{} ({})", d.name, d.code))
                .unwrap_or_else(|| c.department.clone()),
            need: need_label(&c.need),
            total: c.total,
            met: c.met,
            quote_sent: c.quote_sent,
            no_follow_up: c.no_follow_up,
            unknown: c.unknown(),
        })
        .collect();
    let sum = |f: fn(&OutcomeRow) -> i64| rows.iter().map(f).sum::<i64>();
    let total = OutcomeRow {
        department: "Total".into(),
        need: "",
        total: sum(|r| r.total),
        met: sum(|r| r.met),
        quote_sent: sum(|r| r.quote_sent),
        no_follow_up: sum(|r| r.no_follow_up),
        unknown: sum(|r| r.unknown),
    };
    let page = OutcomesPage {
        chrome: chrome(&state, &current, "/admin/suivi"),
        from: from.to_string(),
        rows,
        total,
        error,
        base: state.base(),
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(no_store(render(status, &page)))
}
