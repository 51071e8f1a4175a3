//! Claims of imported profiles and invitations. The public form
//! ("C'est ma structure") saves a claim and nothing else, behind the
//! contact forms' anti-robot guard; the team accepts it (an adviser account
//! linked to the profile, and an invitation link by mail) or refuses it (a
//! mail with the reason), or invites an address itself; the invitation
//! link sets the account's first password, once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::account::{Email, NewPassword, Role, hash_password, siret_is_valid};
use osez_store::{Claim, ClaimOutcome, Invitation, InviteError, NewClaim};

use super::admin::{checked, no_store, session_binding};
use super::backoffice::{chrome, format_time, refused};
use super::contact::robot_refusal;
use super::pages::is_demo;
use super::{FormFields, FormList};
use crate::antispam::{self, HONEYPOT};
use crate::auth::{CurrentUser, PasswordWorkError, busy_page, new_token, token_hash};
use crate::error::render;
use crate::params::RawParams;
use crate::security::{ClientIp, check_form_token, form_token, hourly_limit_message, now_ms};
use crate::views::{AdminClaimPage, AdminClaimsPage, ClaimPage, ClaimView, InvitationPage};
use crate::{AppState, PageError, Ready, mail};

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 86_400);
const INVITE_DAYS: u64 = INVITATION_TTL.as_secs() / 86_400;
const MAX_CLAIM_MESSAGE: usize = 1_000;
const MAX_REASON: usize = 1_000;
const REVIEWERS: &[Role] = &[Role::Admin, Role::Editor];
const CLAIMS: &str = "/admin/revendications";
const INVITATION: &str = "/invitation";

fn claim_path(id: &str) -> String {
    format!("/conseillers/{id}/revendiquer")
}

// ------------------------------------------------------------ public form

async fn claim_page(state: &AppState, ready: &Ready, id: &str, name: &str) -> Result<ClaimPage, PageError> {
    let action = claim_path(id);
    Ok(ClaimPage {
        demo: is_demo(state),
        adviser_id: id.to_string(),
        adviser_name: name.to_string(),
        token: form_token(&ready.secrets, &action),
        action,
        linked: ready.store.profile_has_account(id).await?,
        sent: false,
        email: String::new(),
        siret: String::new(),
        message: String::new(),
        error: None,
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        max_message: MAX_CLAIM_MESSAGE,
    })
}

pub async fn claim_form(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let mut page = claim_page(&state, ready, a.id.as_str(), &a.name).await?;
    page.sent = query.is_some_and(|q| q.split('&').any(|p| p == "envoye=1"));
    Ok(render(StatusCode::OK, &page))
}

pub async fn claim_submit(
    State(state): State<Arc<AppState>>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let mut page = claim_page(&state, ready, a.id.as_str(), &a.name).await?;
    page.email = form.text("email").trim().chars().take(254).collect();
    page.siret = form.text("siret").trim().chars().take(20).collect();
    let message = form.text("message").trim().to_string();
    page.message = message.chars().take(MAX_CLAIM_MESSAGE).collect();
    let refuse = |mut page: ClaimPage, status: StatusCode, message: &str| {
        page.error = Some(message.to_string());
        Ok(render(status, &page))
    };
    if page.linked {
        return Ok(render(StatusCode::CONFLICT, &page));
    }
    if let Err(e) = check_form_token(&ready.secrets, &page.action, form.get("jeton")) {
        return refuse(page, StatusCode::FORBIDDEN, e.message());
    }
    if let Some(refusal) = robot_refusal(&state, &form) {
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, refusal);
    }
    let Ok(email) = Email::parse(&page.email) else {
        return refuse(
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Adresse e-mail invalide : écrivez-la ainsi, prenom.nom@exemple.fr.",
        );
    };
    if !siret_is_valid(&page.siret) {
        return refuse(
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "SIRET invalide : il compte 14 chiffres, et sa clé de contrôle ne correspond pas. Vérifiez-le sur votre extrait Kbis ou sur annuaire-entreprises.data.gouv.fr.",
        );
    }
    if message.chars().count() > MAX_CLAIM_MESSAGE {
        let too_long = format!("Le message dépasse {MAX_CLAIM_MESSAGE} caractères : raccourcissez-le.");
        return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, &too_long);
    }
    let challenge = match antispam::checked_challenge(&state.challenges, ready, &form).await? {
        Ok(c) => c,
        Err(e) => return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, e.message()),
    };
    if let Some(secs) = state.limits.contact_wait(ip) {
        let message = hourly_limit_message("demandes envoyées", secs);
        let mut res = refuse(page, StatusCode::TOO_MANY_REQUESTS, &message)?;
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let siret: String = page.siret.chars().filter(|c| !c.is_whitespace()).collect();
    let claim = NewClaim { adviser: a.id.as_str(), email: &email, siret: &siret, message: &message };
    match ready.store.record_claim(&claim, &challenge).await? {
        ClaimOutcome::Saved(claim_id) => tracing::info!(claim_id, adviser = %a.id, "profile claim saved"),
        ClaimOutcome::TooMany => {
            return refuse(
                page,
                StatusCode::TOO_MANY_REQUESTS,
                "Ce profil a déjà plusieurs demandes en attente : l'équipe France Num les examine. Votre demande n'a pas été enregistrée ; si elle est urgente, écrivez à l'équipe depuis la page Contact.",
            );
        }
        ClaimOutcome::Replayed => {
            return refuse(page, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message());
        }
        ClaimOutcome::UnknownProfile => return Err(PageError::NotFound),
    }
    Ok(Redirect::to(&format!("{}?envoye=1", page.action)).into_response())
}

