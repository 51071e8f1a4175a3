//! Confirming one's participation by e-mail, which a participant may do or
//! not: the public form (the shared guard, hourly limits per client and
//! per address) mails a link signed for this participant, this address and
//! a day; the link opens a page whose button confirms (mail scanners open
//! links, and a look changes nothing). The link works from any browser:
//! it names the participant, not the cookie. One address confirms one
//! participant per consultation; the results say how many voters are
//! confirmed.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_store::{Confirmation, ConfirmationRequest, Consultation, ConsultationError, NewMail};

use crate::consultation::pages::public_consultation;
use crate::consultation::participant::{Participant, confirmation_checks, confirmation_signature};
use crate::consultation::views::{ConfirmLink as Link, ConfirmPage, ConfirmStep, Head};
use crate::kit::antispam::{self, HONEYPOT};
use crate::kit::error::{PageError, render};
use crate::kit::forms::FormList;
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::public_form::{FormKind, PublicForm};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{form_token, now_ms};
use crate::mail::{base_url, consultation_demo_notice, message_id, signature, typed_address};

/// How long a link can be used.
const LINK_TTL: Duration = Duration::from_secs(24 * 3600);

/// A request for a confirmation: its own hourly budget per client and per
/// address.
pub(crate) struct ParticipantConfirmation;

impl FormKind for ParticipantConfirmation {
    const BUDGET: &'static str = "confirmation-participation";
    const WHAT: &'static str = "demandes de confirmation";
    const PERSON: Option<&'static str> = Some("email");
}

fn form_path(slug: &str) -> String {
    format!("/consultations/{slug}/confirmer")
}

fn page(state: &AppState, ready: &Ready, c: &Consultation, step: ConfirmStep) -> ConfirmPage {
    ConfirmPage {
        base: state.base(),
        head: Head::new(c, now_ms()),
        step,
        token: form_token(&ready.secrets, &form_path(&c.slug)),
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        email: String::new(),
        error: None,
        link: Link::default(),
        hours: LINK_TTL.as_secs() / 3600,
    }
}

fn closed_message() -> String {
    "Cette consultation n'est pas ouverte : les participations ne peuvent plus être confirmées.".into()
}

/// `/consultations/{slug}/confirmer`: the form, or that this browser's
/// participant is confirmed. No new participant is made for a look.
pub async fn form(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let confirmed = match Participant::from_headers(&headers, &ready.secrets, state.config.secure_cookies) {
        Some(p) => ready.store.participant_confirmed(c.id, &p.token_hash()).await?,
        None => false,
    };
    let step = if confirmed { ConfirmStep::Confirmed } else { ConfirmStep::Ask };
    Ok(no_store(render(StatusCode::OK, &page(&state, ready, &c, step))))
}

fn confirmation_mail(state: &AppState, c: &Consultation, to: &str, link: &str, hours: u64) -> NewMail {
    let demo = consultation_demo_notice(c);
    NewMail {
        message_id: message_id(&state.config),
        kind: "participant_confirmation",
        to: to.to_owned(),
        reply_to: None,
        subject: format!("Confirmez votre participation : {}", c.title),
        body: format!(
            "Bonjour,\n\n{demo}Vous avez demandé à confirmer votre participation à la consultation « {} ».\n\
             Ouvrez ce lien dans les {hours} heures, puis cliquez sur « Confirmer ma participation » :\n{link}\n\n\
             Une adresse confirme une seule participation par consultation. Votre adresse n'est ni publiée ni \
             transmise, et vos votes restent anonymes.\n\
             Si vous n'avez rien demandé, ignorez ce message : rien ne sera fait.\n\n{}\n",
            c.title,
            signature(&state.config)
        ),
    }
}

