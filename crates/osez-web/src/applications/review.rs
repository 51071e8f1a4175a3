//! The team's side: reviewing applications, and the calls for
//! ambassadeurs IA.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use osez_core::account::siret_is_valid;
use osez_core::{Adviser, AdviserId, Kind};
use osez_store::{Application, ApplicationKind, ApplicationStatus, NewMail, Review};

use crate::applications::common::{application_view, call_view};
use crate::applications::views::{AdminCallsPage, ApplicationPage, ApplicationsPage};
use crate::kit::error::{PageError, render};
use crate::kit::format::today;
use crate::kit::forms::FormList;
use crate::kit::guard::{Editors, Guard};
use crate::kit::page::no_store;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::mail;
use crate::menu::chrome;

// ------------------------------------------------------------ the team's side

pub async fn applications(State(state): State<Arc<AppState>>, current: Guard<Editors>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let calls = ready.store.calls().await?;
    let list = ready.store.applications().await?.iter().map(|a| application_view(a, &calls)).collect();
    let page = ApplicationsPage {
        chrome: chrome(&state, &current, "/admin/candidatures"),
        applications: list,
        base: state.base(),
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

fn review_action(id: i64) -> String {
    format!("/admin/candidatures/{id}")
}

async fn application_page(
    state: &AppState,
    current: &CurrentUser,
    app: &Application,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let calls = ready.store.calls().await?;
    let f = &app.form;
    let geo = &state.geo;
    let commune = geo.commune_by_insee(&f.commune_insee).map(|c| format!("{} ({})", c.name, c.department));
    let area =
        f.area.iter().map(|d| geo.department(d).map(|x| x.name.clone()).unwrap_or(d.clone())).collect::<Vec<_>>();
    let since = f.activity_start.parse::<jiff::civil::Date>().map(|d| d.strftime("%d/%m/%Y").to_string());
    let facts = vec![
        ("Nom", f.name.clone()),
        ("SIRET", f.siret.clone()),
        ("Début d'activité", since.unwrap_or_default()),
        ("Site web", f.website.clone()),
        ("Type de structure", f.structure_type.label().to_string()),
        ("Commune", commune.unwrap_or_default()),
        ("Départements couverts", area.join(", ")),
        ("Spécialités", f.specialties.iter().map(|s| s.label()).collect::<Vec<_>>().join(", ")),
        (
            "Modes",
            match (f.in_person, f.remote) {
                (true, true) => "présentiel et à distance",
                (true, false) => "présentiel",
                _ => "à distance",
            }
            .to_string(),
        ),
        ("Présentation", f.description.clone()),
    ];
    let page = ApplicationPage {
        chrome: chrome(state, current, "/admin/candidatures"),
        app: application_view(app, &calls),
        is_open: app.status.is_open(),
        can_shortlist: app.kind == ApplicationKind::AmbassadeurIa && app.status == ApplicationStatus::Submitted,
        facts,
        siret_ok: siret_is_valid(&f.siret),
        token: form_token(&ready.secrets, &session_binding(&review_action(app.id), current)),
        error,
        notice,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

async fn find_application(state: &AppState, id: &str) -> Result<Application, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::NotFound) };
    ready.store.application(id).await?.ok_or(PageError::NotFound)
}

pub async fn application(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let app = find_application(&state, &id).await?;
    application_page(&state, &current, &app, StatusCode::OK, None, None).await
}

pub async fn review(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    let app = find_application(&state, &id).await?;
    if let Err(res) = checked(&state, &current, &review_action(app.id), &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let message: String = form.text("message").trim().chars().take(2_000).collect();
    let actor = current.user.email.as_str();
    // Every account of the application is told of a decision, by mails
    // written with it: a decision that loses a race writes none.
    let addresses = ready.store.application_addresses(&app).await?;
    let tell = |mail: &dyn Fn(&str) -> NewMail| addresses.iter().map(|to| mail(to)).collect::<Vec<_>>();
    let config = &state.config;
    let unprocessable =
        |e: &str| application_page(&state, &current, &app, StatusCode::UNPROCESSABLE_ENTITY, Some(e.into()), None);
    let (done, notice, mailed) = match form.get("decision") {
        Some("modifications" | "refuser") if message.is_empty() => {
            return unprocessable("Écrivez au candidat ce qui doit changer, ou la raison du refus.").await;
        }
        Some("modifications") => {
            let mails = tell(&|to| mail::application_changes(config, to, &app, &message));
            (
                ready.store.review_application(&app, Review::AskChanges(&message), actor, &mails).await?,
                "Modifications demandées : le candidat les voit dans son espace.",
                !mails.is_empty(),
            )
        }
        Some("refuser") => {
            let mails = tell(&|to| mail::application_refused(config, to, &app, &message));
            (
                ready.store.review_application(&app, Review::Refuse(&message), actor, &mails).await?,
                "Candidature refusée.",
                !mails.is_empty(),
            )
        }
        Some("preselectionner") if app.kind == ApplicationKind::AmbassadeurIa => {
            let done = ready.store.review_application(&app, Review::Shortlist, actor, &[]).await?;
            (done, "Candidature présélectionnée.", false)
        }
        Some("accepter") => {
            let mut published = None;
            let (id, kind) = match (app.kind, app.adviser_id.as_deref()) {
                (ApplicationKind::Modification, Some(existing)) => {
                    let id = AdviserId::parse(existing).map_err(|e| PageError::Internal(e.to_string()))?;
                    published = ready.store.adviser(&id).await?;
                    let kind = published.as_ref().map(|a| a.kind).unwrap_or(Kind::Activateur);
                    (id, kind)
                }
                (ApplicationKind::AmbassadeurIa, _) => (
                    AdviserId::parse(&format!("ia-{}", app.id)).map_err(|e| PageError::Internal(e.to_string()))?,
                    Kind::AmbassadeurIa,
                ),
                _ => (
                    AdviserId::parse(&format!("act-{}", app.id)).map_err(|e| PageError::Internal(e.to_string()))?,
                    Kind::Activateur,
                ),
            };
            let Some(mut adviser) = app.form.to_adviser(id.clone(), kind, &state.geo) else {
                return unprocessable("La commune de la candidature est introuvable.").await;
            };
            // Only the name changes through review; keep the rest as published.
            if let Some(current_profile) = published {
                adviser = Adviser { name: app.form.name.clone(), ..current_profile };
            }
            let mails = tell(&|to| mail::application_accepted(config, to, &app, adviser.id.as_str()));
            let done = ready.store.accept_application(&app, &adviser, actor, &mails).await?;
            if done {
                ready.directory_changed();
            }
            (done, "Candidature acceptée : le profil est publié dans l'annuaire.", !mails.is_empty())
        }
        _ => return unprocessable("Choisissez une décision.").await,
    };
    let notice = if done && mailed {
        state.mail_wake.notify_one();
        format!("{notice} Le candidat en est averti par e-mail.")
    } else {
        notice.to_string()
    };
    let app = find_application(&state, &id).await?;
    if !done {
        let message = "Cette candidature a déjà été traitée entre-temps : voici son état actuel.";
        return application_page(&state, &current, &app, StatusCode::CONFLICT, Some(message.into()), None).await;
    }
    application_page(&state, &current, &app, StatusCode::OK, None, Some(notice)).await
}

// -------------------------------------------------------------------- calls

#[derive(Default)]
struct CallForm {
    title: String,
    criteria: String,
    opens: String,
    closes: String,
    regions: Vec<String>,
}

/// A day as `<input type="date">` sends it: `AAAA-MM-JJ`, nothing else.
/// jiff alone would also take `20260301`, which was stored as typed and,
/// compared as text, never closed its call.
fn parse_day(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    shape.then(|| text.parse::<Date>().ok()).flatten()
}

async fn calls_page(
    state: &AppState,
    current: &CurrentUser,
    status: StatusCode,
    form: CallForm,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let today = today();
    let page = AdminCallsPage {
        chrome: chrome(state, current, "/admin/appels"),
        calls: ready.store.calls().await?.iter().map(|c| call_view(state, c, today)).collect(),
        token: form_token(&ready.secrets, &session_binding("/admin/appels", current)),
        regions: state.geo.regions.iter().map(|r| (r.code.clone(), r.name.clone())).collect(),
        form_title: form.title,
        form_criteria: form.criteria,
        form_opens: form.opens,
        form_closes: form.closes,
        form_regions: form.regions,
        error,
        notice,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

pub async fn calls(State(state): State<Arc<AppState>>, current: Guard<Editors>) -> Result<Response, PageError> {
    calls_page(&state, &current, StatusCode::OK, CallForm::default(), None, None).await
}

pub async fn create_call(
    State(state): State<Arc<AppState>>,
    current: Guard<Editors>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, "/admin/appels", &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let text = |k: &str, max: usize| form.text(k).trim().chars().take(max).collect::<String>();
    let call = CallForm {
        title: text("title", 200),
        criteria: text("criteria", 3_000),
        opens: text("opens_on", 10),
        closes: text("closes_on", 10),
        regions: form.all("regions").into_iter().take(30).collect(),
    };
    let dates = (parse_day(&call.opens), parse_day(&call.closes));
    let error = match dates {
        _ if call.title.is_empty() || call.criteria.is_empty() => Some("Indiquez le titre et les critères de l'appel."),
        (Some(opens), Some(closes)) if opens > closes => Some("La clôture doit venir après l'ouverture."),
        (Some(_), Some(_)) if call.regions.iter().any(|r| state.geo.region(r).is_none()) => {
            Some("Une des régions choisies est inconnue.")
        }
        (Some(_), Some(_)) => None,
        _ => Some(
            "Dates invalides : choisissez-les dans le calendrier, ou écrivez-les au format AAAA-MM-JJ \
             (par exemple 2026-03-01).",
        ),
    };
    let (Some(opens), Some(closes), None) = (dates.0, dates.1, error) else {
        let e = error.unwrap_or_default().to_string();
        return calls_page(&state, &current, StatusCode::UNPROCESSABLE_ENTITY, call, Some(e), None).await;
    };
    ready
        .store
        .create_call(&call.title, &call.criteria, opens, closes, &call.regions, current.user.email.as_str())
        .await?;
    let notice = format!("Appel « {} » enregistré.", call.title);
    calls_page(&state, &current, StatusCode::OK, CallForm::default(), None, Some(notice)).await
}
