//! Periodic jobs across nodes: each node wakes on its own timer and claims
//! the run; the claim moves the job's next run forward only if it was due,
//! in one statement, so one node wins each run and the others skip it.

use crate::{Store, StoreError};

impl Store {
    /// Claims the run of the job `name` at `now` (ms) for `node`: true for
    /// the one caller that should run it now, after which the job is due
    /// again `every_ms` later. A node that dies during its run leaves the
    /// rest to the next one (every job here is safe to resume).
    pub async fn claim_job(&self, name: &str, node: &str, now: i64, every_ms: i64) -> Result<bool, StoreError> {
        let won = sqlx::query(
            "INSERT INTO job_runs (name, next_at, ran_by, ran_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET next_at = excluded.next_at, ran_by = excluded.ran_by, \
             ran_at = excluded.ran_at WHERE job_runs.next_at <= excluded.ran_at",
        )
        .bind(name)
        .bind(now + every_ms.max(0))
        .bind(node)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(won == 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::stores;

    #[tokio::test]
    async fn one_node_wins_each_run() {
        for (backend, store) in stores().await {
            let now = 1_000_000_000_000;
            // Eight nodes wake at once for the same run.
            let mut claims = tokio::task::JoinSet::new();
            for node in 0..8 {
                let store = store.clone();
                claims.spawn(async move { store.claim_job("purge", &format!("node-{node}"), now, 3_600_000).await });
            }
            let won = claims.join_all().await.into_iter().filter(|c| *c.as_ref().unwrap()).count();
            assert_eq!(won, 1, "{backend}");
            // Not due again before the hour is over; due once it is.
            assert!(!store.claim_job("purge", "node-0", now + 3_599_999, 3_600_000).await.unwrap(), "{backend}");
            assert!(store.claim_job("purge", "node-1", now + 3_600_000, 3_600_000).await.unwrap(), "{backend}");
            assert!(!store.claim_job("purge", "node-2", now + 3_600_000, 3_600_000).await.unwrap(), "{backend}");
            // Another job has its own schedule.
            assert!(store.claim_job("publish", "node-2", now, 30_000).await.unwrap(), "{backend}");
        }
    }
}
