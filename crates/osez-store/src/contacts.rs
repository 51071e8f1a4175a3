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

use crate::accounts::audit;
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

/// Everything held about one e-mail address, for the person's own copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PersonalData {
    pub email: String,
    pub messages: Vec<ContactMessage>,
    /// Mails sent or waiting to be sent to this address.
    pub mails: Vec<MailCopy>,
    /// A back-office or adviser account with this address.
    pub account: Option<AccountCopy>,
    /// Claims of a profile ("C'est ma structure") made with this address.
    pub claims: Vec<ClaimCopy>,
}

impl PersonalData {
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty() && self.mails.is_empty() && self.account.is_none() && self.claims.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimCopy {
    pub adviser_id: String,
    pub siret: String,
    pub message: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailCopy {
    pub subject: String,
    pub body: String,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountCopy {
    pub role: String,
    pub adviser_id: Option<String>,
    pub created_at_ms: i64,
    pub applications: i64,
}

/// What an erasure or a purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub messages: u64,
    pub mails: u64,
    /// Searches that found nothing, deleted by the retention purge: their
    /// free text may name a person.
    pub searches: u64,
}

const MESSAGE_COLUMNS: &str = "m.id, m.recipient, m.adviser_id, a.name AS adviser_name, m.via_team, m.name, m.email, \
     m.company, m.commune_label, m.department, m.need, m.message, m.status, u.email AS assignee, m.outcome, \
     m.created_at, m.updated_at";
const MESSAGE_FROM: &str = "contact_messages m LEFT JOIN advisers a ON a.id = m.adviser_id \
     LEFT JOIN users u ON u.id = m.assigned_to";

fn message_from_row(r: &AnyRow) -> Result<ContactMessage, StoreError> {
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

async fn erase_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, email: &str) -> Result<Erased, StoreError> {
    // Writes first (see `update_contact`).
    sqlx::query("DELETE FROM data_requests WHERE email = $1 AND used_at IS NULL")
        .bind(email)
        .execute(&mut **tx)
        .await?;
    let mut erased = erase_where(tx, "email = $1 AND $2 = 0", email, 0).await?;
    erased.mails += sqlx::query(&format!("DELETE FROM outbox WHERE to_addr = $1 AND {OWN_MAIL}"))
        .bind(email)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM data_requests WHERE email = $1").bind(email).execute(&mut **tx).await?;
    // A claim is the person's words; an accepted one lives on as the account
    // (which erasure does not close) and the decision in the audit log.
    sqlx::query("DELETE FROM claims WHERE email = $1").bind(email).execute(&mut **tx).await?;
    let after = serde_json::json!({ "messages": erased.messages, "courriels": erased.mails }).to_string();
    audit(tx, "anonyme", "donnees.effacement", "personne", None, Some(&after)).await?;
    Ok(erased)
}

/// Spends a link in `tx`: its address, once.
async fn spend_link(tx: &mut sqlx::Transaction<'_, sqlx::Any>, token_hash: &str) -> Result<Option<String>, StoreError> {
    let now = now_ms();
    let spent = sqlx::query(
        "UPDATE data_requests SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !spent {
        return Ok(None);
    }
    Ok(sqlx::query_scalar("SELECT email FROM data_requests WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut **tx)
        .await?)
}

/// Blanks the personal fields of the messages `filter` selects (a `WHERE`
/// on `contact_messages`, binding `$1` and `$2`), deletes their answers and
/// mails; counts stay.
async fn erase_where(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    filter: &str,
    a: &str,
    b: i64,
) -> Result<Erased, StoreError> {
    let now = now_ms();
    let ids: Vec<i64> =
        sqlx::query_scalar(&format!("SELECT id FROM contact_messages WHERE erased_at IS NULL AND {filter}"))
            .bind(a)
            .bind(b)
            .fetch_all(&mut **tx)
            .await?;
    let mut erased = Erased::default();
    for id in ids {
        sqlx::query("DELETE FROM contact_replies WHERE contact_id = $1").bind(id).execute(&mut **tx).await?;
        erased.mails +=
            sqlx::query("DELETE FROM outbox WHERE contact_id = $1").bind(id).execute(&mut **tx).await?.rows_affected();
        sqlx::query(
            "UPDATE contact_messages SET name = '', email = '', company = NULL, commune_insee = '', \
             commune_label = '', message = '', erased_at = $1, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        erased.messages += 1;
    }
    Ok(erased)
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

/// Mails sent to a person about their own requests: their receipts, the
/// team's answers, their data links, their account's links and notices,
/// the decisions on their claims and applications. Mails they received as an adviser or
/// as the team are about other people, and are not theirs to copy or erase.
const OWN_MAIL: &str = "kind IN ('contact_receipt', 'answer', 'data_access', 'password_reset', 'account_exists', \
                        'invitation', 'claim_refused', 'application_changes', 'application_refused', \
                        'application_accepted')";

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

    async fn replies(&self, contact_id: i64) -> Result<Vec<Reply>, StoreError> {
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

    /// Whether anything is held about an address (lower-cased).
    pub async fn holds_personal_data(&self, email: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM contact_messages WHERE email = $1 AND erased_at IS NULL) \
             + (SELECT COUNT(*) FROM outbox WHERE to_addr = $1 AND {OWN_MAIL}) \
             + (SELECT COUNT(*) FROM users WHERE email = $1) \
             + (SELECT COUNT(*) FROM claims WHERE email = $1)"
        ))
        .bind(email)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Everything held about an address (lower-cased).
    pub async fn personal_data(&self, email: &str) -> Result<PersonalData, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.email = $1 AND m.erased_at IS NULL ORDER BY m.id"
        ))
        .bind(email)
        .fetch_all(&self.pool)
        .await?;
        let mut messages = Vec::new();
        for r in &rows {
            let mut m = message_from_row(r)?;
            m.replies = self.replies(m.id).await?;
            // Who in the team handled it is not the person's data.
            m.assigned_to = None;
            for r in &mut m.replies {
                r.author = "l'équipe France Num".into();
            }
            messages.push(m);
        }
        let mails = sqlx::query(&format!(
            "SELECT subject, body, created_at, sent_at FROM outbox WHERE to_addr = $1 AND {OWN_MAIL} ORDER BY id"
        ))
        .bind(email)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(MailCopy {
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
                created_at_ms: r.try_get("created_at")?,
                sent_at_ms: r.try_get("sent_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let account = sqlx::query(
            "SELECT role, adviser_id, created_at, (SELECT COUNT(*) FROM applications p WHERE p.user_id = u.id) AS n \
             FROM users u WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| -> Result<AccountCopy, StoreError> {
            Ok(AccountCopy {
                role: r.try_get("role")?,
                adviser_id: r.try_get("adviser_id")?,
                created_at_ms: r.try_get("created_at")?,
                applications: r.try_get("n")?,
            })
        })
        .transpose()?;
        let claims = sqlx::query(
            "SELECT adviser_id, siret, message, status, reason, created_at FROM claims WHERE email = $1 ORDER BY id",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ClaimCopy {
                adviser_id: r.try_get("adviser_id")?,
                siret: r.try_get("siret")?,
                message: r.try_get("message")?,
                status: r.try_get("status")?,
                reason: r.try_get("reason")?,
                created_at_ms: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(PersonalData { email: email.to_string(), messages, mails, account, claims })
    }

    /// Erases the messages of an address and the mails sent to it about
    /// them; the anonymous counts stay. Logged without the address.
    pub async fn erase_personal_data(&self, email: &str) -> Result<Erased, StoreError> {
        let mut tx = self.pool.begin().await?;
        let erased = erase_in(&mut tx, email).await?;
        tx.commit().await?;
        Ok(erased)
    }

    /// Spends a single-use link and erases the data of its address, in one
    /// transaction: `None` (nothing done) if the link was used, expired or
    /// never existed.
    pub async fn erase_by_link(&self, token_hash: &str) -> Result<Option<Erased>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let Some(email) = spend_link(&mut tx, token_hash).await? else { return Ok(None) };
        let erased = erase_in(&mut tx, &email).await?;
        tx.commit().await?;
        Ok(Some(erased))
    }

    /// The end of retention: messages older than `cutoff_ms` lose their
    /// personal fields; mails sent before `cutoff_ms`, searches without
    /// results recorded before it, spent challenges and dead links go.
    pub async fn purge_before(&self, cutoff_ms: i64) -> Result<Erased, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        // Writes first (see `update_contact`).
        sqlx::query("DELETE FROM used_challenges WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
        let mut erased = erase_where(&mut tx, "created_at < $2 AND $1 = ''", "", cutoff_ms).await?;
        erased.mails +=
            sqlx::query("DELETE FROM outbox WHERE created_at < $1 AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)")
                .bind(cutoff_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query("DELETE FROM data_requests WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
        erased.searches = sqlx::query("DELETE FROM zero_result_searches WHERE created_at < $1")
            .bind(cutoff_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(erased)
    }

    /// Records a single-use link to one's data (hash only) and the mail
    /// that carries it, together; spends the anti-spam challenge. False if
    /// the challenge was spent before (nothing saved). Without a mail
    /// (nothing is held about the address), only the challenge is spent.
    pub async fn create_data_request(
        &self,
        token_hash: &str,
        email: &str,
        expires_at_ms: i64,
        mail: Option<&NewMail>,
        challenge: &SpentChallenge,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let fresh = spend(&mut tx, challenge).await?;
        if !fresh {
            return Ok(false);
        }
        if let Some(mail) = mail {
            sqlx::query(
                "INSERT INTO data_requests (token_hash, email, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(email)
            .bind(now_ms())
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?;
            enqueue(&mut tx, mail, None).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The address of a link still usable, without spending it.
    pub async fn data_request_email(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM data_requests WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Spends a link: its address, once; `None` if it was used, expired or
    /// never existed.
    pub async fn spend_data_request(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let email = spend_link(&mut tx, token_hash).await?;
        tx.commit().await?;
        Ok(email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::stores;
    use osez_core::contact::RawContact;
    use osez_core::{Geography, demo};

    fn form(geo: &Geography, email: &str, commune: &str, need: &str) -> ContactForm {
        RawContact {
            name: "Camille Martin".into(),
            email: email.into(),
            company: String::new(),
            commune: commune.into(),
            need: need.into(),
            message: "Bonjour, j'aimerais un rendez-vous.".into(),
        }
        .check(geo)
        .unwrap()
    }

    fn mail(n: &str, to: &str) -> NewMail {
        NewMail {
            message_id: format!("<{n}@osez.test>"),
            kind: "contact_receipt",
            to: to.into(),
            reply_to: None,
            subject: "Votre message".into(),
            body: "Nous avons bien reçu votre message.".into(),
        }
    }

    fn challenge(key: &str) -> SpentChallenge {
        SpentChallenge { key: key.into(), expires_at_ms: now_ms() + 60_000 }
    }

    /// A claim ("C'est ma structure") and the mails about a person's own
    /// account and applications are theirs: in the copy, and erased.
    #[tokio::test]
    async fn claims_and_account_mails_are_in_the_copy_and_erased() {
        let geo = Geography::embedded().unwrap();
        let adviser = &demo::generate(&geo, 1)[0];
        for (backend, store) in stores().await {
            store.upsert_advisers(std::slice::from_ref(adviser)).await.unwrap();
            let email = osez_core::account::Email::parse("dirigeante@exemple.fr").unwrap();
            let claim = crate::NewClaim {
                adviser: adviser.id.as_str(),
                email: &email,
                siret: "73282932000074",
                message: "C'est notre structure.",
            };
            store.record_claim(&claim, &challenge("c1")).await.unwrap();
            let mut refused = mail("r", "dirigeante@exemple.fr");
            refused.kind = "claim_refused";
            store.enqueue_mail(&refused).await.unwrap();

            assert!(store.holds_personal_data("dirigeante@exemple.fr").await.unwrap(), "{backend}");
            let copy = store.personal_data("dirigeante@exemple.fr").await.unwrap();
            assert_eq!(copy.claims.len(), 1, "{backend}");
            assert_eq!(copy.claims[0].message, "C'est notre structure.");
            assert_eq!(copy.mails.len(), 1, "{backend}: the refusal is the person's mail");
            store.erase_personal_data("dirigeante@exemple.fr").await.unwrap();
            assert!(store.personal_data("dirigeante@exemple.fr").await.unwrap().is_empty(), "{backend}");
            assert!(!store.holds_personal_data("dirigeante@exemple.fr").await.unwrap(), "{backend}");
        }
    }

    #[tokio::test]
    async fn a_replayed_challenge_saves_nothing() {
        let geo = Geography::embedded().unwrap();
        for (backend, store) in stores().await {
            let f = form(&geo, "camille@exemple.fr", "69003", "ia_generative");
            let first =
                store.record_contact(&Recipient::Team, &f, &[mail("a", "camille@exemple.fr")], &challenge("k1")).await;
            assert!(matches!(first.unwrap(), Recorded::Saved(_)), "{backend}");
            let again =
                store.record_contact(&Recipient::Team, &f, &[mail("b", "camille@exemple.fr")], &challenge("k1")).await;
            assert_eq!(again.unwrap(), Recorded::Replayed, "{backend}");
            assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");
            assert_eq!(store.outbox_status().await.unwrap().pending, 1, "{backend}: the second mail was not kept");
            // A mail that cannot be written (same Message-ID) undoes the message.
            let clash =
                store.record_contact(&Recipient::Team, &f, &[mail("a", "x@exemple.fr")], &challenge("k2")).await;
            assert!(clash.is_err(), "{backend}");
            assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");
            assert!(store.spend_challenge(&challenge("k2")).await.unwrap(), "{backend}: k2 was rolled back");
        }
    }

    #[tokio::test]
    async fn the_team_follows_messages_and_advisers_record_outcomes() {
        let geo = Geography::embedded().unwrap();
        let advisers: Vec<_> = demo::generate(&geo, 1).into_iter().take(2).collect();
        let (a, b) = (&advisers[0].id, &advisers[1].id);
        for (backend, store) in stores().await {
            store.upsert_advisers(&advisers).await.unwrap();
            let to_a = Recipient::Adviser { id: a.clone(), via_team: false };
            let to_b = Recipient::Adviser { id: b.clone(), via_team: true };
            let mut ids = Vec::new();
            for (i, (to, commune, need)) in [
                (&to_a, "69003", "ia_generative"),
                (&to_a, "69001", "ia_generative"),
                (&to_a, "13001", "cybersecurite"),
                (&to_b, "69002", "ia_generative"),
                (&Recipient::Team, "75001", "autre"),
            ]
            .into_iter()
            .enumerate()
            {
                let f = form(&geo, &format!("p{i}@exemple.fr"), commune, need);
                match store.record_contact(to, &f, &[], &challenge(&format!("c{i}"))).await.unwrap() {
                    Recorded::Saved(id) => ids.push(id),
                    Recorded::Replayed => panic!("{backend}"),
                }
            }
            let inbox = store.team_inbox(&InboxQuery::default()).await.unwrap();
            assert_eq!(inbox.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[4], ids[3]], "{backend}: team + via team");
            assert_eq!(store.adviser_requests(a.as_str()).await.unwrap().len(), 3, "{backend}");
            assert!(store.record_outcome(ids[0], a.as_str(), Outcome::Met).await.unwrap(), "{backend}");
            assert!(store.record_outcome(ids[1], a.as_str(), Outcome::QuoteSent).await.unwrap(), "{backend}");
            assert!(!store.record_outcome(ids[3], a.as_str(), Outcome::Met).await.unwrap(), "{backend}: not theirs");
            let reply = mail("r", "p4@exemple.fr");
            assert!(store.answer_contact(ids[4], "equipe@osez.test", "Re", "Voici.", &reply).await.unwrap());
            let m = store.contact_message(ids[4]).await.unwrap().unwrap();
            assert_eq!((m.status(), m.replies.len()), (ContactStatus::Open, 1), "{backend}");
            assert!(store.update_contact(ids[4], ContactStatus::Closed, None, "equipe@osez.test").await.unwrap());
            let closed = InboxQuery { status: Some(ContactStatus::Closed), assigned_to: None };
            assert_eq!(store.team_inbox(&closed).await.unwrap().len(), 1, "{backend}");

            // Erasure keeps the counts.
            store.erase_personal_data("p0@exemple.fr").await.unwrap();
            assert!(store.personal_data("p0@exemple.fr").await.unwrap().is_empty(), "{backend}");
            let counts = store.contact_outcomes(0).await.unwrap();
            let lyon_ia = counts.iter().find(|c| c.department == "69" && c.need == "ia_generative").unwrap();
            assert_eq!((lyon_ia.total, lyon_ia.met, lyon_ia.quote_sent, lyon_ia.unknown()), (3, 1, 1, 1), "{backend}");
            assert_eq!(counts.iter().map(|c| c.total).sum::<i64>(), 4, "{backend}: team messages not counted");
        }
    }

    #[tokio::test]
    async fn a_person_gets_a_copy_then_erases_and_retention_purges() {
        let geo = Geography::embedded().unwrap();
        for (backend, store) in stores().await {
            let f = form(&geo, "camille@exemple.fr", "69003", "ia_generative");
            let mails = [mail("m1", "camille@exemple.fr"), mail("m2", "equipe@osez.test")];
            store.record_contact(&Recipient::Team, &f, &mails, &challenge("c1")).await.unwrap();
            let other = form(&geo, "dominique@exemple.fr", "13001", "autre");
            store.record_contact(&Recipient::Team, &other, &[], &challenge("c2")).await.unwrap();

            let copy = store.personal_data("camille@exemple.fr").await.unwrap();
            assert_eq!((copy.messages.len(), copy.mails.len()), (1, 1), "{backend}");
            assert_eq!(copy.messages[0].message, "Bonjour, j'aimerais un rendez-vous.", "{backend}");

            let (link, d1, d2) = (mail("link1", "camille@exemple.fr"), challenge("d1"), challenge("d2"));
            let ask = store.create_data_request("h1", "camille@exemple.fr", now_ms() + 60_000, Some(&link), &d1);
            assert!(ask.await.unwrap(), "{backend}");
            let replay = store.create_data_request("h9", "camille@exemple.fr", now_ms() + 60_000, None, &d1);
            assert!(!replay.await.unwrap(), "{backend}: the challenge was spent");
            assert_eq!(store.data_request_email("h1").await.unwrap().as_deref(), Some("camille@exemple.fr"));
            assert!(store.spend_data_request("h1").await.unwrap().is_some(), "{backend}");
            assert!(store.spend_data_request("h1").await.unwrap().is_none(), "{backend}: single use");
            assert!(store.spend_data_request("nope").await.unwrap().is_none(), "{backend}");
            let link = mail("link2", "camille@exemple.fr");
            let ask = store.create_data_request("h2", "camille@exemple.fr", now_ms() - 1, Some(&link), &d2);
            assert!(ask.await.unwrap(), "{backend}");
            assert!(store.spend_data_request("h2").await.unwrap().is_none(), "{backend}: expired");

            let erased = store.erase_personal_data("camille@exemple.fr").await.unwrap();
            assert_eq!((erased.messages, erased.mails), (1, 4), "{backend}: the two about the message, the two links");
            assert!(store.personal_data("camille@exemple.fr").await.unwrap().is_empty(), "{backend}");
            assert_eq!(store.team_inbox(&InboxQuery::default()).await.unwrap().len(), 1, "{backend}");

            // Retention: everything created before the cutoff loses its
            // personal fields.
            let purged = store.purge_before(now_ms() + 1).await.unwrap();
            assert_eq!(purged.messages, 1, "{backend}");
            assert!(store.team_inbox(&InboxQuery::default()).await.unwrap().is_empty(), "{backend}");
            assert!(store.personal_data("dominique@exemple.fr").await.unwrap().is_empty(), "{backend}");
            assert_eq!(store.purge_before(now_ms() + 1).await.unwrap().messages, 0, "{backend}: once");
        }
    }
}