// ------------------------------------------------------------ back office

fn view(state: &AppState, c: &Claim) -> ClaimView {
    let name = state
        .ready()
        .and_then(|r| r.directory().engine.find(&c.adviser_id).map(|a| a.name.clone()))
        .unwrap_or_else(|| c.adviser_id.clone());
    ClaimView {
        id: c.id,
        adviser_id: c.adviser_id.clone(),
        adviser_name: name,
        email: c.email.clone(),
        siret: c.siret.clone(),
        message: c.message.clone(),
        pending: c.is_pending(),
        status: c.status_label(),
        reason: c.reason.clone().unwrap_or_default(),
        decided: match (&c.decided_by, c.decided_at_ms) {
            (Some(by), Some(at)) => format!("par {by} le {}", format_time(at)),
            _ => String::new(),
        },
        created: format_time(c.created_at_ms),
    }
}

async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    invite: (String, String),
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let claims = ready.store.claims().await?.iter().map(|c| view(state, c)).collect();
    let page = AdminClaimsPage {
        chrome: chrome(state, current, CLAIMS),
        claims,
        notice,
        error,
        token_invite: form_token(&ready.secrets, &session_binding(CLAIMS, current)),
        invite_id: invite.0,
        invite_email: invite.1,
        invite_days: INVITE_DAYS,
        demo: false,
    };
    Ok(no_store(render(status, &page)))
}

pub async fn claims(State(state): State<Arc<AppState>>, current: CurrentUser) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    list_page(&state, &current, StatusCode::OK, None, None, Default::default()).await
}

fn claim_action(id: i64) -> String {
    format!("{CLAIMS}/{id}")
}

async fn one_page(
    state: &AppState,
    current: &CurrentUser,
    c: &Claim,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let page = AdminClaimPage {
        chrome: chrome(state, current, CLAIMS),
        claim: view(state, c),
        token: form_token(&ready.secrets, &session_binding(&claim_action(c.id), current)),
        error,
        invite_days: INVITE_DAYS,
        demo: false,
    };
    Ok(no_store(render(status, &page)))
}

pub async fn claim(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = ready.store.claim(id).await?.ok_or(PageError::NotFound)?;
    one_page(&state, &current, &c, StatusCode::OK, None).await
}

/// A fresh invitation link for `email` to `adviser`: the token (to put in
/// the mail) and the hash of a random password for a new account.
pub(crate) struct NewLink {
    pub token: String,
    pub placeholder_hash: String,
    pub expires_at_ms: i64,
}

pub(crate) async fn new_link(state: &AppState) -> Result<NewLink, Response> {
    let secret = NewPassword::parse(&format!("{}{}", new_token(), new_token())).map_err(|_| busy_page())?;
    let salt: [u8; 16] = rand::random();
    let placeholder_hash = match state.passwords.run(move || hash_password(&secret, &salt)).await {
        Ok(h) => h,
        Err(PasswordWorkError::Busy) => return Err(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e).into_response()),
    };
    Ok(NewLink { token: new_token(), placeholder_hash, expires_at_ms: now_ms() + INVITATION_TTL.as_millis() as i64 })
}

fn invitation_link(state: &AppState, token: &str) -> String {
    format!("{}{INVITATION}?jeton={token}", mail::base_url(&state.config))
}

/// The French sentence for an invitation that wrote nothing.
fn invite_error(e: InviteError) -> Result<String, PageError> {
    Ok(match e {
        InviteError::UnknownProfile => {
            "Aucun profil n'a cet identifiant : vérifiez-le sur la page publique du profil.".into()
        }
        InviteError::TeamAccount => {
            "Cette adresse est celle d'un compte de l'équipe : un compte de conseiller doit avoir sa propre adresse."
                .into()
        }
        InviteError::OtherProfile(p) => {
            format!("Cette adresse a déjà un compte de conseiller, lié à un autre profil ({p}) : rien n'a été changé.")
        }
        InviteError::AlreadyDecided => "Cette revendication a déjà été traitée par un autre membre de l'équipe.".into(),
        InviteError::Store(e) => return Err(e.into()),
    })
}

