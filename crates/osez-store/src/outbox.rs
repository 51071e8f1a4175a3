//! The outbox: e-mail written in the transaction that causes it, and taken
//! by the delivery worker. A worker takes a message by pushing its next
//! attempt forward (a lease) with a conditional update, so two nodes never
//! send it at the same time, and a worker killed mid-send leaves it to be
//! taken again when the lease ends.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, now_ms};

/// An e-mail to be written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// `<random@domain>`, fixed once: a retry is the same message.
    pub message_id: String,
    /// What the mail is for (`contact_adviser`, `contact_receipt`, …).
    pub kind: &'static str,
    pub to: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body: String,
}

/// A file a mail carries (the `.ics` of an event), as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub name: String,
    /// Its `Content-Type` (`text/calendar; charset=utf-8; method=PUBLISH`).
    pub content_type: String,
    pub body: String,
}

/// A mail taken for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub to: String,
    pub reply_to: Option<String>,
    pub subject: String,
    pub body: String,
    pub created_at_ms: i64,
    /// Attempts made, this one included.
    pub attempts: i64,
    pub attachment: Option<MailAttachment>,
}

/// The outbox at a glance, for the back office.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    pub pending: i64,
    /// Given up in the last 7 days.
    pub failed: i64,
    pub sent: i64,
    pub oldest_pending_ms: Option<i64>,
}

pub(crate) async fn enqueue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    mail: &NewMail,
    contact_id: Option<i64>,
) -> Result<(), StoreError> {
    enqueue_with(tx, mail, contact_id, None).await
}

/// Same, with a file.
pub(crate) async fn enqueue_with(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    mail: &NewMail,
    contact_id: Option<i64>,
    attachment: Option<&MailAttachment>,
) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO outbox (message_id, kind, contact_id, to_addr, reply_to, subject, body, created_at, next_attempt_at, \
         attachment_name, attachment_type, attachment_body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)",
    )
    .bind(&mail.message_id)
    .bind(mail.kind)
    .bind(contact_id)
    .bind(&mail.to)
    .bind(mail.reply_to.clone())
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(now)
    .bind(attachment.map(|a| a.name.clone()))
    .bind(attachment.map(|a| a.content_type.clone()))
    .bind(attachment.map(|a| a.body.clone()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn mail_from_row(r: &AnyRow) -> Result<OutboxMail, StoreError> {
    Ok(OutboxMail {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        kind: r.try_get("kind")?,
        to: r.try_get("to_addr")?,
        reply_to: r.try_get("reply_to")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        created_at_ms: r.try_get("created_at")?,
        attempts: r.try_get("attempts")?,
        attachment: match (
            r.try_get::<Option<String>, _>("attachment_name")?,
            r.try_get::<Option<String>, _>("attachment_type")?,
            r.try_get::<Option<String>, _>("attachment_body")?,
        ) {
            (Some(name), Some(content_type), Some(body)) => Some(MailAttachment { name, content_type, body }),
            _ => None,
        },
    })
}

impl Store {
    /// Writes one mail to the outbox on its own.
    pub async fn enqueue_mail(&self, mail: &NewMail) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        enqueue(&mut tx, mail, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Same, with a file.
    pub async fn enqueue_mail_with(&self, mail: &NewMail, attachment: &MailAttachment) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        enqueue_with(&mut tx, mail, None, Some(attachment)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes up to `limit` mails that are due, each for `lease_ms`: until
    /// then no other worker takes them.
    pub async fn take_due_mail(&self, limit: i64, lease_ms: i64) -> Result<Vec<OutboxMail>, StoreError> {
        let now = now_ms();
        let due: Vec<(i64, i64)> = sqlx::query(
            "SELECT id, next_attempt_at FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("next_attempt_at")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        let mut taken = Vec::new();
        for (id, seen) in due {
            let won = sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL AND failed_at IS NULL",
            )
            .bind(now + lease_ms)
            .bind(id)
            .bind(seen)
            .execute(&self.pool)
            .await?
            .rows_affected()
                == 1;
            if won {
                let row = sqlx::query(
                    "SELECT id, message_id, kind, to_addr, reply_to, subject, body, created_at, attempts, \
                     attachment_name, attachment_type, attachment_body FROM outbox WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                taken.push(mail_from_row(&row)?);
            }
        }
        Ok(taken)
    }

    /// The SMTP server accepted the mail.
    pub async fn mail_sent(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The attempt failed: try again at `retry_at_ms`, or give up
    /// (`retry_at_ms` `None`: a permanent refusal, or too old).
    pub async fn mail_failed(&self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<(), StoreError> {
        let error: String = error.chars().take(500).collect();
        match retry_at_ms {
            Some(at) => sqlx::query("UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3").bind(at),
            None => sqlx::query("UPDATE outbox SET failed_at = $1, last_error = $2 WHERE id = $3").bind(now_ms()),
        }
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When the next mail falls due, if any waits.
    pub async fn next_mail_due_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn outbox_status(&self) -> Result<OutboxStatus, StoreError> {
        let r = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
               COALESCE(SUM(CASE WHEN failed_at > $1 THEN 1 ELSE 0 END), 0) AS failed, \
               COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
               MIN(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN created_at END) AS oldest \
             FROM outbox",
        )
        .bind(now_ms() - 7 * 24 * 3600 * 1000)
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxStatus {
            pending: r.try_get("pending")?,
            failed: r.try_get("failed")?,
            sent: r.try_get("sent")?,
            oldest_pending_ms: r.try_get("oldest")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::stores;

    fn mail(n: u32) -> NewMail {
        NewMail {
            message_id: format!("<{n}@osez.test>"),
            kind: "test",
            to: format!("dest{n}@exemple.fr"),
            reply_to: None,
            subject: format!("Objet {n}"),
            body: "Corps".into(),
        }
    }

    #[tokio::test]
    async fn a_taken_mail_is_not_taken_again_until_its_lease_ends() {
        for (backend, store) in stores().await {
            store.enqueue_mail(&mail(1)).await.unwrap();
            store.enqueue_mail(&mail(2)).await.unwrap();
            let first = store.take_due_mail(10, 60_000).await.unwrap();
            assert_eq!(first.len(), 2, "{backend}");
            assert_eq!(first[0].attempts, 1, "{backend}");
            assert!(store.take_due_mail(10, 60_000).await.unwrap().is_empty(), "{backend}: leased");
            store.mail_sent(first[0].id).await.unwrap();
            // A lease of 0 ms has ended at once: the mail not marked sent
            // comes back, the sent one never does.
            store.mail_failed(first[1].id, "connexion refusée", Some(now_ms() - 1)).await.unwrap();
            let again = store.take_due_mail(10, 0).await.unwrap();
            assert_eq!(again.iter().map(|m| m.message_id.as_str()).collect::<Vec<_>>(), ["<2@osez.test>"], "{backend}");
            assert_eq!(again[0].attempts, 2, "{backend}");
            store.mail_failed(again[0].id, "refus définitif", None).await.unwrap();
            assert!(store.take_due_mail(10, 0).await.unwrap().is_empty(), "{backend}: given up");
            let s = store.outbox_status().await.unwrap();
            assert_eq!((s.pending, s.failed, s.sent), (0, 1, 1), "{backend}");
        }
    }

    #[tokio::test]
    async fn the_message_id_is_unique() {
        for (backend, store) in stores().await {
            store.enqueue_mail(&mail(1)).await.unwrap();
            assert!(store.enqueue_mail(&mail(1)).await.is_err(), "{backend}");
            assert_eq!(store.outbox_status().await.unwrap().pending, 1, "{backend}");
        }
    }
}
