//! The format of Pol.is exports, both ways: `comments.csv` and `votes.csv`
//! read into a conversation to import, and the four files of an export
//! (`comments.csv`, `votes.csv`, `participants-votes.csv`, `summary.csv`)
//! written, so that a conversation held here can be analysed with Pol.is's
//! tools and one held there analysed here.
//!
//! Writers take any `std::io::Write` from the caller (a file for the
//! command line, a buffer per chunk for a download); this module opens
//! nothing itself.

use std::collections::HashSet;
use std::io::Write;

use super::Vote;

/// Longest comment accepted from an import (Pol.is's own limit is far
/// lower; a longer cell is a broken file).
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// A mistake in an imported file, in French, with its line when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolisError {
    pub file: &'static str,
    /// Line in the file (the header is line 1).
    pub line: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for PolisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}, ligne {line} : {}", self.file, self.message),
            None => write!(f, "{} : {}", self.file, self.message),
        }
    }
}

impl std::error::Error for PolisError {}

/// A comment of `comments.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolisComment {
    pub id: i64,
    pub author: Option<i64>,
    /// Milliseconds since the epoch.
    pub created_at_ms: i64,
    /// 1 accepted, 0 not moderated yet, −1 moderated out.
    pub moderated: i8,
    pub body: String,
}

/// A vote of `votes.csv`. A participant may vote several times on a
/// comment: the last one counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolisVote {
    pub at_ms: i64,
    pub comment: i64,
    pub voter: i64,
    pub vote: Vote,
}

/// Seconds or milliseconds, as exports differ: below 10^11 it is seconds
/// (10^11 seconds is the year 5138).
fn timestamp_ms(value: i64) -> i64 {
    // `unsigned_abs`: the absolute value of i64::MIN is no i64.
    if value.unsigned_abs() < 100_000_000_000 { value * 1000 } else { value }
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    // A BOM would stick to the first header's name.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new().flexible(false).from_reader(bytes)
}

/// The index of each needed column, or the French error naming the one
/// missing.
fn columns(file: &'static str, r: &mut csv::Reader<&[u8]>, needed: &[&'static str]) -> Result<Vec<usize>, PolisError> {
    let headers = r.headers().map_err(|e| PolisError { file, line: Some(1), message: csv_message(&e) })?.clone();
    needed
        .iter()
        .map(|name| {
            headers.iter().position(|h| h.trim() == *name).ok_or_else(|| PolisError {
                file,
                line: Some(1),
                message: format!("la colonne « {name} » manque (ce n'est pas un export Pol.is)."),
            })
        })
        .collect()
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "le fichier n'est pas en UTF-8.".into(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} cellules au lieu de {expected_len}.")
        }
        _ => "le fichier CSV est illisible.".into(),
    }
}

fn integer(file: &'static str, line: u64, column: &str, cell: &str) -> Result<i64, PolisError> {
    cell.trim().parse().map_err(|_| PolisError {
        file,
        line: Some(line),
        message: format!(
            "« {column} » doit être un nombre entier, pas « {} ».",
            cell.chars().take(40).collect::<String>()
        ),
    })
}

/// The `timestamp` column in milliseconds, refused outside the dates a
/// timestamp can hold (years −9999 to 9999): the import takes the
/// consultation's dates from them (closing just after the last one), and
/// `i64::MAX` has no "just after".
fn timestamp(file: &'static str, line: u64, cell: &str) -> Result<i64, PolisError> {
    let ms = timestamp_ms(integer(file, line, "timestamp", cell)?);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(_) => Ok(ms),
        Err(_) => Err(PolisError {
            file,
            line: Some(line),
            message: format!("« timestamp » n'est pas une date possible : « {} ».", cell.trim()),
        }),
    }
}

