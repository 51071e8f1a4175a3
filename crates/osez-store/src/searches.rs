//! Searches that found nothing, recorded for the back office.

use std::collections::HashMap;

use sqlx::Row;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeroResultSearch {
    pub query: String,
    /// The filters as JSON text (`{"kind":"ambassadeur_ia",…}`).
    pub filters: String,
    pub created_at_ms: i64,
}

/// One query of the weekly report: how often it found nothing, and with
/// which filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeroResultQuery {
    /// The query as typed most often (queries are grouped by folded text).
    pub query: String,
    pub count: i64,
    /// Distinct filter sets used, the most frequent first.
    pub filters: Vec<(String, i64)>,
    pub last_at_ms: i64,
}

/// Rows read for one report at most: a week of a busy site, bounded.
const REPORT_ROWS: i64 = 200_000;

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

    /// Searches that found nothing between `from_ms` (included) and `to_ms`
    /// (excluded), grouped by folded query ("Méthanisation" and
    /// "methanisation" are one line), the most frequent first.
    pub async fn zero_result_report(&self, from_ms: i64, to_ms: i64) -> Result<Vec<ZeroResultQuery>, StoreError> {
        let rows = sqlx::query(
            "SELECT query, filters, created_at FROM zero_result_searches \
             WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at LIMIT $3",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(REPORT_ROWS)
        .fetch_all(&self.pool)
        .await?;
        struct Group {
            spellings: HashMap<String, i64>,
            filters: HashMap<String, i64>,
            count: i64,
            last: i64,
        }
        let mut groups: HashMap<String, Group> = HashMap::new();
        for r in &rows {
            let query: String = r.try_get("query")?;
            let filters: String = r.try_get("filters")?;
            let at: i64 = r.try_get("created_at")?;
            let key = osez_core::text::fold(&query);
            let g = groups.entry(key).or_insert_with(|| Group {
                spellings: HashMap::new(),
                filters: HashMap::new(),
                count: 0,
                last: 0,
            });
            *g.spellings.entry(query).or_default() += 1;
            *g.filters.entry(filters).or_default() += 1;
            g.count += 1;
            g.last = g.last.max(at);
        }
        let by_count = |m: HashMap<String, i64>| {
            let mut v: Vec<(String, i64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        let mut report: Vec<ZeroResultQuery> = groups
            .into_values()
            .map(|g| ZeroResultQuery {
                query: by_count(g.spellings).into_iter().next().map(|(q, _)| q).unwrap_or_default(),
                count: g.count,
                filters: by_count(g.filters),
                last_at_ms: g.last,
            })
            .collect();
        report.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)));
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::stores;

    #[tokio::test]
    async fn the_weekly_report_groups_spellings_and_counts_filters() {
        for (name, store) in stores().await {
            store.record_zero_result("méthanisation", "{}").await.unwrap();
            store.record_zero_result("Méthanisation", "{\"kind\":\"ambassadeur_ia\"}").await.unwrap();
            store.record_zero_result("méthanisation", "{}").await.unwrap();
            store.record_zero_result("robot de traite", "{}").await.unwrap();
            let now = crate::now_ms();
            let report = store.zero_result_report(now - 60_000, now + 60_000).await.unwrap();
            assert_eq!(report.len(), 2, "{name}");
            assert_eq!(report[0].query, "méthanisation", "{name}: the most frequent spelling");
            assert_eq!(report[0].count, 3);
            assert_eq!(
                report[0].filters,
                vec![("{}".to_string(), 2), ("{\"kind\":\"ambassadeur_ia\"}".to_string(), 1)]
            );
            assert_eq!(report[1].query, "robot de traite");
            assert!(store.zero_result_report(now + 60_000, now + 120_000).await.unwrap().is_empty(), "{name}");
        }
    }
}
