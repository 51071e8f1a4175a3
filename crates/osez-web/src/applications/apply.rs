//! Applying: the public form (as an activateur France Num, or to a call for
//! ambassadeurs IA), from an account or not.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::account::{Email, NewPassword, hash_password};
use osez_core::application::{ApplicationForm, FieldError, RawApplication};
use osez_store::{ApplicationKind, Call, CreateUserError, SpentChallenge};

use crate::applications::common::{call_view, fields, raw_of, started_before};
use crate::applications::views::{ApplyPage, ApplySentPage, CallsPage};
use crate::kit::antispam::{ChallengeError, HONEYPOT, new_question};
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::today;
use crate::kit::forms::FormList;
use crate::kit::guard::{Advisers, RoleSet, Visitor};
use crate::kit::page::no_store;
use crate::kit::passwords::{PasswordWorkError, busy_page};
use crate::kit::public_form::{FormKind, PublicForm, Refusal, check_form};
use crate::kit::security::ClientIp;
use crate::kit::session::{CurrentUser, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::{check_form_token, form_token};
use crate::mail;

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
    error: Option<String>,
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
    // Without an account, the form answers a challenge (see `NewApplication`).
    let question = match (&account, state.ready()) {
        (None, Some(r)) => Some(new_question(&r.secrets)),
        _ => None,
    };
    let page = ApplyPage {
        question,
        honeypot: HONEYPOT,
        error,
        title: target.title(),
        action: target.action.clone(),
        intro: target.intro(),
        call_criteria: target.call.as_ref().map(|c| c.criteria.clone()),
        token,
        email,
        account,
        fields: fields(state, raw, errors),
        base: state.base(),
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
            base: state.base(),
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
    Ok(apply_page(&state, &activateur_target(), StatusCode::OK, anonymous, &raw, &[], None))
}

/// An application without an account: it creates one, so it takes the
/// public-form guard, with its own budget per client and per address.
pub(crate) struct NewApplication;

impl FormKind for NewApplication {
    const BUDGET: &'static str = "candidature";
    const WHAT: &'static str = "candidatures envoyées";
    const PERSON: Option<&'static str> = Some("email");
}

pub async fn apply(
    State(state): State<Arc<AppState>>,
    PublicForm { form, checked, .. }: PublicForm<NewApplication>,
) -> Result<Response, PageError> {
    submit(&state, activateur_target(), form, checked).await
}

/// A call is answered by an organisation without an account (the form
/// creates one), or by an adviser from their account. The session
/// extractor's rejection (no session, or an expired one) means the
/// anonymous form.
pub async fn call_apply_form(
    State(state): State<Arc<AppState>>,
    Visitor(session): Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let target = match open_call(&state, &id).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let Some(current) = session else {
        let raw = RawApplication { in_person: true, ..RawApplication::default() };
        let anonymous = Applicant::New { email: String::new() };
        return Ok(apply_page(&state, &target, StatusCode::OK, anonymous, &raw, &[], None));
    };
    if !Advisers::admits(&current) {
        return Ok(team_cannot_apply(&state, &current));
    }
    // Start from what the adviser last sent: most of it holds for a call.
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = match ready.store.applications_of(current.user.id).await?.first() {
        Some(last) => last.form.to_raw(&state.geo),
        None => RawApplication { in_person: true, ..RawApplication::default() },
    };
    Ok(apply_page(&state, &target, StatusCode::OK, Applicant::Signed(&current), &raw, &[], None))
}

pub async fn call_apply(
    State(state): State<Arc<AppState>>,
    Visitor(session): Visitor,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    let target = match open_call(&state, &id).await? {
        Ok(t) => t,
        Err(res) => return Ok(res),
    };
    let Some(current) = session else {
        // Without an account, the same guard as `/candidature`.
        let checked = check_form::<NewApplication>(&state, &target.action, ip, &form).await?;
        return submit(&state, target, form, checked).await;
    };
    if !Advisers::admits(&current) {
        return Ok(team_cannot_apply(&state, &current));
    }
    submit_signed_in(&state, &current, target, form).await
}

/// The answer to a team account (admin, editor, moderator) on a call's
/// form: applications come from organisations' accounts.
fn team_cannot_apply(state: &AppState, current: &CurrentUser) -> Response {
    let page = ErrorPage {
        title: "Candidature impossible depuis ce compte",
        message: format!(
            "Vous êtes connecté avec un compte de l'équipe (rôle : {}), qui ne peut pas candidater à un appel. \
             Pour présenter une structure, déconnectez-vous puis remplissez le formulaire, ou connectez-vous avec \
             le compte de la structure.",
            current.user.role.label()
        ),
        base: state.base(),
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
    let page = |status, errors: &[FieldError]| {
        apply_page(state, &target, status, Applicant::Signed(current), &raw, errors, None)
    };
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
            base: state.base(),
        };
        return Ok(no_store(render(StatusCode::CONFLICT, &page)));
    }
    Ok(no_store(Redirect::to("/admin/candidature").into_response()))
}

async fn submit(
    state: &AppState,
    target: Target,
    form: FormList,
    checked: Result<SpentChallenge, Refusal>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = raw_of(&form);
    let typed_email = form.text("email").trim().chars().take(254).collect::<String>();
    let challenge = match checked {
        Ok(c) => c,
        Err(refusal) => {
            let applicant = Applicant::New { email: typed_email };
            let page = apply_page(state, &target, refusal.status, applicant, &raw, &[], Some(refusal.message.clone()));
            return Ok(refusal.finish(page));
        }
    };
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
        return Ok(apply_page(state, &target, StatusCode::UNPROCESSABLE_ENTITY, applicant, &raw, &errors, None));
    };
    let salt: [u8; 16] = rand::random();
    let hash = match state.passwords.run(move || hash_password(&new_password, &salt)).await {
        Ok(hash) => hash,
        Err(PasswordWorkError::Busy) => return Ok(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e)),
    };
    let call_id = target.call.as_ref().map(|c| c.id);
    match ready.store.apply_with_new_account(&email, &hash, target.kind, call_id, &app_form, &challenge).await {
        Ok(_) => {}
        Err(CreateUserError::Replayed) => {
            let applicant = Applicant::New { email: typed_email };
            let message = Some(ChallengeError::Expired.message().to_string());
            return Ok(apply_page(state, &target, StatusCode::UNPROCESSABLE_ENTITY, applicant, &raw, &[], message));
        }
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
    Ok(render(StatusCode::OK, &ApplySentPage { base: state.base() }))
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
    Ok(render(StatusCode::OK, &CallsPage { calls, base: state.base() }))
}
