//! Votes. They come in batches (the web layer's group commit): one
//! transaction per batch, whatever its size, so that a vote is acknowledged
//! once durable at the cost of one disk sync per batch, not per vote. The
//! batch takes each consultation's row first (an UPDATE), which serialises
//! the batches of one consultation across nodes: no two of them can
//! interleave their counts, and none can deadlock on the proposals' rows.

use std::collections::{BTreeMap, HashMap};

use osez_core::consultation::tally::Tally;
use osez_core::consultation::{CastVote, Qualification, Vote};
use sqlx::Row;

use super::{ProposalRow, TALLY_COLUMNS};
use crate::{Store, StoreError, now_ms};

/// Rows per multi-row statement: 6 values each stays far under both
/// backends' limits on bound parameters.
pub(super) const CHUNK: usize = 300;

/// A vote as the web layer hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVote {
    pub consultation_id: i64,
    /// SHA-256 (hex) of the participant's cookie token.
    pub token_hash: String,
    pub proposal_id: i64,
    pub vote: Vote,
    pub qualification: Option<Qualification>,
    /// Whether the proposal's signed key checked: an untrusted vote is
    /// kept and counted nowhere.
    pub trusted: bool,
}

/// What became of one vote of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    /// Durable (the batch committed). A later vote of the same person on
    /// the same proposal replaces it.
    Recorded,
    /// No such proposal in this consultation.
    NoProposal,
    /// The proposal is not accepted (waiting, refused, archived…).
    NotVotable,
    /// The consultation is not open.
    Closed,
}

/// A recorded trusted vote, for the results and the open data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteRow {
    /// The participant's number (pseudonym) and the proposal's.
    pub participant: i64,
    pub proposal: i64,
    pub vote: Vote,
    pub qualification: Option<Qualification>,
    pub voted_at: i64,
}

/// Where a page of votes ends: (participant row, proposal row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteKey(i64, i64);

impl VoteKey {
    pub const START: VoteKey = VoteKey(-1, -1);
}

/// A consultation's trusted votes, dense, for the opinion groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteMatrix {
    pub votes: Vec<CastVote>,
    /// Dense index → the participant's number (sorted).
    pub participants: Vec<i64>,
    /// Dense index → the proposal's id.
    pub proposal_ids: Vec<i64>,
}

