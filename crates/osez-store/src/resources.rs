//! The resource centre: resources, their versions and their workflow.
//!
//! The content of every version is kept whole, as JSON of
//! [`osez_core::resource::Content`]; the row says which version is the
//! latest (`head`) and which one the public sees (`live`).

use osez_core::AdviserId;
use osez_core::resource::{Content, Resource, Status};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, bump_counter, now_ms};

mod proposals;
mod workflow;
pub use proposals::OPEN_PROPOSALS_MAX;
pub use workflow::{EditError, ResourceRow, ResourceVersion, allowed as workflow_allows};

/// Bumped on every change the public can see, so that each node's search
/// index can tell whether it is current.
pub(crate) const VERSION_KEY: &str = "resources_version";

/// Who loaded the starter content, in versions and the audit log.
pub const STARTER_AUTHOR: &str = "osez (contenu de départ)";

pub(crate) fn content_of(id: &str, json: &str) -> Result<Content, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt { id: id.into(), reason: e.to_string() })
}

const PUBLISHED: &str = "SELECT r.id, r.published_at, r.updated_at, r.is_demo, r.organiser, v.content \
     FROM resources r JOIN resource_versions v ON v.resource_id = r.id AND v.version = r.live \
     WHERE r.live IS NOT NULL AND r.status <> 'archived'";

/// The organiser column of a row, as an adviser id.
pub(crate) fn organiser_of(id: &str, r: &AnyRow) -> Result<Option<AdviserId>, StoreError> {
    let raw: Option<String> = r.try_get("organiser")?;
    raw.map(|o| AdviserId::parse(&o).map_err(|e| StoreError::Corrupt { id: id.into(), reason: e.to_string() }))
        .transpose()
}

fn published_from_row(r: &AnyRow) -> Result<Resource, StoreError> {
    let id: String = r.try_get("id")?;
    let content = content_of(&id, &r.try_get::<String, _>("content")?)?;
    Ok(Resource {
        content,
        published_at: r.try_get::<Option<i64>, _>("published_at")?.unwrap_or(0),
        updated_at: r.try_get::<Option<i64>, _>("updated_at")?.unwrap_or(0),
        is_demo: r.try_get::<i64, _>("is_demo")? != 0,
        organiser: organiser_of(&id, r)?,
        slug: id,
    })
}

impl Store {
    pub async fn resources_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM resources").fetch_one(&self.pool).await?)
    }

    /// Version of what the public sees of the resource centre.
    pub async fn resources_version(&self) -> Result<i64, StoreError> {
        Ok(self.meta(VERSION_KEY).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Loads published resources (the starter content), each as its first
    /// version, in one transaction; a slug already there is left as it is.
    /// Returns how many were added.
    pub async fn load_published_resources(&self, resources: &[Resource]) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let now = now_ms();
        let mut added = 0;
        for r in resources {
            let json = serde_json::to_string(&r.content)
                .map_err(|e| StoreError::Corrupt { id: r.slug.clone(), reason: e.to_string() })?;
            let inserted = sqlx::query(
                "INSERT INTO resources (id, kind, status, head, live, publish_at, published_at, updated_at, is_demo, \
                 created_by, created_at) VALUES ($1, $2, $3, 1, 1, NULL, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&r.slug)
            .bind(r.content.kind.slug())
            .bind(Status::Published.slug())
            .bind(r.published_at)
            .bind(r.updated_at)
            .bind(i64::from(r.is_demo))
            .bind(STARTER_AUTHOR)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                continue;
            }
            sqlx::query(
                "INSERT INTO resource_versions (resource_id, version, content, author, note, created_at) \
                 VALUES ($1, 1, $2, $3, $4, $5)",
            )
            .bind(&r.slug)
            .bind(json)
            .bind(STARTER_AUTHOR)
            .bind("Contenu de départ")
            .bind(now)
            .execute(&mut *tx)
            .await?;
            added += 1;
        }
        if added > 0 {
            bump_counter(&mut tx, VERSION_KEY).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Every published resource, in its live version, ordered by slug.
    pub async fn published_resources(&self) -> Result<Vec<Resource>, StoreError> {
        let rows = sqlx::query(&format!("{PUBLISHED} ORDER BY r.id")).fetch_all(&self.pool).await?;
        rows.iter().map(published_from_row).collect()
    }

    /// One published resource, in its live version.
    pub async fn published_resource(&self, slug: &str) -> Result<Option<Resource>, StoreError> {
        let row = sqlx::query(&format!("{PUBLISHED} AND r.id = $1")).bind(slug).fetch_optional(&self.pool).await?;
        row.as_ref().map(published_from_row).transpose()
    }
}

#[cfg(test)]
mod tests {
    use osez_core::resource::starter;

    use crate::testing::stores;

    #[tokio::test]
    async fn starter_content_loads_once_and_round_trips_on_every_backend() {
        let starter = starter::all(1_796_212_800_000).unwrap();
        for (name, store) in stores().await {
            assert_eq!(store.resources_version().await.unwrap(), 0, "{name}");
            assert_eq!(store.load_published_resources(&starter).await.unwrap(), starter.len(), "{name}");
            let v1 = store.resources_version().await.unwrap();
            assert!(v1 > 0, "{name}");
            // Loading again adds nothing and changes no version.
            assert_eq!(store.load_published_resources(&starter).await.unwrap(), 0, "{name}");
            assert_eq!(store.resources_version().await.unwrap(), v1, "{name}");
            let mut expected = starter.clone();
            expected.sort_by(|a, b| a.slug.cmp(&b.slug));
            assert_eq!(store.published_resources().await.unwrap(), expected, "{name}");
            let one = store.published_resource(&expected[3].slug).await.unwrap();
            assert_eq!(one.as_ref(), Some(&expected[3]), "{name}");
            assert_eq!(store.published_resource("absente").await.unwrap(), None, "{name}");
        }
    }
}
