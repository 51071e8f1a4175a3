//! A consultation's results: the counts kept with every batch of votes
//! (always current), and the opinion groups computed from the trusted
//! votes (PCA and k-means, seconds of a core for a large consultation), kept
//! in the memo with the vote stamp they were computed from and refreshed in
//! the background, one refresh at a time, when votes have come since.

use std::sync::Arc;
use std::time::Duration;

use osez_core::consultation::groups::{OpinionGroups, opinion_groups};
use osez_core::consultation::proposal::ProposalStatus;
use osez_core::consultation::tally::{self, Tally};
use osez_store::{Consultation, ProposalRow, Store, VoteMatrix};

use crate::kit::state::{AppState, Ready};

const MEMO_KIND: &str = "consultation_groups";
/// Stale groups are recomputed at most this often.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// Up to this many votes, missing groups are computed within the request
/// (about a second); beyond, in the background.
const SYNC_VOTES: u64 = 300_000;

/// Opinion groups and what they were computed from.
pub struct GroupsSnapshot {
    /// The consultation's vote stamp when its votes were read.
    pub votes_seq: i64,
    pub groups: OpinionGroups,
    /// Dense index → the proposal's id.
    pub proposal_ids: Vec<i64>,
    /// Dense index → the participant's number (sorted).
    pub participant_numbers: Vec<i64>,
    /// Trusted votes read.
    pub votes: u64,
}

impl GroupsSnapshot {
    /// The opinion group of the participant numbered `number`, if they
    /// were clustered.
    pub fn group_of(&self, number: i64) -> Option<u32> {
        let dense = self.participant_numbers.binary_search(&number).ok()? as u32;
        let i = self.groups.points.binary_search_by_key(&dense, |p| p.participant).ok()?;
        (!self.groups.groups.is_empty()).then(|| self.groups.points[i].group)
    }

    /// Group-informed consensus of a proposal, if it was in play.
    pub fn consensus_of(&self, proposal_id: i64) -> Option<f64> {
        let i = self.proposal_ids.iter().position(|&id| id == proposal_id)?;
        self.groups.consensus.get(i).copied().flatten()
    }
}

/// Everything the results page and API show.
pub struct Results {
    pub participants: i64,
    /// Participants with a trusted vote who confirmed their participation
    /// by e-mail.
    pub confirmed: i64,
    pub votes: u64,
    /// The accepted proposals, by number.
    pub proposals: Vec<ProposalRow>,
    /// Indexes into `proposals`.
    pub consensual: Vec<usize>,
    pub controversial: Vec<usize>,
    pub rejected: Vec<usize>,
    pub groups: Option<Arc<GroupsSnapshot>>,
}

/// The opinion groups of a vote matrix read at `votes_seq`: a pure
/// function of those votes (seconds of a core for a large consultation:
/// run it off the async runtime).
pub fn snapshot_from(matrix: VoteMatrix, votes_seq: i64) -> GroupsSnapshot {
    let groups = opinion_groups(&matrix.votes, matrix.participants.len(), matrix.proposal_ids.len());
    GroupsSnapshot {
        votes_seq,
        groups,
        votes: matrix.votes.len() as u64,
        proposal_ids: matrix.proposal_ids,
        participant_numbers: matrix.participants,
    }
}

/// Reads the trusted votes of the accepted proposals and computes the
/// groups on the `analysis` pool.
async fn compute_groups(
    state: &AppState,
    store: &Store,
    consultation: &Consultation,
    accepted: &[ProposalRow],
) -> Result<GroupsSnapshot, String> {
    let votes_seq = consultation.votes_seq;
    let matrix = store.vote_matrix(consultation.id, accepted).await.map_err(|e| e.to_string())?;
    state.analysis.run(move || snapshot_from(matrix, votes_seq)).await.map_err(|e| format!("{e:?}"))
}

