//! The audit log: every change to an account and every sign-in attempt,
//! written in the transaction of the change; searched, paged and purged.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, now_ms};

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

impl Store {
    /// Deletes the audit entries older than `cutoff_ms`; returns how many.
    pub async fn purge_audit_before(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(cutoff_ms)
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

/// Writes an audit entry inside the caller's transaction, so that a change
/// and its record commit together or not at all.
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
