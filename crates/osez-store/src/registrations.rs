//! Registrations to webinars. A registration takes a seat while there is
//! one, then a place on the waiting list (as long as the capacity again);
//! cancelling a seat gives it to the first one waiting. Each change takes
//! the webinar's row first (an `UPDATE` that PostgreSQL locks and SQLite
//! serialises), so that two registrations at once never share the last
//! seat, and writes its mail to the outbox in the same transaction.
//! Reminders and replay links are marked sent in the transaction that
//! writes them, so that each goes once whatever the number of nodes.

use sqlx::Row;

use crate::contacts::spend;
use crate::outbox::{MailAttachment, enqueue_with};
use crate::{NewMail, SpentChallenge, Store, StoreError, now_ms};

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    Confirmed,
    /// On the waiting list, at this position (1 is next).
    Waiting(i64),
}

/// Someone who registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistration<'a> {
    pub resource_id: &'a str,
    /// Lower-cased.
    pub email: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    pub cancel_hash: &'a str,
}

/// A mail and its file, built once the seat is known.
pub type Letter = (NewMail, Option<MailAttachment>);

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// This address is already registered (seated or waiting).
    #[error("already registered")]
    Already(Seat),
    /// Every seat and every place on the waiting list is taken.
    #[error("full")]
    Full,
    /// No such resource.
    #[error("no such webinar")]
    NoWebinar,
    /// The anti-robot challenge was spent already.
    #[error("challenge already spent")]
    Spent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegisterError {
    fn from(e: sqlx::Error) -> Self {
        RegisterError::Store(e.into())
    }
}

/// A registration, for the cancel page and the mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: i64,
    pub resource_id: String,
    pub email: String,
    pub name: String,
    pub status: String,
}

/// Seats taken and places on the waiting list of one webinar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attendance {
    pub confirmed: i64,
    pub waiting: i64,
}

async fn lock_webinar(tx: &mut sqlx::Transaction<'_, sqlx::Any>, resource_id: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE resources SET kind = kind WHERE id = $1")
        .bind(resource_id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1)
}

async fn count(tx: &mut sqlx::Transaction<'_, sqlx::Any>, resource_id: &str, status: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM registrations WHERE resource_id = $1 AND status = $2")
        .bind(resource_id)
        .bind(status)
        .fetch_one(&mut **tx)
        .await
}

