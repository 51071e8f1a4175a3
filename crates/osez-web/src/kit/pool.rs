//! Bounded pools for CPU-heavy work (password hashes, proof-of-work
//! challenges): at most so many jobs at once, off the async runtime, and a
//! quick refusal when the pool stays full.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// How long a job waits for a free worker before it is refused. A second
/// absorbs a burst of dozens of short jobs, while a flood gets a quick,
/// cheap refusal instead of a queue that grows with memory and answers after
/// the browser gave up. Refusing at once was rejected: two people signing in
/// together on a two-core server would get a 503.
pub const QUEUE_WAIT: Duration = Duration::from_secs(1);

/// The workers stayed busy for [`QUEUE_WAIT`], or the work panicked.
#[derive(Debug)]
pub enum PoolError {
    Busy,
    Failed(String),
}

/// At most `workers` jobs at once on tokio's blocking pool. Without the
/// cap, every job took a blocking thread (512 of them).
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    /// `workers`: how many jobs may run at once; `None` is one per core.
    pub fn new(workers: Option<usize>) -> Self {
        let workers = workers
            .unwrap_or_else(|| std::thread::available_parallelism().map(std::num::NonZeroUsize::get).unwrap_or(1));
        CpuPool { permits: Arc::new(Semaphore::new(workers)) }
    }

    /// Runs `work` on the blocking pool once a worker is free.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, PoolError> {
        let permit = match tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => return Err(PoolError::Busy),
        };
        tokio::task::spawn_blocking(move || {
            let _held = permit;
            work()
        })
        .await
        .map_err(|e| PoolError::Failed(e.to_string()))
    }
}
