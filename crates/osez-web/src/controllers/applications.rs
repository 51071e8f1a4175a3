//! Joining the directory: an organisation applies (or answers a call for
//! ambassadeurs IA), the team reviews, and advisers keep their own profile
//! up to date.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use osez_core::account::{Email, NewPassword, Role, hash_password, siret_is_valid};
use osez_core::application::{ApplicationForm, FieldError, RawApplication};
use osez_core::{Adviser, AdviserId, Kind, Specialty, StructureType};
use osez_store::{Application, ApplicationKind, ApplicationStatus, Call, CreateUserError, NewMail, Review};

use super::FormList;
use super::admin::{checked, no_store, session_binding};
use super::backoffice::{chrome, format_time, refused, today};
use crate::auth::{CurrentUser, PasswordWorkError, busy_page};
use crate::error::render;
use crate::mail;
use crate::security::{check_form_token, form_token};
use crate::views::{
    AdminCallsPage, ApplicationFields, ApplicationPage, ApplicationView, ApplicationsPage, ApplyPage, ApplySentPage,
    CallView, CallsPage, ErrorPage, MyApplicationsPage, OwnProfilePage,
};
use crate::{AppState, PageError};

const REVIEWERS: &[Role] = &[Role::Admin, Role::Editor];
const ADVISERS: &[Role] = &[Role::Adviser];

fn fields(state: &AppState, raw: &RawApplication, errors: &[FieldError]) -> ApplicationFields {
    ApplicationFields {
        raw: raw.clone(),
        errors: errors.iter().map(|e| (e.field, e.message.clone())).collect(),
        structure_types: StructureType::ALL.iter().map(|t| (t.slug(), t.label())).collect(),
        all_specialties: Specialty::ALL.iter().map(|s| (s.slug(), s.label())).collect(),
        departments: state
            .geo
            .departments
            .iter()
            .map(|d| (d.code.clone(), format!("{} ({})", d.name, d.code)))
            .collect(),
    }
}

fn raw_of(form: &FormList) -> RawApplication {
    let text = |k: &str| form.text(k).chars().take(4_000).collect::<String>();
    RawApplication {
        name: text("name"),
        siret: text("siret"),
        activity_start: text("activity_start"),
        website: text("website"),
        structure_type: text("structure_type"),
        commune: text("commune"),
        area: form.all("area").into_iter().take(120).collect(),
        specialties: form.all("specialties").into_iter().take(20).collect(),
        in_person: form.get("in_person").is_some(),
        remote: form.get("remote").is_some(),
        description: text("description"),
    }
}

/// The latest start of activity accepted today: six months ago.
fn started_before() -> String {
    let day = today();
    day.checked_sub(6.months()).unwrap_or(day).to_string()
}

fn kind_label(kind: ApplicationKind) -> &'static str {
    match kind {
        ApplicationKind::Activateur => "Référencement comme activateur France Num",
        ApplicationKind::AmbassadeurIa => "Candidature ambassadeur IA",
        ApplicationKind::Modification => "Changement de nom ou de SIRET",
    }
}

fn application_view(a: &Application, calls: &[Call]) -> ApplicationView {
    ApplicationView {
        id: a.id,
        kind: kind_label(a.kind),
        status: a.status.label(),
        name: a.form.name.clone(),
        email: a.email.clone(),
        team_note: a.team_note.clone(),
        submitted: format_time(a.created_at_ms),
        updated: format_time(a.updated_at_ms),
        call: a.call_id.and_then(|id| calls.iter().find(|c| c.id == id)).map(|c| c.title.clone()),
        adviser_id: a.adviser_id.clone(),
    }
}

fn call_view(state: &AppState, c: &Call, today: Date) -> CallView {
    let regions = if c.regions.is_empty() {
        "toutes les régions".to_string()
    } else {
        c.regions.iter().filter_map(|r| state.geo.region(r)).map(|r| r.name.clone()).collect::<Vec<_>>().join(", ")
    };
    let date = |d: Date| d.strftime("%d/%m/%Y").to_string();
    CallView {
        id: c.id,
        title: c.title.clone(),
        criteria: c.criteria.clone(),
        dates: format!("du {} au {}", date(c.opens_on), date(c.closes_on)),
        regions,
        open: c.is_open_on(today),
    }
}

// ---------------------------------------------------------- public: applying

const APPLY: &str = "/candidature";
const APPLY_SENT: &str = "/candidature/envoyee";

fn call_path(id: i64) -> String {
    format!("/appels/{id}/candidature")
}

