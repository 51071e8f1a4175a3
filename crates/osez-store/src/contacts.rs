//! Messages to the team and to advisers, the team's answers, the outcomes
//! advisers record, and people's rights over their data: a copy of what is
//! held, erasure, and the end of retention. Erasure blanks the personal
//! fields and keeps the rest (department, need, outcome), so that counts
//! stay true without telling who wrote.

use osez_core::AdviserId;
use osez_core::contact::{ContactForm, ContactStatus, Need, Outcome};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::audit;
use crate::outbox::{NewMail, enqueue};
use crate::{Store, StoreError, now_ms};

/// Whom a message is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Team,
    /// `via_team`: the adviser has no account; the team passes it on.
    Adviser {
        id: AdviserId,
        via_team: bool,
    },
}

/// A spent anti-spam challenge: its key, and until when it could be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentChallenge {
    pub key: String,
    pub expires_at_ms: i64,
}

/// What recording a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Saved(i64),
    /// The challenge was already used: nothing saved.
    Replayed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactMessage {
    pub id: i64,
    pub recipient: String,
    pub adviser_id: Option<String>,
    pub adviser_name: Option<String>,
    pub via_team: bool,
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    pub commune_label: String,
    pub department: String,
    pub need: String,
    pub message: String,
    pub status: String,
    pub assigned_to: Option<String>,
    pub outcome: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub replies: Vec<Reply>,
}

impl ContactMessage {
    pub fn status(&self) -> ContactStatus {
        ContactStatus::from_slug(&self.status).unwrap_or(ContactStatus::New)
    }

    pub fn need(&self) -> Option<Need> {
        Need::from_slug(&self.need)
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome.as_deref().and_then(Outcome::from_slug)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub author: String,
    pub subject: String,
    pub body: String,
    pub created_at_ms: i64,
}

/// Which messages a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxQuery {
    pub status: Option<ContactStatus>,
    /// Assigned to this user id.
    pub assigned_to: Option<i64>,
}

/// Messages to advisers, counted by department and need, with what came
/// of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeCount {
    pub department: String,
    pub need: String,
    pub total: i64,
    pub met: i64,
    pub quote_sent: i64,
    pub no_follow_up: i64,
}

impl OutcomeCount {
    /// Messages whose adviser has recorded nothing yet.
    pub fn unknown(&self) -> i64 {
        self.total - self.met - self.quote_sent - self.no_follow_up
    }
}

pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.recipient, m.adviser_id, a.name AS adviser_name, m.via_team, m.name, m.email, \
     m.company, m.commune_label, m.department, m.need, m.message, m.status, u.email AS assignee, m.outcome, \
     m.created_at, m.updated_at";
pub(crate) const MESSAGE_FROM: &str = "contact_messages m LEFT JOIN advisers a ON a.id = m.adviser_id \
     LEFT JOIN users u ON u.id = m.assigned_to";

pub(crate) fn message_from_row(r: &AnyRow) -> Result<ContactMessage, StoreError> {
    Ok(ContactMessage {
        id: r.try_get("id")?,
        recipient: r.try_get("recipient")?,
        adviser_id: r.try_get("adviser_id")?,
        adviser_name: r.try_get("adviser_name")?,
        via_team: r.try_get::<i64, _>("via_team")? != 0,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        company: r.try_get("company")?,
        commune_label: r.try_get("commune_label")?,
        department: r.try_get("department")?,
        need: r.try_get("need")?,
        message: r.try_get("message")?,
        status: r.try_get("status")?,
        assigned_to: r.try_get("assignee")?,
        outcome: r.try_get("outcome")?,
        created_at_ms: r.try_get("created_at")?,
        updated_at_ms: r.try_get("updated_at")?,
        replies: Vec::new(),
    })
}