/// Reads `comments.csv`.
pub fn read_comments(bytes: &[u8]) -> Result<Vec<PolisComment>, PolisError> {
    const FILE: &str = "comments.csv";
    let mut r = reader(bytes);
    let cols = columns(FILE, &mut r, &["timestamp", "comment-id", "author-id", "moderated", "comment-body"])?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in r.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| PolisError { file: FILE, line: Some(line), message: csv_message(&e) })?;
        let cell = |c: usize| record.get(cols[c]).unwrap_or("");
        let id = integer(FILE, line, "comment-id", cell(1))?;
        if !seen.insert(id) {
            return Err(PolisError {
                file: FILE,
                line: Some(line),
                message: format!("le commentaire {id} apparaît deux fois."),
            });
        }
        let author = match cell(2).trim() {
            "" => None,
            a => Some(integer(FILE, line, "author-id", a)?),
        };
        let moderated = match integer(FILE, line, "moderated", cell(3))? {
            m @ (-1..=1) => m as i8,
            _ => {
                return Err(PolisError {
                    file: FILE,
                    line: Some(line),
                    message: "« moderated » vaut 1, 0 ou -1.".into(),
                });
            }
        };
        let body = cell(4).trim().to_owned();
        if body.is_empty() {
            return Err(PolisError { file: FILE, line: Some(line), message: "le commentaire est vide.".into() });
        }
        if body.chars().count() > MAX_COMMENT_CHARS {
            return Err(PolisError {
                file: FILE,
                line: Some(line),
                message: format!("le commentaire dépasse {MAX_COMMENT_CHARS} caractères."),
            });
        }
        let created_at_ms = timestamp(FILE, line, cell(0))?;
        out.push(PolisComment { id, author, created_at_ms, moderated, body });
    }
    if out.is_empty() {
        return Err(PolisError { file: FILE, line: None, message: "aucun commentaire.".into() });
    }
    Ok(out)
}

/// Reads `votes.csv`; every vote must be on a comment of `comments`.
pub fn read_votes(bytes: &[u8], comments: &[PolisComment]) -> Result<Vec<PolisVote>, PolisError> {
    const FILE: &str = "votes.csv";
    let known: HashSet<i64> = comments.iter().map(|c| c.id).collect();
    let mut r = reader(bytes);
    let cols = columns(FILE, &mut r, &["timestamp", "comment-id", "voter-id", "vote"])?;
    let mut out = Vec::new();
    for (i, record) in r.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| PolisError { file: FILE, line: Some(line), message: csv_message(&e) })?;
        let cell = |c: usize| record.get(cols[c]).unwrap_or("");
        let comment = integer(FILE, line, "comment-id", cell(1))?;
        if !known.contains(&comment) {
            return Err(PolisError {
                file: FILE,
                line: Some(line),
                message: format!("le commentaire {comment} n'est pas dans comments.csv."),
            });
        }
        let value = integer(FILE, line, "vote", cell(3))?;
        let vote = i8::try_from(value).ok().and_then(Vote::from_polis_value).ok_or_else(|| PolisError {
            file: FILE,
            line: Some(line),
            message: "« vote » vaut 1 (d'accord), -1 (pas d'accord) ou 0 (passe).".into(),
        })?;
        out.push(PolisVote {
            at_ms: timestamp(FILE, line, cell(0))?,
            comment,
            voter: integer(FILE, line, "voter-id", cell(2))?,
            vote,
        });
    }
    Ok(out)
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
/// Osez's proposals begin with "Il faut"; an imported comment that began
/// with "=" comes back with the apostrophe, the one difference with its
/// original.
fn defuse(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}").into() } else { text.into() }
}

/// The `datetime` column as Pol.is writes it (JavaScript's `Date`).
fn js_datetime(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)").to_string())
        .unwrap_or_default()
}

/// A comment as an export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportComment<'a> {
    pub id: i64,
    pub author: Option<i64>,
    pub created_at_ms: i64,
    pub agrees: u64,
    pub disagrees: u64,
    pub moderated: i8,
    pub body: &'a str,
}

