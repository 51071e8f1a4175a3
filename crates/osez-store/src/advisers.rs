//! The adviser directory.

use std::collections::HashMap;

use osez_core::{Adviser, AdviserId, Category, Kind, Sector, Specialty, StructureType};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, now_ms};

/// What an upsert changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpsertReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Demo profiles deleted by an import that replaces them.
    pub removed_demo: usize,
}

const COLUMNS: &str = "id, kind, name, structure_type, category, address, commune_insee, commune, postal_code, \
    department, region, lat, lon, approx_location, specialties, sectors, in_person, remote, description, website, \
    source_url, is_demo";

/// Bumped on every change of the directory, so that the search index can
/// tell whether it is current.
const VERSION_KEY: &str = "advisers_version";

fn join<T: Copy>(items: &[T], slug: fn(T) -> &'static str) -> String {
    items.iter().map(|&i| slug(i)).collect::<Vec<_>>().join(",")
}

fn split<T>(id: &str, text: &str, from: fn(&str) -> Option<T>) -> Result<Vec<T>, StoreError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| from(s).ok_or_else(|| StoreError::Corrupt { id: id.into(), reason: format!("unknown slug {s:?}") }))
        .collect()
}

fn enum_of<T>(id: &str, text: &str, from: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    from(text).ok_or_else(|| StoreError::Corrupt { id: id.into(), reason: format!("unknown value {text:?}") })
}

fn from_row(r: &AnyRow) -> Result<Adviser, StoreError> {
    let id: String = r.try_get("id")?;
    let flag = |name: &str| -> Result<bool, StoreError> { Ok(r.try_get::<i64, _>(name)? != 0) };
    Ok(Adviser {
        id: AdviserId::parse(&id).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?,
        kind: enum_of(&id, &r.try_get::<String, _>("kind")?, Kind::from_slug)?,
        name: r.try_get("name")?,
        structure_type: enum_of(&id, &r.try_get::<String, _>("structure_type")?, StructureType::from_slug)?,
        category: enum_of(&id, &r.try_get::<String, _>("category")?, Category::from_slug)?,
        address: r.try_get("address")?,
        commune_insee: r.try_get("commune_insee")?,
        commune: r.try_get("commune")?,
        postal_code: r.try_get("postal_code")?,
        department: r.try_get("department")?,
        region: r.try_get("region")?,
        lat: r.try_get("lat")?,
        lon: r.try_get("lon")?,
        approx_location: flag("approx_location")?,
        specialties: split(&id, &r.try_get::<String, _>("specialties")?, Specialty::from_slug)?,
        sectors: split(&id, &r.try_get::<String, _>("sectors")?, Sector::from_slug)?,
        in_person: flag("in_person")?,
        remote: flag("remote")?,
        description: r.try_get("description")?,
        website: r.try_get("website")?,
        source_url: r.try_get("source_url")?,
        is_demo: flag("is_demo")?,
    })
}

