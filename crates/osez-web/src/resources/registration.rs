//! Registering to a webinar: the public form (the shared public-form
//! guard, one registration per address and webinar, the hourly limits),
//! seats then a waiting list, a confirmation mail with the event's `.ics`,
//! a cancel link (shown, then confirmed by a button, so that a mail
//! scanner following links cancels nothing), and the mails the jobs send:
//! a reminder the day before, the replay link after.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::account::Email;
use osez_core::resource::{Resource, has_markup};
use osez_store::{Letter, MailAttachment, NewMail, NewRegistration, RegisterError, Registration, Seat};

use crate::kit::antispam::{self, HONEYPOT};
use crate::kit::error::{PageError, render};
use crate::kit::format::format_datetime_long;
use crate::kit::forms::FormFields;
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::public_form::{FormKind, PublicForm};
use crate::kit::session::{new_token, token_hash};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{check_form_token, form_token, now_ms};
use crate::mail::{base_url, message_id, signature};
use crate::resources::agenda::calendar;
use crate::resources::views::{CancelPage, RegisterPage, duration_label, venue_address};

/// Reminders go this long before the start.
const REMIND_BEFORE_MS: i64 = 24 * 3_600_000;
/// Replay links go to the registrants of webinars ended this recently.
const REPLAY_WITHIN_MS: i64 = 30 * 86_400_000;

/// A registration: its own hourly budget per client and per address.
pub(crate) struct WebinarRegistration;

impl FormKind for WebinarRegistration {
    const BUDGET: &'static str = "inscription-webinaire";
    const WHAT: &'static str = "inscriptions";
    const PERSON: Option<&'static str> = Some("email");
}

fn form_path(slug: &str) -> String {
    format!("/ressources/{slug}/inscription")
}

fn cancel_path(slug: &str) -> String {
    format!("/ressources/{slug}/inscription/annuler")
}

/// A published webinar, or 404.
fn webinar<'a>(library: &'a crate::kit::state::Library, slug: &str) -> Result<&'a Resource, PageError> {
    library.engine.find(slug).filter(|r| r.content.webinar.is_some()).ok_or(PageError::NotFound)
}

fn starts_at(r: &Resource) -> i64 {
    r.content.webinar.as_ref().map_or(0, |w| w.starts_at)
}

async fn page(state: &AppState, ready: &Ready, r: &Resource) -> Result<RegisterPage, PageError> {
    let w = r.content.webinar.as_ref().ok_or(PageError::NotFound)?;
    let attendance = ready.store.attendance(&r.slug).await?;
    let closed = (w.starts_at <= now_ms()).then(|| {
        "Ce webinaire a déjà commencé ou eu lieu : les inscriptions sont closes. Sa page donne la rediffusion quand elle est publiée."
            .to_string()
    });
    Ok(RegisterPage {
        base: state.base(),
        slug: r.slug.clone(),
        title: r.content.title.clone(),
        when: format_datetime_long(w.starts_at),
        duration: duration_label(w.duration_min),
        is_demo: r.is_demo,
        seats_left: (i64::from(w.capacity) - attendance.confirmed).max(0),
        waiting: attendance.waiting,
        token: form_token(&ready.secrets, &form_path(&r.slug)),
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        name: String::new(),
        email: String::new(),
        company: String::new(),
        closed,
        error: None,
        done: None,
    })
}

pub async fn form(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let r = webinar(&library, &slug)?;
    let p = page(&state, ready, r).await?;
    Ok(no_store(render(StatusCode::OK, &p)))
}

fn ics(state: &AppState, r: &Resource) -> MailAttachment {
    MailAttachment {
        name: format!("{}.ics", r.slug),
        content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
        body: calendar(state, &r.content.title, &[r]),
    }
}

/// "Lieu : 3 rue …, 69003 Lyon 3e Arrondissement\n" for an event in
/// person; nothing online.
fn place_line(state: &AppState, r: &Resource) -> String {
    match r.content.webinar.as_ref().and_then(|w| w.venue.as_ref()) {
        Some(v) => format!("Lieu : {}\n", venue_address(&state.geo, v)),
        None => String::new(),
    }
}

