//! The consultations' pages: the list, voting one proposal at a time (a
//! form per vote, so that it works without JavaScript), and the results.
//!
//! A sequence is drawn once and carried in the address (`suite`, the ids;
//! `position`, where the participant is): the keys are recomputed from
//! the participant's cookie, so the server keeps nothing between votes.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use osez_core::consultation::{Qualification, Vote};
use osez_store::{Consultation, ConsultationStatus, NewVote, VoteOutcome};

use crate::consultation::charts::{GROUP_SHAPES, legend_symbol, scatter, split_bar};
use crate::consultation::participant::Participant;
use crate::consultation::results::results;
use crate::consultation::sequence::{accepted, next_sequence};
use crate::consultation::views::{Current, GroupView, Head, IndexPage, ResultsPage, Row, VotePage, Voted, vote_label};
use crate::kit::error::{PageError, render};
use crate::kit::format::format_count;
use crate::kit::forms::FormList;
use crate::kit::page::no_store;
use crate::kit::params::RawParams;
use crate::kit::state::{AppState, Ready};
use crate::kit::tokens::now_ms;
use crate::kit::vote_queue::QueueError;

/// The list shows this many consultations at most.
const LIST_LIMIT: i64 = 100;
/// A sequence in an address holds this many proposals at most.
const SUITE_MAX: usize = 12;

/// A published (or archived) consultation; drafts are not public.
pub(crate) async fn public_consultation(ready: &Ready, slug: &str) -> Result<Consultation, PageError> {
    ready.store.consultation(slug).await?.filter(|c| c.status != ConsultationStatus::Draft).ok_or(PageError::NotFound)
}

pub async fn index(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let now = now_ms();
    let items = ready.store.consultations(false, LIST_LIMIT).await?.iter().map(|c| Head::new(c, now)).collect();
    Ok(render(StatusCode::OK, &IndexPage { base: state.base(), items }))
}

/// The ids of a sequence carried in an address; anything else is dropped.
fn parse_suite(raw: Option<&str>) -> Vec<i64> {
    raw.unwrap_or("").split(',').filter_map(|id| id.trim().parse().ok()).take(SUITE_MAX).collect()
}

fn join(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Where a participant is in their sequence.
struct Place {
    suite: Vec<i64>,
    position: usize,
    /// Just recorded.
    voted: Option<(i64, Vote)>,
    error: Option<String>,
}

/// The vote page at `place` (a new sequence when there is none or it is
/// over).
async fn vote_page(
    state: &AppState,
    ready: &Ready,
    c: &Consultation,
    participant: &Participant,
    place: Place,
) -> Result<VotePage, PageError> {
    let Place { mut suite, position, voted, error } = place;
    // Past the end is the end: an address may carry any number, and
    // `usize::MAX + 1` below would overflow.
    let mut position = position.min(suite.len());
    let head = Head::new(c, now_ms());
    let rows = accepted(ready, c).await?;
    if head.open && position >= suite.len() {
        suite = next_sequence(ready, c, participant).await?.iter().map(|p| p.id).collect();
        position = 0;
    }
    // A proposal withdrawn since the sequence was drawn is skipped.
    while position < suite.len() && !rows.iter().any(|p| p.id == suite[position]) {
        position += 1;
    }
    let current = (head.open && position < suite.len()).then(|| {
        let id = suite[position];
        let text = rows.iter().find(|p| p.id == id).map(|p| p.text.clone()).unwrap_or_default();
        Current { id, text, key: participant.key(&ready.secrets, c.id, id), position: position + 1, total: suite.len() }
    });
    let voted = voted.and_then(|(id, vote)| {
        let p = rows.iter().find(|p| p.id == id)?;
        Some(Voted {
            id,
            text: p.text.clone(),
            key: participant.key(&ready.secrets, c.id, id),
            vote: vote.slug(),
            vote_label: vote_label(vote),
            qualifications: vote.qualifications().iter().map(|q| (q.slug(), q.label())).collect(),
        })
    });
    Ok(VotePage {
        base: state.base(),
        finished: head.open && current.is_none() && suite.is_empty(),
        head,
        current,
        voted,
        suite: join(&suite),
        next: position + 1,
        error,
    })
}

/// `/consultations/{slug}`: the consultation, and the proposal to vote on.
pub async fn show(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
    participant: Participant,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let raw = RawParams::from_query(query.as_deref());
    let suite = parse_suite(raw.get("suite"));
    let position = raw.get("position").and_then(|p| p.parse::<usize>().ok()).unwrap_or(0);
    let voted = raw.get("vote").and_then(|id| id.parse::<i64>().ok()).zip(raw.get("choix").and_then(Vote::from_slug));
    let page = vote_page(&state, ready, &c, &participant, Place { suite, position, voted, error: None }).await?;
    Ok(participant.attach(render(StatusCode::OK, &page), &ready.secrets, state.config.secure_cookies))
}

/// A vote from the page's form: recorded (once durable), then on to the
/// next proposal; a qualification replaces the vote with itself added.
pub async fn vote(
    State(state): State<Arc<AppState>>,
    Path(slug): Path<String>,
    participant: Participant,
    form: FormList,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let suite = parse_suite(form.get("suite"));
    let position = form.get("position").and_then(|p| p.parse::<usize>().ok()).unwrap_or(0);
    let proposal_id = form.get("proposition").and_then(|p| p.parse::<i64>().ok());
    let vote = form.get("vote").and_then(Vote::from_slug);
    let qualification = form.get("qualification").map(Qualification::from_slug);
    let refuse = |status: StatusCode, message: &str| {
        let message = message.to_owned();
        let (suite, participant) = (suite.clone(), participant.clone());
        let (state, c) = (state.clone(), c.clone());
        async move {
            let ready = state.ready().ok_or(PageError::Starting)?;
            let place = Place { suite, position: position.saturating_sub(1), voted: None, error: Some(message) };
            let page = vote_page(&state, ready, &c, &participant, place).await?;
            Ok::<Response, PageError>(no_store(participant.attach(
                render(status, &page),
                &ready.secrets,
                state.config.secure_cookies,
            )))
        }
    };
    let (Some(proposal_id), Some(vote)) = (proposal_id, vote) else {
        return refuse(StatusCode::BAD_REQUEST, "Choisissez « D'accord », « Pas d'accord » ou « Neutre ».").await;
    };
    let qualification = match qualification {
        None => None,
        Some(Some(q)) if q.vote() == vote => Some(q),
        Some(_) => return refuse(StatusCode::BAD_REQUEST, "Cette précision ne correspond pas à votre vote.").await,
    };
    if !c.is_open(now_ms()) {
        return refuse(StatusCode::CONFLICT, "La consultation n'est pas ouverte au vote.").await;
    }
    let token_hash = participant.token_hash();
    if let Some(secs) = state.limits.participant_vote_wait(&token_hash) {
        let message = format!("Vous votez très vite : attendez {secs} secondes avant le prochain vote.");
        let mut res = refuse(StatusCode::TOO_MANY_REQUESTS, &message).await?;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(res);
    }
    let key = form.get("cle").unwrap_or("");
    let trusted = !participant.fresh && participant.key_checks(&ready.secrets, c.id, proposal_id, key);
    let new = NewVote { consultation_id: c.id, token_hash, proposal_id, vote, qualification, trusted };
    match ready.votes.cast(new).await {
        Ok(VoteOutcome::Recorded) => {}
        Ok(VoteOutcome::NoProposal) => return Err(PageError::NotFound),
        Ok(VoteOutcome::NotVotable) => {
            return refuse(
                StatusCode::CONFLICT,
                "Cette proposition n'est plus soumise au vote : votre vote n'a pas été enregistré.",
            )
            .await;
        }
        Ok(VoteOutcome::Closed) => {
            return refuse(StatusCode::CONFLICT, "La consultation n'est pas ouverte au vote.").await;
        }
        Err(QueueError::Full | QueueError::Failed) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Votre vote n'a pas pu être enregistré, le service est très sollicité : réessayez dans un instant.",
            )
            .await;
        }
    }
    let mut next = format!("/consultations/{}?suite={}&position={position}", c.slug, join(&suite));
    if qualification.is_none() {
        next.push_str(&format!("&vote={proposal_id}&choix={}", vote.slug()));
    }
    Ok(participant.attach(Redirect::to(&next).into_response(), &ready.secrets, state.config.secure_cookies))
}

