//! The editorial workflow of resources: drafts, versions, review,
//! scheduled and immediate publication, archiving and restoring, each in
//! one transaction with its audit entry.
//!
//! `status` is the state of the latest version (`head`); `live` is the
//! version the public sees, kept while a newer one is written and
//! reviewed. Saving checks the head the editor started from, so that two
//! editors never overwrite each other silently.

use osez_core::AdviserId;
use osez_core::resource::{Content, Status};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{VERSION_KEY, content_of, organiser_of};
use crate::audit::audit;
use crate::outbox::{NewMail, enqueue};
use crate::{Store, StoreError, bump_counter, now_ms};

/// A resource as the back office lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    pub slug: String,
    pub status: Status,
    pub head: i64,
    pub live: Option<i64>,
    pub publish_at: Option<i64>,
    pub published_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub is_demo: bool,
    /// The adviser who proposed it, if an adviser did.
    pub organiser: Option<AdviserId>,
    /// The head version's content.
    pub content: Content,
    pub head_at: i64,
    pub head_author: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceVersion {
    pub version: i64,
    pub content: Content,
    pub author: String,
    pub note: String,
    pub created_at: i64,
}

/// Why an edit was not saved; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("a resource already has this address")]
    SlugTaken,
    #[error("no such resource or version")]
    NotFound,
    /// Someone saved a newer version since the editor opened this one.
    #[error("version {head} was saved meanwhile")]
    Stale { head: i64 },
    #[error("cannot go from {from:?} to {to:?}")]
    Transition { from: Status, to: Status },
    /// An adviser already has as many proposals waiting as allowed.
    #[error("too many proposals waiting")]
    TooManyOpen,
    /// Not the proposer's, or no longer theirs to change (published,
    /// scheduled or archived).
    #[error("this proposal cannot be changed by its organiser now")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for EditError {
    fn from(e: sqlx::Error) -> Self {
        EditError::Store(StoreError::Database(e))
    }
}

pub(super) const ROW: &str = "SELECT r.id, r.status, r.head, r.live, r.publish_at, r.published_at, r.updated_at, r.is_demo, r.organiser, \
     v.content, v.created_at AS head_at, v.author AS head_author \
     FROM resources r JOIN resource_versions v ON v.resource_id = r.id AND v.version = r.head";

pub(super) fn row_from(r: &AnyRow) -> Result<ResourceRow, StoreError> {
    let slug: String = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    Ok(ResourceRow {
        status: Status::from_slug(&status)
            .ok_or_else(|| StoreError::Corrupt { id: slug.clone(), reason: format!("status {status:?}") })?,
        head: r.try_get("head")?,
        live: r.try_get("live")?,
        publish_at: r.try_get("publish_at")?,
        published_at: r.try_get("published_at")?,
        updated_at: r.try_get("updated_at")?,
        is_demo: r.try_get::<i64, _>("is_demo")? != 0,
        organiser: organiser_of(&slug, r)?,
        content: content_of(&slug, &r.try_get::<String, _>("content")?)?,
        head_at: r.try_get("head_at")?,
        head_author: r.try_get("head_author")?,
        slug,
    })
}

fn json(slug: &str, content: &Content) -> Result<String, StoreError> {
    serde_json::to_string(content).map_err(|e| StoreError::Corrupt { id: slug.into(), reason: e.to_string() })
}

/// Which moves the workflow allows.
pub fn allowed(from: Status, to: Status) -> bool {
    use Status::*;
    matches!(
        (from, to),
        (Draft, Review)
            | (Review, Draft)
            | (Draft | Review, Published)
            | (Draft | Review, Scheduled)
            | (Scheduled, Draft)
            | (Scheduled, Published)
            | (Published, Archived)
            | (Archived, Draft)
    )
}

