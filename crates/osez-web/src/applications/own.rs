//! The applicant's side: their applications (resubmitted when changes are
//! asked) and, once accepted, their own profile.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::application::{ApplicationForm, FieldError, RawApplication};
use osez_core::{Adviser, AdviserId};
use osez_store::ApplicationStatus;

use crate::applications::common::{application_view, fields, raw_of, started_before};
use crate::applications::views::{MyApplicationsPage, OwnProfilePage};
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::forms::FormList;
use crate::kit::guard::{Advisers, Guard};
use crate::kit::page::no_store;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::menu::chrome;

// ------------------------------------------------------ the applicant's side

fn resubmit_action(id: i64) -> String {
    format!("/admin/candidature/{id}")
}

async fn my_applications_page(
    state: &AppState,
    current: &CurrentUser,
    status: StatusCode,
    notice: Option<String>,
    correction: Option<(RawApplication, Vec<FieldError>)>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let mine = ready.store.applications_of(current.user.id).await?;
    let calls = ready.store.calls().await?;
    let correcting = mine.iter().find(|a| a.status == ApplicationStatus::ChangesRequested).map(|a| {
        let (raw, errors) = correction.clone().unwrap_or_else(|| (a.form.to_raw(&state.geo), Vec::new()));
        let token = form_token(&ready.secrets, &session_binding(&resubmit_action(a.id), current));
        (a.id, token, fields(state, &raw, &errors))
    });
    let page = MyApplicationsPage {
        chrome: chrome(state, current, "/admin/candidature"),
        applications: mine.iter().map(|a| application_view(a, &calls)).collect(),
        correcting,
        notice,
        base: state.base(),
    };
    Ok(no_store(render(status, &page)))
}

pub async fn my_applications(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
) -> Result<Response, PageError> {
    my_applications_page(&state, &current, StatusCode::OK, None, None).await
}

pub async fn resubmit(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::NotFound) };
    if let Err(res) = checked(&state, &current, &resubmit_action(id), &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = raw_of(&form);
    let checked_form = match raw.check(&state.geo, &started_before()) {
        Ok(f) => f,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return my_applications_page(&state, &current, status, None, Some((raw, errors))).await;
        }
    };
    if !ready.store.resubmit_application(id, current.user.id, current.user.email.as_str(), &checked_form).await? {
        let page = ErrorPage {
            title: "Candidature non modifiable",
            message: "Cette candidature n'attend pas de modification de votre part.".into(),
            base: state.base(),
        };
        return Ok(no_store(render(StatusCode::CONFLICT, &page)));
    }
    let notice = "Candidature renvoyée : l'équipe l'examinera de nouveau.".to_string();
    my_applications_page(&state, &current, StatusCode::OK, Some(notice), None).await
}

/// The adviser's own published profile and the application it came from.
async fn own_profile(state: &AppState, current: &CurrentUser) -> Result<Option<(Adviser, ApplicationForm)>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some(id) = current.user.adviser_id.as_deref().and_then(|id| AdviserId::parse(id).ok()) else {
        return Ok(None);
    };
    let Some(adviser) = ready.store.adviser(&id).await? else { return Ok(None) };
    let mine = ready.store.applications_of(current.user.id).await?;
    // The latest accepted form for this profile holds its SIRET and area.
    let form = mine
        .iter()
        .find(|a| a.status == ApplicationStatus::Accepted && a.adviser_id.as_deref() == Some(id.as_str()))
        .map(|a| a.form.clone());
    Ok(form.map(|f| (adviser, f)))
}

fn profile_raw(adviser: &Adviser, form: &ApplicationForm, geo: &osez_core::Geography) -> RawApplication {
    let mut raw = form.to_raw(geo);
    raw.name = adviser.name.clone();
    raw.description = adviser.description.clone();
    raw.website = adviser.website.clone().unwrap_or_default();
    raw.specialties = adviser.specialties.iter().map(|s| s.slug().to_string()).collect();
    raw.in_person = adviser.in_person;
    raw.remote = adviser.remote;
    raw.structure_type = adviser.structure_type.slug().to_string();
    raw
}

/// Without a published profile yet, the applications say where things stand.
async fn no_profile(state: &AppState, current: &CurrentUser) -> Result<Response, PageError> {
    let notice = "Votre compte n'est lié à aucun profil publié pour l'instant : il le sera quand votre candidature aura été acceptée.";
    my_applications_page(state, current, StatusCode::OK, Some(notice.into()), None).await
}

/// What the profile page says above the form.
enum Said {
    Nothing,
    Notice(String),
    /// The profile changed since the form was loaded: nothing was saved.
    Conflict,
}