fn demo_line(r: &Resource) -> &'static str {
    if r.is_demo { "Ce webinaire est un événement de démonstration de la plateforme Osez.\n\n" } else { "" }
}

fn letter(
    state: &AppState,
    r: &Resource,
    to: &str,
    kind: &'static str,
    subject: String,
    body: String,
    file: bool,
) -> Letter {
    let mail = NewMail {
        message_id: message_id(&state.config),
        kind,
        to: to.to_string(),
        reply_to: None,
        subject,
        body: format!("Bonjour,\n\n{}{body}\n\n{}\n", demo_line(r), signature(&state.config)),
    };
    (mail, file.then(|| ics(state, r)))
}

fn page_url(state: &AppState, r: &Resource) -> String {
    format!("{}/ressources/{}", base_url(&state.config), r.slug)
}

/// The mail of a new registration, for the seat it got.
fn registered(state: &AppState, r: &Resource, to: &str, cancel: &str, seat: Seat) -> Letter {
    let when = format_datetime_long(starts_at(r));
    let cancel = format!("Si vous ne pouvez plus venir, libérez votre place : {cancel}");
    match seat {
        Seat::Confirmed => letter(
            state,
            r,
            to,
            "webinar_confirmed",
            format!("Inscription confirmée : {}", r.content.title),
            format!(
                "Votre inscription au webinaire « {} » est confirmée.\n\nDate : le {when} (heure de Paris)\n{}Page du webinaire : {}\n\n\
                 Le fichier joint l'ajoute à votre agenda. Vous recevrez un rappel la veille.\n\n{cancel}",
                r.content.title,
                place_line(state, r),
                page_url(state, r)
            ),
            true,
        ),
        Seat::Waiting(n) => letter(
            state,
            r,
            to,
            "webinar_waiting",
            format!("Liste d'attente : {}", r.content.title),
            format!(
                "Le webinaire « {} » du {when} est complet : vous êtes sur la liste d'attente, en position {n}.\n\
                 Si une place se libère, vous recevrez aussitôt un e-mail de confirmation.\n\n{cancel}",
                r.content.title
            ),
            false,
        ),
    }
}

/// A seat freed went to `who`.
fn promoted(state: &AppState, r: &Resource, who: &Registration) -> Letter {
    letter(
        state,
        r,
        &who.email,
        "webinar_promoted",
        format!("Une place s'est libérée : {}", r.content.title),
        format!(
            "Une place s'est libérée au webinaire « {} » : votre inscription est confirmée.\n\nDate : le {} (heure de Paris)\n\
             {}Page du webinaire : {}\n\nLe fichier joint l'ajoute à votre agenda. Pour libérer votre place, utilisez le lien \
             d'annulation reçu lors de votre inscription.",
            r.content.title,
            format_datetime_long(starts_at(r)),
            place_line(state, r),
            page_url(state, r)
        ),
        true,
    )
}

fn field_problem(name: &str, email: &str, company: &str) -> Option<&'static str> {
    let bad = |t: &str, max: usize| t.chars().count() > max || has_markup(t) || t.chars().any(char::is_control);
    if name.is_empty() || bad(name, 100) {
        return Some("Indiquez votre nom (100 caractères au plus, sans HTML).");
    }
    if Email::parse(email).is_err() || osez_core::contact::breaks_header(email) {
        return Some("Indiquez une adresse e-mail valide (ex. prenom.nom@exemple.fr).");
    }
    if bad(company, 150) {
        return Some("Le nom de l'entreprise tient en 150 caractères, sans HTML.");
    }
    None
}

