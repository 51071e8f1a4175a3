//! Proposing an idea: the public form (the shared guard: form token,
//! honeypot, fill time, proof of work, hourly limits per client and per
//! address), the text checked as Osez checks every proposal, the
//! near-duplicates shown before sending, and the participant's own list.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::consultation::proposal::{self, ProposalStatus, ProposalText};
use osez_store::ConsultationError;

use crate::consultation::pages::public_consultation;
use crate::consultation::participant::Participant;
use crate::consultation::sequence::accepted;
use crate::consultation::views::{Head, Mine, MinePage, ProposePage, Similar, SimilarFragment};
use crate::kit::antispam::{self, HONEYPOT};
use crate::kit::error::{PageError, render};
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::public_form::{FormKind, PublicForm};
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::{form_token, now_ms};
use crate::mail::typed_address;

/// Near-duplicates shown at most.
const SIMILAR_SHOWN: usize = 3;

/// A proposal: its own hourly budget per client and per address.
pub(crate) struct ConsultationProposal;

impl FormKind for ConsultationProposal {
    const BUDGET: &'static str = "proposition-consultation";
    const WHAT: &'static str = "propositions envoyées";
    const PERSON: Option<&'static str> = Some("email");
}

fn form_path(slug: &str) -> String {
    format!("/consultations/{slug}/proposer")
}

fn page(state: &AppState, ready: &Ready, c: &osez_store::Consultation) -> ProposePage {
    ProposePage {
        base: state.base(),
        head: Head::new(c, now_ms()),
        token: form_token(&ready.secrets, &form_path(&c.slug)),
        question: antispam::new_question(&ready.secrets),
        honeypot: HONEYPOT,
        text: format!("{} ", proposal::PREFIX),
        email: String::new(),
        max_chars: proposal::MAX_CHARS,
        similar: Vec::new(),
        error: None,
        done: false,
    }
}

pub async fn form(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    Ok(no_store(render(StatusCode::OK, &page(&state, ready, &c))))
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    participant: Participant,
    PublicForm { form, checked, .. }: PublicForm<ConsultationProposal>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let mut p = page(&state, ready, &c);
    // Kept as typed (bounded), to show back with the error.
    p.text = form.text("texte").chars().take(2 * proposal::MAX_CHARS).collect();
    p.email = form.text("email").trim().chars().take(254).collect();
    let refuse = |mut p: ProposePage, status: StatusCode, message: String| {
        p.error = Some(message);
        Ok(no_store(render(status, &p)))
    };
    if !c.is_open(now_ms()) {
        return refuse(
            p,
            StatusCode::CONFLICT,
            "Cette consultation n'est pas ouverte : votre proposition n'a pas été enregistrée.".into(),
        );
    }
    let challenge = match checked {
        Ok(challenge) => challenge,
        Err(refusal) => {
            p.error = Some(refusal.message.clone());
            return Ok(no_store(refusal.render(&p)));
        }
    };
    let text = match ProposalText::parse(&p.text) {
        Ok(text) => text,
        Err(e) => return refuse(p, StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    };
    let email = match p.email.as_str() {
        "" => None,
        typed => match typed_address(typed) {
            Some(address) => Some(address),
            None => {
                return refuse(
                    p,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Indiquez une adresse e-mail valide (ex. prenom.nom@exemple.fr), ou laissez le champ vide.".into(),
                );
            }
        },
    };
    if form.get("confirme") != Some("1") {
        let similar = similar_to(ready, &c, text.as_str()).await?;
        if !similar.is_empty() {
            p.text = text.into_string();
            p.similar = similar;
            return Ok(no_store(render(StatusCode::OK, &p)));
        }
    }
    let saved = ready
        .store
        .submit_proposal(c.id, &participant.token_hash(), email.as_deref(), text.as_str(), Some(&challenge))
        .await;
    match saved {
        Ok(_) => {
            p.done = true;
            p.text = text.into_string();
            let res = no_store(render(StatusCode::OK, &p));
            Ok(participant.attach(res, &ready.secrets, state.config.secure_cookies))
        }
        Err(ConsultationError::Closed) => refuse(
            p,
            StatusCode::CONFLICT,
            "Cette consultation n'est pas ouverte : votre proposition n'a pas été enregistrée.".into(),
        ),
        Err(ConsultationError::Spent) => {
            refuse(p, StatusCode::UNPROCESSABLE_ENTITY, antispam::ChallengeError::Expired.message().to_string())
        }
        Err(ConsultationError::NotFound) => Err(PageError::NotFound),
        Err(e) => Err(PageError::from(e)),
    }
}

/// The accepted proposals and their near-duplicates index, kept ten
/// seconds: hints follow typing, and a new accepted proposal may wait that
/// long to be pointed out.
async fn near_index(ready: &Ready, c: &osez_store::Consultation) -> Result<Arc<Near>, PageError> {
    const KIND: &str = "consultation_near";
    if let Some(kept) = ready.memo.get::<Near>(KIND, c.id)
        && kept.made.elapsed() < std::time::Duration::from_secs(10)
    {
        return Ok(kept.value);
    }
    let rows = accepted(ready, c).await?;
    let index = proposal::NearIndex::new(rows.iter().map(|r| r.text.as_str()));
    let near = Arc::new(Near { index, texts: rows.iter().map(|r| r.text.clone()).collect() });
    ready.memo.put(KIND, c.id, 0, near.clone());
    Ok(near)
}

struct Near {
    index: proposal::NearIndex,
    texts: Vec<String>,
}

async fn similar_to(ready: &Ready, c: &osez_store::Consultation, draft: &str) -> Result<Vec<Similar>, PageError> {
    let near = near_index(ready, c).await?;
    Ok(near
        .index
        .find(draft, SIMILAR_SHOWN)
        .into_iter()
        .map(|(i, _)| Similar { text: near.texts[i].clone() })
        .collect())
}

/// `/consultations/{slug}/proposer/proches?texte=…`: the proposals close to
/// a draft, as a fragment that the form's script shows while the author
/// types (without script, the same list comes before sending).
pub async fn similar(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let raw = RawParams::from_query(query.as_deref());
    let draft: String = raw.get("texte").unwrap_or("").chars().take(2 * proposal::MAX_CHARS).collect();
    let similar = if draft.chars().count() < 12 { Vec::new() } else { similar_to(ready, &c, &draft).await? };
    Ok(render(StatusCode::OK, &SimilarFragment { similar }))
}

/// `/consultations/{slug}/mes-propositions`: what this browser's
/// participant proposed, and what moderation decided. No new participant
/// is made for it.
pub async fn mine(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let mine = match Participant::from_headers(&headers, &ready.secrets, state.config.secure_cookies) {
        Some(p) => ready.store.proposals_by(c.id, &p.token_hash()).await?,
        None => Vec::new(),
    };
    let mine = mine
        .into_iter()
        .map(|p| Mine {
            text: p.text,
            status: p.status.label(),
            reason: p
                .refusal_reason
                .filter(|_| p.status == ProposalStatus::Refused)
                .map(|r| (r.label(), r.explanation())),
        })
        .collect();
    let page = MinePage { base: state.base(), head: Head::new(&c, now_ms()), mine };
    Ok(no_store(render(StatusCode::OK, &page)))
}
