//! A webinar's transcript, read from its WebVTT captions: the same file
//! gives the `<track>` of the player and the text beside it, each line
//! linked to its moment in the replay.
//!
//! The reader takes the part of WebVTT that captions use: the header, cue
//! identifiers, timings with optional settings, NOTE/STYLE/REGION blocks
//! (skipped), and voice spans (`<v Name>`) whose name becomes the speaker.
//! Other tags are removed from the text, entities decoded. Written here
//! rather than taken from a crate: the few WebVTT crates are unmaintained,
//! and the subset is small.

use serde::{Deserialize, Serialize};

/// Most cues a transcript may hold (a 4-hour event at one cue every 2 s).
pub const MAX_CUES: usize = 8_000;

/// One caption: when it is said, by whom, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cue {
    pub start_ms: u64,
    pub end_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    pub text: String,
}

impl Cue {
    /// Whole seconds from the start, for a media-fragment link (`#t=754`).
    pub fn start_s(&self) -> u64 {
        self.start_ms / 1000
    }

    /// "12:34" or "1:02:03".
    pub fn clock(&self) -> String {
        let s = self.start_s();
        if s >= 3600 {
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        } else {
            format!("{}:{:02}", s / 60, s % 60)
        }
    }
}

/// Why a WebVTT file was refused, in French, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VttError {
    #[error("Ce fichier n'est pas un fichier de sous-titres WebVTT : il doit commencer par « WEBVTT ».")]
    NoHeader,
    #[error("Ligne {line} : horodatage illisible (attendu : 00:01:02.500 --> 00:01:05.000).")]
    Timing { line: usize },
    #[error("Ligne {line} : la fin du sous-titre précède son début.")]
    Backwards { line: usize },
    #[error("Le fichier contient plus de {MAX_CUES} sous-titres.")]
    TooMany,
    #[error("Le fichier ne contient aucun sous-titre.")]
    Empty,
}

fn timestamp(s: &str) -> Option<u64> {
    // [hh:]mm:ss.ttt
    let (clock, millis) = s.split_once('.')?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let nums: Option<Vec<u64>> = parts
        .iter()
        .map(|p| if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) { None } else { p.parse().ok() })
        .collect();
    let nums = nums?;
    let (h, m, sec) = match nums[..] {
        [m, s] => (0, m, s),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    if m > 59 || sec > 59 {
        return None;
    }
    // Hours are unbounded: a time past u64's milliseconds is unreadable,
    // not a crash.
    let seconds = h.checked_mul(3600)?.checked_add(m * 60 + sec)?;
    seconds.checked_mul(1000)?.checked_add(millis.parse::<u64>().ok()?)
}

fn timing(line: &str) -> Option<(u64, u64)> {
    let (a, rest) = line.split_once("-->")?;
    let b = rest.split_whitespace().next()?;
    Some((timestamp(a.trim())?, timestamp(b)?))
}

/// WebVTT's character references, decoded (`&amp;` last, so that
/// `&amp;lt;` stays `&lt;`).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&amp;", "&")
}

/// `&`, `<` and `>` as character references: the text of a cue, the name
/// of a voice.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The text of a cue payload without tags, with its voice if any.
fn payload(lines: &[&str]) -> (Option<String>, String) {
    let joined = lines.join(" ");
    let mut speaker = None;
    let mut text = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open + 1..];
            continue;
        };
        let tag = &rest[open + 1..open + close];
        if let Some(name) =
            tag.strip_prefix("v ").or_else(|| tag.strip_prefix("v.").and_then(|t| t.split_once(' ').map(|x| x.1)))
        {
            // A voice's name holds character references too ("A &amp; B").
            let name = unescape(name);
            let name = name.trim();
            if speaker.is_none() && !name.is_empty() {
                speaker = Some(name.to_string());
            }
        }
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    let text = unescape(&text);
    (speaker, text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Reads a WebVTT file into its cues.
pub fn parse_vtt(input: &str) -> Result<Vec<Cue>, VttError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let lines: Vec<&str> = input.lines().collect();
    let header = lines.first().copied().unwrap_or("");
    if !(header == "WEBVTT" || header.starts_with("WEBVTT ") || header.starts_with("WEBVTT\t")) {
        return Err(VttError::NoHeader);
    }
    let mut cues = Vec::new();
    let mut i = 1;
    // Skip the rest of the header block.
    while i < lines.len() && !lines[i].trim().is_empty() {
        i += 1;
    }
    while i < lines.len() {
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if i >= lines.len() {
            break;
        }
        let block_start = i;
        let mut end = i;
        while end < lines.len() && !lines[end].trim().is_empty() {
            end += 1;
        }
        let block = &lines[block_start..end];
        i = end;
        let first = block[0].trim_start();
        if first.starts_with("NOTE") || first == "STYLE" || first == "REGION" {
            continue;
        }
        // An optional identifier line, then the timing.
        let (timing_at, body) =
            if block[0].contains("-->") { (0, &block[1..]) } else { (1, block.get(2..).unwrap_or(&[])) };
        // A block of one line that is no timing: the error names that line,
        // not the one after it, which may not exist.
        let line_no = block_start + timing_at.min(block.len() - 1) + 1;
        let Some((start_ms, end_ms)) = block.get(timing_at).and_then(|l| timing(l)) else {
            return Err(VttError::Timing { line: line_no });
        };
        if end_ms < start_ms {
            return Err(VttError::Backwards { line: line_no });
        }
        let (speaker, text) = payload(body);
        if text.is_empty() {
            continue;
        }
        if cues.len() == MAX_CUES {
            return Err(VttError::TooMany);
        }
        cues.push(Cue { start_ms, end_ms, speaker, text });
    }
    if cues.is_empty() {
        return Err(VttError::Empty);
    }
    Ok(cues)
}