pub async fn register(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    PublicForm { form, checked, .. }: PublicForm<WebinarRegistration>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let r = webinar(&library, &slug)?;
    let mut p = page(&state, ready, r).await?;
    p.name = form.text("name").trim().chars().take(200).collect();
    p.email = form.text("email").trim().chars().take(254).collect();
    p.company = form.text("company").trim().chars().take(200).collect();
    let refuse = |mut p: RegisterPage, status: StatusCode, message: String| {
        p.error = Some(message);
        Ok(no_store(render(status, &p)))
    };
    if let Some(closed) = p.closed.clone() {
        return refuse(p, StatusCode::UNPROCESSABLE_ENTITY, closed);
    }
    let challenge = match checked {
        Ok(c) => c,
        Err(refusal) => {
            p.error = Some(refusal.message.clone());
            return Ok(no_store(refusal.render(&p)));
        }
    };
    if let Some(problem) = field_problem(&p.name, &p.email, &p.company) {
        return refuse(p, StatusCode::UNPROCESSABLE_ENTITY, problem.to_string());
    }
    let email = p.email.to_lowercase();
    let cancel_token = new_token();
    let cancel_link = format!("{}{}?jeton={cancel_token}", base_url(&state.config), cancel_path(&slug));
    let capacity = r.content.webinar.as_ref().map_or(0, |w| w.capacity);
    let who = NewRegistration {
        resource_id: &r.slug,
        email: &email,
        name: &p.name,
        company: &p.company,
        cancel_hash: &token_hash(&cancel_token),
    };
    let result = ready
        .store
        .register(&who, capacity, &challenge, |seat| registered(&state, r, &email, &cancel_link, seat))
        .await;
    match result {
        Ok(seat) => {
            state.mail_wake.notify_one();
            p.done = Some(match seat {
                Seat::Confirmed => format!(
                    "Votre inscription est confirmée. Un e-mail de confirmation part vers {email}, avec le fichier à ajouter à votre agenda et le lien pour annuler."
                ),
                Seat::Waiting(n) => format!(
                    "Le webinaire est complet : vous êtes sur la liste d'attente, en position {n}. Un e-mail part vers {email} ; si une place se libère, vous serez prévenu(e) aussitôt."
                ),
            });
            Ok(no_store(render(StatusCode::OK, &p)))
        }
        Err(RegisterError::Already(seat)) => {
            let message = match seat {
                Seat::Confirmed => "Cette adresse e-mail est déjà inscrite à ce webinaire : rien n'a été changé.".to_string(),
                Seat::Waiting(n) => format!(
                    "Cette adresse e-mail est déjà sur la liste d'attente de ce webinaire (position {n}) : rien n'a été changé."
                ),
            };
            refuse(p, StatusCode::CONFLICT, message)
        }
        Err(RegisterError::Full) => refuse(
            p,
            StatusCode::CONFLICT,
            "Ce webinaire est complet, et sa liste d'attente aussi : l'inscription n'a pas été enregistrée. Sa rediffusion sera publiée sur sa page.".into(),
        ),
        Err(RegisterError::Spent) => {
            refuse(p, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message().to_string())
        }
        Err(RegisterError::NoWebinar) => Err(PageError::NotFound),
        Err(RegisterError::Store(e)) => Err(PageError::from(e)),
    }
}

