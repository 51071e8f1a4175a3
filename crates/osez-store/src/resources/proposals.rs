//! Events proposed by advisers: a proposal is a resource in review with
//! its organiser; the organiser may change it until the team publishes
//! it, and has at most [`OPEN_PROPOSALS_MAX`] waiting at once.

use osez_core::AdviserId;
use osez_core::resource::{Content, Status};

use super::workflow::{EditError, NewRow, ROW, ResourceRow, insert_row, insert_version, row_from};
use crate::audit::audit;
use crate::{Store, StoreError};

/// Most proposals an adviser may have waiting for the team (in review or
/// sent back to them as drafts).
pub const OPEN_PROPOSALS_MAX: i64 = 10;

/// Locks the adviser's row until the transaction ends (an `UPDATE`, which
/// PostgreSQL locks and SQLite serialises), so that two proposals sent at
/// once are counted one after the other. False when there is no such
/// adviser.
async fn lock_adviser(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: &AdviserId) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE advisers SET id = id WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected()
        > 0)
}

impl Store {
    /// A new event proposed by `organiser`, straight into review.
    pub async fn propose_event(
        &self,
        slug: &str,
        content: &Content,
        organiser: &AdviserId,
        author: &str,
    ) -> Result<(), EditError> {
        let mut tx = self.pool.begin().await?;
        if !lock_adviser(&mut tx, organiser).await? {
            return Err(EditError::NotFound);
        }
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM resources WHERE organiser = $1 AND status IN ('draft', 'review')")
                .bind(organiser.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if open >= OPEN_PROPOSALS_MAX {
            return Err(EditError::TooManyOpen);
        }
        let new = NewRow { slug, content, status: Status::Review, is_demo: false, organiser: Some(organiser), author };
        if !insert_row(&mut tx, &new).await? {
            return Err(EditError::SlugTaken);
        }
        insert_version(&mut tx, slug, 1, content, author, "Proposition d'un conseiller").await?;
        audit(&mut tx, author, "resource.propose", slug, None, Some(&content.title)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A new version of a proposal by its organiser, on top of
    /// `from_head`, back into review. Only while the team has not
    /// published, scheduled or archived it.
    pub async fn save_proposal(
        &self,
        slug: &str,
        from_head: i64,
        content: &Content,
        organiser: &AdviserId,
        author: &str,
    ) -> Result<i64, EditError> {
        let mut tx = self.pool.begin().await?;
        let head = from_head + 1;
        let moved = sqlx::query(
            "UPDATE resources SET head = $1, kind = $2, status = 'review' \
             WHERE id = $3 AND head = $4 AND organiser = $5 AND status IN ('draft', 'review')",
        )
        .bind(head)
        .bind(content.kind.slug())
        .bind(slug)
        .bind(from_head)
        .bind(organiser.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            let current = sqlx::query(&format!("{ROW} WHERE r.id = $1"))
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(row_from)
                .transpose()?;
            return Err(match current {
                None => EditError::NotFound,
                Some(r) if r.organiser.as_ref() != Some(organiser) => EditError::NotFound,
                Some(r) if r.head != from_head && r.status.is_open_proposal() => EditError::Stale { head: r.head },
                Some(_) => EditError::Closed,
            });
        }
        insert_version(&mut tx, slug, head, content, author, "Modification par le conseiller").await?;
        audit(&mut tx, author, "resource.save", slug, Some(&from_head.to_string()), Some(&head.to_string())).await?;
        tx.commit().await?;
        Ok(head)
    }

    /// The latest `limit` resources proposed by `organiser`, newest first.
    pub async fn proposals_of(&self, organiser: &AdviserId, limit: i64) -> Result<Vec<ResourceRow>, StoreError> {
        let rows = sqlx::query(&format!("{ROW} WHERE r.organiser = $1 ORDER BY r.created_at DESC, r.id LIMIT $2"))
            .bind(organiser.as_str())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_from).collect()
    }
}

#[cfg(test)]
mod tests;