fn write_timestamp(out: &mut String, ms: u64) {
    use std::fmt::Write;
    let s = ms / 1000;
    let _ = write!(out, "{:02}:{:02}:{:02}.{:03}", s / 3600, s / 60 % 60, s % 60, ms % 1000);
}

/// Writes cues back as WebVTT, voices as `<v Name>`: what the player's
/// captions track and the editor's form show. `parse_vtt(&to_vtt(c)) == c`.
pub fn to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n");
    for c in cues {
        out.push('\n');
        write_timestamp(&mut out, c.start_ms);
        out.push_str(" --> ");
        write_timestamp(&mut out, c.end_ms);
        out.push('\n');
        let text = escape(&c.text);
        match &c.speaker {
            Some(name) => {
                // Escaped, not blanked: "A & B" reads back as itself.
                out.push_str(&format!("<v {}>{text}</v>\n", escape(name.trim())));
            }
            None => {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cues_voices_and_identifiers() {
        let vtt = "WEBVTT - captions\nKind: captions\n\nNOTE made by hand\n\n1\n00:00:05.000 --> 00:00:11.500 line:90%\n<v Claire Martin>Bonjour à <b>toutes</b>\net à tous &amp; bienvenue.</v>\n\n01:02:03.004 --> 01:02:04.000\nSans voix.\n";
        let cues = parse_vtt(vtt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].start_ms, 5_000);
        assert_eq!(cues[0].end_ms, 11_500);
        assert_eq!(cues[0].speaker.as_deref(), Some("Claire Martin"));
        assert_eq!(cues[0].text, "Bonjour à toutes et à tous & bienvenue.");
        assert_eq!(cues[1].start_ms, 3_723_004);
        assert_eq!(cues[1].speaker, None);
        assert_eq!(cues[1].clock(), "1:02:03");
        assert_eq!(cues[0].clock(), "0:05");
    }

    #[test]
    fn refuses_what_is_not_webvtt_in_french() {
        assert_eq!(parse_vtt("%PDF-1.7\n"), Err(VttError::NoHeader));
        assert_eq!(parse_vtt("WEBVTT\n\n00:00:05 --> 00:00:06\nx\n"), Err(VttError::Timing { line: 3 }));
        assert_eq!(parse_vtt("WEBVTT\n\n00:00:09.000 --> 00:00:06.000\nx\n"), Err(VttError::Backwards { line: 3 }));
        assert_eq!(parse_vtt("WEBVTT\n"), Err(VttError::Empty));
        assert!(VttError::NoHeader.to_string().contains("WebVTT"));
    }

    #[test]
    fn writes_back_what_it_reads() {
        let vtt = "WEBVTT\n\n00:00:05.000 --> 00:00:11.500\n<v Claire Martin>Bonjour &amp; <b>bienvenue</b> : 1 < 2.</v>\n\n1:02:03.004 --> 1:02:04.000\nSans voix.\n";
        let cues = parse_vtt(vtt).unwrap();
        let written = to_vtt(&cues);
        assert!(written.starts_with("WEBVTT\n\n00:00:05.000 --> 00:00:11.500\n<v Claire Martin>"), "{written}");
        assert_eq!(parse_vtt(&written).unwrap(), cues);
    }
}