struct Target {
    action: String,
    kind: ApplicationKind,
    call: Option<Call>,
}

impl Target {
    fn title(&self) -> String {
        match &self.call {
            Some(c) => format!("Candidater : {}", c.title),
            None => "Référencer ma structure comme activateur France Num".into(),
        }
    }

    fn intro(&self) -> String {
        match self.call {
            Some(_) => "Présentez votre structure : l'équipe France Num examine les candidatures, présélectionne, puis nomme les ambassadeurs IA, qui apparaissent alors dans l'annuaire.".into(),
            None => "Les structures qui accompagnent les TPE et PME dans le numérique peuvent demander leur référencement. L'équipe France Num vérifie chaque demande : le numéro SIRET, plus de 6 mois d'activité, le site web. Une fois acceptée, votre fiche est publiée aussitôt.".into(),
        }
    }
}

/// Who fills the form: someone without an account (who creates one with
/// it), or an adviser signed in, who applies from their account.
enum Applicant<'a> {
    New { email: String },
    Signed(&'a CurrentUser),
}

fn apply_page(
    state: &AppState,
    target: &Target,
    status: StatusCode,
    applicant: Applicant<'_>,
    raw: &RawApplication,
    errors: &[FieldError],
) -> Response {
    // A signed-in adviser's form is bound to their session, as the back
    // office's forms are: the anonymous form's token does not post for them.
    let (email, account, binding) = match applicant {
        Applicant::New { email } => (email, None, target.action.clone()),
        Applicant::Signed(current) => {
            (String::new(), Some(current.user.email.as_str().to_string()), session_binding(&target.action, current))
        }
    };
    let token = state.ready().map(|r| form_token(&r.secrets, &binding)).unwrap_or_default();
    let page = ApplyPage {
        title: target.title(),
        action: target.action.clone(),
        intro: target.intro(),
        call_criteria: target.call.as_ref().map(|c| c.criteria.clone()),
        token,
        email,
        account,
        fields: fields(state, raw, errors),
        demo: false,
    };
    no_store(render(status, &page))
}

/// The open call of `/appels/{id}/…`, or a French page saying why not.
async fn open_call(state: &AppState, id: &str) -> Result<Result<Target, Response>, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let Ok(id) = id.parse::<i64>() else { return Err(PageError::NotFound) };
    let Some(call) = ready.store.call(id).await? else { return Err(PageError::NotFound) };
    if !call.is_open_on(today()) {
        let page = ErrorPage {
            title: "Appel clos",
            message: "Cet appel à manifestation d'intérêt n'est pas ouvert aux candidatures en ce moment. Consultez les appels ouverts sur la page des appels.".into(),
            demo: false,
        };
        return Ok(Err(render(StatusCode::GONE, &page)));
    }
    Ok(Ok(Target { action: call_path(id), kind: ApplicationKind::AmbassadeurIa, call: Some(call) }))
}

fn activateur_target() -> Target {
    Target { action: APPLY.into(), kind: ApplicationKind::Activateur, call: None }
}

pub async fn apply_form(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    state.ready().ok_or(PageError::Starting)?;
    let raw = RawApplication { in_person: true, ..RawApplication::default() };
    let anonymous = Applicant::New { email: String::new() };
    Ok(apply_page(&state, &activateur_target(), StatusCode::OK, anonymous, &raw, &[]))
}

pub async fn apply(State(state): State<Arc<AppState>>, form: FormList) -> Result<Response, PageError> {
    submit(&state, activateur_target(), form).await
}

/// A call is answered by an organisation without an account (the form
/// creates one), or by an adviser from their account. The session
/// extractor's rejection (no session, or an expired one) means the
/// anonymous form.
pub async fn call_apply_form(
    State(state): State<Arc<AppState>>,
    session: Result<CurrentUser, Response>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let target = match open_call(&state, &id).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let Ok(current) = session else {
        let raw = RawApplication { in_person: true, ..RawApplication::default() };
        let anonymous = Applicant::New { email: String::new() };
        return Ok(apply_page(&state, &target, StatusCode::OK, anonymous, &raw, &[]));
    };
    if refused(&current, ADVISERS).is_some() {
        return Ok(team_cannot_apply(&current));
    }
    // Start from what the adviser last sent: most of it holds for a call.
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = match ready.store.applications_of(current.user.id).await?.first() {
        Some(last) => last.form.to_raw(&state.geo),
        None => RawApplication { in_person: true, ..RawApplication::default() },
    };
    Ok(apply_page(&state, &target, StatusCode::OK, Applicant::Signed(&current), &raw, &[]))
}

