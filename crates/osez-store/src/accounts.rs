//! Accounts, sessions and the audit log.

use osez_core::account::{Email, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Where a page of the audit log ends: the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    at_ms: i64,
    id: i64,
}

/// An account as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub user: User,
    pub created_at_ms: i64,
    /// Sessions not yet expired.
    pub sessions: i64,
}

/// A search of the audit log; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Words found in the actor, action, target, before or after.
    pub text: String,
    pub actor: String,
    /// An action or the start of one ("moderation.").
    pub action: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` escaped.
fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
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

    /// Deletes the audit entries older than `cutoff_ms`; returns how many.
    pub async fn purge_audit_before(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(cutoff_ms)
            .execute(&self.pool)
            .await?
            .rows_affected())
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

    pub async fn record_audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        audit(&mut tx, actor, action, target, before, after).await?;
        tx.commit().await?;
        Ok(())
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

    /// Entries matching `q`, the most recent first, with the total count.
    pub async fn search_audit(
        &self,
        q: &AuditQuery,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditEntry>, i64), StoreError> {
        let AuditFilter { clauses, binds, numbers } = audit_filter(q);
        let first_number = binds.len() + 1;
        let filter = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let page = first_number + numbers.len();
        let select = format!(
            "SELECT at, actor, action, target, before, after FROM audit_log {filter} \
             ORDER BY at DESC, id DESC LIMIT ${page} OFFSET ${}",
            page + 1
        );
        let count = format!("SELECT COUNT(*) FROM audit_log {filter}");
        let mut rows_q = sqlx::query(&select);
        let mut count_q = sqlx::query_scalar::<_, i64>(&count);
        for b in &binds {
            rows_q = rows_q.bind(b.clone());
            count_q = count_q.bind(b.clone());
        }
        for n in &numbers {
            rows_q = rows_q.bind(*n);
            count_q = count_q.bind(*n);
        }
        let rows = rows_q.bind(limit).bind(offset).fetch_all(&self.pool).await?;
        let total = count_q.fetch_one(&self.pool).await?;
        Ok((rows.iter().map(audit_from_row).collect::<Result<_, _>>()?, total))
    }

    /// One page of the entries matching `q`, the most recent first, from
    /// just after `after` (none: from the top). Keyset pagination: each page
    /// costs one index walk however deep the export is, and an entry
    /// written meanwhile neither shifts nor repeats a row.
    pub async fn audit_page(
        &self,
        q: &AuditQuery,
        after: Option<AuditCursor>,
        limit: i64,
    ) -> Result<Vec<(AuditCursor, AuditEntry)>, StoreError> {
        let AuditFilter { mut clauses, binds, mut numbers } = audit_filter(q);
        if let Some(c) = after {
            let n = binds.len() + numbers.len() + 1;
            clauses.push(format!("(at < ${n} OR (at = ${n} AND id < ${}))", n + 1));
            numbers.extend([c.at_ms, c.id]);
        }
        let filter = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let sql = format!(
            "SELECT id, at, actor, action, target, before, after FROM audit_log {filter} \
             ORDER BY at DESC, id DESC LIMIT ${}",
            binds.len() + numbers.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b.as_str());
        }
        for n in &numbers {
            query = query.bind(*n);
        }
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((AuditCursor { at_ms: r.try_get("at")?, id: r.try_get("id")? }, audit_from_row(r)?)))
            .collect()
    }

    /// The most recent entries first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, target, before, after FROM audit_log ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(audit_from_row).collect()
    }
}

/// The conditions of an audit search, numbered from `$1`: the text
/// patterns first, then the numbers.
struct AuditFilter {
    clauses: Vec<String>,
    binds: Vec<String>,
    numbers: Vec<i64>,
}

fn audit_filter(q: &AuditQuery) -> AuditFilter {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut numbers: Vec<i64> = Vec::new();
    for word in q.text.split_whitespace().take(8) {
        binds.push(contains_pattern(word));
        let n = binds.len();
        clauses.push(format!(
            "(LOWER(actor) LIKE ${n} ESCAPE '\\' OR LOWER(action) LIKE ${n} ESCAPE '\\' \
             OR LOWER(target) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(before, '')) LIKE ${n} ESCAPE '\\' \
             OR LOWER(COALESCE(after, '')) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if !q.actor.trim().is_empty() {
        binds.push(contains_pattern(q.actor.trim()));
        clauses.push(format!("LOWER(actor) LIKE ${} ESCAPE '\\'", binds.len()));
    }
    if !q.action.trim().is_empty() {
        let mut p = contains_pattern(q.action.trim());
        p.remove(0);
        binds.push(p);
        clauses.push(format!("LOWER(action) LIKE ${} ESCAPE '\\'", binds.len()));
    }
    let first_number = binds.len() + 1;
    if let Some(from) = q.from_ms {
        numbers.push(from);
        clauses.push(format!("at >= ${}", first_number + numbers.len() - 1));
    }
    if let Some(to) = q.to_ms {
        numbers.push(to);
        clauses.push(format!("at < ${}", first_number + numbers.len() - 1));
    }
    AuditFilter { clauses, binds, numbers }
}

fn audit_from_row(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at_ms: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        before: r.try_get("before")?,
        after: r.try_get("after")?,
    })
}

/// Creates an account and logs it inside the caller's transaction; returns
/// its id.
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

/// Writes an audit entry inside the caller's transaction, so that a change
/// and its record commit together or not at all.
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

pub(crate) async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(now_ms())
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(before.map(str::to_string))
        .bind(after.map(str::to_string))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::stores;

    #[tokio::test]
    async fn accounts_sessions_and_audit_on_every_backend() {
        for (name, store) in stores().await {
            let email = Email::parse("admin@exemple.fr").unwrap();
            let user = store.create_user(&email, "$argon2id$fake", Role::Admin, "system").await.unwrap();
            assert_eq!(user.role, Role::Admin, "{name}");
            assert!(matches!(
                store.create_user(&email, "$argon2id$fake", Role::Editor, "system").await,
                Err(CreateUserError::EmailTaken)
            ));
            assert_eq!(store.user_by_email(&email).await.unwrap().unwrap().id, user.id, "{name}");
            assert_eq!(store.user(user.id).await.unwrap().unwrap().email, email);

            store.create_session("h1", user.id, i64::MAX).await.unwrap();
            store.create_session("h2", user.id, i64::MAX).await.unwrap();
            assert_eq!(store.session("h1").await.unwrap().unwrap().user_id, user.id, "{name}");
            store.touch_session("h1").await.unwrap();
            store.delete_session("h1").await.unwrap();
            assert_eq!(store.session("h1").await.unwrap(), None, "{name}");
            assert_eq!(store.delete_sessions_of(user.id).await.unwrap(), 1, "{name}");

            store.create_session("h3", user.id, i64::MAX).await.unwrap();
            let mail = |n: &str| crate::NewMail {
                message_id: format!("<{n}@osez.test>"),
                kind: "password_reset",
                to: "a@exemple.fr".into(),
                reply_to: None,
                subject: "Lien".into(),
                body: "…".into(),
            };
            store.create_password_reset("r1", user.id, i64::MAX, &mail("r1")).await.unwrap();
            store.create_password_reset("r0", user.id, 1, &mail("r0")).await.unwrap();
            assert_eq!(store.outbox_status().await.unwrap().pending, 2, "{name}: each link has its mail");
            assert_eq!(store.password_reset_user("r1").await.unwrap(), Some(user.id), "{name}");
            assert_eq!(store.password_reset_user("r0").await.unwrap(), None, "{name}: expired");
            assert!(!store.reset_password("r0", "$new").await.unwrap(), "{name}: expired");
            assert!(store.reset_password("r1", "$new").await.unwrap(), "{name}");
            assert!(!store.reset_password("r1", "$newer").await.unwrap(), "{name}: single use");
            assert_eq!(store.user(user.id).await.unwrap().unwrap().password_hash, "$new");
            assert_eq!(store.session("h3").await.unwrap(), None, "{name}: sessions ended");

            store.enable_totp(&user, "SECRET", 100).await.unwrap();
            assert!(!store.accept_totp_step(user.id, 100).await.unwrap(), "{name}: replay");
            assert!(store.accept_totp_step(user.id, 101).await.unwrap(), "{name}");
            assert!(!store.accept_totp_step(user.id, 101).await.unwrap(), "{name}: replay");
            assert_eq!(store.user(user.id).await.unwrap().unwrap().totp_secret.as_deref(), Some("SECRET"));

            let log = store.audit_entries(10).await.unwrap();
            assert_eq!(log.len(), 3, "{name}: creation, reset and TOTP, not the refused duplicate");
            let log: Vec<_> = log.into_iter().rev().collect();
            assert_eq!(log[0].action, "compte.creation");
            assert_eq!(log[0].target, "admin@exemple.fr");

            let other = store
                .create_user(&Email::parse("redac_100%@exemple.fr").unwrap(), "$h", Role::Editor, "admin@exemple.fr")
                .await
                .unwrap();
            store.create_session("h4", other.id, i64::MAX).await.unwrap();
            store.create_session("h5", other.id, 1).await.unwrap();
            let overview = store.users_overview().await.unwrap();
            assert_eq!(overview.len(), 2, "{name}");
            assert_eq!(overview[1].user.id, other.id, "{name}: by e-mail");
            assert_eq!(overview[1].sessions, 1, "{name}: expired sessions do not count");
            assert_eq!(store.end_sessions_of(&other, "admin@exemple.fr").await.unwrap(), 2, "{name}");
            store.create_session("h6", other.id, i64::MAX).await.unwrap();
            store.set_user_disabled(&other, true, "admin@exemple.fr").await.unwrap();
            assert!(store.user(other.id).await.unwrap().unwrap().disabled, "{name}");
            assert_eq!(store.session("h6").await.unwrap(), None, "{name}: disabling ends sessions");

            let all = AuditQuery::default();
            let (entries, total) = store.search_audit(&all, 2, 0).await.unwrap();
            assert_eq!((entries.len(), total), (2, 6), "{name}");
            assert_eq!(entries[0].action, "compte.desactivation", "{name}: most recent first");
            let q = AuditQuery { text: "100%".into(), ..AuditQuery::default() };
            let (entries, total) = store.search_audit(&q, 10, 0).await.unwrap();
            assert_eq!(total, 3, "{name}: creation, sessions ended, disabled; % is literal");
            assert!(entries.iter().all(|e| e.target.contains("100%")));
            let q = AuditQuery { action: "COMPTE.".into(), actor: "admin@".into(), ..AuditQuery::default() };
            assert_eq!(store.search_audit(&q, 10, 0).await.unwrap().1, 5, "{name}: the admin's own reset and TOTP too");
            let q = AuditQuery { from_ms: Some(i64::MAX - 1), ..AuditQuery::default() };
            assert_eq!(store.search_audit(&q, 10, 0).await.unwrap().1, 0, "{name}");
            let q = AuditQuery { text: "desactive true".into(), to_ms: Some(i64::MAX), ..AuditQuery::default() };
            assert_eq!(store.search_audit(&q, 10, 0).await.unwrap().1, 1, "{name}: every word must match");
        }
    }

    #[tokio::test]
    async fn audit_pages_follow_each_other_and_team_members_leave_others_out() {
        for (name, store) in stores().await {
            for i in 0..7 {
                store.record_audit("robot", "essai.page", &format!("cible {i}"), None, None).await.unwrap();
            }
            store.record_audit("robot", "autre", "hors filtre", None, None).await.unwrap();
            let q = AuditQuery { action: "essai.".into(), ..AuditQuery::default() };
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store.audit_page(&q, after, 3).await.unwrap();
                let Some((last, _)) = page.last() else { break };
                after = Some(*last);
                seen.extend(page.into_iter().map(|(_, e)| e.target));
            }
            let expected: Vec<String> = (0..7).rev().map(|i| format!("cible {i}")).collect();
            assert_eq!(seen, expected, "{name}: every row once, most recent first");

            let hash = "$argon2id$fake";
            for (email, role) in [("a@x.fr", Role::Admin), ("c@x.fr", Role::Adviser), ("m@x.fr", Role::Moderator)] {
                store.create_user(&Email::parse(email).unwrap(), hash, role, "test").await.unwrap();
            }
            let off = store.create_user(&Email::parse("e@x.fr").unwrap(), hash, Role::Editor, "test").await.unwrap();
            store.set_user_disabled(&off, true, "test").await.unwrap();
            let team = store.team_members(&[Role::Admin, Role::Editor, Role::Moderator]).await.unwrap();
            let emails: Vec<&str> = team.iter().map(|u| u.email.as_str()).collect();
            assert_eq!(emails, vec!["a@x.fr", "m@x.fr"], "{name}: no adviser, no disabled account");
        }
    }
}

#[cfg(test)]
mod hardening_tests {
    use super::*;
    use crate::testing::stores;

    fn reset_mail(n: &str) -> crate::NewMail {
        crate::NewMail {
            message_id: format!("<{n}@osez.test>"),
            kind: "password_reset",
            to: "a@exemple.fr".into(),
            reply_to: None,
            subject: "Lien".into(),
            body: "…".into(),
        }
    }

    /// Regression: `insert_user` read before it wrote, so concurrent
    /// creations hit SQLITE_BUSY, and a race on one address was a store
    /// error instead of `EmailTaken`.
    #[tokio::test]
    async fn concurrent_creations_of_one_address_make_one_account_on_every_backend() {
        for (name, store) in stores().await {
            let email = Email::parse("course@exemple.fr").unwrap();
            let tasks: Vec<_> = (0..16)
                .map(|i| {
                    let (store, email) = (store.clone(), email.clone());
                    tokio::spawn(async move { store.create_user(&email, &format!("$h{i}"), Role::Adviser, "t").await })
                })
                .collect();
            let (mut created, mut taken) = (0, 0);
            for t in tasks {
                match t.await.unwrap() {
                    Ok(_) => created += 1,
                    Err(CreateUserError::EmailTaken) => taken += 1,
                    Err(e) => panic!("{name}: {e}"),
                }
            }
            assert_eq!((created, taken), (1, 15), "{name}");
            assert_eq!(store.audit_entries(100).await.unwrap().len(), 1, "{name}: one creation logged");
        }
    }

    #[tokio::test]
    async fn a_reset_spends_every_open_link_and_links_are_throttled_on_every_backend() {
        for (name, store) in stores().await {
            let user =
                store.create_user(&Email::parse("oubli@exemple.fr").unwrap(), "$h", Role::Editor, "t").await.unwrap();
            for n in ["l1", "l2", "l3"] {
                assert!(store.create_password_reset(n, user.id, i64::MAX, &reset_mail(n)).await.unwrap(), "{name}");
            }
            assert!(
                !store.create_password_reset("l4", user.id, i64::MAX, &reset_mail("l4")).await.unwrap(),
                "{name}: a fourth link in the hour is refused"
            );
            assert_eq!(store.outbox_status().await.unwrap().pending, 3, "{name}: and gets no mail");
            assert_eq!(store.password_reset_user("l4").await.unwrap(), None, "{name}");
            assert!(store.reset_password("l2", "$new").await.unwrap(), "{name}");
            for n in ["l1", "l3"] {
                assert_eq!(store.password_reset_user(n).await.unwrap(), None, "{name}: {n} spent too");
                assert!(!store.reset_password(n, "$other").await.unwrap(), "{name}: {n}");
            }
            assert_eq!(store.user(user.id).await.unwrap().unwrap().password_hash, "$new", "{name}");
        }
    }

    #[tokio::test]
    async fn a_second_enrolment_keeps_the_first_secret_on_every_backend() {
        for (name, store) in stores().await {
            let user =
                store.create_user(&Email::parse("totp@exemple.fr").unwrap(), "$h", Role::Admin, "t").await.unwrap();
            assert!(store.enable_totp(&user, "FIRST", 10).await.unwrap(), "{name}");
            assert!(!store.enable_totp(&user, "SECOND", 11).await.unwrap(), "{name}: already enrolled");
            let now = store.user(user.id).await.unwrap().unwrap();
            assert_eq!((now.totp_secret.as_deref(), now.totp_last_step), (Some("FIRST"), Some(10)), "{name}");
            let logged = store.audit_entries(10).await.unwrap();
            assert_eq!(logged.iter().filter(|e| e.action == "compte.double_authentification").count(), 1, "{name}");
        }
    }

    #[tokio::test]
    async fn the_audit_purge_deletes_old_rows_only_on_every_backend() {
        for (name, store) in stores().await {
            store.record_audit("a@exemple.fr", "essai.ancien", "x", None, None).await.unwrap();
            let cutoff = now_ms() + 1;
            sqlx::query("UPDATE audit_log SET at = at - 1000").execute(&store.pool).await.unwrap();
            sqlx::query("INSERT INTO audit_log (at, actor, action, target) VALUES ($1, 'b', 'essai.recent', 'y')")
                .bind(cutoff + 5)
                .execute(&store.pool)
                .await
                .unwrap();
            assert_eq!(store.purge_audit_before(cutoff).await.unwrap(), 1, "{name}");
            let left = store.audit_entries(10).await.unwrap();
            assert_eq!(left.len(), 1, "{name}");
            assert_eq!(left[0].action, "essai.recent", "{name}");
        }
    }
}
