//! Limits shared by every node: counters of hits per key in fixed windows,
//! read as a sliding window (the previous window's hits weighted by how
//! much of it the sliding window still covers, plus the current one's).
//! One atomic upsert counts a hit, so two nodes counting the same key at
//! once never lose one.

use crate::{Store, StoreError};

/// What a counter says about a key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitState {
    /// Hits in the sliding window ending now (an estimate, see the module).
    pub hits: f64,
    /// Milliseconds until the estimate falls below the limit (0 when it
    /// is below already).
    pub wait_ms: i64,
}

impl Store {
    /// Counts a hit of `key` at `now` (ms) and says whether the limit of
    /// `limit` hits per `window_ms` is passed, this hit included. A hit
    /// over the limit is counted too: who keeps trying stays refused.
    pub async fn count_hit(&self, key: &str, window_ms: i64, limit: u32, now: i64) -> Result<LimitState, StoreError> {
        let window_ms = window_ms.max(1);
        let start = now - now.rem_euclid(window_ms);
        let current: i64 = sqlx::query_scalar(
            "INSERT INTO limit_counters (key, window_start, hits, expires_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (key, window_start) DO UPDATE SET hits = limit_counters.hits + 1 RETURNING hits",
        )
        .bind(key)
        .bind(start)
        .bind(start + 2 * window_ms)
        .fetch_one(&self.pool)
        .await?;
        let previous = self.window_hits(key, start - window_ms).await?;
        Ok(state(previous, current, now - start, window_ms, f64::from(limit), false))
    }

    /// What the counter of `key` says at `now` without counting a hit: the
    /// limit is reached when one more hit would pass it.
    pub async fn peek_hits(&self, key: &str, window_ms: i64, limit: u32, now: i64) -> Result<LimitState, StoreError> {
        let window_ms = window_ms.max(1);
        let start = now - now.rem_euclid(window_ms);
        let current = self.window_hits(key, start).await?;
        let previous = self.window_hits(key, start - window_ms).await?;
        Ok(state(previous, current, now - start, window_ms, f64::from(limit), true))
    }

    async fn window_hits(&self, key: &str, start: i64) -> Result<i64, StoreError> {
        let hits: Option<i64> =
            sqlx::query_scalar("SELECT hits FROM limit_counters WHERE key = $1 AND window_start = $2")
                .bind(key)
                .bind(start)
                .fetch_optional(&self.pool)
                .await?;
        Ok(hits.unwrap_or(0))
    }

    /// The keys counted now (for tests: what a counter's key reveals).
    #[cfg(any(test, feature = "test-support"))]
    pub async fn limit_counter_keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT DISTINCT key FROM limit_counters ORDER BY key").fetch_all(&self.pool).await?)
    }

    /// Deletes the counters no window can read any more; returns how many.
    pub async fn purge_limit_counters(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM limit_counters WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// The sliding estimate at `elapsed` ms into the current window, and how
/// long until it is under `limit` (at most `limit`, or under it when
/// `reached_at_limit`: a peek asks whether one more hit would pass it).
fn state(previous: i64, current: i64, elapsed: i64, window: i64, limit: f64, reached_at_limit: bool) -> LimitState {
    let (previous, current) = (previous as f64, current as f64);
    let covered = 1.0 - elapsed as f64 / window as f64;
    let hits = previous * covered + current;
    let over = if reached_at_limit { hits >= limit } else { hits > limit };
    if !over {
        return LimitState { hits, wait_ms: 0 };
    }
    // The room to find: under the limit strictly for a peek, at it for a hit.
    let target = if reached_at_limit { limit - 1.0 } else { limit };
    let wait_ms = if current > target || previous <= 0.0 {
        // Only the next window can help: until this one ends, and then as
        // long as its hits weigh too much in the next one.
        let left = window - elapsed;
        let then = (1.0 - (target / current).min(1.0)) * window as f64;
        left + then.ceil() as i64
    } else {
        // The previous window's share must fall to `target - current`.
        let need = 1.0 - (target - current) / previous;
        ((need * window as f64).ceil() as i64 - elapsed).max(1)
    };
    LimitState { hits, wait_ms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::stores;

    #[test]
    fn the_estimate_slides_from_one_window_to_the_next() {
        // Half way into the window, 10 hits before weigh 5.
        let s = state(10, 2, 500, 1000, 10.0, false);
        assert_eq!(s.hits, 7.0);
        assert_eq!(s.wait_ms, 0);
        // 10 before and 8 now, half way: 13 > 10; the previous share must
        // fall to 2, which it does at 80 % of the window.
        let s = state(10, 8, 500, 1000, 10.0, false);
        assert_eq!(s.wait_ms, 300);
        // Over the limit in this window alone: wait for the next, and
        // until this one's hits weigh little enough in it.
        let s = state(0, 20, 250, 1000, 10.0, false);
        assert_eq!(s.wait_ms, 750 + 500);
        // A peek is refused at the limit, a hit only past it.
        assert_eq!(state(0, 10, 0, 1000, 10.0, false).wait_ms, 0);
        assert!(state(0, 10, 0, 1000, 10.0, true).wait_ms > 0);
    }

    #[tokio::test]
    async fn hits_from_several_nodes_add_up() {
        for (backend, store) in stores().await {
            let now = 1_000_000_000_000;
            // Twelve hits at once, as from nodes counting in parallel.
            let mut hits = tokio::task::JoinSet::new();
            for _ in 0..12 {
                let store = store.clone();
                hits.spawn(async move { store.count_hit("k", 60_000, 10, now).await.unwrap() });
            }
            let states = hits.join_all().await;
            let refused = states.iter().filter(|s| s.wait_ms > 0).count();
            assert_eq!(refused, 2, "{backend}: the 11th and 12th hits pass the limit");
            assert!(store.peek_hits("k", 60_000, 10, now).await.unwrap().wait_ms > 0, "{backend}");
            assert_eq!(store.peek_hits("other", 60_000, 10, now).await.unwrap().wait_ms, 0, "{backend}");
            // Two windows later nothing is left to read, and the purge
            // takes the rows.
            let later = now + 120_000;
            assert_eq!(store.peek_hits("k", 60_000, 10, later).await.unwrap().hits, 0.0, "{backend}");
            assert_eq!(store.purge_limit_counters(later).await.unwrap(), 1, "{backend}");
        }
    }
}