/// The cancel link: what it will cancel, and the button that does it.
pub async fn cancel_form(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let link = raw.get("jeton").unwrap_or("").to_string();
    let found = ready.store.registration_to_cancel(&token_hash(&link)).await?.filter(|reg| reg.resource_id == slug);
    let library = ready.library();
    let title = library.engine.find(&slug).map(|r| r.content.title.clone()).unwrap_or_default();
    let page = CancelPage {
        base: state.base(),
        slug: slug.clone(),
        title,
        token: form_token(&ready.secrets, &cancel_path(&slug)),
        link,
        waiting: found.as_ref().is_some_and(|r| r.status == "waiting"),
        valid: found.is_some(),
        done: false,
    };
    let status = if page.valid { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok(no_store(render(status, &page)))
}

pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let r = library.engine.find(&slug);
    let mut page = CancelPage {
        base: state.base(),
        slug: slug.clone(),
        title: r.map(|r| r.content.title.clone()).unwrap_or_default(),
        token: form_token(&ready.secrets, &cancel_path(&slug)),
        link: String::new(),
        waiting: false,
        valid: false,
        done: false,
    };
    if check_form_token(&ready.secrets, &cancel_path(&slug), form.get("jeton").map(String::as_str)).is_err() {
        return Ok(no_store(render(StatusCode::FORBIDDEN, &page)));
    }
    let hash = token_hash(form.get("lien").map(String::as_str).unwrap_or(""));
    if ready.store.registration_to_cancel(&hash).await?.is_none_or(|reg| reg.resource_id != slug) {
        return Ok(no_store(render(StatusCode::NOT_FOUND, &page)));
    }
    let cancelled = ready
        .store
        .cancel_registration(&hash, |next| match r {
            Some(r) => promoted(&state, r, next),
            // Unpublished since: the seat still goes to the next one, told
            // in plain words.
            None => letter_without_page(&state, &page.title, next),
        })
        .await?;
    if cancelled.is_some() {
        state.mail_wake.notify_one();
        page.done = true;
        page.valid = true;
    }
    let status = if cancelled.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok(no_store(render(status, &page)))
}

fn letter_without_page(state: &AppState, title: &str, who: &Registration) -> Letter {
    let mail = NewMail {
        message_id: message_id(&state.config),
        kind: "webinar_promoted",
        to: who.email.clone(),
        reply_to: None,
        subject: format!("Une place s'est libérée : {title}"),
        body: format!(
            "Bonjour,\n\nUne place s'est libérée au webinaire « {title} » : votre inscription est confirmée.\n\n{}\n",
            signature(&state.config)
        ),
    };
    (mail, None)
}

/// The mails of the day: a reminder to the seated registrants of the
/// webinars starting within a day, the replay link to the registrants of
/// those ended with a replay. Each goes once, whatever the nodes; returns
/// how many were written.
pub async fn webinar_mails(state: &AppState) -> Result<usize, osez_store::StoreError> {
    let Some(ready) = state.ready() else { return Ok(0) };
    let library = ready.library();
    let now = now_ms();
    let mut written = 0;
    for r in library.engine.resources() {
        let Some(w) = &r.content.webinar else { continue };
        if w.starts_at > now && w.starts_at <= now + REMIND_BEFORE_MS {
            written += ready
                .store
                .send_reminders(&r.slug, |who| {
                    letter(
                        state,
                        r,
                        &who.email,
                        "webinar_reminder",
                        format!("Rappel : {} – {}", r.content.title, format_datetime_long(w.starts_at)),
                        format!(
                            "Le webinaire « {} » a lieu le {} (heure de Paris), pour {}.\n{}Page du webinaire : {}\n\n\
                             Vous ne pouvez plus venir ? Libérez votre place avec le lien d'annulation reçu lors de votre inscription.",
                            r.content.title,
                            format_datetime_long(w.starts_at),
                            duration_label(w.duration_min),
                            place_line(state, r),
                            page_url(state, r)
                        ),
                        true,
                    )
                })
                .await?;
        }
        if w.ends_at() <= now && w.ends_at() > now - REPLAY_WITHIN_MS && r.content.video().is_some() {
            written += ready
                .store
                .send_replay_links(&r.slug, |who| {
                    letter(
                        state,
                        r,
                        &who.email,
                        "webinar_replay",
                        format!("La rediffusion est en ligne : {}", r.content.title),
                        format!(
                            "Merci de votre intérêt pour le webinaire « {} ». Sa rediffusion, avec les sous-titres, la transcription \
                             et les documents présentés, est en ligne :\n{}",
                            r.content.title,
                            page_url(state, r)
                        ),
                        false,
                    )
                })
                .await?;
        }
    }
    if written > 0 {
        state.mail_wake.notify_one();
    }
    Ok(written)
}
