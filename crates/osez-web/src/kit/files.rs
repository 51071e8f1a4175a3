//! Where attachments live: one file per content, named by its SHA-256,
//! under the files directory (the data dir's `fichiers`, or a directory
//! that several nodes share). An upload is streamed to a temporary file
//! while it is hashed and its type read from its first bytes; it is moved
//! into place only once whole, checked and within its size, so a refused
//! or cut upload leaves nothing behind.

use std::path::PathBuf;
use std::time::Duration;

use axum::extract::multipart::Field;
use osez_core::resource::attachment::{FileKind, SNIFF_BYTES, pdf_tail_ok, size_label};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Largest WebVTT captions file.
pub const MAX_CAPTIONS: usize = 2 * 1024 * 1024;
/// Temporary files older than this are a crashed upload's.
const STALE_PART: Duration = Duration::from_secs(24 * 3600);

/// Why an upload was refused, in French.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("Le fichier envoyé est vide.")]
    Empty,
    #[error(
        "Ce type de fichier n'est pas accepté (il est reconnu à son contenu, pas à son nom) : envoyez un PDF, une vidéo MP4 ou WebM, une image PNG, JPEG ou WebP, ou des sous-titres WebVTT."
    )]
    UnknownType,
    #[error("Ce fichier {format} dépasse la taille permise ({max} au plus).")]
    TooBig { format: &'static str, max: String },
    #[error(
        "Ce fichier commence comme un PDF mais n'en est pas un complet (il n'a pas de fin de document) : exportez-le à nouveau."
    )]
    NotPdf,
    #[error("Les sous-titres ne sont pas en UTF-8 : enregistrez le fichier en UTF-8.")]
    NotUtf8,
    #[error("L'envoi a été interrompu avant la fin : envoyez le fichier à nouveau.")]
    Cut,
    #[error("Le fichier n'a pas pu être enregistré sur le serveur.")]
    Io(#[from] std::io::Error),
}

/// What an upload turned out to be.
#[derive(Debug)]
pub enum Received {
    /// Stored under its id.
    File { id: String, kind: FileKind, size: u64 },
    /// WebVTT captions, kept as text (they become the transcript).
    Captions(String),
}

/// The files directory and its limits.
#[derive(Debug, Clone)]
pub struct Files {
    dir: PathBuf,
    max_video: u64,
}

/// Removes a temporary file unless it was moved into place.
struct Part(Option<PathBuf>);

impl Drop for Part {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn starts_like_vtt(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.starts_with(b"WEBVTT") && matches!(head.get(6), None | Some(b'\n' | b'\r' | b' ' | b'\t'))
}

impl Files {
    pub fn new(dir: PathBuf, max_video: u64) -> Self {
        Files { dir, max_video }
    }

    /// The largest request body an upload may have: the largest file and
    /// the form's other fields.
    pub fn max_request(&self) -> u64 {
        FileKind::ALL.iter().map(|k| k.max_bytes(self.max_video)).max().unwrap_or(0) + 1024 * 1024
    }

    /// "1 Go pour une vidéo, 50 Mo pour un PDF, 5 Mo pour une image".
    pub fn limits_text(&self) -> String {
        format!(
            "{} pour une vidéo, {} pour un PDF, {} pour une image, {} pour des sous-titres",
            size_label(FileKind::Mp4.max_bytes(self.max_video)),
            size_label(FileKind::Pdf.max_bytes(self.max_video)),
            size_label(FileKind::Png.max_bytes(self.max_video)),
            size_label(MAX_CAPTIONS as u64)
        )
    }

    /// Where the file `id` is (checked by the caller: 64 hex digits).
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(&id[..2]).join(id)
    }

    fn parts(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// Removes what crashed uploads left (at start-up, off the runtime).
    pub fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(self.parts()) else { return };
        for e in entries.flatten() {
            let old = e.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
            if old.is_some_and(|age| age > STALE_PART) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// Streams one posted file in, as described in the module's comment.
    /// Hashing runs chunk by chunk (a few tens of microseconds each), paced
    /// by the network; the caller bounds how many uploads run at once.
    pub async fn receive(&self, mut field: Field<'_>) -> Result<Received, UploadError> {
        tokio::fs::create_dir_all(self.parts()).await?;
        let tmp = self.parts().join(format!("{:016x}.part", rand::random::<u64>()));
        let mut file = tokio::fs::File::create(&tmp).await?;
        let mut part = Part(Some(tmp.clone()));
        let mut hasher = Sha256::new();
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
        let mut tail: Vec<u8> = Vec::with_capacity(2048);
        let mut kind: Option<FileKind> = None;
        let mut captions: Option<Vec<u8>> = None;
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(|_| UploadError::Cut)? {
            size += chunk.len() as u64;
            if let Some(text) = captions.as_mut() {
                text.extend_from_slice(&chunk);
                if text.len() > MAX_CAPTIONS {
                    return Err(UploadError::TooBig { format: "WebVTT", max: size_label(MAX_CAPTIONS as u64) });
                }
                continue;
            }
            if kind.is_none() {
                let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                if head.len() == SNIFF_BYTES {
                    if starts_like_vtt(&head) {
                        captions = Some(std::mem::take(&mut head));
                        if let Some(text) = captions.as_mut() {
                            text.extend_from_slice(&chunk[take..]);
                        }
                        continue;
                    }
                    kind = Some(FileKind::sniff(&head).ok_or(UploadError::UnknownType)?);
                }
            }
            if let Some(k) = kind {
                let max = k.max_bytes(self.max_video);
                if size > max {
                    return Err(UploadError::TooBig { format: k.format(), max: size_label(max) });
                }
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
            tail.extend_from_slice(&chunk);
            if tail.len() > 1024 {
                tail.drain(..tail.len() - 1024);
            }
        }
        if size == 0 {
            return Err(UploadError::Empty);
        }
        if captions.is_none() && kind.is_none() && starts_like_vtt(&head) {
            captions = Some(head.clone());
        }
        if let Some(text) = captions {
            return String::from_utf8(text).map(Received::Captions).map_err(|_| UploadError::NotUtf8);
        }
        let kind = match kind {
            Some(k) => k,
            None => FileKind::sniff(&head).ok_or(UploadError::UnknownType)?,
        };
        let max = kind.max_bytes(self.max_video);
        if size > max {
            return Err(UploadError::TooBig { format: kind.format(), max: size_label(max) });
        }
        if kind == FileKind::Pdf && !pdf_tail_ok(&tail) {
            return Err(UploadError::NotPdf);
        }
        file.sync_all().await?;
        drop(file);
        let id = hex(&hasher.finalize());
        let dest = self.path(&id);
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        if tokio::fs::try_exists(&dest).await.unwrap_or(false) {
            // The same content is already stored; the temporary file goes.
            return Ok(Received::File { id, kind, size });
        }
        tokio::fs::rename(&tmp, &dest).await?;
        part.0 = None;
        Ok(Received::File { id, kind, size })
    }

    /// Whether the file is stored (a file named in a version but missing
    /// on this node's disk answers 404, not 500).
    pub async fn has(&self, id: &str) -> bool {
        tokio::fs::try_exists(self.path(id)).await.unwrap_or(false)
    }
}