/// The groups to show: current ones from the memo; else, if there are
/// none yet, computed now (or, past `SYNC_VOTES`, in the background, and
/// none shown meanwhile); else the stale ones, while a refresh runs in the
/// background (at most one per consultation, at most every
/// `REFRESH_EVERY`).
async fn groups(
    state: &Arc<AppState>,
    ready: &Ready,
    consultation: &Consultation,
    accepted: &[ProposalRow],
) -> Option<Arc<GroupsSnapshot>> {
    let kept = ready.memo.get::<GroupsSnapshot>(MEMO_KIND, consultation.id);
    match kept {
        Some(k) if k.stamp == consultation.votes_seq => return Some(k.value),
        Some(k) => {
            if k.made.elapsed() >= REFRESH_EVERY && ready.memo.claim_refresh(MEMO_KIND, consultation.id) {
                let (state, consultation, accepted) = (state.clone(), consultation.clone(), accepted.to_vec());
                tokio::spawn(async move {
                    if let Some(ready) = state.ready() {
                        refresh(&state, ready, &consultation, &accepted).await;
                        ready.memo.refreshed(MEMO_KIND, consultation.id);
                    }
                });
            }
            return Some(k.value);
        }
        None => {}
    }
    let votes: u64 = accepted.iter().map(|p| p.tally.total()).sum();
    if votes <= SYNC_VOTES {
        return refresh(state, ready, consultation, accepted).await;
    }
    // A large consultation's first groups take longer than a request may:
    // computed in the background, shown once ready.
    if ready.memo.claim_refresh(MEMO_KIND, consultation.id) {
        let (state, consultation, accepted) = (state.clone(), consultation.clone(), accepted.to_vec());
        tokio::spawn(async move {
            if let Some(ready) = state.ready() {
                refresh(&state, ready, &consultation, &accepted).await;
                ready.memo.refreshed(MEMO_KIND, consultation.id);
            }
        });
    }
    None
}

async fn refresh(
    state: &AppState,
    ready: &Ready,
    consultation: &Consultation,
    accepted: &[ProposalRow],
) -> Option<Arc<GroupsSnapshot>> {
    match compute_groups(state, &ready.store, consultation, accepted).await {
        Ok(snapshot) => {
            let snapshot = Arc::new(snapshot);
            ready.memo.put(MEMO_KIND, consultation.id, snapshot.votes_seq, snapshot.clone());
            Some(snapshot)
        }
        Err(cause) => {
            tracing::warn!(%cause, consultation = consultation.id, "opinion groups not computed");
            None
        }
    }
}

/// The results of a consultation, as the page and the API show them.
pub async fn results(
    state: &Arc<AppState>,
    ready: &Ready,
    consultation: &Consultation,
) -> Result<Results, osez_store::StoreError> {
    let proposals = ready.store.proposals(consultation.id, Some(ProposalStatus::Accepted)).await?;
    let groups = groups(state, ready, consultation, &proposals).await;
    let confirmed = ready.store.confirmed_voters(consultation.id).await?;
    Ok(assemble(consultation, proposals, groups, confirmed))
}

/// The results from the accepted proposals (with their counts), the
/// groups and the count of confirmed voters.
pub fn assemble(
    consultation: &Consultation,
    proposals: Vec<ProposalRow>,
    groups: Option<Arc<GroupsSnapshot>>,
    confirmed: i64,
) -> Results {
    let tallies: Vec<Tally> = proposals.iter().map(|p| p.tally).collect();
    let as_usize = |v: Vec<u32>| v.into_iter().map(|i| i as usize).collect::<Vec<_>>();
    Results {
        participants: consultation.voters,
        confirmed,
        votes: tallies.iter().map(Tally::total).sum(),
        consensual: as_usize(tally::consensual(&tallies)),
        controversial: as_usize(tally::controversial(&tallies)),
        rejected: as_usize(tally::rejected(&tallies)),
        proposals,
        groups,
    }
}
