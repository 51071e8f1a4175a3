//! Accounts and sessions (the audit log they write to is in `audit`).

use osez_core::account::{Email, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::audit;
use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub password_hash: String,
    pub role: Role,
    pub adviser_id: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: i64,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub expires_at_ms: i64,
}

/// An account as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub user: User,
    pub created_at_ms: i64,
    /// Sessions not yet expired.
    pub sessions: i64,
}

const USER_COLUMNS: &str = "id, email, password_hash, role, adviser_id, totp_secret, totp_last_step, disabled";

fn user_from_row(r: &AnyRow) -> Result<User, StoreError> {
    let email: String = r.try_get("email")?;
    let role: String = r.try_get("role")?;
    let corrupt = |reason: String| StoreError::Corrupt { id: email.clone(), reason };
    Ok(User {
        id: r.try_get("id")?,
        email: Email::parse(&email).map_err(|e| corrupt(e.to_string()))?,
        password_hash: r.try_get("password_hash")?,
        role: Role::from_slug(&role).ok_or_else(|| corrupt(format!("unknown role {role:?}")))?,
        adviser_id: r.try_get("adviser_id")?,
        totp_secret: r.try_get("totp_secret")?,
        totp_last_step: r.try_get("totp_last_step")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
    })
}

/// Reset links an account may get in an hour; more are refused quietly.
pub const RESETS_PER_HOUR: i64 = 3;