pub async fn call_apply(
    State(state): State<Arc<AppState>>,
    session: Result<CurrentUser, Response>,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    let target = match open_call(&state, &id).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let Ok(current) = session else { return submit(&state, target, form).await };
    if refused(&current, ADVISERS).is_some() {
        return Ok(team_cannot_apply(&current));
    }
    submit_signed_in(&state, &current, target, form).await
}

/// The answer to a team account (admin, editor, moderator) on a call's
/// form: applications come from organisations' accounts.
fn team_cannot_apply(current: &CurrentUser) -> Response {
    let page = ErrorPage {
        title: "Candidature impossible depuis ce compte",
        message: format!(
            "Vous êtes connecté avec un compte de l'équipe (rôle : {}), qui ne peut pas candidater à un appel. \
             Pour présenter une structure, déconnectez-vous puis remplissez le formulaire, ou connectez-vous avec \
             le compte de la structure.",
            current.user.role.label()
        ),
        demo: false,
    };
    no_store(render(StatusCode::FORBIDDEN, &page))
}

/// The regions of a call that the organisation does not reach, as an error
/// of the form; none when the call is open to every region or it reaches one.
fn region_error(state: &AppState, form: &ApplicationForm, call: &Call) -> Option<FieldError> {
    if covers_call_regions(state, form, call) {
        return None;
    }
    let names: Vec<String> = call.regions.iter().filter_map(|r| state.geo.region(r)).map(|r| r.name.clone()).collect();
    let message = format!(
        "Cet appel est réservé aux structures implantées ou intervenant dans ces régions : {}.",
        names.join(", ")
    );
    Some(FieldError { field: "area", message })
}

/// A signed-in adviser answers a call: the application is theirs, no
/// account is created.
async fn submit_signed_in(
    state: &AppState,
    current: &CurrentUser,
    target: Target,
    form: FormList,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = raw_of(&form);
    let page =
        |status, errors: &[FieldError]| apply_page(state, &target, status, Applicant::Signed(current), &raw, errors);
    let binding = session_binding(&target.action, current);
    if let Err(e) = check_form_token(&ready.secrets, &binding, form.get("jeton")) {
        return Ok(page(StatusCode::FORBIDDEN, &[FieldError { field: "jeton", message: e.message().into() }]));
    }
    let Some(call) = &target.call else { return Err(PageError::NotFound) };
    let app_form = match raw.check(&state.geo, &started_before()) {
        Ok(f) => f,
        Err(errors) => return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &errors)),
    };
    if let Some(error) = region_error(state, &app_form, call) {
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, &[error]));
    }
    let email = current.user.email.as_str();
    if ready.store.apply_to_call(current.user.id, email, call.id, &app_form).await?.is_none() {
        let page = ErrorPage {
            title: "Candidature déjà envoyée",
            message: "Vous avez déjà une candidature en cours pour cet appel : suivez-la, ou corrigez-la si l'équipe \
                      le demande, dans votre espace (Mes candidatures). Rien de plus n'a été enregistré."
                .into(),
            demo: false,
        };
        return Ok(no_store(render(StatusCode::CONFLICT, &page)));
    }
    Ok(no_store(Redirect::to("/admin/candidature").into_response()))
}

