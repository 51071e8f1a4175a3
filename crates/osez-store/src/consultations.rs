//! Citizen consultations: the consultation itself, its participants (the
//! hash of an anonymous cookie's token, and an address only if they gave
//! one), its proposals with their moderation and the count of their
//! trusted votes. The votes themselves are in `votes.rs`.

mod confirm;
mod import;
#[cfg(test)]
mod tests;
mod votes;

use osez_core::consultation::proposal::{ProposalStatus, RefusalReason};
use osez_core::consultation::tally::Tally;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::audit;
use crate::contacts::spend;
use crate::outbox::enqueue_with;
use crate::{NewMail, SpentChallenge, Store, StoreError, now_ms};

pub use confirm::{Confirmation, ConfirmationRequest, ParticipantEmail};
pub use import::{BulkProposal, BulkVote, demo_bulk};
pub use votes::{NewVote, VoteKey, VoteMatrix, VoteOutcome, VoteRow};

/// Where a consultation stands. Whether it takes votes also depends on its
/// dates: see `Consultation::is_open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultationStatus {
    Draft,
    Published,
    Archived,
}

impl ConsultationStatus {
    pub fn slug(self) -> &'static str {
        match self {
            ConsultationStatus::Draft => "draft",
            ConsultationStatus::Published => "published",
            ConsultationStatus::Archived => "archived",
        }
    }

    pub fn from_slug(slug: &str) -> Option<ConsultationStatus> {
        [ConsultationStatus::Draft, ConsultationStatus::Published, ConsultationStatus::Archived]
            .into_iter()
            .find(|s| s.slug() == slug)
    }
}

/// Where a consultation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Run on this platform.
    Osez,
    /// Imported from a Pol.is export: its numbers are Pol.is's.
    Polis,
    /// Generated demo data.
    Demo,
}

impl Origin {
    pub fn slug(self) -> &'static str {
        match self {
            Origin::Osez => "osez",
            Origin::Polis => "polis",
            Origin::Demo => "demo",
        }
    }

    fn from_slug(slug: &str) -> Option<Origin> {
        [Origin::Osez, Origin::Polis, Origin::Demo].into_iter().find(|o| o.slug() == slug)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub question: String,
    pub description: String,
    /// Milliseconds since the epoch.
    pub opens_at: i64,
    pub closes_at: i64,
    pub status: ConsultationStatus,
    pub origin: Origin,
    /// Bumped by every batch of votes.
    pub votes_seq: i64,
    /// Participants with at least one trusted vote.
    pub voters: i64,
}

impl Consultation {
    /// Published, and between its opening and its closing.
    pub fn is_open(&self, now_ms: i64) -> bool {
        self.status == ConsultationStatus::Published && self.opens_at <= now_ms && now_ms < self.closes_at
    }
}

/// A consultation to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsultation<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub question: &'a str,
    pub description: &'a str,
    pub opens_at: i64,
    pub closes_at: i64,
    pub status: ConsultationStatus,
    pub origin: Origin,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsultationError {
    #[error("a consultation already has this address")]
    SlugTaken,
    #[error("no such consultation")]
    NotFound,
    /// Proposals and votes are taken only while the consultation is open.
    #[error("the consultation is not open")]
    Closed,
    #[error("challenge already spent")]
    Spent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ConsultationError {
    fn from(e: sqlx::Error) -> Self {
        ConsultationError::Store(e.into())
    }
}

/// A proposal with the count of its trusted votes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalRow {
    pub id: i64,
    pub consultation_id: i64,
    /// comment-id of the open data.
    pub number: i64,
    pub text: String,
    pub author_id: Option<i64>,
    /// The author's number (author-id of the open data).
    pub author_number: Option<i64>,
    pub status: ProposalStatus,
    pub refusal_reason: Option<RefusalReason>,
    pub created_at: i64,
    pub tally: Tally,
}

/// A moderator's decision on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Accept,
    Refuse(RefusalReason),
    Postpone,
    Archive,
}

impl Moderation {
    pub fn status(self) -> ProposalStatus {
        match self {
            Moderation::Accept => ProposalStatus::Accepted,
            Moderation::Refuse(_) => ProposalStatus::Refused,
            Moderation::Postpone => ProposalStatus::Postponed,
            Moderation::Archive => ProposalStatus::Archived,
        }
    }
}

