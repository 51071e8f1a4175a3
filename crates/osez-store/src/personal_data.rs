//! What is held about a person, for "Mes données": the copy, the erasure
//! (on request or at the end of retention, keeping the anonymous counts),
//! and the single-use links that open them.

use crate::audit::audit;
use crate::contacts::*;
use crate::outbox::{NewMail, enqueue};
use crate::{Store, StoreError, now_ms};
use serde::Serialize;
use sqlx::Row;

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
    /// Registrations to webinars made with this address.
    pub registrations: Vec<RegistrationCopy>,
    /// Proposals to consultations whose author left this address.
    pub proposals: Vec<ProposalCopy>,
    /// Participations in consultations with this address (left with a
    /// proposal, or to confirm the participation).
    pub participations: Vec<ParticipationCopy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParticipationCopy {
    /// The consultation's address (`/consultations/{consultation}`).
    pub consultation: String,
    /// When the address was confirmed by its link, if it was.
    pub confirmed_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalCopy {
    /// The consultation's address (`/consultations/{consultation}`).
    pub consultation: String,
    pub text: String,
    /// `pending`, `accepted`, `refused`, `postponed` or `archived`.
    pub status: String,
    pub created_at_ms: i64,
}

impl PersonalData {
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
            && self.mails.is_empty()
            && self.account.is_none()
            && self.claims.is_empty()
            && self.registrations.is_empty()
            && self.proposals.is_empty()
            && self.participations.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationCopy {
    /// The webinar's address (`/ressources/{webinar}`).
    pub webinar: String,
    pub name: String,
    pub company: String,
    /// `confirmed`, `waiting` or `cancelled`.
    pub status: String,
    pub created_at_ms: i64,
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
    // Registrations to webinars: a seat given up goes to no one (the
    // waiting list moves when its own members cancel or seats free up).
    sqlx::query("DELETE FROM registrations WHERE email = $1").bind(email).execute(&mut **tx).await?;
    // A proposal is published anonymously: it stays, without the address
    // its author left to learn the decision. A confirmed participant stays
    // confirmed (the date is no one's data), without the address.
    sqlx::query("UPDATE consultation_participants SET email = NULL WHERE email = $1")
        .bind(email)
        .execute(&mut **tx)
        .await?;
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

/// Mails sent to a person about their own requests: their receipts, the
/// team's answers, their data links, their account's links and notices,
/// the decisions on their claims and applications. Mails they received as an adviser or
/// as the team are about other people, and are not theirs to copy or erase.
const OWN_MAIL: &str = "kind IN ('contact_receipt', 'answer', 'data_access', 'password_reset', 'account_exists', \
                        'invitation', 'claim_refused', 'application_changes', 'application_refused', \
                        'application_accepted', 'webinar_confirmed', 'webinar_waiting', 'webinar_promoted', \
                        'webinar_reminder', 'webinar_replay', 'consultation_decision', \
                        'participant_confirmation')";

impl Store {
    /// Whether anything is held about an address (lower-cased).
    pub async fn holds_personal_data(&self, email: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT (SELECT COUNT(*) FROM contact_messages WHERE email = $1 AND erased_at IS NULL) \
             + (SELECT COUNT(*) FROM outbox WHERE to_addr = $1 AND {OWN_MAIL}) \
             + (SELECT COUNT(*) FROM users WHERE email = $1) \
             + (SELECT COUNT(*) FROM claims WHERE email = $1) \
             + (SELECT COUNT(*) FROM registrations WHERE email = $1) \
             + (SELECT COUNT(*) FROM consultation_participants WHERE email = $1)"
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
        let registrations = sqlx::query(
            "SELECT resource_id, name, company, status, created_at FROM registrations WHERE email = $1 ORDER BY id",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(RegistrationCopy {
                webinar: r.try_get("resource_id")?,
                name: r.try_get("name")?,
                company: r.try_get("company")?,
                status: r.try_get("status")?,
                created_at_ms: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let proposals = sqlx::query(
            "SELECT c.slug, p.text, p.status, p.created_at FROM consultation_proposals p \
             JOIN consultation_participants a ON a.id = p.author_id \
             JOIN consultations c ON c.id = p.consultation_id WHERE a.email = $1 ORDER BY p.id",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ProposalCopy {
                consultation: r.try_get(0)?,
                text: r.try_get(1)?,
                status: r.try_get(2)?,
                created_at_ms: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let participations = sqlx::query(
            "SELECT c.slug, a.email_confirmed_at FROM consultation_participants a \
             JOIN consultations c ON c.id = a.consultation_id WHERE a.email = $1 ORDER BY a.id",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok(ParticipationCopy { consultation: r.try_get(0)?, confirmed_at_ms: r.try_get(1)? }))
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(PersonalData {
            email: email.to_string(),
            messages,
            mails,
            account,
            claims,
            registrations,
            proposals,
            participations,
        })
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
        sqlx::query("DELETE FROM registrations WHERE created_at < $1").bind(cutoff_ms).execute(&mut *tx).await?;
        sqlx::query("UPDATE consultation_participants SET email = NULL WHERE email IS NOT NULL AND created_at < $1")
            .bind(cutoff_ms)
            .execute(&mut *tx)
            .await?;
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
