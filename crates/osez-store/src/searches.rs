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

/// A search that found nothing, as the web layer queues it: its own time,
/// so that a batch written later keeps when each search happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewZeroResult {
    pub query: String,
    pub filters: String,
    pub at_ms: i64,
}

/// The weekly report and whether a limit cut it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZeroResultReport {
    pub queries: Vec<ZeroResultQuery>,
    /// More distinct (query, filters) pairs were recorded than were read:
    /// the report counts the most recent ones.
    pub truncated: bool,
}

/// Rows of one multi-row INSERT: 3 parameters each, far below the limits of
/// both backends (SQLite: 32,766 parameters).
const INSERT_CHUNK: usize = 200;

impl Store {
    pub async fn record_zero_result(&self, query: &str, filters: &str) -> Result<(), StoreError> {
        let one = NewZeroResult { query: query.into(), filters: filters.into(), at_ms: now_ms() };
        self.record_zero_results(std::slice::from_ref(&one)).await
    }

    /// Writes a batch in one transaction: one commit (one sync of the log
    /// on SQLite) for the whole batch instead of one per search.
    pub async fn record_zero_results(&self, batch: &[NewZeroResult]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for chunk in batch.chunks(INSERT_CHUNK) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT INTO zero_result_searches (query, filters, created_at) VALUES {values}");
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q.bind(r.query.as_str()).bind(r.filters.as_str()).bind(r.at_ms);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
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
    ///
    /// The database counts each distinct (query, filters) pair, and at most
    /// `max_pairs` of them are read, the most recently seen first: a busy
    /// week is reported from its newest searches, never cut to its oldest.
    /// Folding happens here, as SQL has no portable accent folding.
    pub async fn zero_result_report(
        &self,
        from_ms: i64,
        to_ms: i64,
        max_pairs: i64,
    ) -> Result<ZeroResultReport, StoreError> {
        let rows = sqlx::query(
            "SELECT query, filters, COUNT(*) AS n, MAX(created_at) AS last_at FROM zero_result_searches \
             WHERE created_at >= $1 AND created_at < $2 GROUP BY query, filters \
             ORDER BY last_at DESC, query, filters LIMIT $3",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(max_pairs.saturating_add(1))
        .fetch_all(&self.pool)
        .await?;
        let truncated = rows.len() as i64 > max_pairs;
        struct Group {
            spellings: HashMap<String, i64>,
            filters: HashMap<String, i64>,
            count: i64,
            last: i64,
        }
        let mut groups: HashMap<String, Group> = HashMap::new();
        for r in rows.iter().take(max_pairs.max(0) as usize) {
            let query: String = r.try_get("query")?;
            let filters: String = r.try_get("filters")?;
            let n: i64 = r.try_get("n")?;
            let at: i64 = r.try_get("last_at")?;
            let key = osez_core::text::fold(&query);
            let g = groups.entry(key).or_insert_with(|| Group {
                spellings: HashMap::new(),
                filters: HashMap::new(),
                count: 0,
                last: 0,
            });
            *g.spellings.entry(query).or_default() += n;
            *g.filters.entry(filters).or_default() += n;
            g.count += n;
            g.last = g.last.max(at);
        }
        let by_count = |m: HashMap<String, i64>| {
            let mut v: Vec<(String, i64)> = m.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        let mut queries: Vec<ZeroResultQuery> = groups
            .into_values()
            .map(|g| ZeroResultQuery {
                query: by_count(g.spellings).into_iter().next().map(|(q, _)| q).unwrap_or_default(),
                count: g.count,
                filters: by_count(g.filters),
                last_at_ms: g.last,
            })
            .collect();
        queries.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)));
        Ok(ZeroResultReport { queries, truncated })
    }
}

#[cfg(test)]
mod tests {
    use super::NewZeroResult;
    use crate::testing::stores;

    #[tokio::test]
    async fn the_weekly_report_groups_spellings_and_counts_filters() {
        for (name, store) in stores().await {
            store.record_zero_result("méthanisation", "{}").await.unwrap();
            store.record_zero_result("Méthanisation", "{\"kind\":\"ambassadeur_ia\"}").await.unwrap();
            store.record_zero_result("méthanisation", "{}").await.unwrap();
            store.record_zero_result("robot de traite", "{}").await.unwrap();
            let now = crate::now_ms();
            let report = store.zero_result_report(now - 60_000, now + 60_000, 100).await.unwrap();
            assert!(!report.truncated, "{name}");
            let report = report.queries;
            assert_eq!(report.len(), 2, "{name}");
            assert_eq!(report[0].query, "méthanisation", "{name}: the most frequent spelling");
            assert_eq!(report[0].count, 3);
            assert_eq!(
                report[0].filters,
                vec![("{}".to_string(), 2), ("{\"kind\":\"ambassadeur_ia\"}".to_string(), 1)]
            );
            assert_eq!(report[1].query, "robot de traite");
            let later = store.zero_result_report(now + 60_000, now + 120_000, 100).await.unwrap();
            assert!(later.queries.is_empty(), "{name}");
        }
    }

    /// Regression: the report read its rows oldest first under a LIMIT, so a
    /// busy week lost its newest searches.
    #[tokio::test]
    async fn a_busy_week_is_reported_from_its_newest_searches() {
        for (name, store) in stores().await {
            let batch: Vec<NewZeroResult> = (0..10)
                .map(|i| NewZeroResult { query: format!("requete {i}"), filters: "{}".into(), at_ms: 1_000 + i })
                .collect();
            store.record_zero_results(&batch).await.unwrap();
            // More rows than the limit, twice over for the newest query.
            store.record_zero_results(&[NewZeroResult { at_ms: 1_009, ..batch[9].clone() }]).await.unwrap();
            let report = store.zero_result_report(0, 2_000, 3).await.unwrap();
            assert!(report.truncated, "{name}");
            let mut queries: Vec<(&str, i64)> = report.queries.iter().map(|q| (q.query.as_str(), q.count)).collect();
            queries.sort();
            assert_eq!(queries, vec![("requete 7", 1), ("requete 8", 1), ("requete 9", 2)], "{name}");
            assert_eq!(report.queries[0].last_at_ms, 1_009, "{name}");
            let all = store.zero_result_report(0, 2_000, 10).await.unwrap();
            assert!(!all.truncated, "{name}");
            assert_eq!(all.queries.iter().map(|q| q.count).sum::<i64>(), 11, "{name}");
        }
    }

    /// Regression: the retention purge left searches without results
    /// forever, and their free text may name a person.
    #[tokio::test]
    async fn the_retention_purge_deletes_old_searches() {
        for (name, store) in stores().await {
            let row = |q: &str, at_ms| NewZeroResult { query: q.into(), filters: "{}".into(), at_ms };
            store.record_zero_results(&[row("Jean Dupont plombier", 1_000), row("récente", 5_000)]).await.unwrap();
            let purged = store.purge_before(2_000).await.unwrap();
            assert_eq!(purged.searches, 1, "{name}");
            let left = store.zero_result_searches(10).await.unwrap();
            assert_eq!(left.iter().map(|r| r.query.as_str()).collect::<Vec<_>>(), vec!["récente"], "{name}");
        }
    }
}
