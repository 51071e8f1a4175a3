//! Confirming a participant by e-mail, which they may do or not: the
//! address is kept on their row, pending, in the same transaction as the
//! mail that carries the link; the link coming back confirms it. One
//! address confirms one participant per consultation (a unique index over
//! the confirmed rows). A confirmed address stays the participant's: a
//! later proposal's address does not replace it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ConsultationError, ConsultationStatus, participant_id};
use crate::contacts::spend;
use crate::outbox::enqueue;
use crate::{NewMail, SpentChallenge, Store, StoreError, now_ms};

/// What a request for a confirmation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationRequest {
    /// The address is pending and the mail queued.
    Sent,
    /// The participant was confirmed before: nothing changed.
    AlreadyConfirmed,
}

/// A participant's address as the link that confirms it finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantEmail {
    pub consultation_id: i64,
    pub email: Option<String>,
    pub confirmed_at: Option<i64>,
}

/// What following a confirmation link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    Confirmed,
    /// This participant, with this address, was confirmed before.
    AlreadyConfirmed,
    /// Another participant of the consultation is confirmed with this
    /// address.
    AddressTaken,
    /// The participant's address is no longer the link's (a newer request,
    /// an erasure) or the participant is gone.
    Outdated,
    /// The consultation no longer takes part.
    Closed,
}

/// Whether the consultation of `id` is published and within its dates.
async fn takes_part(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64) -> Result<Option<bool>, StoreError> {
    let row = sqlx::query("SELECT status, opens_at, closes_at FROM consultations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (status, opens_at, closes_at): (String, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let now = now_ms();
    Ok(Some(status == ConsultationStatus::Published.slug() && opens_at <= now && now < closes_at))
}

const PARTICIPANT_EMAIL: &str =
    "SELECT consultation_id, email, email_confirmed_at FROM consultation_participants WHERE id = $1";

fn participant_email_from_row(r: &AnyRow) -> Result<ParticipantEmail, StoreError> {
    Ok(ParticipantEmail { consultation_id: r.try_get(0)?, email: r.try_get(1)?, confirmed_at: r.try_get(2)? })
}

fn unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

impl Store {
    /// Keeps `email` (lower-cased) pending on the participant of
    /// `token_hash`, created if new, and queues the mail that `mail` makes
    /// from the participant's id; spends the anti-robot challenge. Nothing
    /// changes for a participant confirmed before.
    pub async fn request_confirmation(
        &self,
        consultation_id: i64,
        token_hash: &str,
        email: &str,
        mail: impl FnOnce(i64) -> NewMail,
        challenge: Option<&SpentChallenge>,
    ) -> Result<ConfirmationRequest, ConsultationError> {
        let mut tx = self.pool.begin().await?;
        if let Some(c) = challenge
            && !spend(&mut tx, c).await?
        {
            return Err(ConsultationError::Spent);
        }
        match takes_part(&mut tx, consultation_id).await? {
            None => return Err(ConsultationError::NotFound),
            Some(false) => return Err(ConsultationError::Closed),
            Some(true) => {}
        }
        let participant = participant_id(&mut tx, consultation_id, token_hash).await?;
        let confirmed: Option<i64> =
            sqlx::query_scalar("SELECT email_confirmed_at FROM consultation_participants WHERE id = $1")
                .bind(participant)
                .fetch_one(&mut *tx)
                .await?;
        if confirmed.is_some() {
            tx.commit().await?;
            return Ok(ConfirmationRequest::AlreadyConfirmed);
        }
        sqlx::query("UPDATE consultation_participants SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(participant)
            .execute(&mut *tx)
            .await?;
        enqueue(&mut tx, &mail(participant), None).await?;
        tx.commit().await?;
        Ok(ConfirmationRequest::Sent)
    }

    /// The address of the participant of `id`, pending or confirmed.
    pub async fn participant_email(&self, id: i64) -> Result<Option<ParticipantEmail>, StoreError> {
        let row = sqlx::query(PARTICIPANT_EMAIL).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(participant_email_from_row).transpose()
    }

    /// Whether the participant of `token_hash` is confirmed by e-mail.
    pub async fn participant_confirmed(&self, consultation_id: i64, token_hash: &str) -> Result<bool, StoreError> {
        let confirmed: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT email_confirmed_at FROM consultation_participants WHERE consultation_id = $1 AND token_hash = $2",
        )
        .bind(consultation_id)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(confirmed.flatten().is_some())
    }

    /// Confirms the participant of `id` with `email`, the address their
    /// link was made for.
    pub async fn confirm_participant(&self, id: i64, email: &str) -> Result<Confirmation, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The write comes first: it takes the row (and SQLite's lock)
        // before anything is read.
        let confirmed = sqlx::query(
            "UPDATE consultation_participants SET email_confirmed_at = $1 \
             WHERE id = $2 AND email = $3 AND email_confirmed_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM consultation_participants o \
                             WHERE o.consultation_id = consultation_participants.consultation_id \
                             AND o.email = $3 AND o.email_confirmed_at IS NOT NULL)",
        )
        .bind(now_ms())
        .bind(id)
        .bind(email)
        .execute(&mut *tx)
        .await;
        let confirmed = match confirmed {
            Ok(done) => done.rows_affected() == 1,
            Err(e) if unique_violation(&e) => return Ok(Confirmation::AddressTaken),
            Err(e) => return Err(e.into()),
        };
        let row = sqlx::query(PARTICIPANT_EMAIL).bind(id).fetch_optional(&mut *tx).await?;
        let Some(held) = row.as_ref().map(participant_email_from_row).transpose()? else {
            return Ok(Confirmation::Outdated);
        };
        if held.email.as_deref() != Some(email) {
            return Ok(Confirmation::Outdated);
        }
        if !takes_part(&mut tx, held.consultation_id).await?.unwrap_or(false) {
            // Rolled back: a closed consultation's participants stay as
            // its results counted them.
            return Ok(Confirmation::Closed);
        }
        let outcome = match (confirmed, held.confirmed_at) {
            (true, _) => Confirmation::Confirmed,
            (false, Some(_)) => Confirmation::AlreadyConfirmed,
            (false, None) => Confirmation::AddressTaken,
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Participants confirmed by e-mail who have at least one trusted vote
    /// (the confirmed share of the consultation's voters).
    pub async fn confirmed_voters(&self, consultation_id: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM consultation_participants \
             WHERE consultation_id = $1 AND email_confirmed_at IS NOT NULL AND trusted_votes > 0",
        )
        .bind(consultation_id)
        .fetch_one(&self.pool)
        .await?)
    }
}