pub async fn claim_decide(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    Path(id): Path<i64>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    if let Err(res) = checked(&state, &current, &claim_action(id), &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = ready.store.claim(id).await?.ok_or(PageError::NotFound)?;
    let actor = current.user.email.as_str();
    let name = view(&state, &c).adviser_name;
    match form.get("decision").map(String::as_str) {
        Some("accepter") => {
            let Ok(email) = Email::parse(&c.email) else {
                let e = "L'adresse de cette revendication n'est pas valide : refusez-la.".to_string();
                return one_page(&state, &current, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
            };
            let link = match new_link(&state).await {
                Ok(l) => l,
                Err(res) => return Ok(res),
            };
            let mail = mail::invitation(
                &state.config,
                email.as_str(),
                &name,
                &invitation_link(&state, &link.token),
                INVITE_DAYS,
            );
            let inv = Invitation {
                adviser: &c.adviser_id,
                email: &email,
                placeholder_hash: &link.placeholder_hash,
                token_hash: &token_hash(&link.token),
                expires_at_ms: link.expires_at_ms,
                mail: &mail,
            };
            if let Err(e) = ready.store.accept_claim(id, &inv, actor).await {
                let message = invite_error(e)?;
                let c = ready.store.claim(id).await?.ok_or(PageError::NotFound)?;
                return one_page(&state, &current, &c, StatusCode::CONFLICT, Some(message)).await;
            }
            state.mail_wake.notify_one();
            let notice = format!("Revendication acceptée : {} est invité à gérer « {name} ».", c.email);
            list_page(&state, &current, StatusCode::OK, Some(notice), None, Default::default()).await
        }
        Some("refuser") => {
            let reason: String =
                form.get("motif").map(|r| r.trim().chars().take(MAX_REASON).collect()).unwrap_or_default();
            if reason.is_empty() {
                let e = "Écrivez le motif du refus : il est envoyé à la personne.".to_string();
                return one_page(&state, &current, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
            }
            let mail = mail::claim_refused(&state.config, &c.email, &name, &reason);
            if !ready.store.refuse_claim(id, &reason, &mail, actor).await? {
                let message = invite_error(InviteError::AlreadyDecided)?;
                return one_page(&state, &current, &c, StatusCode::CONFLICT, Some(message)).await;
            }
            state.mail_wake.notify_one();
            let notice = format!("Revendication refusée : {} en est informé par e-mail.", c.email);
            list_page(&state, &current, StatusCode::OK, Some(notice), None, Default::default()).await
        }
        _ => {
            let e = "Choisissez « Accepter » ou « Refuser ».".to_string();
            one_page(&state, &current, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await
        }
    }
}

/// The team's own invitation: a profile identifier and an address.
pub async fn invite(
    State(state): State<Arc<AppState>>,
    current: CurrentUser,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    if let Some(res) = refused(&current, REVIEWERS) {
        return Ok(res);
    }
    if let Err(res) = checked(&state, &current, CLAIMS, &form).await {
        return Ok(res);
    }
    let ready = state.ready().ok_or(PageError::Starting)?;
    let adviser = form.get("identifiant").map(|s| s.trim().to_string()).unwrap_or_default();
    let raw_email = form.get("email").map(|s| s.trim().to_string()).unwrap_or_default();
    let typed = (adviser.chars().take(100).collect(), raw_email.chars().take(254).collect());
    let fail = |message: String| {
        list_page(&state, &current, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message), typed.clone())
    };
    let Ok(email) = Email::parse(&raw_email) else {
        return fail("Adresse e-mail invalide : écrivez-la ainsi, prenom.nom@exemple.fr.".into()).await;
    };
    let name = ready.directory().engine.find(&adviser).map(|a| a.name.clone()).unwrap_or_else(|| adviser.clone());
    let link = match new_link(&state).await {
        Ok(l) => l,
        Err(res) => return Ok(res),
    };
    let mail =
        mail::invitation(&state.config, email.as_str(), &name, &invitation_link(&state, &link.token), INVITE_DAYS);
    let inv = Invitation {
        adviser: &adviser,
        email: &email,
        placeholder_hash: &link.placeholder_hash,
        token_hash: &token_hash(&link.token),
        expires_at_ms: link.expires_at_ms,
        mail: &mail,
    };
    if let Err(e) = ready.store.invite_adviser(&inv, current.user.email.as_str()).await {
        return fail(invite_error(e)?).await;
    }
    state.mail_wake.notify_one();
    let notice = format!("Invitation envoyée à {email} pour gérer « {name} ».");
    list_page(&state, &current, StatusCode::OK, Some(notice), None, Default::default()).await
}

// ------------------------------------------------------------ invitation link

fn invitation_page(state: &AppState, status: StatusCode, email: String, link: &str, error: Option<String>) -> Response {
    let token = state.ready().map(|r| form_token(&r.secrets, &format!("{INVITATION}|{link}"))).unwrap_or_default();
    no_store(render(status, &InvitationPage { email, link: link.to_string(), token, error, demo: false }))
}

fn dead_link() -> Response {
    let page = crate::views::ErrorPage {
        title: "Lien d'invitation expiré",
        message: format!(
            "Ce lien d'invitation n'est plus valable : il a déjà servi ou a expiré ({INVITE_DAYS} jours). Si vous avez déjà choisi votre mot de passe, connectez-vous ; sinon, demandez une nouvelle invitation à l'équipe France Num depuis la page Contact."
        ),
        demo: false,
    };
    no_store(render(StatusCode::GONE, &page))
}

pub async fn invitation_form(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let raw = RawParams::from_query(query.as_deref());
    let link = raw.get("jeton").unwrap_or("").to_string();
    if link.len() != 32 {
        return Ok(dead_link());
    }
    match ready.store.invitation_email(&token_hash(&link)).await? {
        Some(email) => Ok(invitation_page(&state, StatusCode::OK, email, &link, None)),
        None => Ok(dead_link()),
    }
}

pub async fn invitation_accept(
    State(state): State<Arc<AppState>>,
    FormFields(fields): FormFields,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let link = fields.get("lien").cloned().unwrap_or_default();
    let Some(email) = ready.store.invitation_email(&token_hash(&link)).await? else {
        return Ok(dead_link());
    };
    if let Err(e) =
        check_form_token(&ready.secrets, &format!("{INVITATION}|{link}"), fields.get("jeton").map(String::as_str))
    {
        return Ok(invitation_page(&state, StatusCode::FORBIDDEN, email, &link, Some(e.message().into())));
    }
    let first = fields.get("password").cloned().unwrap_or_default();
    let second = fields.get("password2").cloned().unwrap_or_default();
    if first != second {
        let message = "Les deux mots de passe diffèrent.".to_string();
        return Ok(invitation_page(&state, StatusCode::UNPROCESSABLE_ENTITY, email, &link, Some(message)));
    }
    let password = match NewPassword::parse(&first) {
        Ok(p) => p,
        Err(e) => {
            let message = format!("Le mot de passe est refusé : {e}.");
            return Ok(invitation_page(&state, StatusCode::UNPROCESSABLE_ENTITY, email, &link, Some(message)));
        }
    };
    let salt: [u8; 16] = rand::random();
    let hash = match state.passwords.run(move || hash_password(&password, &salt)).await {
        Ok(hash) => hash,
        Err(PasswordWorkError::Busy) => return Ok(busy_page()),
        Err(PasswordWorkError::Failed(e)) => return Err(PageError::Internal(e)),
    };
    if ready.store.accept_invitation(&token_hash(&link), &hash).await?.is_none() {
        return Ok(dead_link());
    }
    // Sign-in goes through the second factor's enrolment where the role
    // requires one.
    Ok(no_store(Redirect::to("/connexion?bienvenue=1").into_response()))
}

/// An invitation prepared outside a request (`osez admin invite`): the
/// link's token hash, the mail that carries the link, and when it ends.
pub struct PreparedInvitation {
    pub adviser: String,
    pub email: Email,
    pub token_hash: String,
    pub expires_at_ms: i64,
    pub mail: osez_store::NewMail,
}

impl PreparedInvitation {
    /// The invitation to write, with the placeholder password of a new
    /// account (see [`Invitation::placeholder_hash`]).
    pub fn invitation<'a>(&'a self, placeholder_hash: &'a str) -> Invitation<'a> {
        Invitation {
            adviser: &self.adviser,
            email: &self.email,
            placeholder_hash,
            token_hash: &self.token_hash,
            expires_at_ms: self.expires_at_ms,
            mail: &self.mail,
        }
    }
}

/// Prepares the invitation of `email` to the profile `adviser` (named
/// `adviser_name` in the mail), as the back office writes it.
pub fn prepare_invitation(
    config: &crate::WebConfig,
    adviser: &str,
    adviser_name: &str,
    email: Email,
) -> PreparedInvitation {
    let token = new_token();
    let link = format!("{}{INVITATION}?jeton={token}", mail::base_url(config));
    PreparedInvitation {
        adviser: adviser.to_string(),
        mail: mail::invitation(config, email.as_str(), adviser_name, &link, INVITE_DAYS),
        email,
        token_hash: token_hash(&token),
        expires_at_ms: now_ms() + INVITATION_TTL.as_millis() as i64,
    }
}