impl Store {
    pub async fn advisers_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM advisers").fetch_one(&self.pool).await?)
    }

    pub async fn adviser(&self, id: &AdviserId) -> Result<Option<Adviser>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM advisers WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every adviser, ordered by id.
    pub async fn all_advisers(&self) -> Result<Vec<Adviser>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM advisers ORDER BY id")).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// The advisers the public directory shows: all but those hidden by
    /// moderation, ordered by id.
    pub async fn listed_advisers(&self) -> Result<Vec<Adviser>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM advisers WHERE hidden = 0 ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Version of the directory: changes whenever an adviser does.
    pub async fn advisers_version(&self) -> Result<i64, StoreError> {
        Ok(self.meta(VERSION_KEY).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Inserts new advisers and updates changed ones, by id, in one
    /// transaction: either all of them are saved or none is.
    pub async fn upsert_advisers(&self, advisers: &[Adviser]) -> Result<UpsertReport, StoreError> {
        self.import_advisers(advisers, false, &|_| ()).await
    }

    /// Like [`Store::upsert_advisers`]; also deletes the demo profiles when
    /// `remove_demo` (real data replaces them), in the same transaction, and
    /// reports progress (rows done) to `progress`.
    pub async fn import_advisers(
        &self,
        advisers: &[Adviser],
        remove_demo: bool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<UpsertReport, StoreError> {
        let existing: HashMap<String, Adviser> =
            self.all_advisers().await?.into_iter().map(|a| (a.id.as_str().to_string(), a)).collect();
        let mut report = UpsertReport::default();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        if remove_demo {
            let imported: std::collections::HashSet<&str> = advisers.iter().map(|a| a.id.as_str()).collect();
            let demo_ids: Vec<&str> = existing
                .values()
                .filter(|a| a.is_demo && !imported.contains(a.id.as_str()))
                .map(|a| a.id.as_str())
                .collect();
            for id in &demo_ids {
                sqlx::query("DELETE FROM advisers WHERE id = $1").bind(*id).execute(&mut *tx).await?;
            }
            report.removed_demo = demo_ids.len();
        }
        for (done, a) in advisers.iter().enumerate() {
            if done % 100 == 0 {
                progress(done);
            }
            match existing.get(a.id.as_str()) {
                Some(old) if old == a => {
                    report.unchanged += 1;
                    continue;
                }
                Some(_) => report.updated += 1,
                None => report.inserted += 1,
            }
            write_adviser(&mut tx, a, now).await?;
        }
        progress(advisers.len());
        if report.inserted + report.updated + report.removed_demo > 0 {
            bump_version(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// Inserts or updates one adviser inside the caller's transaction.
pub(crate) async fn write_adviser(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    a: &Adviser,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
            "INSERT INTO advisers ({COLUMNS}, created_at, updated_at) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
             structure_type = excluded.structure_type, category = excluded.category, address = excluded.address, \
             commune_insee = excluded.commune_insee, commune = excluded.commune, postal_code = excluded.postal_code, \
             department = excluded.department, region = excluded.region, lat = excluded.lat, lon = excluded.lon, \
             approx_location = excluded.approx_location, specialties = excluded.specialties, sectors = excluded.sectors, \
             in_person = excluded.in_person, remote = excluded.remote, description = excluded.description, \
             website = excluded.website, source_url = excluded.source_url, is_demo = excluded.is_demo, \
             updated_at = excluded.updated_at, version = advisers.version + 1"
        ))
        .bind(a.id.as_str())
        .bind(a.kind.slug())
        .bind(&a.name)
        .bind(a.structure_type.slug())
        .bind(a.category.slug())
        .bind(a.address.clone())
        .bind(&a.commune_insee)
        .bind(&a.commune)
        .bind(&a.postal_code)
        .bind(&a.department)
        .bind(&a.region)
        .bind(a.lat)
        .bind(a.lon)
        .bind(i64::from(a.approx_location))
        .bind(join(&a.specialties, Specialty::slug))
        .bind(join(&a.sectors, Sector::slug))
        .bind(i64::from(a.in_person))
        .bind(i64::from(a.remote))
        .bind(&a.description)
        .bind(a.website.clone())
        .bind(a.source_url.clone())
        .bind(i64::from(a.is_demo))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks the directory changed, inside the caller's transaction.
pub(crate) async fn bump_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
    crate::bump_counter(tx, VERSION_KEY).await
}

#[cfg(test)]
mod tests {
    use crate::testing::stores;
    use osez_core::{AdviserId, Geography, demo};

    #[tokio::test]
    async fn upsert_is_idempotent_and_round_trips_on_every_backend() {
        let geo = Geography::embedded().unwrap();
        let mut advisers = demo::generate(&geo, 7);
        advisers.truncate(50);
        for (name, store) in stores().await {
            let first = store.upsert_advisers(&advisers).await.unwrap();
            assert_eq!((first.inserted, first.updated, first.unchanged), (50, 0, 0), "{name}");
            let v1 = store.advisers_version().await.unwrap();
            let again = store.upsert_advisers(&advisers).await.unwrap();
            assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 50), "{name}");
            assert_eq!(store.advisers_version().await.unwrap(), v1, "{name}: no change, same version");

            let mut changed = advisers[3].clone();
            changed.name = "Nouveau nom".into();
            let r = store.upsert_advisers(&[changed.clone()]).await.unwrap();
            assert_eq!(r.updated, 1, "{name}");
            assert!(store.advisers_version().await.unwrap() > v1, "{name}");

            assert_eq!(store.adviser(&changed.id).await.unwrap().as_ref(), Some(&changed), "{name}");
            assert_eq!(store.advisers_count().await.unwrap(), 50, "{name}");
            let all = store.all_advisers().await.unwrap();
            assert_eq!(all.iter().find(|a| a.id == advisers[0].id), Some(&advisers[0]), "{name}: exact round trip");
            assert_eq!(store.adviser(&AdviserId::parse("absent").unwrap()).await.unwrap(), None, "{name}");
        }
    }

    #[tokio::test]
    async fn a_failing_row_leaves_nothing_half_saved() {
        let geo = Geography::embedded().unwrap();
        let mut advisers = demo::generate(&geo, 7);
        advisers.truncate(10);
        for (name, store) in stores().await {
            // A NUL byte is refused by PostgreSQL; on SQLite we break the
            // row with a duplicate primary key inside one batch instead.
            let mut batch = advisers.clone();
            let mut bad = advisers[9].clone();
            bad.name = "bad\0name".into();
            batch[9] = bad;
            if store.backend() == crate::Backend::Sqlite {
                sqlx::query("CREATE TRIGGER refuse_last BEFORE INSERT ON advisers WHEN NEW.name LIKE 'bad%' BEGIN SELECT RAISE(ABORT, 'refused'); END")
                    .execute(&store.pool)
                    .await
                    .unwrap();
            }
            assert!(store.upsert_advisers(&batch).await.is_err(), "{name}");
            assert_eq!(store.advisers_count().await.unwrap(), 0, "{name}: nothing half-saved");
            assert_eq!(store.advisers_version().await.unwrap(), 0, "{name}");
        }
    }

    #[tokio::test]
    async fn an_import_replaces_the_demo_profiles() {
        let geo = Geography::embedded().unwrap();
        let demo_rows: Vec<_> = demo::generate(&geo, 7).into_iter().take(5).collect();
        let mut real = demo_rows[0].clone();
        real.id = AdviserId::parse("12345").unwrap();
        real.is_demo = false;
        for (name, store) in stores().await {
            store.upsert_advisers(&demo_rows).await.unwrap();
            let r = store.import_advisers(std::slice::from_ref(&real), true, &|_| ()).await.unwrap();
            assert_eq!((r.inserted, r.removed_demo), (1, 5), "{name}");
            assert_eq!(store.all_advisers().await.unwrap(), vec![real.clone()], "{name}");
        }
    }

    #[tokio::test]
    async fn zero_result_searches_are_recorded() {
        for (name, store) in stores().await {
            store.record_zero_result("plombier zorglub", r#"{"kind":"activateur"}"#).await.unwrap();
            let rows = store.zero_result_searches(10).await.unwrap();
            assert_eq!(rows.len(), 1, "{name}");
            assert_eq!(rows[0].query, "plombier zorglub");
        }
    }
}