impl Store {
    /// A new resource, as a draft (version 1).
    pub async fn create_resource(
        &self,
        slug: &str,
        content: &Content,
        is_demo: bool,
        author: &str,
    ) -> Result<(), EditError> {
        let mut tx = self.pool.begin().await?;
        let new = NewRow { slug, content, status: Status::Draft, is_demo, organiser: None, author };
        if !insert_row(&mut tx, &new).await? {
            return Err(EditError::SlugTaken);
        }
        insert_version(&mut tx, slug, 1, content, author, "Création").await?;
        audit(&mut tx, author, "resource.create", slug, None, Some(&content.title)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves a new version on top of `from_head`. A published resource
    /// stays visible in its live version; the new one is a draft.
    pub async fn save_resource(
        &self,
        slug: &str,
        from_head: i64,
        content: &Content,
        author: &str,
        note: &str,
    ) -> Result<i64, EditError> {
        let mut tx = self.pool.begin().await?;
        let head = from_head + 1;
        // The head moves only from the version the editor started from.
        let moved = sqlx::query(
            "UPDATE resources SET head = $1, kind = $2, \
             status = CASE WHEN status = 'archived' THEN 'archived' ELSE 'draft' END, publish_at = NULL \
             WHERE id = $3 AND head = $4",
        )
        .bind(head)
        .bind(content.kind.slug())
        .bind(slug)
        .bind(from_head)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            let current: Option<i64> = sqlx::query_scalar("SELECT head FROM resources WHERE id = $1")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match current {
                Some(head) => EditError::Stale { head },
                None => EditError::NotFound,
            });
        }
        insert_version(&mut tx, slug, head, content, author, note).await?;
        audit(&mut tx, author, "resource.save", slug, Some(&from_head.to_string()), Some(&head.to_string())).await?;
        tx.commit().await?;
        Ok(head)
    }

    /// Moves the head through the workflow. Publishing makes the head the
    /// live version; archiving takes the resource off the public site;
    /// scheduling needs `publish_at`, published by
    /// [`Store::publish_due_resources`].
    pub async fn set_resource_status(
        &self,
        slug: &str,
        to: Status,
        publish_at: Option<i64>,
        actor: &str,
    ) -> Result<(), EditError> {
        self.set_resource_status_with(slug, to, publish_at, actor, &[]).await
    }

