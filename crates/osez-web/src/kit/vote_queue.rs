//! Group commit of consultation votes. Each vote waits in a bounded queue;
//! one writer takes everything queued (up to a batch) and records it in one
//! transaction, then answers each voter. A vote is acknowledged only once
//! its batch committed, and costs a share of one disk sync instead of one
//! of its own: with `synchronous = FULL`, one commit per vote gives a few
//! thousand votes a second on SQLite, a batch per commit far more.
//!
//! Rejected: acknowledging before the commit (a crash would lose
//! acknowledged votes), and a timer that waits to fill a batch (it slows
//! every vote when there are few; here a batch is whatever arrived while
//! the previous one was being written).

use std::sync::Mutex;
use std::time::Duration;

use osez_store::{NewVote, Store, VoteOutcome};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Votes waiting to be written, at most; beyond, a vote is refused at once
/// (503) rather than queued behind seconds of work.
pub const QUEUE: usize = 20_000;
/// Votes written in one transaction, at most.
const BATCH: usize = 1_000;
/// How long a voter waits for their batch to commit.
const DEADLINE: Duration = Duration::from_secs(10);

type Waiting = (NewVote, oneshot::Sender<Result<VoteOutcome, ()>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// Too many votes waiting: try again in a moment.
    #[error("the queue of votes is full")]
    Full,
    /// The batch failed, or did not commit within the deadline; whether it
    /// is recorded is unknown, and voting again is harmless (a vote
    /// replaces the same person's previous one).
    #[error("the vote could not be recorded")]
    Failed,
}

/// The queue of votes and its writer.
pub struct VoteQueue {
    tx: mpsc::Sender<Waiting>,
    stop: std::sync::Arc<Notify>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl VoteQueue {
    /// A queue of `capacity` and its writer, started on the current tokio
    /// runtime.
    pub(crate) fn start(store: Store, capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let stop = std::sync::Arc::new(Notify::new());
        let task = tokio::spawn(write_batches(store, rx, stop.clone()));
        VoteQueue { tx, stop, task: Mutex::new(Some(task)) }
    }

    /// Queues a vote and waits until it is durable (or refused).
    pub async fn cast(&self, vote: NewVote) -> Result<VoteOutcome, QueueError> {
        let (done, answer) = oneshot::channel();
        self.tx.try_send((vote, done)).map_err(|_| QueueError::Full)?;
        match tokio::time::timeout(DEADLINE, answer).await {
            Ok(Ok(Ok(outcome))) => Ok(outcome),
            _ => Err(QueueError::Failed),
        }
    }

    /// Writes what is queued, then stops the writer: call it at shutdown,
    /// before closing the store.
    pub async fn close(&self) {
        self.stop.notify_one();
        let handle = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle
            && let Err(e) = handle.await
        {
            tracing::warn!(error = %e, "the writer of votes ended badly");
        }
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Waiting>, stop: std::sync::Arc<Notify>) {
    let mut batch: Vec<Waiting> = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            // Cancel-safe: nothing is taken from the queue unless it returns.
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    break; // Closed and empty.
                }
                let votes: Vec<NewVote> = batch.iter().map(|(v, _)| v.clone()).collect();
                match store.record_votes(&votes).await {
                    Ok(outcomes) => {
                        for ((_, done), outcome) in batch.drain(..).zip(outcomes) {
                            let _ = done.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, votes = batch.len(), "a batch of votes could not be recorded");
                        for (_, done) in batch.drain(..) {
                            let _ = done.send(Err(()));
                        }
                    }
                }
            }
            // What is already queued is still received, then `recv_many`
            // returns 0.
            _ = stop.notified() => rx.close(),
        }
    }
}
