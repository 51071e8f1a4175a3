//! Searches that found nothing, recorded for the back office.

use sqlx::Row;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeroResultSearch {
    pub query: String,
    /// The filters as JSON text (`{"kind":"ambassadeur_ia",…}`).
    pub filters: String,
    pub created_at_ms: i64,
}

impl Store {
    pub async fn record_zero_result(&self, query: &str, filters: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO zero_result_searches (query, filters, created_at) VALUES ($1, $2, $3)")
            .bind(query)
            .bind(filters)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The most recent ones first.
    pub async fn zero_result_searches(&self, limit: i64) -> Result<Vec<ZeroResultSearch>, StoreError> {
        let rows = sqlx::query(
            "SELECT query, filters, created_at FROM zero_result_searches ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ZeroResultSearch {
                    query: r.try_get("query")?,
                    filters: r.try_get("filters")?,
                    created_at_ms: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
