//! CSV exports, streamed: rows are read a page at a time and sent as they
//! come, so an export holds one page in memory, never the whole file.
//!
//! Every export has the same shape: a BOM (spreadsheets then read UTF-8),
//! `;` between cells, cells a spreadsheet would run as a formula defused,
//! `Cache-Control: no-store`, and a last line that says so when a limit cut
//! the file. Rejected: building the file in memory and sending it whole,
//! which held up to 100,000 audit rows three times over (rows, cells, bytes).

use std::borrow::Cow;
use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use osez_store::StoreError;

use crate::kit::format::format_count;
use crate::kit::page::no_store;

/// Where the rows of an export come from, a page at a time, in order.
pub(crate) trait CsvPages: Send + 'static {
    /// The next rows, at most `want` of them (fewer is fine); none when
    /// there are no more.
    fn next_page(&mut self, want: usize) -> impl Future<Output = Result<Vec<Vec<String>>, StoreError>> + Send;
}

/// Rows already in memory (a report that is bounded anyway), served as one
/// source.
pub(crate) struct InMemory(pub Vec<Vec<String>>);

impl CsvPages for InMemory {
    async fn next_page(&mut self, want: usize) -> Result<Vec<Vec<String>>, StoreError> {
        let take = want.min(self.0.len());
        Ok(self.0.drain(..take).collect())
    }
}

pub(crate) struct CsvExport {
    /// Name the browser saves the file as.
    pub filename: String,
    pub header: &'static [&'static str],
    /// Rows in the file at most; the file says when there were more.
    pub limit: usize,
    /// Rows asked of the source at a time.
    pub page: usize,
    /// A last line for a source that was cut before it reached us (a
    /// report read with a limit).
    pub cut_upstream: Option<String>,
}

/// A cell that a spreadsheet will not run as a formula.
pub(crate) fn defuse(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

fn encode<S: AsRef<str>>(rows: &[Vec<S>]) -> std::io::Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    for row in rows {
        writer.write_record(row.iter().map(|c| defuse(c.as_ref()).into_owned()))?;
    }
    writer.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// The last line of a file that a limit cut.
pub(crate) fn limit_line(limit: usize) -> String {
    format!("# export limité à {} lignes : précisez les filtres pour obtenir le reste.\n", format_count(limit))
}

enum Step {
    Header,
    Rows,
    Done,
}

struct Progress<P> {
    pages: P,
    export: CsvExport,
    sent: usize,
    step: Step,
}

/// The export as a streamed response. A source that fails midway ends the
/// stream with an error, so the download fails instead of looking complete.
pub(crate) fn csv_response(export: CsvExport, pages: impl CsvPages) -> Response {
    let filename = export.filename.clone();
    let start = Progress { pages, export, sent: 0, step: Step::Header };
    let chunks = futures_util::stream::unfold(start, |mut p| async move {
        match p.step {
            Step::Done => None,
            Step::Header => {
                p.step = Step::Rows;
                let header = encode(&[p.export.header.to_vec()]);
                Some((header.map(|h| Bytes::from([&b"\xEF\xBB\xBF"[..], &h[..]].concat())), p))
            }
            Step::Rows => {
                let room = p.export.limit - p.sent;
                // With no room left, one more row is asked only to learn
                // whether the limit cut anything.
                let want = room.clamp(1, p.export.page.max(1));
                let rows = match p.pages.next_page(want).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::error!(error = %e, file = %p.export.filename, "CSV export failed midway");
                        p.step = Step::Done;
                        return Some((Err(std::io::Error::other("export interrompu")), p));
                    }
                };
                if rows.is_empty() {
                    p.step = Step::Done;
                    let last = p.export.cut_upstream.take().map(|note| Bytes::from(format!("# {note}\n")));
                    return last.map(|b| (Ok(b), p));
                }
                let kept = rows.len().min(room);
                p.sent += kept;
                let mut bytes = match encode(&rows[..kept]) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "CSV export failed midway");
                        p.step = Step::Done;
                        return Some((Err(e), p));
                    }
                };
                if kept < rows.len() {
                    bytes.extend(limit_line(p.export.limit).into_bytes());
                    p.step = Step::Done;
                }
                Some((Ok(Bytes::from(bytes)), p))
            }
        }
    });
    let mut res = Body::from_stream(chunks).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    no_store(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn rows(n: usize) -> Vec<Vec<String>> {
        (0..n).map(|i| vec![format!("ligne {i}"), if i == 0 { "=1+1".into() } else { "a;b \"c\"".into() }]).collect()
    }

    fn export(limit: usize) -> CsvExport {
        CsvExport { filename: "essai.csv".into(), header: &["nom", "-valeur"], limit, page: 3, cut_upstream: None }
    }

    #[tokio::test]
    async fn pages_are_joined_into_one_well_formed_file() {
        let res = csv_response(export(100), InMemory(rows(10)));
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        let text = body(res).await;
        let text = text.strip_prefix('\u{feff}').expect("BOM");
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), vec!["nom", "'-valeur"], "headers defused too");
        let read: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(read.len(), 10);
        assert_eq!(&read[0][1], "'=1+1");
        assert_eq!(&read[9][0], "ligne 9");
        assert_eq!(&read[9][1], "a;b \"c\"");
        assert!(!text.contains("# export"));
    }

    #[tokio::test]
    async fn a_cut_export_says_so_on_its_last_line() {
        let text = body(csv_response(export(7), InMemory(rows(10)))).await;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 7 + 1, "{text}");
        assert_eq!(lines[7], "ligne 6;\"a;b \"\"c\"\"\"");
        assert_eq!(*lines.last().unwrap(), limit_line(7).trim_end());
        // Exactly at the limit: nothing was cut, nothing is said.
        let text = body(csv_response(export(10), InMemory(rows(10)))).await;
        assert_eq!(text.lines().count(), 11, "{text}");
        let text = body(csv_response(export(9), InMemory(rows(10)))).await;
        assert!(text.ends_with(&limit_line(9)), "{text}");
    }
}
