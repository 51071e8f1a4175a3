//! The consultations' JSON API, described in `openapi.json`: the list, the
//! results, and voting (`sequence`, then `votes`) for apps and load tests.
//! The participant is the signed anonymous cookie, set on the first
//! answer that needs one.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use osez_core::consultation::tally::Interval;
use osez_core::consultation::{Qualification, Vote};
use osez_store::{Consultation, ConsultationStatus, NewVote, Origin, ProposalRow, VoteOutcome};
use serde::{Deserialize, Serialize};

use crate::consultation::participant::Participant;
use crate::consultation::results::{Results, results};
use crate::consultation::sequence::next_sequence;
use crate::kit::error::ApiError;
use crate::kit::format::rfc3339;
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::now_ms;
use crate::kit::vote_queue::QueueError;

/// At most this many consultations in the list: a platform runs a few.
const LIST_LIMIT: i64 = 100;

fn refused(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Refused { status, code, message: message.into(), retry_after: None }
}

fn ready(state: &AppState) -> Result<&Ready, ApiError> {
    state.ready().ok_or(ApiError::Starting)
}

/// A published (or archived) consultation; drafts are not public.
async fn public_consultation(ready: &Ready, slug: &str) -> Result<Consultation, ApiError> {
    ready
        .store
        .consultation(slug)
        .await?
        .filter(|c| c.status != ConsultationStatus::Draft)
        .ok_or_else(|| ApiError::NotFound("aucune consultation à cette adresse".into()))
}

/// The consultation of a vote, kept a second in the memo: a vote needs its
/// id and whether it is open, and the batch checks both again in its
/// transaction, so a second-old copy decides nothing wrongly. Reading the
/// row for every vote cost a tenth of the throughput.
async fn voting_consultation(ready: &Ready, slug: &str) -> Result<Consultation, ApiError> {
    use std::hash::{Hash, Hasher};
    const KIND: &str = "consultation_by_slug";
    let mut h = std::collections::hash_map::DefaultHasher::new();
    slug.hash(&mut h);
    let key = h.finish() as i64;
    if let Some(kept) = ready.memo.get::<Consultation>(KIND, key)
        && kept.made.elapsed() < std::time::Duration::from_secs(1)
        && kept.value.slug == slug
    {
        return Ok((*kept.value).clone());
    }
    let c = public_consultation(ready, slug).await?;
    ready.memo.put(KIND, key, 0, std::sync::Arc::new(c.clone()));
    Ok(c)
}

#[derive(Serialize)]
struct ConsultationOut<'a> {
    slug: &'a str,
    title: &'a str,
    question: &'a str,
    description: &'a str,
    opens_at: String,
    closes_at: String,
    open: bool,
    origin: &'static str,
    is_demo: bool,
    participants: i64,
    url: String,
    results_url: String,
}

impl<'a> ConsultationOut<'a> {
    fn new(c: &'a Consultation, now: i64) -> Self {
        ConsultationOut {
            slug: &c.slug,
            title: &c.title,
            question: &c.question,
            description: &c.description,
            opens_at: rfc3339(c.opens_at),
            closes_at: rfc3339(c.closes_at),
            open: c.is_open(now),
            origin: c.origin.slug(),
            is_demo: c.origin == Origin::Demo,
            participants: c.voters,
            url: format!("/consultations/{}", c.slug),
            results_url: format!("/consultations/{}/resultats", c.slug),
        }
    }
}

/// `GET /api/v1/consultations`: the published consultations, the latest
/// opened first.
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let ready = ready(&state)?;
    let all = ready.store.consultations(false, LIST_LIMIT).await?;
    let now = now_ms();
    let out: Vec<ConsultationOut> = all.iter().map(|c| ConsultationOut::new(c, now)).collect();
    Ok(Json(serde_json::json!({ "consultations": out })).into_response())
}