pub(crate) const CONSULTATION_COLUMNS: &str =
    "id, slug, title, question, description, opens_at, closes_at, status, origin, votes_seq, voters";

pub(crate) const PROPOSAL_COLUMNS: &str = "id, consultation_id, number, text, author_id, \
     (SELECT a.number FROM consultation_participants a WHERE a.id = author_id) AS author_number, status, refusal_reason, \
     created_at, agree, disagree, neutral, q_like_it, q_doable, q_platitude_agree, q_no_way, q_impossible, \
     q_platitude_disagree, q_do_not_understand, q_no_opinion, q_do_not_care";

/// The tally columns, in the order of `Qualification::ALL` after the
/// three votes.
pub(crate) const TALLY_COLUMNS: [&str; 12] = [
    "agree",
    "disagree",
    "neutral",
    "q_like_it",
    "q_doable",
    "q_platitude_agree",
    "q_no_way",
    "q_impossible",
    "q_platitude_disagree",
    "q_do_not_understand",
    "q_no_opinion",
    "q_do_not_care",
];

fn consultation_from_row(row: &AnyRow) -> Result<Consultation, StoreError> {
    let id: i64 = row.try_get("id")?;
    let corrupt = |reason: &str| StoreError::Corrupt { id: format!("consultation {id}"), reason: reason.to_owned() };
    let status: String = row.try_get("status")?;
    let origin: String = row.try_get("origin")?;
    Ok(Consultation {
        id,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        question: row.try_get("question")?,
        description: row.try_get("description")?,
        opens_at: row.try_get("opens_at")?,
        closes_at: row.try_get("closes_at")?,
        status: ConsultationStatus::from_slug(&status).ok_or_else(|| corrupt("unknown status"))?,
        origin: Origin::from_slug(&origin).ok_or_else(|| corrupt("unknown origin"))?,
        votes_seq: row.try_get("votes_seq")?,
        voters: row.try_get("voters")?,
    })
}

pub(crate) fn proposal_from_row(row: &AnyRow) -> Result<ProposalRow, StoreError> {
    let id: i64 = row.try_get("id")?;
    let corrupt = |reason: &str| StoreError::Corrupt { id: format!("proposal {id}"), reason: reason.to_owned() };
    let status: String = row.try_get("status")?;
    let reason: Option<String> = row.try_get("refusal_reason")?;
    let count = |column: &str| -> Result<u64, StoreError> { Ok(row.try_get::<i64, _>(column)?.max(0) as u64) };
    let mut qualifications = [0u64; 9];
    for (slot, column) in qualifications.iter_mut().zip(&TALLY_COLUMNS[3..]) {
        *slot = count(column)?;
    }
    Ok(ProposalRow {
        id,
        consultation_id: row.try_get("consultation_id")?,
        number: row.try_get("number")?,
        text: row.try_get("text")?,
        author_id: row.try_get("author_id")?,
        author_number: row.try_get("author_number")?,
        status: ProposalStatus::from_slug(&status).ok_or_else(|| corrupt("unknown status"))?,
        refusal_reason: match reason {
            Some(r) => Some(RefusalReason::from_slug(&r).ok_or_else(|| corrupt("unknown refusal reason"))?),
            None => None,
        },
        created_at: row.try_get("created_at")?,
        tally: Tally {
            agree: count("agree")?,
            disagree: count("disagree")?,
            neutral: count("neutral")?,
            qualifications,
        },
    })
}

/// The participant of `token_hash` in a consultation, created if new:
/// the next number is taken by an UPDATE of the consultation's row.
pub(crate) async fn participant_id(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    consultation_id: i64,
    token_hash: &str,
) -> Result<i64, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM consultation_participants WHERE consultation_id = $1 AND token_hash = $2")
            .bind(consultation_id)
            .bind(token_hash)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let number: i64 = sqlx::query_scalar(
        "UPDATE consultations SET participants_seq = participants_seq + 1 WHERE id = $1 RETURNING participants_seq",
    )
    .bind(consultation_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "INSERT INTO consultation_participants (consultation_id, number, token_hash, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(consultation_id)
    .bind(number - 1)
    .bind(token_hash)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?)
}