/// The position on the waiting list of the registration `id`.
async fn position(tx: &mut sqlx::Transaction<'_, sqlx::Any>, resource_id: &str, id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM registrations WHERE resource_id = $1 AND status = 'waiting' \
         AND (created_at, id) <= (SELECT created_at, id FROM registrations WHERE id = $2)",
    )
    .bind(resource_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

fn registration_from_row(r: &sqlx::any::AnyRow) -> Result<Registration, sqlx::Error> {
    Ok(Registration {
        id: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
    })
}

impl Store {
    /// Registers `who` to a webinar of `capacity` seats, spending the
    /// challenge, and writes the mail that `letter` builds for the seat
    /// obtained. Nothing is saved when an error is returned.
    pub async fn register(
        &self,
        who: &NewRegistration<'_>,
        capacity: u32,
        challenge: &SpentChallenge,
        letter: impl FnOnce(Seat) -> Letter,
    ) -> Result<Seat, RegisterError> {
        let mut tx = self.pool.begin().await?;
        if !spend(&mut tx, challenge).await? {
            return Err(RegisterError::Spent);
        }
        if !lock_webinar(&mut tx, who.resource_id).await? {
            return Err(RegisterError::NoWebinar);
        }
        let existing = sqlx::query("SELECT id, status FROM registrations WHERE resource_id = $1 AND email = $2")
            .bind(who.resource_id)
            .bind(who.email)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = &existing {
            let (id, status): (i64, String) = (row.try_get("id")?, row.try_get("status")?);
            match status.as_str() {
                "confirmed" => return Err(RegisterError::Already(Seat::Confirmed)),
                "waiting" => {
                    return Err(RegisterError::Already(Seat::Waiting(position(&mut tx, who.resource_id, id).await?)));
                }
                _ => {}
            }
        }
        let capacity = i64::from(capacity);
        let confirmed = count(&mut tx, who.resource_id, "confirmed").await?;
        let status = if confirmed < capacity {
            "confirmed"
        } else if count(&mut tx, who.resource_id, "waiting").await? < capacity {
            "waiting"
        } else {
            return Err(RegisterError::Full);
        };
        let now = now_ms();
        let id: i64 =
            match existing {
                // Registered again after cancelling: the same row, at the end
                // of the queue.
                Some(row) => {
                    let id: i64 = row.try_get("id")?;
                    sqlx::query(
                    "UPDATE registrations SET name = $1, company = $2, status = $3, cancel_hash = $4, created_at = $5, \
                     reminded_at = NULL, replay_sent_at = NULL WHERE id = $6",
                )
                .bind(who.name)
                .bind(who.company)
                .bind(status)
                .bind(who.cancel_hash)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                    id
                }
                None => sqlx::query_scalar(
                    "INSERT INTO registrations (resource_id, email, name, company, status, cancel_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(who.resource_id)
                .bind(who.email)
                .bind(who.name)
                .bind(who.company)
                .bind(status)
                .bind(who.cancel_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?,
            };
        let seat = if status == "confirmed" {
            Seat::Confirmed
        } else {
            Seat::Waiting(position(&mut tx, who.resource_id, id).await?)
        };
        let (mail, file) = letter(seat);
        enqueue_with(&mut tx, &mail, None, file.as_ref()).await?;
        tx.commit().await?;
        Ok(seat)
    }

    /// The registration a cancel link names, if it still holds a seat or a
    /// place on the waiting list.
    pub async fn registration_to_cancel(&self, cancel_hash: &str) -> Result<Option<Registration>, StoreError> {
        let row = sqlx::query(
            "SELECT id, resource_id, email, name, status FROM registrations \
             WHERE cancel_hash = $1 AND status <> 'cancelled'",
        )
        .bind(cancel_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(registration_from_row).transpose()?)
    }

    /// Cancels the registration of the link; a seat freed goes to the first
    /// one waiting, who gets the mail `promoted` builds. `None` when the
    /// link holds nothing (used already, or unknown).
    pub async fn cancel_registration(
        &self,
        cancel_hash: &str,
        promoted: impl FnOnce(&Registration) -> Letter,
    ) -> Result<Option<Registration>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(r) = sqlx::query(
            "SELECT id, resource_id, email, name, status FROM registrations \
             WHERE cancel_hash = $1 AND status <> 'cancelled'",
        )
        .bind(cancel_hash)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(registration_from_row)
        .transpose()?
        else {
            return Ok(None);
        };
        lock_webinar(&mut tx, &r.resource_id).await?;
        let changed = sqlx::query("UPDATE registrations SET status = 'cancelled' WHERE id = $1 AND status = $2")
            .bind(r.id)
            .bind(&r.status)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Ok(None);
        }
        if r.status == "confirmed" {
            let next = sqlx::query(
                "SELECT id, resource_id, email, name, status FROM registrations \
                 WHERE resource_id = $1 AND status = 'waiting' ORDER BY created_at, id LIMIT 1",
            )
            .bind(&r.resource_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(next) = next.as_ref().map(registration_from_row).transpose()? {
                sqlx::query("UPDATE registrations SET status = 'confirmed' WHERE id = $1")
                    .bind(next.id)
                    .execute(&mut *tx)
                    .await?;
                let (mail, file) = promoted(&next);
                enqueue_with(&mut tx, &mail, None, file.as_ref()).await?;
            }
        }
        tx.commit().await?;
        Ok(Some(r))
    }

    pub async fn attendance(&self, resource_id: &str) -> Result<Attendance, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM registrations WHERE resource_id = $1 AND status <> 'cancelled' GROUP BY status",
        )
        .bind(resource_id)
        .fetch_all(&self.pool)
        .await?;
        let mut a = Attendance::default();
        for r in rows {
            let (status, n): (String, i64) = (r.try_get("status")?, r.try_get("n")?);
            match status.as_str() {
                "confirmed" => a.confirmed = n,
                _ => a.waiting = n,
            }
        }
        Ok(a)
    }

    /// Writes, once each, the mail that `letter` builds for every seated
    /// registrant of the webinar not yet reminded; returns how many.
    pub async fn send_reminders(
        &self,
        resource_id: &str,
        letter: impl Fn(&Registration) -> Letter,
    ) -> Result<usize, StoreError> {
        self.send_once(resource_id, "reminded_at", "status = 'confirmed'", letter).await
    }

    /// Same for the replay link, to every registrant (seated or waiting).
    pub async fn send_replay_links(
        &self,
        resource_id: &str,
        letter: impl Fn(&Registration) -> Letter,
    ) -> Result<usize, StoreError> {
        self.send_once(resource_id, "replay_sent_at", "status <> 'cancelled'", letter).await
    }

    async fn send_once(
        &self,
        resource_id: &str,
        column: &'static str,
        who: &'static str,
        letter: impl Fn(&Registration) -> Letter,
    ) -> Result<usize, StoreError> {
        // A batch at a time: a webinar of 10,000 seats writes its mails in
        // bounded transactions.
        const BATCH: i64 = 200;
        let mut sent = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query(&format!(
                "SELECT id, resource_id, email, name, status FROM registrations \
                 WHERE resource_id = $1 AND {who} AND {column} IS NULL ORDER BY id LIMIT $2"
            ))
            .bind(resource_id)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            let n = rows.len() as i64;
            for row in &rows {
                let r = registration_from_row(row)?;
                // Another node may have taken it: only the one that sets
                // the column writes the mail.
                let won =
                    sqlx::query(&format!("UPDATE registrations SET {column} = $1 WHERE id = $2 AND {column} IS NULL"))
                        .bind(now_ms())
                        .bind(r.id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        == 1;
                if won {
                    let (mail, file) = letter(&r);
                    enqueue_with(&mut tx, &mail, None, file.as_ref()).await?;
                    sent += 1;
                }
            }
            tx.commit().await?;
            if n < BATCH {
                return Ok(sent);
            }
        }
    }
}

#[cfg(test)]
mod tests;
