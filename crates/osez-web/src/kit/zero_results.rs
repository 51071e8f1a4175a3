//! Searches that found nothing, recorded off the request path: a bounded
//! queue, drained by one task that writes in batches (one transaction per
//! batch).
//!
//! Rejected: a task spawned per search, which this replaced. A burst of
//! searches then meant as many tasks, each waiting for a connection and
//! committing alone, with no bound. Now a full queue drops the record and
//! counts it: the report is a sample, and the search page must stay quick.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use osez_store::{NewZeroResult, Store};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use crate::kit::tokens::now_ms;

/// Records waiting to be written, at most.
pub const QUEUE: usize = 1_024;
/// Records written in one transaction, at most.
const BATCH: usize = 256;
/// How often the writer says how many records the full queue dropped.
const REPORT_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Counters {
    dropped: AtomicU64,
    written: AtomicU64,
    batches: AtomicU64,
}

/// The queue of searches without results, and its writer.
pub struct ZeroResultLog {
    tx: mpsc::Sender<NewZeroResult>,
    counters: Arc<Counters>,
    stop: Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl ZeroResultLog {
    /// A queue of `capacity` and its writer, started on the current tokio
    /// runtime.
    pub(crate) fn start(store: Store, capacity: usize) -> Self {
        let (log, rx) = Self::queue(capacity);
        log.spawn_writer(store, rx);
        log
    }

    fn queue(capacity: usize) -> (Self, mpsc::Receiver<NewZeroResult>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let log = ZeroResultLog { tx, counters: Arc::default(), stop: Arc::default(), task: Mutex::new(None) };
        (log, rx)
    }

    fn spawn_writer(&self, store: Store, rx: mpsc::Receiver<NewZeroResult>) {
        let handle = tokio::spawn(write_batches(store, rx, self.counters.clone(), self.stop.clone()));
        if let Ok(mut task) = self.task.lock() {
            *task = Some(handle);
        }
    }

    /// Queues a search that found nothing; never waits. When the queue is
    /// full, the record is dropped and counted.
    pub fn record(&self, query: String, filters: String) {
        let record = NewZeroResult { query, filters, at_ms: now_ms() };
        if self.tx.try_send(record).is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Records written, since start.
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Transactions that wrote them.
    pub fn batches(&self) -> u64 {
        self.counters.batches.load(Ordering::Relaxed)
    }

    /// Writes what is queued, then stops the writer: call it at shutdown,
    /// before closing the store. Later records are dropped.
    pub async fn close(&self) {
        self.stop.notify_one();
        let handle = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle
            && let Err(e) = handle.await
        {
            tracing::warn!(error = %e, "the writer of searches without results ended badly");
        }
    }
}

async fn write_batches(
    store: Store,
    mut rx: mpsc::Receiver<NewZeroResult>,
    counters: Arc<Counters>,
    stop: Arc<Notify>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut ticks = tokio::time::interval(REPORT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reported = 0;
    loop {
        tokio::select! {
            // Cancel-safe: nothing is taken from the queue unless it returns.
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    break; // Closed and empty.
                }
                match store.record_zero_results(&batch).await {
                    Ok(()) => {
                        counters.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        counters.batches.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, rows = batch.len(), "could not record searches without results");
                    }
                }
                batch.clear();
            }
            // What is already queued is still received, then `recv_many`
            // returns 0.
            _ = stop.notified() => rx.close(),
            _ = ticks.tick() => {
                let dropped = counters.dropped.load(Ordering::Relaxed);
                if dropped > reported {
                    tracing::warn!(dropped, since_last = dropped - reported, "searches without results not recorded: queue full");
                    reported = dropped;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn count(store: &Store) -> usize {
        store.zero_result_searches(10_000).await.unwrap().len()
    }

    #[tokio::test]
    async fn a_burst_is_written_in_batches() {
        for (name, store) in osez_store::testing::stores().await {
            let (log, rx) = ZeroResultLog::queue(QUEUE);
            for i in 0..600 {
                log.record(format!("recherche {i}"), "{}".into());
            }
            log.spawn_writer(store.clone(), rx);
            log.close().await;
            assert_eq!((log.written(), log.dropped()), (600, 0), "{name}");
            assert_eq!(log.batches(), 3, "{name}: 256 + 256 + 88, one transaction each");
            assert_eq!(count(&store).await, 600, "{name}");
        }
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        for (name, store) in osez_store::testing::stores().await {
            let (log, rx) = ZeroResultLog::queue(4);
            // The writer is not running: the queue fills up.
            for i in 0..10 {
                log.record(format!("recherche {i}"), "{}".into());
            }
            assert_eq!(log.dropped(), 6, "{name}");
            log.spawn_writer(store.clone(), rx);
            log.close().await;
            assert_eq!(log.written(), 4, "{name}");
            assert_eq!(count(&store).await, 4, "{name}");
            log.record("après l'arrêt".into(), "{}".into());
            assert_eq!(log.dropped(), 7, "{name}: nothing is written after close");
        }
    }
}