/// Inserts a consultation; `None` when its address is taken.
pub(crate) async fn insert_consultation(
    conn: &mut sqlx::AnyConnection,
    new: &NewConsultation<'_>,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO consultations (slug, title, question, description, opens_at, closes_at, status, origin, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (slug) DO NOTHING RETURNING id",
    )
    .bind(new.slug)
    .bind(new.title)
    .bind(new.question)
    .bind(new.description)
    .bind(new.opens_at)
    .bind(new.closes_at)
    .bind(new.status.slug())
    .bind(new.origin.slug())
    .bind(now)
    .fetch_optional(conn)
    .await
}

impl Store {
    pub async fn create_consultation(&self, new: &NewConsultation<'_>) -> Result<i64, ConsultationError> {
        let mut conn = self.pool.acquire().await?;
        let inserted = insert_consultation(&mut conn, new, now_ms()).await?;
        inserted.ok_or(ConsultationError::SlugTaken)
    }

    /// Changes a consultation's texts, dates and status (its address and
    /// origin stay). False when there is no such consultation.
    pub async fn update_consultation(&self, id: i64, new: &NewConsultation<'_>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE consultations SET title = $1, question = $2, description = $3, opens_at = $4, closes_at = $5, \
             status = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(new.title)
        .bind(new.question)
        .bind(new.description)
        .bind(new.opens_at)
        .bind(new.closes_at)
        .bind(new.status.slug())
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn consultation(&self, slug: &str) -> Result<Option<Consultation>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CONSULTATION_COLUMNS} FROM consultations WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(consultation_from_row).transpose()
    }

    pub async fn consultation_by_id(&self, id: i64) -> Result<Option<Consultation>, StoreError> {
        let row = sqlx::query(&format!("SELECT {CONSULTATION_COLUMNS} FROM consultations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(consultation_from_row).transpose()
    }

    /// Consultations, the latest opened first, at most `limit`; drafts and
    /// archived ones only when `all`.
    pub async fn consultations(&self, all: bool, limit: i64) -> Result<Vec<Consultation>, StoreError> {
        let filter = if all { "" } else { "WHERE status = 'published'" };
        let rows = sqlx::query(&format!(
            "SELECT {CONSULTATION_COLUMNS} FROM consultations {filter} ORDER BY opens_at DESC, id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(consultation_from_row).collect()
    }

    /// The proposals of a consultation in one status, or all, by number.
    /// A consultation's proposals are its size (Make.org's largest had
    /// 34,000): the results need every accepted one.
    pub async fn proposals(
        &self,
        consultation_id: i64,
        status: Option<ProposalStatus>,
    ) -> Result<Vec<ProposalRow>, StoreError> {
        let rows =
            match status {
                Some(s) => {
                    sqlx::query(&format!(
                        "SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals \
                     WHERE consultation_id = $1 AND status = $2 ORDER BY number"
                    ))
                    .bind(consultation_id)
                    .bind(s.slug())
                    .fetch_all(&self.pool)
                    .await?
                }
                None => sqlx::query(&format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals WHERE consultation_id = $1 ORDER BY number"
                ))
                .bind(consultation_id)
                .fetch_all(&self.pool)
                .await?,
            };
        rows.iter().map(proposal_from_row).collect()
    }

    pub async fn proposal(&self, id: i64) -> Result<Option<ProposalRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(proposal_from_row).transpose()
    }

    /// A participant's proposal, waiting for moderation, with the address
    /// they gave to learn the decision (kept on their participant row).
    /// Spends the anti-robot challenge in the same transaction.
    pub async fn submit_proposal(
        &self,
        consultation_id: i64,
        token_hash: &str,
        email: Option<&str>,
        text: &str,
        challenge: Option<&SpentChallenge>,
    ) -> Result<ProposalRow, ConsultationError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        if let Some(c) = challenge
            && !spend(&mut tx, c).await?
        {
            return Err(ConsultationError::Spent);
        }
        // The consultation's row is taken first: its proposal numbers
        // follow one another, and a closing cannot slip in between.
        let row = sqlx::query(
            "UPDATE consultations SET proposals_seq = proposals_seq + 1 WHERE id = $1 \
             RETURNING proposals_seq, status, opens_at, closes_at",
        )
        .bind(consultation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(ConsultationError::NotFound)?;
        let (seq, status, opens_at, closes_at): (i64, String, i64, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
        if status != ConsultationStatus::Published.slug() || now < opens_at || now >= closes_at {
            return Err(ConsultationError::Closed);
        }
        let author = participant_id(&mut tx, consultation_id, token_hash).await?;
        if let Some(email) = email {
            // A confirmed address stays (see `confirm.rs`).
            sqlx::query("UPDATE consultation_participants SET email = $1 WHERE id = $2 AND email_confirmed_at IS NULL")
                .bind(email)
                .bind(author)
                .execute(&mut *tx)
                .await?;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO consultation_proposals (consultation_id, number, text, author_id, status, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
        )
        .bind(consultation_id)
        .bind(seq - 1)
        .bind(text)
        .bind(author)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let proposal = proposal_from_row(&row)?;
        tx.commit().await?;
        Ok(proposal)
    }

    /// Records a moderator's decision, and the mail that tells the author
    /// (built by the caller from the author's address) in the same
    /// transaction. Returns the proposal as it now stands.
    pub async fn moderate_proposal(
        &self,
        proposal_id: i64,
        decision: Moderation,
        moderator: &str,
        mail: impl FnOnce(&ProposalRow, &str) -> Option<NewMail>,
    ) -> Result<ProposalRow, ConsultationError> {
        let mut tx = self.pool.begin().await?;
        let reason = match decision {
            Moderation::Refuse(r) => Some(r.slug()),
            _ => None,
        };
        let before: Option<String> = sqlx::query_scalar("SELECT status FROM consultation_proposals WHERE id = $1")
            .bind(proposal_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = before else {
            return Err(ConsultationError::NotFound);
        };
        let updated = sqlx::query(
            "UPDATE consultation_proposals SET status = $1, refusal_reason = $2, decided_at = $3, decided_by = $4 \
             WHERE id = $5",
        )
        .bind(decision.status().slug())
        .bind(reason)
        .bind(now_ms())
        .bind(moderator)
        .bind(proposal_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(ConsultationError::NotFound);
        }
        let row = sqlx::query(&format!("SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals WHERE id = $1"))
            .bind(proposal_id)
            .fetch_one(&mut *tx)
            .await?;
        let proposal = proposal_from_row(&row)?;
        let after = match reason {
            Some(r) => format!("{} ({r})", decision.status().slug()),
            None => decision.status().slug().to_owned(),
        };
        audit(
            &mut tx,
            moderator,
            "consultation.moderate",
            &format!("proposal {proposal_id}"),
            Some(&before),
            Some(&after),
        )
        .await?;
        let email: Option<String> = match proposal.author_id {
            Some(author) => {
                sqlx::query_scalar("SELECT email FROM consultation_participants WHERE id = $1")
                    .bind(author)
                    .fetch_one(&mut *tx)
                    .await?
            }
            None => None,
        };
        if let Some(m) = email.as_deref().and_then(|e| mail(&proposal, e)) {
            enqueue_with(&mut tx, &m, None, None).await?;
        }
        tx.commit().await?;
        Ok(proposal)
    }

    /// The proposals waiting for a decision (pending, then postponed), the
    /// oldest first, at most `limit`, and how many wait in all.
    pub async fn proposals_to_moderate(
        &self,
        consultation_id: i64,
        limit: i64,
    ) -> Result<(Vec<ProposalRow>, i64), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals \
             WHERE consultation_id = $1 AND status IN ('pending', 'postponed') \
             ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, id LIMIT $2"
        ))
        .bind(consultation_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM consultation_proposals WHERE consultation_id = $1 AND status IN ('pending', 'postponed')",
        )
        .bind(consultation_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((rows.iter().map(proposal_from_row).collect::<Result<_, _>>()?, total))
    }

    /// The proposals a participant wrote in a consultation, the latest
    /// first (at most 100: a participant is rate-limited far below).
    pub async fn proposals_by(&self, consultation_id: i64, token_hash: &str) -> Result<Vec<ProposalRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM consultation_proposals WHERE consultation_id = $1 AND author_id = \
             (SELECT id FROM consultation_participants WHERE consultation_id = $1 AND token_hash = $2) \
             ORDER BY id DESC LIMIT 100"
        ))
        .bind(consultation_id)
        .bind(token_hash)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(proposal_from_row).collect()
    }
}
