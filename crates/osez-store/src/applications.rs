//! Applications to the directory and calls for ambassadeurs IA.
//!
//! Every state change is one conditional UPDATE (`WHERE status IN …`), so
//! two reviewers acting at once cannot both decide, and each goes to the
//! audit log in its transaction.

use jiff::civil::Date;
use osez_core::account::{Email, Role};
use osez_core::application::ApplicationForm;
use osez_core::{Adviser, AdviserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{insert_user, set_user_adviser};
use crate::advisers::{bump_version, write_adviser};
use crate::audit::audit;
use crate::contacts::spend;
use crate::outbox::{NewMail, enqueue};
use crate::{CreateUserError, SpentChallenge, Store, StoreError, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationKind {
    Activateur,
    AmbassadeurIa,
    /// A new name or SIRET for a published profile.
    Modification,
}

impl ApplicationKind {
    pub fn slug(self) -> &'static str {
        match self {
            ApplicationKind::Activateur => "activateur",
            ApplicationKind::AmbassadeurIa => "ambassadeur_ia",
            ApplicationKind::Modification => "modification",
        }
    }

    fn from_slug(s: &str) -> Option<Self> {
        [ApplicationKind::Activateur, ApplicationKind::AmbassadeurIa, ApplicationKind::Modification]
            .into_iter()
            .find(|k| k.slug() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationStatus {
    Submitted,
    ChangesRequested,
    Shortlisted,
    Accepted,
    Refused,
}

impl ApplicationStatus {
    pub fn slug(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::ChangesRequested => "changes_requested",
            ApplicationStatus::Shortlisted => "shortlisted",
            ApplicationStatus::Accepted => "accepted",
            ApplicationStatus::Refused => "refused",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "En attente d'examen",
            ApplicationStatus::ChangesRequested => "Modifications demandées",
            ApplicationStatus::Shortlisted => "Présélectionnée",
            ApplicationStatus::Accepted => "Acceptée",
            ApplicationStatus::Refused => "Refusée",
        }
    }

    fn from_slug(s: &str) -> Option<Self> {
        use ApplicationStatus::*;
        [Submitted, ChangesRequested, Shortlisted, Accepted, Refused].into_iter().find(|k| k.slug() == s)
    }

    /// Still waiting for the team.
    pub fn is_open(self) -> bool {
        matches!(self, ApplicationStatus::Submitted | ApplicationStatus::Shortlisted)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: i64,
    pub kind: ApplicationKind,
    pub call_id: Option<i64>,
    pub user_id: i64,
    pub email: String,
    pub adviser_id: Option<String>,
    pub status: ApplicationStatus,
    pub form: ApplicationForm,
    pub team_note: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: i64,
    pub title: String,
    pub criteria: String,
    pub opens_on: Date,
    pub closes_on: Date,
    /// Region codes; empty: every region.
    pub regions: Vec<String>,
}

impl Call {
    /// Open on `today`, both ends included. Dates, not text: a date once
    /// stored as typed (20260301) compared after every "2026-…" day and
    /// never closed.
    pub fn is_open_on(&self, today: Date) -> bool {
        self.opens_on <= today && today <= self.closes_on
    }
}

/// A team decision on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review<'a> {
    AskChanges(&'a str),
    Refuse(&'a str),
    Shortlist,
}

const APP_COLUMNS: &str = "a.id, a.kind, a.call_id, a.user_id, u.email, a.adviser_id, a.status, a.form, a.team_note, \
    a.created_at, a.updated_at";

fn app_from_row(r: &AnyRow) -> Result<Application, StoreError> {
    let id: i64 = r.try_get("id")?;
    let corrupt = |reason: String| StoreError::Corrupt { id: format!("application {id}"), reason };
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let form: String = r.try_get("form")?;
    Ok(Application {
        id,
        kind: ApplicationKind::from_slug(&kind).ok_or_else(|| corrupt(format!("kind {kind:?}")))?,
        call_id: r.try_get("call_id")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        adviser_id: r.try_get("adviser_id")?,
        status: ApplicationStatus::from_slug(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
        form: serde_json::from_str(&form).map_err(|e| corrupt(e.to_string()))?,
        team_note: r.try_get("team_note")?,
        created_at_ms: r.try_get("created_at")?,
        updated_at_ms: r.try_get("updated_at")?,
    })
}

fn call_from_row(r: &AnyRow) -> Result<Call, StoreError> {
    let id: i64 = r.try_get("id")?;
    let regions: String = r.try_get("regions")?;
    // Stored as AAAA-MM-JJ (migration 0010 rewrote older forms); jiff's
    // parser also reads the compact form, should one remain.
    let date = |column: &str| -> Result<Date, StoreError> {
        let text: String = r.try_get(column)?;
        text.parse::<Date>()
            .map_err(|e| StoreError::Corrupt { id: format!("call {id}"), reason: format!("{column} {text:?}: {e}") })
    };
    Ok(Call {
        id,
        title: r.try_get("title")?,
        criteria: r.try_get("criteria")?,
        opens_on: date("opens_on")?,
        closes_on: date("closes_on")?,
        regions: regions.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
    })
}

fn form_json(form: &ApplicationForm) -> String {
    serde_json::to_string(form).unwrap_or_default()
}

impl Store {
    /// A new organisation applies: its account (role adviser) and its
    /// application are created together, and the form's anti-spam
    /// challenge spent, or none of it is.
    pub async fn apply_with_new_account(
        &self,
        email: &Email,
        password_hash: &str,
        kind: ApplicationKind,
        call_id: Option<i64>,
        form: &ApplicationForm,
        challenge: &SpentChallenge,
    ) -> Result<(i64, i64), CreateUserError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        let user_id = insert_user(&mut tx, email, password_hash, Role::Adviser, email.as_str()).await?;
        if !spend(&mut tx, challenge).await? {
            return Err(CreateUserError::Replayed);
        }
        let app_id = insert_application(&mut tx, kind, call_id, user_id, None, form, email.as_str()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok((user_id, app_id))
    }

    /// A signed-in adviser answers a call from their account: no new
    /// account. None (nothing saved) when they already have an application
    /// to this call waiting for the team or for their changes.
    pub async fn apply_to_call(
        &self,
        user_id: i64,
        actor: &str,
        call_id: i64,
        form: &ApplicationForm,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Writes first (SQLite takes its write lock here, PostgreSQL locks the
        // account's row), so that two answers sent at once cannot both see
        // no pending one.
        sqlx::query("UPDATE users SET adviser_id = adviser_id WHERE id = $1").bind(user_id).execute(&mut *tx).await?;
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM applications WHERE user_id = $1 AND call_id = $2 \
             AND status IN ('submitted', 'shortlisted', 'changes_requested')",
        )
        .bind(user_id)
        .bind(call_id)
        .fetch_one(&mut *tx)
        .await?;
        if pending > 0 {
            return Ok(None);
        }
        let kind = ApplicationKind::AmbassadeurIa;
        let id = insert_application(&mut tx, kind, Some(call_id), user_id, None, form, actor).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The addresses told of a decision on an application: its applicant's
    /// account and, for a change to a published profile, every account of
    /// that profile; accounts that are disabled are left out.
    pub async fn application_addresses(&self, app: &Application) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT email FROM users WHERE disabled = 0 AND (id = $1 OR (adviser_id IS NOT NULL AND adviser_id = $2)) \
             ORDER BY id",
        )
        .bind(app.user_id)
        .bind(app.adviser_id.clone())
        .fetch_all(&self.pool)
        .await?)
    }

    /// A signed-in adviser asks to change the name or SIRET of their
    /// profile: the change waits for review.
    pub async fn apply_for_change(
        &self,
        user_id: i64,
        actor: &str,
        adviser: &AdviserId,
        form: &ApplicationForm,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        // One pending change at a time: a new one replaces the last.
        sqlx::query(
            "UPDATE applications SET status = 'refused', team_note = 'Remplacée par une demande plus récente.', \
             updated_at = $1 WHERE user_id = $2 AND kind = 'modification' AND status IN ('submitted', 'changes_requested')",
        )
        .bind(now_ms())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let id = insert_application(
            &mut tx,
            ApplicationKind::Modification,
            None,
            user_id,
            Some(adviser.as_str()),
            form,
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn application(&self, id: i64) -> Result<Option<Application>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM applications a JOIN users u ON u.id = a.user_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(app_from_row).transpose()
    }

    /// Every application, those waiting for the team first, then the most
    /// recent.
    pub async fn applications(&self) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM applications a JOIN users u ON u.id = a.user_id \
             ORDER BY CASE a.status WHEN 'submitted' THEN 0 WHEN 'shortlisted' THEN 1 WHEN 'changes_requested' THEN 2 \
             ELSE 3 END, a.updated_at DESC LIMIT 1000"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(app_from_row).collect()
    }

    pub async fn applications_of(&self, user_id: i64) -> Result<Vec<Application>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM applications a JOIN users u ON u.id = a.user_id \
             WHERE a.user_id = $1 ORDER BY a.created_at DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(app_from_row).collect()
    }

    /// Asks for changes, refuses or shortlists an open application, and
    /// writes `mails` (to the applicant) in the same transaction. False,
    /// and no mail, when it is no longer open (decided meanwhile).
    pub async fn review_application(
        &self,
        app: &Application,
        review: Review<'_>,
        actor: &str,
        mails: &[NewMail],
    ) -> Result<bool, StoreError> {
        let (status, note, action) = match review {
            Review::AskChanges(note) => {
                (ApplicationStatus::ChangesRequested, Some(note), "candidature.modifications_demandees")
            }
            Review::Refuse(reason) => (ApplicationStatus::Refused, Some(reason), "candidature.refus"),
            Review::Shortlist => (ApplicationStatus::Shortlisted, None, "candidature.preselection"),
        };
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE applications SET status = $1, team_note = COALESCE($2, team_note), updated_at = $3 \
             WHERE id = $4 AND status IN ('submitted', 'shortlisted')",
        )
        .bind(status.slug())
        .bind(note.map(str::to_string))
        .bind(now_ms())
        .bind(app.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        let before = serde_json::json!({ "statut": app.status.slug() }).to_string();
        let after = serde_json::json!({ "statut": status.slug(), "message": note }).to_string();
        audit(&mut tx, actor, action, &format!("candidature {}", app.id), Some(&before), Some(&after)).await?;
        for mail in mails {
            enqueue(&mut tx, mail, None).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Accepts an open application and publishes `adviser` at once: the
    /// profile is written, linked to the applicant's account, and the
    /// directory version bumped, and `mails` written, in one transaction.
    /// False, and no mail, when the application is no longer open.
    pub async fn accept_application(
        &self,
        app: &Application,
        adviser: &Adviser,
        actor: &str,
        mails: &[NewMail],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        let changed = sqlx::query(
            "UPDATE applications SET status = 'accepted', updated_at = $1 \
             WHERE id = $2 AND status IN ('submitted', 'shortlisted')",
        )
        .bind(now)
        .bind(app.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        let before: Option<String> = sqlx::query_scalar("SELECT name FROM advisers WHERE id = $1")
            .bind(adviser.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        // An accepted change of name touches the name only: writing the
        // whole profile as the reviewer's page read it would undo an edit
        // the adviser saved meanwhile. The version bump refuses a form the
        // adviser loaded before the rename.
        let renamed = if app.kind == ApplicationKind::Modification {
            sqlx::query("UPDATE advisers SET name = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                .bind(&adviser.name)
                .bind(now)
                .bind(adviser.id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected()
        } else {
            0
        };
        if renamed == 0 {
            // The row must exist before the application points at it (foreign key).
            write_adviser(&mut tx, adviser, now).await?;
        }
        sqlx::query("UPDATE applications SET adviser_id = $1 WHERE id = $2")
            .bind(adviser.id.as_str())
            .bind(app.id)
            .execute(&mut *tx)
            .await?;
        set_user_adviser(&mut tx, app.user_id, adviser.id.as_str()).await?;
        bump_version(&mut tx).await?;
        let before = before.map(|name| serde_json::json!({ "nom": name }).to_string());
        let after = serde_json::json!({ "profil": adviser.id.as_str(), "nom": adviser.name, "siret": app.form.siret });
        audit(
            &mut tx,
            actor,
            "candidature.acceptation",
            &format!("candidature {}", app.id),
            before.as_deref(),
            Some(&after.to_string()),
        )
        .await?;
        for mail in mails {
            enqueue(&mut tx, mail, None).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The applicant sends a corrected application after the team asked
    /// for changes. False when it was not waiting for them, or not theirs.
    pub async fn resubmit_application(
        &self,
        app_id: i64,
        user_id: i64,
        actor: &str,
        form: &ApplicationForm,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE applications SET status = 'submitted', form = $1, updated_at = $2 \
             WHERE id = $3 AND user_id = $4 AND status = 'changes_requested'",
        )
        .bind(form_json(form))
        .bind(now_ms())
        .bind(app_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        audit(
            &mut tx,
            actor,
            "candidature.nouvel_envoi",
            &format!("candidature {app_id}"),
            None,
            Some(&form_json(form)),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The version of a profile: every write of it bumps it. A form
    /// carries the version it was loaded at, for [`Store::update_own_profile`].
    pub async fn profile_version(&self, id: &AdviserId) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT version FROM advisers WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// An adviser's own change that needs no review (everything but the
    /// name and SIRET), published at once and logged with before and after.
    /// Only if the profile is still at `version`, the one the form was
    /// loaded at: false (nothing saved) when it was changed meanwhile, by
    /// another save or an accepted change of name.
    pub async fn update_own_profile(
        &self,
        before: &Adviser,
        after: &Adviser,
        actor: &str,
        version: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // One conditional UPDATE decides, and it is the transaction's first
        // statement (writes first on SQLite): of two saves from one version,
        // exactly one goes through.
        let claimed = sqlx::query("UPDATE advisers SET version = version + 1 WHERE id = $1 AND version = $2")
            .bind(after.id.as_str())
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        write_adviser(&mut tx, after, now_ms()).await?;
        bump_version(&mut tx).await?;
        let json = |a: &Adviser| serde_json::to_string(a).unwrap_or_default();
        audit(&mut tx, actor, "profil.modification", after.id.as_str(), Some(&json(before)), Some(&json(after)))
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn create_call(
        &self,
        title: &str,
        criteria: &str,
        opens_on: Date,
        closes_on: Date,
        regions: &[String],
        actor: &str,
    ) -> Result<i64, StoreError> {
        // Always AAAA-MM-JJ, so that the text sorts as the dates do.
        let (opens_on, closes_on) = (opens_on.to_string(), closes_on.to_string());
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (title, criteria, opens_on, closes_on, regions, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(title)
        .bind(criteria)
        .bind(opens_on.as_str())
        .bind(closes_on.as_str())
        .bind(regions.join(","))
        .bind(actor)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let after = serde_json::json!({ "titre": title, "du": opens_on, "au": closes_on, "regions": regions });
        audit(&mut tx, actor, "appel.creation", &format!("appel {id}"), None, Some(&after.to_string())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every call, the latest closing first.
    pub async fn calls(&self) -> Result<Vec<Call>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, criteria, opens_on, closes_on, regions FROM calls ORDER BY closes_on DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(call_from_row).collect()
    }

    pub async fn call(&self, id: i64) -> Result<Option<Call>, StoreError> {
        let row = sqlx::query("SELECT id, title, criteria, opens_on, closes_on, regions FROM calls WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(call_from_row).transpose()
    }
}

async fn insert_application(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    kind: ApplicationKind,
    call_id: Option<i64>,
    user_id: i64,
    adviser_id: Option<&str>,
    form: &ApplicationForm,
    actor: &str,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO applications (kind, call_id, user_id, adviser_id, status, form, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $6) RETURNING id",
    )
    .bind(kind.slug())
    .bind(call_id)
    .bind(user_id)
    .bind(adviser_id.map(str::to_string))
    .bind(form_json(form))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let after = serde_json::json!({ "type": kind.slug(), "appel": call_id, "nom": form.name, "siret": form.siret });
    audit(tx, actor, "candidature.depot", &format!("candidature {id}"), None, Some(&after.to_string())).await?;
    Ok(id)
}

#[cfg(test)]
mod tests;