pub fn write_comments<'a, W: Write>(w: W, comments: impl IntoIterator<Item = ExportComment<'a>>) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "timestamp",
        "datetime",
        "comment-id",
        "author-id",
        "agrees",
        "disagrees",
        "moderated",
        "comment-body",
    ])?;
    for c in comments {
        out.write_record([
            (c.created_at_ms / 1000).to_string(),
            js_datetime(c.created_at_ms),
            c.id.to_string(),
            c.author.map(|a| a.to_string()).unwrap_or_default(),
            c.agrees.to_string(),
            c.disagrees.to_string(),
            c.moderated.to_string(),
            defuse(c.body).into_owned(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// `votes.csv`, written a vote at a time.
pub struct VotesWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> VotesWriter<W> {
    pub fn new(w: W) -> csv::Result<Self> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["timestamp", "datetime", "comment-id", "voter-id", "vote"])?;
        Ok(VotesWriter { out })
    }

    /// A writer that goes on after a header written before (a file sent
    /// in chunks).
    pub fn headless(w: W) -> Self {
        VotesWriter { out: csv::Writer::from_writer(w) }
    }

    pub fn write(&mut self, v: &PolisVote) -> csv::Result<()> {
        self.out.write_record([
            (v.at_ms / 1000).to_string(),
            js_datetime(v.at_ms),
            v.comment.to_string(),
            v.voter.to_string(),
            v.vote.polis_value().to_string(),
        ])
    }

    pub fn finish(mut self) -> csv::Result<W> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// One participant's line of `participants-votes.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRow<'a> {
    pub participant: i64,
    /// Our opinion group, if the participant was clustered.
    pub group: Option<u32>,
    /// Comments they wrote.
    pub comments: u64,
    /// Their votes, by comment id (any order).
    pub votes: &'a [(i64, Vote)],
}

/// `participants-votes.csv`, written a participant at a time: a column per
/// comment, in the order given.
pub struct ParticipantsWriter<W: Write> {
    out: csv::Writer<W>,
    comments: Vec<i64>,
}

impl<W: Write> ParticipantsWriter<W> {
    pub fn new(w: W, comments: Vec<i64>) -> csv::Result<Self> {
        let mut out = csv::Writer::from_writer(w);
        let mut header: Vec<String> =
            ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"].map(String::from).to_vec();
        header.extend(comments.iter().map(|c| c.to_string()));
        out.write_record(&header)?;
        Ok(ParticipantsWriter { out, comments })
    }

    /// A writer that goes on after a header written before.
    pub fn headless(w: W, comments: Vec<i64>) -> Self {
        ParticipantsWriter { out: csv::Writer::from_writer(w), comments }
    }

    pub fn write(&mut self, row: &ParticipantRow) -> csv::Result<()> {
        let count = |v: Vote| row.votes.iter().filter(|(_, x)| *x == v).count().to_string();
        let mut record = vec![
            row.participant.to_string(),
            row.group.map(|g| g.to_string()).unwrap_or_default(),
            row.comments.to_string(),
            row.votes.len().to_string(),
            count(Vote::Agree),
            count(Vote::Disagree),
        ];
        let mut votes = row.votes.to_vec();
        votes.sort_unstable_by_key(|(c, _)| *c);
        record.extend(self.comments.iter().map(|c| match votes.binary_search_by_key(c, |(id, _)| *id) {
            Ok(i) => votes[i].1.polis_value().to_string(),
            Err(_) => String::new(),
        }));
        self.out.write_record(&record)
    }

    pub fn finish(mut self) -> csv::Result<W> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// The figures of `summary.csv`: Pol.is's rows, then ours (voters who
/// confirmed their participation by e-mail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary<'a> {
    pub topic: &'a str,
    pub url: &'a str,
    pub voters: u64,
    pub voters_in_conv: u64,
    pub commenters: u64,
    pub comments: u64,
    pub groups: u64,
    pub description: &'a str,
    pub confirmed_voters: u64,
}

pub fn write_summary<W: Write>(w: W, s: &Summary) -> csv::Result<()> {
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(w);
    for (key, value) in [
        ("topic", defuse(s.topic).into_owned()),
        ("url", s.url.to_owned()),
        ("voters", s.voters.to_string()),
        ("voters-in-conv", s.voters_in_conv.to_string()),
        ("commenters", s.commenters.to_string()),
        ("comments", s.comments.to_string()),
        ("groups", s.groups.to_string()),
        ("conversation-description", defuse(s.description).into_owned()),
        ("confirmed-voters", s.confirmed_voters.to_string()),
    ] {
        out.write_record([key, &value])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMENTS: &str = "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n\
        1534004984,Sat Aug 11 2018 16:29:44 GMT+0000 (Coordinated Universal Time),0,0,2,1,1,\"Il faut former, vite\"\n\
        1534004990,Sat Aug 11 2018 16:29:50 GMT+0000 (Coordinated Universal Time),1,3,0,0,-1,Hors sujet\n";
    const VOTES: &str = "timestamp,datetime,comment-id,voter-id,vote\n\
        1534005000,x,0,0,1\n1534005001,x,0,1,-1\n1534005002,x,1,1,0\n1534005003,x,0,1,1\n";

    #[test]
    fn an_export_is_read_with_its_ids_as_they_were() {
        let comments = read_comments(COMMENTS.as_bytes()).unwrap();
        assert_eq!(comments.len(), 2);
        assert_eq!(comments[0].body, "Il faut former, vite");
        assert_eq!((comments[0].id, comments[0].author, comments[0].moderated), (0, Some(0), 1));
        assert_eq!(comments[1].moderated, -1);
        assert_eq!(comments[0].created_at_ms, 1_534_004_984_000);
        let votes = read_votes(VOTES.as_bytes(), &comments).unwrap();
        assert_eq!(votes.len(), 4, "every vote, the last one of a voter counts later");
        assert_eq!(votes[3], PolisVote { at_ms: 1_534_005_003_000, comment: 0, voter: 1, vote: Vote::Agree });
        // A BOM and columns in another order are fine.
        let reordered = "\u{feff}comment-id,vote,voter-id,timestamp\n0,-1,5,1534005000\n";
        assert_eq!(read_votes(reordered.as_bytes(), &comments).unwrap()[0].voter, 5);
    }

    #[test]
    fn a_malformed_file_is_refused_with_its_line_in_french() {
        let err = |r: Result<Vec<PolisVote>, PolisError>| r.unwrap_err().to_string();
        let comments = read_comments(COMMENTS.as_bytes()).unwrap();
        assert_eq!(
            err(read_votes(b"timestamp,comment-id,voter-id,vote\n1,0,1,2\n", &comments)),
            "votes.csv, ligne 2 : « vote » vaut 1 (d'accord), -1 (pas d'accord) ou 0 (passe)."
        );
        assert!(err(read_votes(b"timestamp,comment-id,voter-id,vote\n1,9,1,1\n", &comments)).contains("commentaire 9"));
        assert!(err(read_votes(b"timestamp,comment-id,voter-id,vote\n1,0,x,1\n", &comments)).contains("voter-id"));
        assert!(
            err(read_votes(b"timestamp,comment-id,voter-id,vote\n1,0,1\n", &comments))
                .contains("3 cellules au lieu de 4")
        );
        assert!(err(read_votes(b"a,b,c\n1,2,3\n", &comments)).contains("« timestamp » manque"));
        assert!(err(read_votes(&[0xff, 0xfe, b'\n'], &comments)).contains("UTF-8"));
        let cerr = |s: &str| read_comments(s.as_bytes()).unwrap_err().to_string();
        assert!(cerr("timestamp,comment-id,author-id,moderated,comment-body\n").contains("aucun commentaire"));
        assert!(
            cerr("timestamp,comment-id,author-id,moderated,comment-body\n1,0,0,1,a\n1,0,0,1,b\n").contains("deux fois")
        );
        assert!(cerr("timestamp,comment-id,author-id,moderated,comment-body\n1,0,0,7,a\n").contains("moderated"));
        assert!(cerr("timestamp,comment-id,author-id,moderated,comment-body\n1,0,0,1,\n").contains("vide"));
        let long = format!("timestamp,comment-id,author-id,moderated,comment-body\n1,0,0,1,{}\n", "a".repeat(2001));
        assert!(cerr(&long).contains("2000"));
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let comments = read_comments(COMMENTS.as_bytes()).unwrap();
        let votes = read_votes(VOTES.as_bytes(), &comments).unwrap();
        let mut buf = Vec::new();
        write_comments(
            &mut buf,
            comments.iter().map(|c| ExportComment {
                id: c.id,
                author: c.author,
                created_at_ms: c.created_at_ms,
                agrees: 0,
                disagrees: 0,
                moderated: c.moderated,
                body: &c.body,
            }),
        )
        .unwrap();
        assert_eq!(read_comments(&buf).unwrap(), comments);
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("Sat Aug 11 2018 16:29:44 GMT+0000 (Coordinated Universal Time)"), "{text}");

        let mut w = VotesWriter::new(Vec::new()).unwrap();
        for v in &votes {
            w.write(v).unwrap();
        }
        let buf = w.finish().unwrap();
        assert_eq!(read_votes(&buf, &comments).unwrap(), votes);

        let mut w = ParticipantsWriter::new(Vec::new(), vec![0, 1]).unwrap();
        w.write(&ParticipantRow {
            participant: 1,
            group: Some(0),
            comments: 0,
            votes: &[(1, Vote::Neutral), (0, Vote::Agree)],
        })
        .unwrap();
        w.write(&ParticipantRow { participant: 3, group: None, comments: 1, votes: &[] }).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1\n1,0,0,2,1,0,1,0\n3,,1,0,0,0,,\n"
        );

        let mut buf = Vec::new();
        let s = Summary {
            topic: "=Encadrer l'IA",
            url: "https://osez.example.fr/consultations/ia",
            voters: 3,
            voters_in_conv: 2,
            commenters: 1,
            comments: 2,
            groups: 2,
            description: "Une, deux",
            confirmed_voters: 1,
        };
        write_summary(&mut buf, &s).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("topic,'=Encadrer l'IA\n"), "a formula is defused: {text}");
        assert!(text.contains("conversation-description,\"Une, deux\"\nconfirmed-voters,1\n"));
    }
}