#[derive(Serialize)]
struct ProposalOut<'a> {
    id: i64,
    number: i64,
    text: &'a str,
    agree: u64,
    disagree: u64,
    neutral: u64,
    agree_share: f64,
    disagree_share: f64,
    neutral_share: f64,
    agree_interval: [f64; 2],
    disagree_interval: [f64; 2],
    neutral_interval: [f64; 2],
    zone: &'static str,
    qualifications: serde_json::Map<String, serde_json::Value>,
    group_informed_consensus: Option<f64>,
}

fn pair(i: Interval) -> [f64; 2] {
    [i.low, i.high]
}

impl<'a> ProposalOut<'a> {
    fn new(p: &'a ProposalRow, consensus: Option<f64>) -> Self {
        let t = &p.tally;
        ProposalOut {
            id: p.id,
            number: p.number,
            text: &p.text,
            agree: t.agree,
            disagree: t.disagree,
            neutral: t.neutral,
            agree_share: t.share(Vote::Agree),
            disagree_share: t.share(Vote::Disagree),
            neutral_share: t.share(Vote::Neutral),
            agree_interval: pair(t.interval(Vote::Agree)),
            disagree_interval: pair(t.interval(Vote::Disagree)),
            neutral_interval: pair(t.interval(Vote::Neutral)),
            zone: t.zone().slug(),
            qualifications: Qualification::ALL
                .iter()
                .map(|&q| (q.slug().to_owned(), serde_json::Value::from(t.qualification(q))))
                .collect(),
            group_informed_consensus: consensus,
        }
    }
}

#[derive(Serialize)]
struct RepresentativeOut {
    proposal_id: i64,
    vote: Vote,
    share: f64,
    ratio: f64,
}

#[derive(Serialize)]
struct GroupOut {
    id: u32,
    size: u32,
    representative: Vec<RepresentativeOut>,
}

