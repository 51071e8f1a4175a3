//! `osez consultation export SLUG DIR`: the open data of a consultation
//! written to files, the same as the downloads (the four files of a Pol.is
//! export) plus `results.json`, the API's results. The opinion groups are
//! computed from the votes read, whatever the server keeps.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use osez_core::consultation::proposal::ProposalStatus;
use osez_store::Store;

use crate::consultation::api::results_json;
use crate::consultation::opendata::{
    published_of, write_comments_file, write_participants_file, write_summary_file, write_votes_file,
};
use crate::consultation::results::{assemble, snapshot_from};

/// What an export wrote.
#[derive(Debug)]
pub struct Exported {
    pub files: Vec<PathBuf>,
    pub votes: u64,
    pub participants: i64,
    pub groups: usize,
}

fn file(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::io::BufWriter<std::fs::File>)> {
    let path = dir.join(name);
    Ok((path.clone(), std::io::BufWriter::new(std::fs::File::create(&path)?)))
}

/// Writes the open data of the consultation `slug` into `dir` (created if
/// needed). `public_url` makes the summary's address absolute.
pub async fn export_consultation(
    store: &Store,
    slug: &str,
    dir: &Path,
    public_url: Option<&str>,
) -> Result<Exported, String> {
    let c = store.consultation(slug).await.map_err(|e| e.to_string())?;
    let c = c.ok_or_else(|| format!("aucune consultation n'a l'adresse « {slug} »"))?;
    let accepted = store.proposals(c.id, Some(ProposalStatus::Accepted)).await.map_err(|e| e.to_string())?;
    let matrix = store.vote_matrix(c.id, &accepted).await.map_err(|e| e.to_string())?;
    let votes_seq = c.votes_seq;
    let snapshot =
        tokio::task::spawn_blocking(move || snapshot_from(matrix, votes_seq)).await.map_err(|e| e.to_string())?;
    let snapshot = Arc::new(snapshot);
    let rows = published_of(store, &c).await.map_err(|e| e.to_string())?;
    let confirmed = store.confirmed_voters(c.id).await.map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let url = format!("{}/consultations/{}", public_url.unwrap_or("").trim_end_matches('/'), c.slug);
    let io = |e: std::io::Error| e.to_string();
    let mut files = Vec::new();

    let (path, mut out) = file(dir, "comments.csv").map_err(io)?;
    write_comments_file(&rows, &mut out).await.map_err(io)?;
    std::io::Write::flush(&mut out).map_err(io)?;
    files.push(path);
    let (path, mut out) = file(dir, "votes.csv").map_err(io)?;
    write_votes_file(store, &c, &rows, &mut out).await.map_err(io)?;
    std::io::Write::flush(&mut out).map_err(io)?;
    files.push(path);
    let (path, mut out) = file(dir, "participants-votes.csv").map_err(io)?;
    write_participants_file(store, &c, &rows, Some(&snapshot), &mut out).await.map_err(io)?;
    std::io::Write::flush(&mut out).map_err(io)?;
    files.push(path);
    let (path, mut out) = file(dir, "summary.csv").map_err(io)?;
    write_summary_file(&c, &rows, Some(&snapshot), confirmed, &url, &mut out).await.map_err(io)?;
    std::io::Write::flush(&mut out).map_err(io)?;
    files.push(path);

    let groups = snapshot.groups.groups.len();
    let results = assemble(&c, accepted, Some(snapshot), confirmed);
    let json = serde_json::to_string_pretty(&results_json(&c, &results)).map_err(|e| e.to_string())?;
    let path = dir.join("results.json");
    std::fs::write(&path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    files.push(path);
    Ok(Exported { files, votes: results.votes, participants: results.participants, groups })
}