async fn submit(state: &AppState, target: Target, form: FormList) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = raw_of(&form);
    let typed_email = form.text("email").trim().chars().take(254).collect::<String>();
    if let Err(e) = check_form_token(&ready.secrets, &target.action, form.get("jeton")) {
        let errors = [FieldError { field: "jeton", message: e.message().into() }];
        let applicant = Applicant::New { email: typed_email };
        return Ok(apply_page(state, &target, StatusCode::FORBIDDEN, applicant, &raw, &errors));
    }
    let mut errors = Vec::new();
    let email = Email::parse(&typed_email)
        .map_err(|_| errors.push(FieldError { field: "email", message: "Adresse e-mail invalide.".into() }))
        .ok();
    let password = form.text("password");
    let new_password = match NewPassword::parse(&password) {
        Ok(p) if password == form.text("password2") => Some(p),
        Ok(_) => {
            errors.push(FieldError { field: "password", message: "Les deux mots de passe diffèrent.".into() });
            None
        }
        Err(e) => {
            errors.push(FieldError { field: "password", message: format!("Mot de passe refusé : {e}.") });
            None
        }
    };
    let checked_form = raw.check(&state.geo, &started_before()).map_err(|e| errors.extend(e)).ok();
    if let (Some(f), Some(call)) = (&checked_form, &target.call)
        && let Some(error) = region_error(state, f, call)
    {
        errors.push(error);
    }
    let (Some(email), Some(new_password), Some(app_form), true) =
        (email, new_password, checked_form, errors.is_empty())
    else {
        let applicant = Applicant::New { email: typed_email };
        return Ok(apply_page(state, &target, StatusCode::UNPROCESSABLE_ENTITY, applicant, &raw, &errors));
    };
    let salt: [u8; 16] = rand::random();
    let hash = match state.passwords.run(move || hash_password(&new_password, &salt)).await {
        Ok(hash) => hash,
        Err(PasswordWorkError::Busy) => return Ok(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e)),
    };
    let call_id = target.call.as_ref().map(|c| c.id);
    match ready.store.apply_with_new_account(&email, &hash, target.kind, call_id, &app_form).await {
        Ok(_) => {}
        // The answer is the same as for a new account, so that the form does
        // not tell anyone whether an address has one; the owner learns by
        // mail what happened (nothing was saved).
        Err(CreateUserError::EmailTaken) => {
            let owner_mail = mail::account_exists(&state.config, email.as_str());
            if ready.store.mail_account_owner(&owner_mail).await? {
                state.mail_wake.notify_one();
            }
        }
        Err(CreateUserError::Store(e)) => return Err(e.into()),
    }
    // No session is opened: a session for a new account and none for an
    // existing one would tell them apart. The applicant signs in to follow.
    Ok(no_store(Redirect::to(APPLY_SENT).into_response()))
}

/// Where every application lands, new account or not.
pub async fn apply_sent(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    state.ready().ok_or(PageError::Starting)?;
    Ok(render(StatusCode::OK, &ApplySentPage { demo: false }))
}

/// A call limited to some regions takes organisations based there or
/// covering one of their departments.
fn covers_call_regions(state: &AppState, form: &ApplicationForm, call: &Call) -> bool {
    if call.regions.is_empty() {
        return true;
    }
    let geo = &state.geo;
    let home = geo.commune_by_insee(&form.commune_insee).map(|c| c.region.clone());
    let covered = form.area.iter().filter_map(|d| geo.department(d)).map(|d| d.region.clone());
    home.into_iter().chain(covered).any(|r| call.regions.contains(&r))
}

pub async fn calls_public(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let today = today();
    let calls = ready.store.calls().await?.iter().map(|c| call_view(&state, c, today)).collect();
    Ok(render(StatusCode::OK, &CallsPage { calls, demo: false }))
}

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
        demo: false,
    };
    Ok(no_store(render(status, &page)))
}

pub async fn my_applications(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADVISERS) {
        return Ok(res);
    }
    my_applications_page(&state, &current, StatusCode::OK, None, None).await
}

pub async fn resubmit(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADVISERS) {
        return Ok(res);
    }
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
            demo: false,
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
        demo: false,
    };
    no_store(render(status, &page))
}

/// The version of the adviser's profile now.
async fn version_of(state: &AppState, adviser: &Adviser) -> Result<i64, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    ready.store.profile_version(&adviser.id).await?.ok_or(PageError::NotFound)
}

pub async fn profile_form(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADVISERS) {
        return Ok(res);
    }
    let Some((adviser, form)) = own_profile(&state, &current).await? else { return no_profile(&state, &current).await };
    let version = version_of(&state, &adviser).await?;
    let raw = profile_raw(&adviser, &form, &state.geo);
    Ok(profile_page(&state, &current, &adviser, version, &raw, &[], Said::Nothing))
}

pub async fn profile_save(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    form: FormList,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, ADVISERS) {
        return Ok(res);
    }
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

// ------------------------------------------------------------ the team's side

pub async fn applications(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let calls = ready.store.calls().await?;
    let list = ready.store.applications().await?.iter().map(|a| application_view(a, &calls)).collect();
    let page =
        ApplicationsPage { chrome: chrome(&state, &current, "/admin/candidatures"), applications: list, demo: false };
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
        demo: false,
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
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    let app = find_application(&state, &id).await?;
    application_page(&state, &current, &app, StatusCode::OK, None, None).await
}

pub async fn review(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
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
        demo: false,
    };
    Ok(no_store(render(status, &page)))
}

pub async fn calls(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    calls_page(&state, &current, StatusCode::OK, CallForm::default(), None, None).await
}

pub async fn create_call(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    form: FormList,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
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
