//! The next proposals for a participant: the accepted proposals with their
//! counts (kept a moment in the memo: under load, votes change them every
//! few milliseconds, and a sequence needs no exact count), less those the
//! participant voted on, chosen by the bandit of `osez_core`.

use std::sync::Arc;
use std::time::Duration;

use osez_core::consultation::proposal::ProposalStatus;
use osez_core::consultation::sequence::{Candidate, next};
use osez_store::{Consultation, ProposalRow, StoreError};

use crate::consultation::participant::Participant;
use crate::kit::state::Ready;

const MEMO_KIND: &str = "consultation_candidates";
/// How long the candidates' counts are reused.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// The accepted proposals of a consultation, at most `FRESH_FOR` old.
pub async fn accepted(ready: &Ready, c: &Consultation) -> Result<Arc<Vec<ProposalRow>>, StoreError> {
    if let Some(kept) = ready.memo.get::<Vec<ProposalRow>>(MEMO_KIND, c.id)
        && kept.made.elapsed() < FRESH_FOR
    {
        return Ok(kept.value);
    }
    let rows = Arc::new(ready.store.proposals(c.id, Some(ProposalStatus::Accepted)).await?);
    ready.memo.put(MEMO_KIND, c.id, c.votes_seq, rows.clone());
    Ok(rows)
}

/// The proposals to serve next to `participant`, in order.
pub async fn next_sequence(
    ready: &Ready,
    c: &Consultation,
    participant: &Participant,
) -> Result<Vec<ProposalRow>, StoreError> {
    let rows = accepted(ready, c).await?;
    let voted: Vec<u64> = if participant.fresh {
        Vec::new()
    } else {
        ready.store.voted_proposals(c.id, &participant.token_hash()).await?.into_iter().map(|id| id as u64).collect()
    };
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|p| Candidate { proposal: p.id as u64, author: p.author_id.map(|a| a as u64), tally: p.tally })
        .collect();
    let order = next(&candidates, &voted, &mut rand::rng());
    Ok(order.into_iter().filter_map(|id| rows.iter().find(|p| p.id as u64 == id).cloned()).collect())
}
