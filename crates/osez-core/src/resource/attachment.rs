//! Files joined to a resource: slides (PDF), a replay (MP4 or WebM video)
//! and images for the body. A file's type is read from its first bytes
//! (the `infer` crate's signatures), never from its name; its size is
//! bounded by its type. Files are stored by the SHA-256 of their content,
//! so that a version names its files and a restored version finds them.

use serde::{Deserialize, Serialize};

/// Bytes to read before the type can be told.
pub const SNIFF_BYTES: usize = 8 * 1024;
/// Most files a resource may hold.
pub const MAX_FILES: usize = 20;
/// Longest label, in characters.
pub const LABEL_MAX: usize = 120;

/// What a file is, told from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Pdf,
    Mp4,
    Webm,
    Png,
    Jpeg,
    Webp,
}

impl FileKind {
    pub const ALL: &'static [FileKind] =
        &[FileKind::Pdf, FileKind::Mp4, FileKind::Webm, FileKind::Png, FileKind::Jpeg, FileKind::Webp];

    /// The `Content-Type` it is served with.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Mp4 => "video/mp4",
            FileKind::Webm => "video/webm",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Webp => "image/webp",
        }
    }

    /// The format as the page names it.
    pub fn format(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Mp4 => "MP4",
            FileKind::Webm => "WebM",
            FileKind::Png => "PNG",
            FileKind::Jpeg => "JPEG",
            FileKind::Webp => "WebP",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Mp4 => "mp4",
            FileKind::Webm => "webm",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Webp => "webp",
        }
    }

    pub fn is_video(self) -> bool {
        matches!(self, FileKind::Mp4 | FileKind::Webm)
    }

    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Png | FileKind::Jpeg | FileKind::Webp)
    }

    /// Largest file of this kind, given the largest video the operator
    /// allows.
    pub fn max_bytes(self, max_video: u64) -> u64 {
        match self {
            FileKind::Pdf => 50 * MB,
            FileKind::Mp4 | FileKind::Webm => max_video,
            FileKind::Png | FileKind::Jpeg | FileKind::Webp => 5 * MB,
        }
    }

    /// The kind of a file from its first bytes ([`SNIFF_BYTES`] or all of
    /// a shorter file); `None` for any other type.
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        let t = infer::get(head)?;
        FileKind::ALL.iter().copied().find(|k| k.mime() == t.mime_type())
    }
}

const MB: u64 = 1024 * 1024;

/// A file of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// SHA-256 of the content, 64 lower-case hex digits.
    pub id: String,
    pub kind: FileKind,
    /// What the page calls it ("Support de présentation").
    pub label: String,
    pub size: u64,
}

impl Attachment {
    /// "PDF, 1,2 Mo".
    pub fn format_and_size(&self) -> String {
        format!("{}, {}", self.kind.format(), size_label(self.size))
    }

    /// The name a download is saved under.
    pub fn file_name(&self) -> String {
        let stem = crate::resource::slug_from_title(&self.label);
        let stem = if stem.is_empty() { "fichier".to_string() } else { stem };
        format!("{stem}.{}", self.kind.extension())
    }
}

/// Whether `id` is a well-formed file id (a SHA-256 in hex).
pub fn is_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A size as French readers write it: "850 octets", "12 Ko", "1,2 Mo",
/// "1,5 Go".
pub fn size_label(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    let (value, unit) = if bytes < 1024 {
        return format!("{bytes} octets");
    } else if b < KB * KB {
        (b / KB, "Ko")
    } else if b < KB * KB * KB {
        (b / (KB * KB), "Mo")
    } else {
        (b / (KB * KB * KB), "Go")
    };
    let text = if value < 10.0 { format!("{value:.1}") } else { format!("{value:.0}") };
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{} {unit}", text.replace('.', ","))
}

/// Whether a PDF ends like one: its `%%EOF` marker in the last kilobyte.
/// The first bytes tell the type; this catches a file cut in transit or a
/// renamed document that merely starts with the signature.
pub fn pdf_tail_ok(tail: &[u8]) -> bool {
    tail.windows(5).any(|w| w == b"%%EOF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_content_not_the_name() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41"), Some(FileKind::Mp4));
        let mut webm =
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
                .to_vec();
        webm.resize(300, 0);
        assert_eq!(FileKind::sniff(&webm), Some(FileKind::Webm));
        // A text file named "slides.pdf", an executable, nothing.
        assert_eq!(FileKind::sniff(b"Ceci n'est pas un PDF."), None);
        assert_eq!(FileKind::sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(FileKind::sniff(b""), None);
        assert!(pdf_tail_ok(b"startxref\n1234\n%%EOF\n"));
        assert!(!pdf_tail_ok(b"1 0 obj << >> endobj"));
    }

    #[test]
    fn sizes_read_the_french_way() {
        assert_eq!(size_label(850), "850 octets");
        assert_eq!(size_label(12 * 1024 + 300), "12 Ko");
        assert_eq!(size_label(1_258_291), "1,2 Mo");
        assert_eq!(size_label(3 * 1024 * 1024 * 1024 / 2), "1,5 Go");
        assert_eq!(size_label(5 * 1024 * 1024), "5 Mo");
        let a = Attachment {
            id: "a".repeat(64),
            kind: FileKind::Pdf,
            label: "Support de présentation".into(),
            size: 1_258_291,
        };
        assert_eq!(a.format_and_size(), "PDF, 1,2 Mo");
        assert_eq!(a.file_name(), "support-de-presentation.pdf");
        assert!(is_id(&a.id) && !is_id("../etc/passwd") && !is_id(&"A".repeat(64)));
    }

    #[test]
    fn a_video_may_be_as_large_as_the_operator_allows_and_no_larger() {
        assert_eq!(FileKind::Mp4.max_bytes(1 << 30), 1 << 30);
        assert!(FileKind::Pdf.max_bytes(1 << 30) < (2u64 << 30));
    }
}