/// Spends a challenge in `tx`; false if it was spent before.
pub(crate) async fn spend(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    challenge: &SpentChallenge,
) -> Result<bool, StoreError> {
    Ok(sqlx::query("INSERT INTO used_challenges (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(&challenge.key)
        .bind(challenge.expires_at_ms)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1)
}

impl Store {
    /// The addresses that receive an adviser's messages: its accounts that
    /// are not disabled.
    pub async fn adviser_addresses(&self, adviser: &AdviserId) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT email FROM users WHERE adviser_id = $1 AND disabled = 0 ORDER BY id")
            .bind(adviser.as_str())
            .fetch_all(&self.pool)
            .await?)
    }

    /// Records a message and its mails in one transaction, spending the
    /// anti-spam challenge: a challenge seen before saves nothing.
    pub async fn record_contact(
        &self,
        recipient: &Recipient,
        form: &ContactForm,
        mails: &[NewMail],
        challenge: &SpentChallenge,
    ) -> Result<Recorded, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let fresh = spend(&mut tx, challenge).await?;
        if !fresh {
            return Ok(Recorded::Replayed);
        }
        let (kind, adviser, via_team) = match recipient {
            Recipient::Team => ("team", None, false),
            Recipient::Adviser { id, via_team } => ("adviser", Some(id.as_str().to_string()), *via_team),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO contact_messages (recipient, adviser_id, via_team, name, email, company, commune_insee, \
             commune_label, message, department, need, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'new', $12, $12) RETURNING id",
        )
        .bind(kind)
        .bind(adviser)
        .bind(via_team as i64)
        .bind(&form.name)
        .bind(form.email.as_str())
        .bind(form.company.clone())
        .bind(&form.commune_insee)
        .bind(&form.commune_label)
        .bind(&form.message)
        .bind(&form.department)
        .bind(form.need.slug())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for mail in mails {
            enqueue(&mut tx, mail, Some(id)).await?;
        }
        tx.commit().await?;
        Ok(Recorded::Saved(id))
    }

    /// Spends a challenge on its own (forms that save nothing else). False
    /// if it was spent before.
    pub async fn spend_challenge(&self, challenge: &SpentChallenge) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let fresh = spend(&mut tx, challenge).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// The team's inbox: messages to the team, and those to advisers
    /// without an account. Newest first.
    pub async fn team_inbox(&self, q: &InboxQuery) -> Result<Vec<ContactMessage>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.erased_at IS NULL AND (m.recipient = 'team' OR m.via_team = 1) \
             AND ($1 = '' OR m.status = $1) AND ($2 = 0 OR m.assigned_to = $2) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT 500"
        ))
        .bind(q.status.map(ContactStatus::slug).unwrap_or(""))
        .bind(q.assigned_to.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// Messages sent to one adviser, newest first.
    pub async fn adviser_requests(&self, adviser: &str) -> Result<Vec<ContactMessage>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} \
             WHERE m.erased_at IS NULL AND m.recipient = 'adviser' AND m.adviser_id = $1 \
             ORDER BY m.created_at DESC, m.id DESC LIMIT 500"
        ))
        .bind(adviser)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// One message with its answers.
    pub async fn contact_message(&self, id: i64) -> Result<Option<ContactMessage>, StoreError> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = $1 AND m.erased_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let mut m = message_from_row(&row)?;
        m.replies = self.replies(id).await?;
        Ok(Some(m))
    }

    pub(crate) async fn replies(&self, contact_id: i64) -> Result<Vec<Reply>, StoreError> {
        let rows = sqlx::query(
            "SELECT author, subject, body, created_at FROM contact_replies WHERE contact_id = $1 ORDER BY id",
        )
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Reply {
                    author: r.try_get("author")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    created_at_ms: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Sets the status and the assignee of a message; logged. False if the
    /// message does not exist (or was erased).
    pub async fn update_contact(
        &self,
        id: i64,
        status: ContactStatus,
        assigned_to: Option<i64>,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Write first: on SQLite a transaction that reads then writes fails
        // at once (busy) if another write committed in between.
        sqlx::query("UPDATE contact_messages SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let before = sqlx::query(
            "SELECT m.status, u.email FROM contact_messages m LEFT JOIN users u ON u.id = m.assigned_to \
             WHERE m.id = $1 AND m.erased_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else { return Ok(false) };
        sqlx::query("UPDATE contact_messages SET status = $1, assigned_to = $2, updated_at = $3 WHERE id = $4")
            .bind(status.slug())
            .bind(assigned_to)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let assignee: Option<String> = match assigned_to {
            Some(u) => {
                sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(u).fetch_optional(&mut *tx).await?
            }
            None => None,
        };
        let show =
            |status: &str, who: Option<String>| serde_json::json!({ "statut": status, "attribue_a": who }).to_string();
        audit(
            &mut tx,
            actor,
            "message.suivi",
            &format!("message:{id}"),
            Some(&show(&before.try_get::<String, _>(0)?, before.try_get(1)?)),
            Some(&show(status.slug(), assignee)),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Keeps the team's answer with the message, sends it (through the
    /// outbox) and marks the message in progress, in one transaction.
    pub async fn answer_contact(
        &self,
        id: i64,
        author: &str,
        subject: &str,
        body: &str,
        mail: &NewMail,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let open = sqlx::query(
            "UPDATE contact_messages SET status = CASE WHEN status = 'new' THEN 'open' ELSE status END, \
             updated_at = $1 WHERE id = $2 AND erased_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !open {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO contact_replies (contact_id, author, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(author)
        .bind(subject)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        enqueue(&mut tx, mail, Some(id)).await?;
        audit(&mut tx, author, "message.reponse", &format!("message:{id}"), None, None).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The adviser records what came of a message sent to them. False if
    /// the message is not theirs.
    pub async fn record_outcome(&self, id: i64, adviser: &str, outcome: Outcome) -> Result<bool, StoreError> {
        let now = now_ms();
        Ok(sqlx::query(
            "UPDATE contact_messages SET outcome = $1, outcome_at = $2, updated_at = $2, status = 'closed' \
             WHERE id = $3 AND adviser_id = $4 AND recipient = 'adviser' AND erased_at IS NULL",
        )
        .bind(outcome.slug())
        .bind(now)
        .bind(id)
        .bind(adviser)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Messages to advisers since `from_ms`, by department and need, with
    /// what came of them. Erased messages count: only their personal
    /// fields are gone.
    pub async fn contact_outcomes(&self, from_ms: i64) -> Result<Vec<OutcomeCount>, StoreError> {
        let rows = sqlx::query(
            "SELECT department, need, COUNT(*) AS total, \
               COALESCE(SUM(CASE WHEN outcome = 'met' THEN 1 ELSE 0 END), 0) AS met, \
               COALESCE(SUM(CASE WHEN outcome = 'quote_sent' THEN 1 ELSE 0 END), 0) AS quote_sent, \
               COALESCE(SUM(CASE WHEN outcome = 'no_follow_up' THEN 1 ELSE 0 END), 0) AS no_follow_up \
             FROM contact_messages WHERE recipient = 'adviser' AND created_at >= $1 \
             GROUP BY department, need ORDER BY department, need",
        )
        .bind(from_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutcomeCount {
                    department: r.try_get("department")?,
                    need: r.try_get("need")?,
                    total: r.try_get("total")?,
                    met: r.try_get("met")?,
                    quote_sent: r.try_get("quote_sent")?,
                    no_follow_up: r.try_get("no_follow_up")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
