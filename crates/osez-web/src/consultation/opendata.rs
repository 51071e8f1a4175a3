//! A consultation's open data, in the format of Pol.is exports:
//! `comments.csv` (the accepted and archived proposals; texts waiting for
//! moderation or refused are not published), `votes.csv` (the trusted
//! votes on them), `participants-votes.csv` (a line per participant, with
//! our opinion group) and `summary.csv`. Participants are their numbers.
//! The votes are written a page at a time to a [`Sink`]: a download's
//! channel (the reader's pace holds the writer back) or a file of
//! `osez consultation export`; a file of ten million votes never sits in
//! memory.

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

/// Where a file goes, a chunk at a time.
pub(crate) trait Sink: Send {
    /// Writes a chunk; an error stops the file (the client went away, the
    /// disk is full).
    fn put(&mut self, chunk: Bytes) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
}

impl Sink for mpsc::Sender<Result<Bytes, std::io::Error>> {
    async fn put(&mut self, chunk: Bytes) -> std::io::Result<()> {
        self.send(Ok(chunk)).await.map_err(|_| std::io::Error::other("the client went away"))
    }
}

/// A file on disk (the command line's export).
impl Sink for std::io::BufWriter<std::fs::File> {
    async fn put(&mut self, chunk: Bytes) -> std::io::Result<()> {
        std::io::Write::write_all(self, &chunk)
    }
}
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

/// A download fed by `fill` through a small channel; a failure midway
/// ends the body with an error (the client sees a cut file, never a
/// complete-looking wrong one).
fn streamed<F, Fut>(fill: F) -> Body
where
    F: FnOnce(mpsc::Sender<Result<Bytes, std::io::Error>>) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(4);
    let errors = tx.clone();
    let work = fill(tx);
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::warn!(error = %e, "open data file cut short");
            let _ = errors.send(Err(e)).await;
        }
    });
    Body::from_stream(futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) },
    ))
}

fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The published proposals of a consultation.
pub(crate) async fn published_of(store: &Store, c: &Consultation) -> Result<Vec<ProposalRow>, osez_store::StoreError> {
    Ok(published(store.proposals(c.id, None).await?))
}

pub(crate) async fn write_comments_file(rows: &[ProposalRow], sink: &mut impl Sink) -> std::io::Result<()> {
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
    .map_err(io_error)?;
    sink.put(Bytes::from(buf)).await
}

/// Pages of trusted votes on the published proposals, each turned into a
/// chunk by `each`, until the votes end.
async fn each_vote_page(
    store: &Store,
    consultation_id: i64,
    keep: &HashSet<i64>,
    mut each: impl FnMut(&[VoteRow]) -> std::io::Result<Bytes>,
    sink: &mut impl Sink,
) -> std::io::Result<()> {
    let mut after = VoteKey::START;
    loop {
        let (rows, last) = store.trusted_votes_after(consultation_id, after, PAGE).await.map_err(io_error)?;
        let kept: Vec<VoteRow> = rows.iter().filter(|v| keep.contains(&v.proposal)).copied().collect();
        sink.put(each(&kept)?).await?;
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
        after = last;
    }
}

pub(crate) async fn write_votes_file(
    store: &Store,
    c: &Consultation,
    rows: &[ProposalRow],
    sink: &mut impl Sink,
) -> std::io::Result<()> {
    let keep: HashSet<i64> = rows.iter().map(|p| p.number).collect();
    let header = VotesWriter::new(Vec::new()).and_then(VotesWriter::finish).map_err(io_error)?;
    sink.put(Bytes::from(header)).await?;
    let write = |page: &[VoteRow]| {
        let mut w = VotesWriter::headless(Vec::new());
        for v in page {
            let row = PolisVote { at_ms: v.voted_at, comment: v.proposal, voter: v.participant, vote: v.vote };
            w.write(&row).map_err(io_error)?;
        }
        w.finish().map(Bytes::from).map_err(io_error)
    };
    each_vote_page(store, c.id, &keep, write, sink).await
}

