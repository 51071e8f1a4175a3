//! Abuse reports sent from adviser profiles.

use osez_core::AdviserId;

use crate::{Store, StoreError, now_ms};

impl Store {
    pub async fn record_abuse_report(
        &self,
        adviser: &AdviserId,
        reason: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO abuse_reports (adviser_id, reason, message, created_at) VALUES ($1, $2, $3, $4)")
            .bind(adviser.as_str())
            .bind(reason)
            .bind(message)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn abuse_report_count(&self, adviser: &AdviserId) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM abuse_reports WHERE adviser_id = $1")
            .bind(adviser.as_str())
            .fetch_one(&self.pool)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::stores;
    use osez_core::{Geography, demo};

    #[tokio::test]
    async fn reports_are_kept_per_adviser() {
        let geo = Geography::embedded().unwrap();
        let advisers: Vec<_> = demo::generate(&geo, 1).into_iter().take(2).collect();
        for (name, store) in stores().await {
            store.upsert_advisers(&advisers).await.unwrap();
            store.record_abuse_report(&advisers[0].id, "fausses_informations", "Adresse inexistante").await.unwrap();
            assert_eq!(store.abuse_report_count(&advisers[0].id).await.unwrap(), 1, "{name}");
            assert_eq!(store.abuse_report_count(&advisers[1].id).await.unwrap(), 0, "{name}");
        }
    }
}