pub(super) fn placeholders(rows: usize, per_row: usize, first: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (0..per_row).map(|c| format!("${}", first + r * per_row + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn deltas(t: &Tally) -> [i64; 12] {
    let mut out = [0i64; 12];
    out[0] = t.agree as i64;
    out[1] = t.disagree as i64;
    out[2] = t.neutral as i64;
    for (slot, q) in out[3..].iter_mut().zip(t.qualifications) {
        *slot = q as i64;
    }
    out
}

async fn add_to_tallies(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    proposal_id: i64,
    delta: &[i64; 12],
) -> Result<(), StoreError> {
    if delta.iter().all(|&d| d == 0) {
        return Ok(());
    }
    let sets: Vec<String> = TALLY_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = {c} + ${}", i + 1)).collect();
    let sql = format!("UPDATE consultation_proposals SET {} WHERE id = $13", sets.join(", "));
    let mut q = sqlx::query(&sql);
    for d in delta {
        q = q.bind(*d);
    }
    q.bind(proposal_id).execute(&mut **tx).await?;
    Ok(())
}

fn decode_vote(value: i64) -> Option<Vote> {
    i8::try_from(value).ok().and_then(Vote::from_polis_value)
}

impl Store {
    /// Records a batch of votes in one transaction and says what became of
    /// each, in order. Within the batch, the last vote of a participant on
    /// a proposal is the one kept.
    pub async fn record_votes(&self, votes: &[NewVote]) -> Result<Vec<VoteOutcome>, StoreError> {
        let now = now_ms();
        let mut outcomes = vec![VoteOutcome::Recorded; votes.len()];
        let mut tx = self.pool.begin().await?;

        // 1. Each consultation's row, in order of id: the lock, and whether
        //    it is open.
        let mut open: BTreeMap<i64, bool> = votes.iter().map(|v| (v.consultation_id, false)).collect();
        for (&id, is_open) in open.iter_mut() {
            let row = sqlx::query(
                "UPDATE consultations SET votes_seq = votes_seq + 1 WHERE id = $1 RETURNING status, opens_at, closes_at",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                let status: String = row.try_get(0)?;
                let (opens, closes): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
                *is_open = status == "published" && opens <= now && now < closes;
            }
        }

        // 2. The proposals: their consultation and status.
        let mut proposal_ids: Vec<i64> = votes.iter().map(|v| v.proposal_id).collect();
        proposal_ids.sort_unstable();
        proposal_ids.dedup();
        let mut proposals: HashMap<i64, (i64, String)> = HashMap::new();
        for chunk in proposal_ids.chunks(CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, consultation_id, status FROM consultation_proposals WHERE id IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut *tx).await? {
                proposals.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
            }
        }
        for (v, outcome) in votes.iter().zip(outcomes.iter_mut()) {
            *outcome = match proposals.get(&v.proposal_id) {
                None => VoteOutcome::NoProposal,
                Some((c, _)) if *c != v.consultation_id => VoteOutcome::NoProposal,
                Some(_) if !open.get(&v.consultation_id).copied().unwrap_or(false) => VoteOutcome::Closed,
                Some((_, status)) if status != "accepted" => VoteOutcome::NotVotable,
                Some(_) => VoteOutcome::Recorded,
            };
        }

        // 3. The participants: those known, read by chunks; the others
        //    created on their first vote.
        let mut participants: HashMap<(i64, &str), i64> = HashMap::new();
        let mut wanted: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for (v, _) in votes.iter().zip(&outcomes).filter(|(_, o)| **o == VoteOutcome::Recorded) {
            wanted.entry(v.consultation_id).or_default().push(v.token_hash.as_str());
        }
        for (&consultation, hashes) in wanted.iter_mut() {
            hashes.sort_unstable();
            hashes.dedup();
            for chunk in hashes.chunks(CHUNK) {
                let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT id, token_hash FROM consultation_participants WHERE consultation_id = $1 AND token_hash IN ({})",
                    marks.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(consultation);
                for h in chunk {
                    q = q.bind(*h);
                }
                for row in q.fetch_all(&mut *tx).await? {
                    let hash: String = row.try_get(1)?;
                    if let Some(&h) = chunk.iter().find(|h| **h == hash) {
                        participants.insert((consultation, h), row.try_get(0)?);
                    }
                }
            }
            for &h in hashes.iter() {
                if let std::collections::hash_map::Entry::Vacant(slot) = participants.entry((consultation, h)) {
                    slot.insert(super::participant_id(&mut tx, consultation, h).await?);
                }
            }
        }

        // 4. The last vote of each participant on each proposal.
        let mut last: BTreeMap<(i64, i64), &NewVote> = BTreeMap::new();
        for (v, _) in votes.iter().zip(&outcomes).filter(|(_, o)| **o == VoteOutcome::Recorded) {
            let participant = participants[&(v.consultation_id, v.token_hash.as_str())];
            last.insert((participant, v.proposal_id), v);
        }
        let keys: Vec<(i64, i64)> = last.keys().copied().collect();

        // 5. What they replace, taken back from the counts.
        let mut change: BTreeMap<i64, Tally> = BTreeMap::new();
        let mut taken_back: BTreeMap<i64, Tally> = BTreeMap::new();
        // Trusted votes gained (or lost) by each participant.
        let mut trusted_delta: BTreeMap<i64, i64> = BTreeMap::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT proposal_id, vote, qualification, trusted, participant_id FROM consultation_votes \
                 WHERE (participant_id, proposal_id) IN (VALUES {})",
                placeholders(chunk.len(), 2, 1)
            );
            let mut q = sqlx::query(&sql);
            for (participant, proposal) in chunk {
                q = q.bind(*participant).bind(*proposal);
            }
            for row in q.fetch_all(&mut *tx).await? {
                let trusted: i64 = row.try_get(3)?;
                let vote = decode_vote(row.try_get(1)?);
                if trusted == 1
                    && let Some(vote) = vote
                {
                    let qualification: Option<String> = row.try_get(2)?;
                    let q = qualification.as_deref().and_then(Qualification::from_slug);
                    taken_back.entry(row.try_get(0)?).or_default().add(vote, q, 1);
                }
                if trusted == 1 {
                    *trusted_delta.entry(row.try_get(4)?).or_default() -= 1;
                }
            }
        }

        // 6. The votes themselves.
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO consultation_votes (participant_id, proposal_id, vote, qualification, trusted, voted_at) \
                 VALUES {} ON CONFLICT (participant_id, proposal_id) DO UPDATE SET vote = excluded.vote, \
                 qualification = excluded.qualification, trusted = excluded.trusted, voted_at = excluded.voted_at",
                placeholders(chunk.len(), 6, 1)
            );
            let mut q = sqlx::query(&sql);
            for key in chunk {
                let v = last[key];
                let qualification = v.qualification.filter(|q| q.vote() == v.vote);
                q = q
                    .bind(key.0)
                    .bind(key.1)
                    .bind(i64::from(v.vote.polis_value()))
                    .bind(qualification.map(Qualification::slug))
                    .bind(i64::from(v.trusted))
                    .bind(now);
                if v.trusted {
                    change.entry(key.1).or_default().add(v.vote, qualification, 1);
                    *trusted_delta.entry(key.0).or_default() += 1;
                }
            }
            q.execute(&mut *tx).await?;
        }

        // 7. The participants' trusted votes, and the consultations' voters:
        //    a participant whose count leaves or reaches zero.
        trusted_delta.retain(|_, d| *d != 0);
        let mut voters: BTreeMap<i64, i64> = BTreeMap::new();
        let changed: Vec<(i64, i64)> = trusted_delta.iter().map(|(&p, &d)| (p, d)).collect();
        for chunk in changed.chunks(CHUNK) {
            // One statement per chunk: each participant's own delta.
            let cases: Vec<String> =
                (0..chunk.len()).map(|i| format!("WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2)).collect();
            let ids: Vec<String> = (0..chunk.len()).map(|i| format!("${}", 2 * chunk.len() + i + 1)).collect();
            let sql = format!(
                "UPDATE consultation_participants SET trusted_votes = trusted_votes + CASE id {} ELSE 0 END \
                 WHERE id IN ({}) RETURNING id, consultation_id, trusted_votes",
                cases.join(" "),
                ids.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (p, d) in chunk {
                q = q.bind(*p).bind(*d);
            }
            for (p, _) in chunk {
                q = q.bind(*p);
            }
            for row in q.fetch_all(&mut *tx).await? {
                let (id, consultation, after): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                let before = after - trusted_delta[&id];
                let crossed = i64::from(after > 0) - i64::from(before > 0);
                *voters.entry(consultation).or_default() += crossed;
            }
        }
        for (consultation, crossed) in voters.into_iter().filter(|(_, c)| *c != 0) {
            sqlx::query("UPDATE consultations SET voters = voters + $1 WHERE id = $2")
                .bind(crossed)
                .bind(consultation)
                .execute(&mut *tx)
                .await?;
        }

        // 8. The counts, proposal by proposal in order of id.
        let touched: Vec<i64> = change
            .keys()
            .chain(taken_back.keys())
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for id in touched {
            let plus = change.get(&id).map(deltas).unwrap_or_default();
            let minus = taken_back.get(&id).map(deltas).unwrap_or_default();
            let delta: [i64; 12] = std::array::from_fn(|i| plus[i] - minus[i]);
            add_to_tallies(&mut tx, id, &delta).await?;
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// The proposals a participant voted on (trusted or not): never served
    /// to them again.
    pub async fn voted_proposals(&self, consultation_id: i64, token_hash: &str) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT v.proposal_id FROM consultation_votes v \
             JOIN consultation_participants p ON p.id = v.participant_id \
             WHERE p.consultation_id = $1 AND p.token_hash = $2",
        )
        .bind(consultation_id)
        .bind(token_hash)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One page of a consultation's trusted votes, in order of participant
    /// then proposal, after the key `after` (start with `VoteKey::START`);
    /// the key of the last row comes back with the rows.
    ///
    /// The unary `+` keeps SQLite from starting at the participants' index
    /// on `consultation_id`: it then sorted every vote of the consultation
    /// for each page (10 M votes read in pages of 50,000 took minutes);
    /// walking the votes' primary key from `after` reads each vote once.
    /// PostgreSQL reads `+x` as `x`.
    pub async fn trusted_votes_after(
        &self,
        consultation_id: i64,
        after: VoteKey,
        limit: i64,
    ) -> Result<(Vec<VoteRow>, VoteKey), StoreError> {
        let rows = sqlx::query(
            "SELECT v.participant_id, v.proposal_id, p.number, pr.number, v.vote, v.qualification, v.voted_at \
             FROM consultation_votes v \
             JOIN consultation_participants p ON p.id = v.participant_id \
             JOIN consultation_proposals pr ON pr.id = v.proposal_id \
             WHERE +p.consultation_id = $1 AND v.trusted = 1 \
             AND (v.participant_id, v.proposal_id) > ($2, $3) \
             ORDER BY v.participant_id, v.proposal_id LIMIT $4",
        )
        .bind(consultation_id)
        .bind(after.0)
        .bind(after.1)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut last = after;
        let mut page = Vec::with_capacity(rows.len());
        for row in &rows {
            last = VoteKey(row.try_get(0)?, row.try_get(1)?);
            let qualification: Option<String> = row.try_get(5)?;
            let Some(vote) = decode_vote(row.try_get(4)?) else {
                return Err(StoreError::Corrupt { id: format!("vote {last:?}"), reason: "unknown vote".into() });
            };
            page.push(VoteRow {
                participant: row.try_get(2)?,
                proposal: row.try_get(3)?,
                vote,
                qualification: qualification.as_deref().and_then(Qualification::from_slug),
                voted_at: row.try_get(6)?,
            });
        }
        Ok((page, last))
    }

    /// The trusted votes of a consultation a page at a time, handed to
    /// `each_page` so that ten million votes never sit in memory as rows.
    pub async fn trusted_votes(
        &self,
        consultation_id: i64,
        mut each_page: impl FnMut(&[VoteRow]),
    ) -> Result<(), StoreError> {
        const PAGE: i64 = 50_000;
        let mut after = VoteKey::START;
        loop {
            let (rows, last) = self.trusted_votes_after(consultation_id, after, PAGE).await?;
            each_page(&rows);
            if (rows.len() as i64) < PAGE {
                return Ok(());
            }
            after = last;
        }
    }

    /// The trusted votes on `proposals` as the opinion groups read them:
    /// proposals by their index in `proposals`, participants by the order
    /// of their numbers (the same votes always give the same matrix).
    pub async fn vote_matrix(&self, consultation_id: i64, proposals: &[ProposalRow]) -> Result<VoteMatrix, StoreError> {
        let index: HashMap<i64, u32> = (0u32..).zip(proposals).map(|(i, p)| (p.number, i)).collect();
        let mut raw: Vec<(i64, u32, Vote)> = Vec::new();
        self.trusted_votes(consultation_id, |page| {
            raw.extend(page.iter().filter_map(|v| index.get(&v.proposal).map(|&i| (v.participant, i, v.vote))));
        })
        .await?;
        let mut participants: Vec<i64> = raw.iter().map(|r| r.0).collect();
        participants.sort_unstable();
        participants.dedup();
        let votes = raw
            .iter()
            .filter_map(|&(p, proposal, vote)| {
                let participant = participants.binary_search(&p).ok()? as u32;
                Some(CastVote { participant, proposal, vote })
            })
            .collect();
        Ok(VoteMatrix { votes, participants, proposal_ids: proposals.iter().map(|p| p.id).collect() })
    }

    /// The counts of a consultation's proposals recounted from its votes,
    /// by proposal id: what the kept counts must always equal.
    pub async fn recount(&self, consultation_id: i64) -> Result<BTreeMap<i64, Tally>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.proposal_id, v.vote, v.qualification, COUNT(*) FROM consultation_votes v \
             JOIN consultation_proposals pr ON pr.id = v.proposal_id \
             WHERE pr.consultation_id = $1 AND v.trusted = 1 GROUP BY v.proposal_id, v.vote, v.qualification",
        )
        .bind(consultation_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out: BTreeMap<i64, Tally> =
            self.proposals(consultation_id, None).await?.into_iter().map(|p| (p.id, Tally::default())).collect();
        for row in rows {
            let id: i64 = row.try_get(0)?;
            let qualification: Option<String> = row.try_get(2)?;
            let n: i64 = row.try_get(3)?;
            if let Some(vote) = decode_vote(row.try_get(1)?) {
                out.entry(id).or_default().add(vote, qualification.as_deref().and_then(Qualification::from_slug), n);
            }
        }
        Ok(out)
    }
}