/// The profile form; `version` is the one the next save must start from.
fn profile_page(
    state: &AppState,
    current: &CurrentUser,
    adviser: &Adviser,
    version: i64,
    raw: &RawApplication,
    errors: &[FieldError],
    said: Said,
) -> Response {
    let token =
        state.ready().map(|r| form_token(&r.secrets, &session_binding("/admin/profil", current))).unwrap_or_default();
    let status = match &said {
        Said::Conflict => StatusCode::CONFLICT,
        _ if !errors.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let (notice, conflict) = match said {
        Said::Nothing => (None, None),
        Said::Notice(n) => (Some(n), None),
        Said::Conflict => (
            None,
            Some(
                "Ce profil a été modifié entre-temps (dans un autre onglet, ou par l'équipe qui a accepté un \
                 changement de nom) : rien n'a été enregistré. Vos saisies sont conservées ci-dessous ; \
                 vérifiez votre profil public, puis enregistrez de nouveau."
                    .to_string(),
            ),
        ),
    };
    let page = OwnProfilePage {
        chrome: chrome(state, current, "/admin/profil"),
        adviser_id: adviser.id.to_string(),
        token,
        version,
        fields: fields(state, raw, errors),
        notice,
        conflict,
        base: state.base(),
    };
    no_store(render(status, &page))
}

/// The version of the adviser's profile now.
async fn version_of(state: &AppState, adviser: &Adviser) -> Result<i64, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.profile_version(&adviser.id).await?.ok_or(PageError::NotFound)
}

pub async fn profile_form(State(state): State<Arc<AppState>>, current: Guard<Advisers>) -> Result<Response, PageError> {
    let Some((adviser, form)) = own_profile(&state, &current).await? else { return no_profile(&state, &current).await };
    let version = version_of(&state, &adviser).await?;
    let raw = profile_raw(&adviser, &form, &state.geo);
    Ok(profile_page(&state, &current, &adviser, version, &raw, &[], Said::Nothing))
}

pub async fn profile_save(
    State(state): State<Arc<AppState>>,
    current: Guard<Advisers>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Err(res) = checked(&state, &current, "/admin/profil", &form.map()).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Some((adviser, accepted)) = own_profile(&state, &current).await? else {
        return no_profile(&state, &current).await;
    };
    let raw = raw_of(&form);
    // The form says which version it was loaded at. A save from an older
    // one would overwrite what was saved meanwhile: nothing is saved, the
    // typed form comes back, ready to be sent again from the current one.
    let version = version_of(&state, &adviser).await?;
    let loaded = form.get("version").and_then(|v| v.trim().parse::<i64>().ok());
    if loaded != Some(version) {
        return Ok(profile_page(&state, &current, &adviser, version, &raw, &[], Said::Conflict));
    }
    // The start of activity was checked at application time.
    let checked_form = match raw.check(&state.geo, &accepted.activity_start.max(started_before())) {
        Ok(f) => f,
        Err(errors) => return Ok(profile_page(&state, &current, &adviser, version, &raw, &errors, Said::Nothing)),
    };
    let Some(mut updated) = checked_form.to_adviser(adviser.id.clone(), adviser.kind, &state.geo) else {
        return Err(PageError::Internal("checked commune missing".into()));
    };
    // Name and SIRET wait for review; the rest is published now.
    updated.name = adviser.name.clone();
    updated.sectors = adviser.sectors.clone();
    updated.address = adviser.address.clone();
    updated.source_url = adviser.source_url.clone();
    let mut notices = Vec::new();
    if updated != adviser {
        // The version read above may be stale by now: the conditional
        // update decides.
        if !ready.store.update_own_profile(&adviser, &updated, current.user.email.as_str(), version).await? {
            let now = version_of(&state, &adviser).await?;
            return Ok(profile_page(&state, &current, &adviser, now, &raw, &[], Said::Conflict));
        }
        ready.directory_changed();
        notices.push("Vos changements sont publiés.");
    }
    if checked_form.name != adviser.name || checked_form.siret != accepted.siret {
        ready.store.apply_for_change(current.user.id, current.user.email.as_str(), &adviser.id, &checked_form).await?;
        notices.push("Le changement de nom ou de SIRET est transmis à l'équipe, qui le vérifiera avant publication.");
    }
    if notices.is_empty() {
        notices.push("Aucun changement à enregistrer.");
    }
    let version = version_of(&state, &adviser).await?;
    Ok(profile_page(&state, &current, &updated, version, &raw, &[], Said::Notice(notices.join(" "))))
}