/// What a user creation can run into.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("un compte existe déjà pour cette adresse")]
    EmailTaken,
    /// The anti-spam challenge that came with the form was spent before.
    #[error("le défi anti-robot a déjà servi")]
    Replayed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Creates an account and logs it, in one transaction.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        role: Role,
        actor: &str,
    ) -> Result<User, CreateUserError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        insert_user(&mut tx, email, password_hash, role, actor).await?;
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
            .bind(email.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        let user = user_from_row(&row)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(user)
    }

    /// Gives an adviser account the profile it may edit and whose messages
    /// it receives; logged.
    pub async fn link_adviser(&self, user_id: i64, adviser: &str, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        set_user_adviser(&mut tx, user_id, adviser).await?;
        audit(&mut tx, actor, "compte.profil", &format!("user:{user_id}"), None, Some(adviser)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Records a reset link and the mail that carries it, together, unless
    /// the account already got [`RESETS_PER_HOUR`] links in the last hour:
    /// then nothing is saved and the answer is false.
    pub async fn create_password_reset(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at_ms: i64,
        mail: &crate::NewMail,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        // One statement that counts and writes: no read before the write
        // (SQLite), and no window between the count and the insert on one
        // node. Two PostgreSQL transactions racing may both pass at the
        // limit; one link too many is acceptable, a lock is not worth it.
        let created = sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             SELECT $1, $2, $3, $4 WHERE (SELECT COUNT(*) FROM password_resets WHERE user_id = $2 AND created_at > $5) < $6",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at_ms)
        .bind(now - 3_600_000)
        .bind(RESETS_PER_HOUR)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !created {
            return Ok(false);
        }
        crate::outbox::enqueue(&mut tx, mail, None).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Writes a mail to the owner of an existing account (someone applied
    /// with their address), unless a mail of the same kind went to that
    /// address in the last hour: the public form must not let anyone flood
    /// an address. False when nothing was written.
    pub async fn mail_account_owner(&self, mail: &crate::NewMail) -> Result<bool, StoreError> {
        let now = now_ms();
        // One statement that checks and writes (see `create_password_reset`).
        let written = sqlx::query(
            "INSERT INTO outbox (message_id, kind, to_addr, reply_to, subject, body, created_at, next_attempt_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $7 \
             WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE kind = $2 AND to_addr = $3 AND created_at > $8)",
        )
        .bind(&mail.message_id)
        .bind(mail.kind)
        .bind(&mail.to)
        .bind(mail.reply_to.clone())
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(now)
        .bind(now - 3_600_000)
        .execute(&self.pool)
        .await?;
        Ok(written.rows_affected() == 1)
    }

    /// The account of a reset link that is neither used nor expired.
    pub async fn password_reset_user(&self, token_hash: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Uses a reset link: the new password, every open link of the account
    /// spent (an older mail cannot change the password again), every session
    /// ended and the change logged, in one transaction. False when the link
    /// was already used or has expired (then nothing changes).
    pub async fn reset_password(&self, token_hash: &str, password_hash: &str) -> Result<bool, StoreError> {
        let link =
            PasswordLink { table: LinkTable::Reset, spend_others: true, action: "compte.mot_de_passe_reinitialise" };
        Ok(self.set_password_by_link(&link, token_hash, password_hash).await?.is_some())
    }

    /// Spends a single-use link of `link.table`, sets the password of its
    /// account, ends every session of it and logs `link.action`, in one
    /// transaction; the account's address. `None` when the link was used or
    /// has expired (then nothing changes). Reset links and invitations both
    /// end here.
    pub(crate) async fn set_password_by_link(
        &self,
        link: &PasswordLink,
        token_hash: &str,
        password_hash: &str,
    ) -> Result<Option<String>, StoreError> {
        let table = link.table.name();
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        let spent = sqlx::query(&format!(
            "UPDATE {table} SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1"
        ))
        .bind(now)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(None);
        }
        let user_id: i64 = sqlx::query_scalar(&format!("SELECT user_id FROM {table} WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_one(&mut *tx)
            .await?;
        if link.spend_others {
            sqlx::query(&format!("UPDATE {table} SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL"))
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        let email: String =
            sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(user_id).fetch_one(&mut *tx).await?;
        audit(&mut tx, &email, link.action, &email, None, None).await?;
        tx.commit().await?;
        Ok(Some(email))
    }

    /// Records that a TOTP code of `step` was used, if it is later than
    /// the last one: false means the code was already used (a replay), even
    /// when two requests race.
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Turns the second factor on, with the step of the code that proved it.
    /// False when the account already has one (two enrolments racing): the
    /// first secret stays and nothing is logged.
    pub async fn enable_totp(&self, user: &User, secret: &str, step: i64) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = $2 WHERE id = $3 AND totp_secret IS NULL")
                .bind(secret)
                .bind(step)
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        audit(
            &mut tx,
            user.email.as_str(),
            "compte.double_authentification",
            user.email.as_str(),
            None,
            Some("{\"totp\":true}"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn create_session(&self, token_hash: &str, user_id: i64, expires_at_ms: i64) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row =
            sqlx::query("SELECT user_id, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(Session {
                user_id: r.try_get("user_id")?,
                created_at_ms: r.try_get("created_at")?,
                last_seen_at_ms: r.try_get("last_seen_at")?,
                expires_at_ms: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn touch_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now_ms())
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Ends every session of a user; returns how many there were.
    pub async fn delete_sessions_of(&self, user_id: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Every account with its number of live sessions, by e-mail.
    pub async fn users_overview(&self) -> Result<Vec<UserSummary>, StoreError> {
        let cols = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {cols}, u.created_at, (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > $1) \
             AS live_sessions FROM users u ORDER BY u.email"
        ))
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UserSummary {
                    user: user_from_row(r)?,
                    created_at_ms: r.try_get("created_at")?,
                    sessions: r.try_get("live_sessions")?,
                })
            })
            .collect()
    }

    /// Enabled accounts with one of `roles`, by e-mail: whom a message can
    /// be assigned to, read without loading every account.
    pub async fn team_members(&self, roles: &[Role]) -> Result<Vec<User>, StoreError> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let slots = (1..=roles.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE disabled = 0 AND role IN ({slots}) ORDER BY email");
        let mut q = sqlx::query(&sql);
        for role in roles {
            q = q.bind(role.slug());
        }
        q.fetch_all(&self.pool).await?.iter().map(user_from_row).collect()
    }

    /// Ends every session of `user`, logged as done by `actor`. Returns how
    /// many there were.
    pub async fn end_sessions_of(&self, user: &User, actor: &str) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let after = format!("{{\"sessions_fermees\":{ended}}}");
        audit(&mut tx, actor, "compte.sessions_fermees", user.email.as_str(), None, Some(&after)).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Disables or re-enables an account; disabling ends its sessions.
    pub async fn set_user_disabled(&self, user: &User, disabled: bool, actor: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.id).execute(&mut *tx).await?;
        }
        let state = |d: bool| format!("{{\"desactive\":{d}}}");
        let action = if disabled { "compte.desactivation" } else { "compte.reactivation" };
        audit(&mut tx, actor, action, user.email.as_str(), Some(&state(user.disabled)), Some(&state(disabled))).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The tables of single-use links that set a password; a fixed list, so
/// that a table name can be spliced into SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LinkTable {
    Reset,
    Invitation,
}

impl LinkTable {
    fn name(self) -> &'static str {
        match self {
            LinkTable::Reset => "password_resets",
            LinkTable::Invitation => "invitations",
        }
    }
}

/// How a link that sets a password is used.
pub(crate) struct PasswordLink {
    pub table: LinkTable,
    /// Spend the account's other open links of the table too.
    pub spend_others: bool,
    /// The audit log's action.
    pub action: &'static str,
}

/// Creates an account and logs it inside the caller's transaction; returns
/// its id.
pub(crate) async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &Email,
    password_hash: &str,
    role: Role,
    actor: &str,
) -> Result<i64, CreateUserError> {
    // Write first: a SELECT before the INSERT takes SQLite's read lock and
    // then fails with SQLITE_BUSY when it must become a write lock under
    // concurrent writers (busy_timeout does not help an upgrade), and it
    // lets two racers both see the address free. The unique index decides.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, role, disabled, created_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(email.as_str())
    .bind(password_hash)
    .bind(role.slug())
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    let Some(id) = id else { return Err(CreateUserError::EmailTaken) };
    let after = format!("{{\"role\":\"{}\"}}", role.slug());
    audit(tx, actor, "compte.creation", email.as_str(), None, Some(&after)).await?;
    Ok(id)
}

/// Links an account to the profile it may edit and whose messages it gets.
pub(crate) async fn set_user_adviser(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    adviser: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET adviser_id = $1 WHERE id = $2")
        .bind(adviser)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hardening_tests;