fn percent(share: f64) -> String {
    format!("{} %", (share * 100.0).round())
}

/// `/consultations/{slug}/resultats`.
pub async fn results_page(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let r = results(&state, ready, &c).await?;
    let snapshot = r.groups.as_deref();
    let row = |i: usize| {
        let p = &r.proposals[i];
        let t = &p.tally;
        let interval = t.interval(Vote::Agree);
        Row {
            text: p.text.clone(),
            bar: split_bar(t, &p.text),
            agree: percent(t.share(Vote::Agree)),
            neutral: percent(t.share(Vote::Neutral)),
            disagree: percent(t.share(Vote::Disagree)),
            interval: format!("{} – {}", percent(interval.low), percent(interval.high)),
            votes: format_count(t.total() as usize),
            zone: t.zone().label(),
            consensus: snapshot.and_then(|s| s.consensus_of(p.id)).map(|g| format!("{:.2}", g).replace('.', ",")),
        }
    };
    let groups: Vec<GroupView> = snapshot
        .map(|s| {
            let clustered = s.groups.points.len().max(1) as f64;
            s.groups
                .groups
                .iter()
                .map(|g| GroupView {
                    number: g.id + 1,
                    size: format_count(g.size as usize),
                    share: percent(f64::from(g.size) / clustered),
                    symbol: legend_symbol(g.id as usize),
                    shape: GROUP_SHAPES[g.id as usize % GROUP_SHAPES.len()],
                    representative: g
                        .representatives
                        .iter()
                        .filter_map(|rep| {
                            let id = *s.proposal_ids.get(rep.proposal as usize)?;
                            let p = r.proposals.iter().find(|p| p.id == id)?;
                            let side = if rep.vote == Vote::Agree { "d'accord" } else { "pas d'accord" };
                            Some((p.text.clone(), format!("{side} à {}", percent(rep.share))))
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let groups_note = snapshot.filter(|s| s.votes_seq != c.votes_seq).map(|s| {
        format!(
            "Les groupes sont recalculés en arrière-plan ; ceux-ci portent sur {} votes.",
            format_count(s.votes as usize)
        )
    });
    let page = ResultsPage {
        base: state.base(),
        head: Head::new(&c, now_ms()),
        votes: format_count(r.votes as usize),
        confirmed: (r.confirmed > 0).then(|| format_count(r.confirmed as usize)),
        consensual: r.consensual.iter().map(|&i| row(i)).collect(),
        controversial: r.controversial.iter().map(|&i| row(i)).collect(),
        rows: (0..r.proposals.len()).map(row).collect(),
        scatter: snapshot.filter(|s| !s.groups.groups.is_empty()).map(|s| scatter(&s.groups.points, &s.groups.groups)),
        clustered: format_count(snapshot.map_or(0, |s| s.groups.points.len())),
        groups_pending: snapshot.is_none() && r.votes > 0,
        groups,
        groups_note,
    };
    Ok(render(StatusCode::OK, &page))
}