pub(crate) fn results_json(c: &Consultation, r: &Results) -> serde_json::Value {
    let snapshot = r.groups.as_deref();
    let consensus = |id: i64| snapshot.and_then(|s| s.consensus_of(id));
    let proposals: Vec<ProposalOut> = r.proposals.iter().map(|p| ProposalOut::new(p, consensus(p.id))).collect();
    let ids = |idx: &[usize]| idx.iter().map(|&i| r.proposals[i].id).collect::<Vec<_>>();
    let groups: Vec<GroupOut> = snapshot
        .map(|s| {
            s.groups
                .groups
                .iter()
                .map(|g| GroupOut {
                    id: g.id,
                    size: g.size,
                    representative: g
                        .representatives
                        .iter()
                        .map(|rep| RepresentativeOut {
                            proposal_id: s.proposal_ids[rep.proposal as usize],
                            vote: rep.vote,
                            share: rep.share,
                            ratio: rep.ratio,
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "consultation": ConsultationOut::new(c, now_ms()),
        "participants": r.participants,
        "confirmed_participants": r.confirmed,
        "votes": r.votes,
        "proposals": proposals,
        "consensual": ids(&r.consensual),
        "controversial": ids(&r.controversial),
        "rejected": ids(&r.rejected),
        "groups": groups,
        "groups_computed_on": snapshot.map(|s| serde_json::json!({
            "votes": s.votes,
            "participants_clustered": s.groups.points.len(),
        })),
    })
}

/// `GET /api/v1/consultations/{slug}/results`.
pub async fn results_api(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, ApiError> {
    let ready = ready(&state)?;
    let c = public_consultation(ready, &slug).await?;
    let r = results(&state, ready, &c).await?;
    Ok(Json(results_json(&c, &r)).into_response())
}

#[derive(Serialize)]
struct ServedOut<'a> {
    id: i64,
    text: &'a str,
    key: String,
}

/// `GET /api/v1/consultations/{slug}/sequence`: the next proposals for
/// this participant, each with its key.
pub async fn sequence(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    participant: Participant,
) -> Result<Response, ApiError> {
    let ready = ready(&state)?;
    let c = public_consultation(ready, &slug).await?;
    if !c.is_open(now_ms()) {
        return Err(closed());
    }
    let served = next_sequence(ready, &c, &participant).await?;
    let out: Vec<ServedOut> = served
        .iter()
        .map(|p| ServedOut { id: p.id, text: &p.text, key: participant.key(&ready.secrets, c.id, p.id) })
        .collect();
    let res = Json(serde_json::json!({ "proposals": out })).into_response();
    Ok(participant.attach(res, &ready.secrets, state.config.secure_cookies))
}

fn closed() -> ApiError {
    refused(StatusCode::CONFLICT, "consultation_closed", "La consultation n'est pas ouverte au vote.")
}

/// The body of a vote.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteIn {
    proposal_id: i64,
    key: String,
    vote: String,
    #[serde(default)]
    qualification: Option<String>,
}

/// A vote's body, read into typed values, or the French reason it cannot
/// be.
fn parse_vote(headers: &HeaderMap, body: &[u8]) -> Result<(i64, String, Vote, Option<Qualification>), ApiError> {
    let bad = |message: &str| refused(StatusCode::BAD_REQUEST, "invalid_body", message);
    if !crate::kit::forms::is_json(headers) {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Envoyez le vote en JSON (Content-Type: application/json).",
        ));
    }
    let v: VoteIn = serde_json::from_slice(body).map_err(|_| {
        bad("Le corps doit être un objet JSON { \"proposal_id\", \"key\", \"vote\", \"qualification\"? }.")
    })?;
    let vote = Vote::from_slug(&v.vote).ok_or_else(|| bad("« vote » vaut \"agree\", \"disagree\" ou \"neutral\"."))?;
    let qualification = match v.qualification.as_deref() {
        None => None,
        Some(q) => {
            let q = Qualification::from_slug(q).ok_or_else(|| bad("Cette qualification n'existe pas."))?;
            if q.vote() != vote {
                return Err(bad("Cette qualification ne s'applique pas à ce vote."));
            }
            Some(q)
        }
    };
    if v.key.len() > 128 {
        return Err(bad("« key » est la clé reçue avec la proposition."));
    }
    Ok((v.proposal_id, v.key, vote, qualification))
}

/// `POST /api/v1/consultations/{slug}/votes`: answered once the vote is
/// durable. A vote whose key does not check is recorded as untrusted and
/// counted nowhere; the answer says so.
pub async fn vote(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    participant: Participant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ready = ready(&state)?;
    let (proposal_id, key, vote, qualification) = parse_vote(&headers, &body)?;
    let c = voting_consultation(ready, &slug).await?;
    if !c.is_open(now_ms()) {
        return Err(closed());
    }
    let token_hash = participant.token_hash();
    if let Some(secs) = state.limits.participant_vote_wait(&token_hash) {
        return Err(ApiError::Refused {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "rate_limited",
            message: format!("Trop de votes en peu de temps. Réessayez dans {secs} secondes."),
            retry_after: Some(secs),
        });
    }
    let trusted = !participant.fresh && participant.key_checks(&ready.secrets, c.id, proposal_id, &key);
    let new = NewVote { consultation_id: c.id, token_hash, proposal_id, vote, qualification, trusted };
    let outcome = ready.votes.cast(new).await.map_err(|e| match e {
        QueueError::Full => ApiError::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "busy",
            message: "Trop de votes en même temps : réessayez dans un instant.".into(),
            retry_after: Some(1),
        },
        QueueError::Failed => ApiError::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "not_recorded",
            message: "Le vote n'a pas pu être enregistré : réessayez.".into(),
            retry_after: Some(1),
        },
    })?;
    match outcome {
        VoteOutcome::Recorded => {
            let res = Json(serde_json::json!({ "recorded": true, "trusted": trusted })).into_response();
            Ok(participant.attach(res, &ready.secrets, state.config.secure_cookies))
        }
        VoteOutcome::NoProposal => {
            Err(ApiError::NotFound("aucune proposition de cette consultation n'a ce numéro".into()))
        }
        VoteOutcome::NotVotable => Err(refused(
            StatusCode::CONFLICT,
            "proposal_not_votable",
            "Cette proposition n'est pas soumise au vote (en attente de modération, refusée ou archivée).",
        )),
        VoteOutcome::Closed => Err(closed()),
    }
}