pub async fn ask(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    participant: Participant,
    PublicForm { form, checked, .. }: PublicForm<ParticipantConfirmation>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let mut p = page(&state, ready, &c, ConfirmStep::Ask);
    p.email = form.text("email").trim().chars().take(254).collect();
    let refuse = |mut p: ConfirmPage, status: StatusCode, message: String| {
        p.error = Some(message);
        Ok(no_store(render(status, &p)))
    };
    if !c.is_open(now_ms()) {
        return refuse(p, StatusCode::CONFLICT, closed_message());
    }
    let challenge = match checked {
        Ok(challenge) => challenge,
        Err(refusal) => {
            p.error = Some(refusal.message.clone());
            return Ok(no_store(refusal.render(&p)));
        }
    };
    let Some(email) = typed_address(&p.email) else {
        return refuse(
            p,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Indiquez une adresse e-mail valide (ex. prenom.nom@exemple.fr).".into(),
        );
    };
    let expires = now_ms() + LINK_TTL.as_millis() as i64;
    let base = base_url(&state.config).to_owned();
    let mail = |participant: i64| {
        let s = confirmation_signature(&ready.secrets, participant, &email, expires);
        let link = format!("{base}{}/lien?p={participant}&e={expires}&s={s}", form_path(&c.slug));
        confirmation_mail(&state, &c, &email, &link, LINK_TTL.as_secs() / 3600)
    };
    let asked = ready.store.request_confirmation(c.id, &participant.token_hash(), &email, mail, Some(&challenge)).await;
    let res = match asked {
        Ok(ConfirmationRequest::Sent) => {
            state.mail_wake.notify_one();
            tracing::info!("participant confirmation asked");
            p.step = ConfirmStep::Sent;
            p.email = email.clone();
            no_store(render(StatusCode::OK, &p))
        }
        Ok(ConfirmationRequest::AlreadyConfirmed) => {
            p.step = ConfirmStep::Confirmed;
            p.email = String::new();
            no_store(render(StatusCode::OK, &p))
        }
        Err(ConsultationError::Closed) => return refuse(p, StatusCode::CONFLICT, closed_message()),
        Err(ConsultationError::Spent) => {
            return refuse(p, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message().into());
        }
        Err(ConsultationError::NotFound) => return Err(PageError::NotFound),
        Err(e) => return Err(PageError::from(e)),
    };
    Ok(participant.attach(res, &ready.secrets, state.config.secure_cookies))
}

/// What a confirmation link carries (`p`, `e`, `s`), from its address or
/// from its page's form.
fn read_link(get: impl Fn(&str) -> Option<String>) -> Option<Link> {
    Some(Link {
        participant: get("p")?.parse().ok()?,
        expires: get("e")?.parse().ok()?,
        signature: get("s")?.chars().take(64).collect(),
    })
}

/// The address `link` was made for, if it is valid now: signed by this
/// server, not expired, for a participant of `c` whose address is still
/// the link's.
async fn link_address(link: &Link, ready: &Ready, c: &Consultation) -> Result<Option<String>, PageError> {
    if link.expires < now_ms() {
        return Ok(None);
    }
    let Some(held) = ready.store.participant_email(link.participant).await? else { return Ok(None) };
    let email = held.email.filter(|_| held.consultation_id == c.id);
    Ok(email.filter(|e| confirmation_checks(&ready.secrets, link.participant, e, link.expires, &link.signature)))
}

fn gone(state: &AppState, ready: &Ready, c: &Consultation) -> Response {
    no_store(render(StatusCode::GONE, &page(state, ready, c, ConfirmStep::Gone)))
}

/// What the link opens: a button. Nothing changes by looking.
pub async fn link_form(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let raw = RawParams::from_query(query.as_deref());
    let Some(link) = read_link(|k| raw.get(k).map(str::to_owned)) else { return Ok(gone(&state, ready, &c)) };
    if link_address(&link, ready, &c).await?.is_none() {
        return Ok(gone(&state, ready, &c));
    }
    let mut p = page(&state, ready, &c, ConfirmStep::Link);
    p.link = link;
    Ok(no_store(render(StatusCode::OK, &p)))
}

/// The button: confirms the participant of the link.
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    form: FormList,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let Some(link) = read_link(|k| form.get(k).map(str::to_owned)) else { return Ok(gone(&state, ready, &c)) };
    let Some(email) = link_address(&link, ready, &c).await? else { return Ok(gone(&state, ready, &c)) };
    let mut p = page(&state, ready, &c, ConfirmStep::Done);
    let status = match ready.store.confirm_participant(link.participant, &email).await? {
        Confirmation::Confirmed | Confirmation::AlreadyConfirmed => StatusCode::OK,
        Confirmation::Outdated => return Ok(gone(&state, ready, &c)),
        Confirmation::AddressTaken => {
            p.step = ConfirmStep::Refused;
            p.error = Some(
                "Cette adresse a déjà confirmé une autre participation à cette consultation, depuis un autre \
                 navigateur ou appareil : une adresse ne confirme qu'une participation par consultation."
                    .into(),
            );
            StatusCode::CONFLICT
        }
        Confirmation::Closed => {
            p.step = ConfirmStep::Refused;
            p.error = Some(closed_message());
            StatusCode::CONFLICT
        }
    };
    Ok(no_store(render(status, &p)))
}
