//! A whole consultation written at once: an imported Pol.is conversation
//! or the demo, with its own numbers, in one transaction.

use std::collections::{BTreeMap, HashMap};

use osez_core::consultation::Qualification;
use osez_core::consultation::Vote;
use osez_core::consultation::demo::{DemoProposal, DemoVote};
use osez_core::consultation::polis::{PolisComment, PolisVote};
use osez_core::consultation::tally::tally;
use sqlx::Row;

use super::votes::{CHUNK, deltas, placeholders};
use super::{ConsultationError, NewConsultation, TALLY_COLUMNS};
use crate::{Store, now_ms};

/// A vote of an imported conversation or of the demo: participants and
/// proposals named by their numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkVote {
    pub participant: i64,
    pub proposal: i64,
    pub vote: Vote,
    pub qualification: Option<Qualification>,
    pub voted_at: i64,
}

/// A proposal of an imported conversation or of the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkProposal {
    pub number: i64,
    pub text: String,
    /// Served and counted; else archived: out of the vote and of the
    /// results, its votes kept in the open data (Pol.is's moderated −1).
    pub accepted: bool,
    pub author: Option<i64>,
    pub created_at: i64,
}

impl From<&PolisComment> for BulkProposal {
    /// A Pol.is comment keeps its id; moderated out (−1), it is archived.
    fn from(c: &PolisComment) -> Self {
        BulkProposal {
            number: c.id,
            text: c.body.clone(),
            accepted: c.moderated >= 0,
            author: c.author,
            created_at: c.created_at_ms,
        }
    }
}

impl From<&PolisVote> for BulkVote {
    fn from(v: &PolisVote) -> Self {
        BulkVote { participant: v.voter, proposal: v.comment, vote: v.vote, qualification: None, voted_at: v.at_ms }
    }
}

impl From<&DemoVote> for BulkVote {
    fn from(v: &DemoVote) -> Self {
        BulkVote {
            participant: v.participant,
            proposal: v.proposal,
            vote: v.vote,
            qualification: None,
            voted_at: v.at_ms,
        }
    }
}

/// Demo proposals (all accepted, numbered in order) and votes, ready for
/// `import_consultation`.
pub fn demo_bulk(
    proposals: &[DemoProposal],
    votes: &[DemoVote],
    created_at: i64,
) -> (Vec<BulkProposal>, Vec<BulkVote>) {
    let proposals = (0i64..)
        .zip(proposals)
        .map(|(number, p)| BulkProposal { number, text: p.text.into(), accepted: true, author: None, created_at })
        .collect();
    (proposals, votes.iter().map(BulkVote::from).collect())
}

impl Store {
    /// Creates a whole consultation at once (an imported Pol.is
    /// conversation, the demo): its proposals, participants and votes
    /// under the numbers given, and the counts computed from those votes.
    /// One transaction: a failure leaves nothing.
    pub async fn import_consultation(
        &self,
        new: &NewConsultation<'_>,
        proposals: &[BulkProposal],
        votes: &[BulkVote],
    ) -> Result<i64, ConsultationError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let id = super::insert_consultation(&mut tx, new, now).await?;
        let id = id.ok_or(ConsultationError::SlugTaken)?;

        // The last vote of each participant on each proposal, and the
        // counts they make.
        let index: HashMap<i64, u32> = (0u32..).zip(proposals).map(|(i, p)| (p.number, i)).collect();
        let mut last: BTreeMap<(i64, i64), &BulkVote> = BTreeMap::new();
        for v in votes.iter().filter(|v| index.contains_key(&v.proposal)) {
            let keep = last.get(&(v.participant, v.proposal)).is_none_or(|old| old.voted_at <= v.voted_at);
            if keep {
                last.insert((v.participant, v.proposal), v);
            }
        }
        let counts = tally(last.values().map(|v| (index[&v.proposal], v.vote, v.qualification)), proposals.len());

        let mut per_participant: BTreeMap<i64, i64> = BTreeMap::new();
        for (participant, _) in last.keys() {
            *per_participant.entry(*participant).or_default() += 1;
        }
        // Participants: every number that votes or writes.
        let mut numbers: Vec<i64> =
            votes.iter().map(|v| v.participant).chain(proposals.iter().filter_map(|p| p.author)).collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut participant_ids: HashMap<i64, i64> = HashMap::with_capacity(numbers.len());
        for chunk in numbers.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO consultation_participants (consultation_id, number, trusted_votes, created_at) \
                 VALUES {} RETURNING id, number",
                placeholders(chunk.len(), 4, 1)
            );
            let mut q = sqlx::query(&sql);
            for n in chunk {
                q = q.bind(id).bind(*n).bind(per_participant.get(n).copied().unwrap_or(0)).bind(now);
            }
            for row in q.fetch_all(&mut *tx).await? {
                participant_ids.insert(row.try_get(1)?, row.try_get(0)?);
            }
        }

        let mut proposal_ids: HashMap<i64, i64> = HashMap::with_capacity(proposals.len());
        for (p, t) in proposals.iter().zip(&counts) {
            let status = if p.accepted { "accepted" } else { "archived" };
            let d = deltas(t);
            let sql = format!(
                "INSERT INTO consultation_proposals (consultation_id, number, text, author_id, status, created_at, \
                 decided_at, {}) VALUES ($1, $2, $3, $4, $5, $6, $6, {}) RETURNING id",
                TALLY_COLUMNS.join(", "),
                (7..19).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
            );
            let mut q = sqlx::query_scalar(&sql)
                .bind(id)
                .bind(p.number)
                .bind(&p.text)
                .bind(p.author.and_then(|a| participant_ids.get(&a).copied()))
                .bind(status)
                .bind(p.created_at);
            for v in d {
                q = q.bind(v);
            }
            proposal_ids.insert(p.number, q.fetch_one(&mut *tx).await?);
        }
        let seq = |xs: &mut dyn Iterator<Item = i64>| xs.max().map_or(0, |m| m + 1);
        sqlx::query("UPDATE consultations SET participants_seq = $1, proposals_seq = $2, voters = $3 WHERE id = $4")
            .bind(seq(&mut numbers.iter().copied()))
            .bind(seq(&mut proposals.iter().map(|p| p.number)))
            .bind(per_participant.len() as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?;

        // Votes.
        let rows: Vec<&&BulkVote> = last.values().collect();
        for chunk in rows.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO consultation_votes (participant_id, proposal_id, vote, qualification, trusted, voted_at) \
                 VALUES {}",
                placeholders(chunk.len(), 6, 1)
            );
            let mut q = sqlx::query(&sql);
            for v in chunk {
                q = q
                    .bind(participant_ids[&v.participant])
                    .bind(proposal_ids[&v.proposal])
                    .bind(i64::from(v.vote.polis_value()))
                    .bind(v.qualification.filter(|q| q.vote() == v.vote).map(Qualification::slug))
                    .bind(1i64)
                    .bind(v.voted_at);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    }
}