pub(crate) async fn write_participants_file(
    store: &Store,
    c: &Consultation,
    rows: &[ProposalRow],
    snapshot: Option<&GroupsSnapshot>,
    sink: &mut impl Sink,
) -> std::io::Result<()> {
    let comments: Vec<i64> = rows.iter().map(|p| p.number).collect();
    let keep: HashSet<i64> = comments.iter().copied().collect();
    let mut written: HashMap<i64, u64> = HashMap::new();
    for p in rows {
        if let Some(a) = p.author_number {
            *written.entry(a).or_default() += 1;
        }
    }
    let header = ParticipantsWriter::new(Vec::new(), comments.clone()).and_then(ParticipantsWriter::finish);
    sink.put(Bytes::from(header.map_err(io_error)?)).await?;
    // A participant's votes may straddle two pages: the last one of a page
    // waits for the next.
    let mut open: Option<(i64, Vec<(i64, Vote)>)> = None;
    let line = |w: &mut ParticipantsWriter<Vec<u8>>, number: i64, votes: &[(i64, Vote)]| {
        let group = snapshot.and_then(|s| s.group_of(number));
        let comments = written.get(&number).copied().unwrap_or(0);
        w.write(&ParticipantRow { participant: number, group, comments, votes }).map_err(io_error)
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
    each_vote_page(store, c.id, &keep, write, sink).await?;
    if let Some((n, votes)) = open.take() {
        let mut w = ParticipantsWriter::headless(Vec::new(), comments.clone());
        line(&mut w, n, &votes)?;
        sink.put(w.finish().map(Bytes::from).map_err(io_error)?).await?;
    }
    Ok(())
}

pub(crate) async fn write_summary_file(
    c: &Consultation,
    rows: &[ProposalRow],
    snapshot: Option<&GroupsSnapshot>,
    confirmed: i64,
    url: &str,
    sink: &mut impl Sink,
) -> std::io::Result<()> {
    let commenters: HashSet<i64> = rows.iter().filter_map(|p| p.author_number).collect();
    let s = Summary {
        topic: &c.title,
        url,
        voters: c.voters.max(0) as u64,
        voters_in_conv: snapshot.map_or(0, |s| s.groups.points.len() as u64),
        commenters: commenters.len() as u64,
        comments: rows.len() as u64,
        groups: snapshot.map_or(0, |s| s.groups.groups.len() as u64),
        description: &c.question,
        confirmed_voters: confirmed.max(0) as u64,
    };
    let mut buf = Vec::new();
    write_summary(&mut buf, &s).map_err(io_error)?;
    sink.put(Bytes::from(buf)).await
}

pub async fn comments(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let rows = published_of(&ready.store, &c).await?;
    Ok(csv("comments.csv", streamed(move |mut tx| async move { write_comments_file(&rows, &mut tx).await })))
}

pub async fn votes(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let rows = published_of(&ready.store, &c).await?;
    let store = ready.store.clone();
    let body = streamed(move |mut tx| async move { write_votes_file(&store, &c, &rows, &mut tx).await });
    Ok(csv("votes.csv", body))
}

pub async fn participants(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let rows = published_of(&ready.store, &c).await?;
    let snapshot = results(&state, ready, &c).await?.groups;
    let store = ready.store.clone();
    let body = streamed(move |mut tx| async move {
        write_participants_file(&store, &c, &rows, snapshot.as_deref(), &mut tx).await
    });
    Ok(csv("participants-votes.csv", body))
}

pub async fn summary(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let c = public_consultation(ready, &slug).await?;
    let rows = published_of(&ready.store, &c).await?;
    let r = results(&state, ready, &c).await?;
    let (snapshot, confirmed) = (r.groups, r.confirmed);
    let url = format!("{}/consultations/{}", base_url(&state.config), c.slug);
    let body = streamed(move |mut tx| async move {
        write_summary_file(&c, &rows, snapshot.as_deref(), confirmed, &url, &mut tx).await
    });
    Ok(csv("summary.csv", body))
}
