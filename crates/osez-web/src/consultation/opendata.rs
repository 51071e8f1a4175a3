//! A consultation's open data, in the format of Pol.is exports:
//! `comments.csv` (the accepted and archived proposals; texts waiting for
//! moderation or refused are not published), `votes.csv` (the trusted
//! votes on them), `participants-votes.csv` (a line per participant, with
//! our opinion group) and `summary.csv`. Participants are their numbers.
//! The votes are streamed a page at a time: a file of ten million votes
//! never sits in memory.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use osez_core::consultation::Vote;
use osez_core::consultation::polis::{
    ExportComment, ParticipantRow, ParticipantsWriter, PolisVote, Summary, VotesWriter, write_comments, write_summary,
};
use osez_core::consultation::proposal::ProposalStatus;
use osez_store::{Consultation, ProposalRow, Store, VoteKey, VoteRow};
use tokio::sync::mpsc;

use crate::consultation::pages::public_consultation;
use crate::consultation::results::{GroupsSnapshot, results};
use crate::kit::error::PageError;
use crate::kit::state::AppState;
use crate::mail::base_url;

/// Votes read per page.
const PAGE: i64 = 20_000;

/// The proposals the open data holds: accepted ones (moderated 1) and
/// archived ones (moderated −1, their votes kept).
fn published(rows: Vec<ProposalRow>) -> Vec<ProposalRow> {
    rows.into_iter().filter(|p| matches!(p.status, ProposalStatus::Accepted | ProposalStatus::Archived)).collect()
}

fn csv(name: &str, body: Body) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A body fed by `fill`, a chunk at a time, through a small channel: the
/// reader's pace holds the writer back.
fn streamed<F, Fut>(fill: F) -> Body
where
    F: FnOnce(mpsc::Sender<Result<Bytes, std::io::Error>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(fill(tx));
    Body::from_stream(futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) },
    ))
}

fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

pub async fn comments(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let rows = published(ready.store.proposals(c.id, None).await?);
    let mut buf = Vec::new();
    write_comments(
        &mut buf,
        rows.iter().map(|p| ExportComment {
            id: p.number,
            author: p.author_number,
            created_at_ms: p.created_at,
            agrees: p.tally.agree,
            disagrees: p.tally.disagree,
            moderated: if p.status == ProposalStatus::Accepted { 1 } else { -1 },
            body: &p.text,
        }),
    )
    .map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(csv("comments.csv", Body::from(buf)))
}

/// Pages of trusted votes on the published proposals, to `each`, until the
/// channel closes or the votes end.
async fn each_vote_page(
    store: &Store,
    consultation_id: i64,
    keep: &HashSet<i64>,
    mut each: impl FnMut(&[VoteRow]) -> Result<Bytes, std::io::Error>,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let mut after = VoteKey::START;
    loop {
        let page = match store.trusted_votes_after(consultation_id, after, PAGE).await {
            Ok(page) => page,
            Err(e) => {
                tracing::error!(error = %e, "open data: votes could not be read");
                let _ = tx.send(Err(io_error(e))).await;
                return;
            }
        };
        let (rows, last) = page;
        let kept: Vec<VoteRow> = rows.iter().filter(|v| keep.contains(&v.proposal)).copied().collect();
        if tx.send(each(&kept)).await.is_err() {
            return; // The client went away.
        }
        if (rows.len() as i64) < PAGE {
            return;
        }
        after = last;
    }
}

pub async fn votes(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let keep: HashSet<i64> = published(ready.store.proposals(c.id, None).await?).iter().map(|p| p.number).collect();
    let store = ready.store.clone();
    let body = streamed(move |tx| async move {
        let header = VotesWriter::new(Vec::new()).and_then(VotesWriter::finish).map_err(io_error);
        if tx.send(header.map(Bytes::from)).await.is_err() {
            return;
        }
        let write = |page: &[VoteRow]| {
            let mut w = VotesWriter::headless(Vec::new());
            for v in page {
                let row = PolisVote { at_ms: v.voted_at, comment: v.proposal, voter: v.participant, vote: v.vote };
                w.write(&row).map_err(io_error)?;
            }
            w.finish().map(Bytes::from).map_err(io_error)
        };
        each_vote_page(&store, c.id, &keep, write, &tx).await;
    });
    Ok(csv("votes.csv", body))
}

pub async fn participants(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let rows = published(ready.store.proposals(c.id, None).await?);
    let snapshot = results(&state, ready, &c).await?.groups;
    let comments: Vec<i64> = rows.iter().map(|p| p.number).collect();
    let keep: HashSet<i64> = comments.iter().copied().collect();
    let mut written: HashMap<i64, u64> = HashMap::new();
    for p in &rows {
        if let Some(a) = p.author_number {
            *written.entry(a).or_default() += 1;
        }
    }
    let store = ready.store.clone();
    let body = streamed(move |tx| async move {
        let header = ParticipantsWriter::new(Vec::new(), comments.clone()).and_then(ParticipantsWriter::finish);
        if tx.send(header.map(Bytes::from).map_err(io_error)).await.is_err() {
            return;
        }
        // A participant's votes may straddle two pages: the last one of a
        // page waits for the next.
        let mut open: Option<(i64, Vec<(i64, Vote)>)> = None;
        let line = |w: &mut ParticipantsWriter<Vec<u8>>, number: i64, votes: &[(i64, Vote)]| {
            let group = snapshot.as_deref().and_then(|s: &GroupsSnapshot| s.group_of(number));
            let row = ParticipantRow {
                participant: number,
                group,
                comments: written.get(&number).copied().unwrap_or(0),
                votes,
            };
            w.write(&row).map_err(io_error)
        };
        let write = |page: &[VoteRow]| {
            let mut w = ParticipantsWriter::headless(Vec::new(), comments.clone());
            for v in page {
                match &mut open {
                    Some((n, votes)) if *n == v.participant => votes.push((v.proposal, v.vote)),
                    _ => {
                        if let Some((n, votes)) = open.take() {
                            line(&mut w, n, &votes)?;
                        }
                        open = Some((v.participant, vec![(v.proposal, v.vote)]));
                    }
                }
            }
            w.finish().map(Bytes::from).map_err(io_error)
        };
        each_vote_page(&store, c.id, &keep, write, &tx).await;
        if let Some((n, votes)) = open.take() {
            let mut w = ParticipantsWriter::headless(Vec::new(), comments.clone());
            let last = line(&mut w, n, &votes).and_then(|_| w.finish().map(Bytes::from).map_err(io_error));
            let _ = tx.send(last).await;
        }
    });
    Ok(csv("participants-votes.csv", body))
}

pub async fn summary(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c: Consultation = public_consultation(ready, &slug).await?;
    let rows = published(ready.store.proposals(c.id, None).await?);
    let snapshot = results(&state, ready, &c).await?.groups;
    let commenters: HashSet<i64> = rows.iter().filter_map(|p| p.author_number).collect();
    let url = format!("{}/consultations/{}", base_url(&state.config), c.slug);
    let s = Summary {
        topic: &c.title,
        url: &url,
        voters: c.voters.max(0) as u64,
        voters_in_conv: snapshot.as_deref().map_or(0, |s| s.groups.points.len() as u64),
        commenters: commenters.len() as u64,
        comments: rows.len() as u64,
        groups: snapshot.as_deref().map_or(0, |s| s.groups.groups.len() as u64),
        description: &c.question,
    };
    let mut buf = Vec::new();
    write_summary(&mut buf, &s).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok(csv("summary.csv", Body::from(buf)))
}