    /// Same, and the `mails` (to the organiser of a proposal) go to the
    /// outbox in the same transaction: sent if and only if the move is
    /// made.
    pub async fn set_resource_status_with(
        &self,
        slug: &str,
        to: Status,
        publish_at: Option<i64>,
        actor: &str,
        mails: &[NewMail],
    ) -> Result<(), EditError> {
        let mut tx = self.pool.begin().await?;
        let current: Option<String> = sqlx::query_scalar("SELECT status FROM resources WHERE id = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
        let from = current.as_deref().and_then(Status::from_slug).ok_or(EditError::NotFound)?;
        if !allowed(from, to) || (to == Status::Scheduled) != publish_at.is_some() {
            return Err(EditError::Transition { from, to });
        }
        let now = now_ms();
        let query = match to {
            Status::Published => sqlx::query(
                "UPDATE resources SET status = 'published', live = head, publish_at = NULL, \
                 published_at = COALESCE(published_at, $1), updated_at = $1 WHERE id = $2 AND status = $3",
            )
            .bind(now)
            .bind(slug)
            .bind(from.slug()),
            Status::Archived => sqlx::query(
                "UPDATE resources SET status = 'archived', live = NULL, publish_at = NULL WHERE id = $1 AND status = $2",
            )
            .bind(slug)
            .bind(from.slug()),
            _ => sqlx::query("UPDATE resources SET status = $1, publish_at = $2 WHERE id = $3 AND status = $4")
                .bind(to.slug())
                .bind(publish_at)
                .bind(slug)
                .bind(from.slug()),
        };
        // A concurrent move since the read above changes nothing here.
        if query.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(EditError::Transition { from, to });
        }
        if matches!(to, Status::Published | Status::Archived) {
            bump_counter(&mut tx, VERSION_KEY).await?;
        }
        audit(&mut tx, actor, &format!("resource.{}", to.slug()), slug, Some(from.slug()), Some(to.slug())).await?;
        for mail in mails {
            enqueue(&mut tx, mail, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Publishes the scheduled resources whose time has come; returns
    /// their slugs.
    pub async fn publish_due_resources(&self, now: i64) -> Result<Vec<String>, EditError> {
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM resources WHERE status = 'scheduled' AND publish_at <= $1 ORDER BY publish_at, id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let mut done = Vec::new();
        for slug in due {
            match self.set_resource_status(&slug, Status::Published, None, "osez (publication programmée)").await {
                Ok(()) => done.push(slug),
                // Another node published or someone unscheduled it meanwhile.
                Err(EditError::Transition { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Makes an old version the newest again (as a new version).
    pub async fn restore_resource(&self, slug: &str, version: i64, author: &str) -> Result<i64, EditError> {
        let old = self.resource_version(slug, version).await?.ok_or(EditError::NotFound)?;
        let row = self.resource_row(slug).await?.ok_or(EditError::NotFound)?;
        self.save_resource(slug, row.head, &old.content, author, &format!("Restauration de la version {version}")).await
    }

    pub async fn resource_row(&self, slug: &str) -> Result<Option<ResourceRow>, StoreError> {
        let row = sqlx::query(&format!("{ROW} WHERE r.id = $1")).bind(slug).fetch_optional(&self.pool).await?;
        row.as_ref().map(row_from).transpose()
    }

    /// A page of resources for the back office, the latest change first,
    /// optionally of one status.
    pub async fn resource_rows(
        &self,
        status: Option<Status>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ResourceRow>, StoreError> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!("{ROW} WHERE r.status = $1 ORDER BY v.created_at DESC, r.id LIMIT $2 OFFSET $3"))
                    .bind(s.slug())
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(&format!("{ROW} ORDER BY v.created_at DESC, r.id LIMIT $1 OFFSET $2"))
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(row_from).collect()
    }

    /// Every version of a resource, newest first.
    pub async fn resource_versions(&self, slug: &str) -> Result<Vec<ResourceVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, content, author, note, created_at FROM resource_versions WHERE resource_id = $1 \
             ORDER BY version DESC",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| version_from(slug, r)).collect()
    }

    pub async fn resource_version(&self, slug: &str, version: i64) -> Result<Option<ResourceVersion>, StoreError> {
        let row = sqlx::query(
            "SELECT version, content, author, note, created_at FROM resource_versions \
             WHERE resource_id = $1 AND version = $2",
        )
        .bind(slug)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| version_from(slug, r)).transpose()
    }
}

fn version_from(slug: &str, r: &AnyRow) -> Result<ResourceVersion, StoreError> {
    Ok(ResourceVersion {
        version: r.try_get("version")?,
        content: content_of(slug, &r.try_get::<String, _>("content")?)?,
        author: r.try_get("author")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The row of a new resource, at version 1.
pub(super) struct NewRow<'a> {
    pub slug: &'a str,
    pub content: &'a Content,
    pub status: Status,
    pub is_demo: bool,
    pub organiser: Option<&'a AdviserId>,
    pub author: &'a str,
}

/// Inserts the row of a new resource; false when the slug is taken.
pub(super) async fn insert_row(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewRow<'_>,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO resources (id, kind, status, head, live, publish_at, published_at, updated_at, is_demo, \
         created_by, created_at, organiser) VALUES ($1, $2, $3, 1, NULL, NULL, NULL, NULL, $4, $5, $6, $7) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(new.slug)
    .bind(new.content.kind.slug())
    .bind(new.status.slug())
    .bind(i64::from(new.is_demo))
    .bind(new.author)
    .bind(now_ms())
    .bind(new.organiser.map(AdviserId::as_str))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

pub(super) async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    slug: &str,
    version: i64,
    content: &Content,
    author: &str,
    note: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO resource_versions (resource_id, version, content, author, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(slug)
    .bind(version)
    .bind(json(slug, content)?)
    .bind(author)
    .bind(note)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
