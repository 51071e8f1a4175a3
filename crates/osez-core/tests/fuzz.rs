//! Property tests ("fuzzing" on the stable toolchain) of every reader of
//! untrusted input in the domain: the open-data import (CSV and JSON), the
//! Markdown of resources, WebVTT transcripts, Pol.is exports, and the
//! checks of the application and contact forms. Each must return a value
//! or a clear error for any input, never panic; the Markdown renderer must
//! also never let a script through.
//!
//! Inputs are both arbitrary (bytes, strings) and near-valid (a real header
//! with random cells, BOMs, CRLF, quotes, multibyte UTF-8, NUL, huge
//! numbers), since random bytes rarely get past the first check. The
//! number of cases is proptest's (`PROPTEST_CASES`, 256 by default); see
//! docs/FUZZING.md for a longer campaign. A crash found here keeps a named
//! regression test at the end of the file.

use std::sync::OnceLock;

use osez_core::Geography;
use osez_core::application::RawApplication;
use osez_core::consultation::polis::{self, MAX_COMMENT_CHARS};
use osez_core::contact::RawContact;
use osez_core::import;
use osez_core::resource::markdown::{plain_text, render};
use osez_core::resource::transcript::{MAX_CUES, VttError, parse_vtt, to_vtt};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn geo() -> &'static Geography {
    static GEO: OnceLock<Geography> = OnceLock::new();
    GEO.get_or_init(|| Geography::embedded().expect("embedded geography"))
}

// ------------------------------------------------------------ generators

/// Pieces that trip up text readers: separators, quotes, line ends, BOMs,
/// NUL, multibyte and right-to-left characters, numbers at the limits of
/// the integer types, and a few real values so that rows get far.
const NASTY: &[&str] = &[
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\"",
    "\"\"",
    "'",
    ";",
    ",",
    "\0",
    "\u{feff}",
    "é",
    "Œ",
    "ß",
    "😀",
    "𝔸",
    "\u{202e}",
    "\u{a0}",
    "\u{2028}",
    "<",
    ">",
    "&",
    "&amp;",
    "-",
    "0",
    "1",
    "-1",
    "00",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e400",
    "-0",
    "NaN",
    "Lyon",
    "LYON CEDEX 03",
    "69003",
    "75001",
    "Paris",
    "2A",
    "971",
    "Ajaccio",
    "Privée",
    "Publique",
    "Indépendant",
    "Organisme public",
    "https://exemple.fr",
    "javascript:alert(1)",
];

fn nasty() -> impl Strategy<Value = String> {
    prop::sample::select(NASTY).prop_map(str::to_owned)
}

/// A cell or a field: built from nasty pieces, or any short string.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(nasty(), 0..4).prop_map(|v| v.concat()),
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
        1 => "[A-Za-z0-9 ]{0,10}",
    ]
}

/// A CSV cell as a spreadsheet would write it, or carelessly.
fn csv_cell() -> impl Strategy<Value = String> {
    (cell(), 0..3u8).prop_map(|(c, quoting)| match quoting {
        0 => c,
        1 => format!("\"{}\"", c.replace('"', "\"\"")),
        // A quote opened and never closed, or closed too early.
        _ => format!("\"{c}"),
    })
}

/// The five the import needs first.
const IMPORT_COLUMNS: &[&str] = &[
    "Identifiant de la structure",
    "Nom de la structure",
    "Type",
    "Code postal",
    "Ville",
    "Catégorie",
    "Adresse",
    "Région",
    "Lien url (site France Num)",
    "id",
    "cp",
    "commune",
    "Colonne inconnue",
    "",
];

/// A whole CSV file: a header of known and unknown column names, rows of
/// random cells (as many or not), `;` or `,`, LF or CRLF, a BOM or not,
/// empty lines here and there.
fn csv_file(columns: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    // Mostly the columns the import needs, in any order, among others.
    let header = prop_oneof![
        3 => (Just(columns[..5].to_vec()).prop_shuffle(), prop::collection::vec(prop::sample::select(columns), 0..4))
            .prop_map(|(mut needed, others)| {
                needed.extend(others);
                needed
            })
            .prop_shuffle(),
        1 => prop::collection::vec(prop::sample::select(columns), 0..10),
    ];
    (
        header.prop_map(|h| h.into_iter().map(str::to_owned).collect::<Vec<_>>()),
        prop::collection::vec(prop::collection::vec(csv_cell(), 0..11), 0..8),
        prop::sample::select(&[";", ",", "\t"][..]),
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 8),
    )
        .prop_map(|(header, rows, sep, eol, bom, blank)| {
            let mut out = String::new();
            if bom {
                out.push('\u{feff}');
            }
            out.push_str(&header.join(sep));
            out.push_str(eol);
            for (i, row) in rows.iter().enumerate() {
                if blank[i] {
                    out.push_str(eol);
                }
                out.push_str(&row.join(sep));
                out.push_str(eol);
            }
            out.into_bytes()
        })
}

/// Any JSON value, a few levels deep, with nasty strings and numbers.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        cell().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((cell(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<serde_json::Map<_, _>>())),
        ]
    })
}

/// A JSON export: an array of records keyed by column names, sometimes
/// wrapped as `{"data": [...]}`.
fn json_file() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![3 => prop::sample::select(IMPORT_COLUMNS).prop_map(str::to_owned), 1 => cell()];
    let record = prop_oneof![
        4 => prop::collection::vec((key, json_value()), 0..10)
            .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        1 => json_value(),
    ];
    (prop::collection::vec(record, 0..6), any::<bool>(), any::<bool>()).prop_map(|(items, wrap, bom)| {
        let array = serde_json::Value::Array(items);
        let value = if wrap { serde_json::json!({ "data": array }) } else { array };
        let mut out = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        out.extend(serde_json::to_vec(&value).expect("a JSON value serialises"));
        out
    })
}

// ------------------------------------------------------------ checks

fn check_import(bytes: &[u8]) -> Result<(), TestCaseError> {
    match import::parse(bytes, geo()) {
        Ok(p) => {
            let units = if p.unit == "ligne" {
                bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() + 1
            } else {
                prop_assert_eq!(p.unit, "élément");
                usize::MAX
            };
            for r in &p.rejected {
                prop_assert!((1..=units).contains(&r.line), "line {} of {units}: {}", r.line, r.reason);
                prop_assert!(!r.reason.trim().is_empty());
            }
            prop_assert!(p.rejected.is_sorted_by_key(|r| r.line));
            let mut ids: Vec<&str> = p.advisers.iter().map(|a| a.id.as_str()).collect();
            ids.sort_unstable();
            let n = ids.len();
            ids.dedup();
            prop_assert_eq!(ids.len(), n, "an id imported twice");
            for a in &p.advisers {
                prop_assert!(!a.name.is_empty() && geo().commune_by_insee(&a.commune_insee).is_some());
            }
        }
        Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
    }
    Ok(())
}

/// A tag's name and its attributes (name, value), lowercase names.
type Tag = (String, Vec<(String, String)>);

/// Every tag of sanitised HTML, read as a browser would: its name and its
/// attributes (values with the entities the serialiser writes decoded).
/// Outside tags, a `<` is always escaped, so every `<` opens a tag.
fn tags(html: &str) -> Result<Vec<Tag>, String> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = html[i..].find('<').map(|p| i + p) {
        i = open + 1;
        if b.get(i) == Some(&b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i == start {
            return Err(format!("a `<` that opens no tag at {open}"));
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                None => return Err(format!("unclosed tag <{name}")),
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(b'/') => {
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let a = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                let quote = b.get(i).copied().filter(|q| matches!(q, b'"' | b'\''));
                let v = if let Some(q) = quote {
                    i += 1;
                    let end = html[i..].find(q as char).map(|p| i + p).ok_or("unclosed attribute value")?;
                    let v = &html[i..end];
                    i = end + 1;
                    v
                } else {
                    let end = html[i..].find(|c: char| c.is_ascii_whitespace() || c == '>').map_or(b.len(), |p| i + p);
                    let v = &html[i..end];
                    i = end;
                    v
                };
                value = v.replace("&quot;", "\"").replace("&nbsp;", "\u{a0}").replace("&amp;", "&");
            }
            attrs.push((attr, value));
        }
        out.push((name, attrs));
    }
    Ok(out)
}

/// The scheme a browser reads in a URL (WHATWG URL standard: C0 controls
/// and spaces trimmed, tabs and newlines removed anywhere, case ignored);
/// `None` for a relative URL.
fn scheme(url: &str) -> Option<String> {
    let url: String =
        url.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let (scheme, _) = url.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then(|| scheme.to_ascii_lowercase())
}

/// What a browser would run: a script element, an event handler
/// attribute, or an address whose scheme is not one of the sanitiser's
/// (http, https, mailto, tel), such as `javascript:`. A `javascript:` that
/// is not a scheme is inert and allowed: the words in a paragraph, or
/// `href="%3Ejavascript:x"`, a relative link.
fn html_is_inert(html: &str) -> Result<(), String> {
    if html.to_ascii_lowercase().contains("<script") {
        return Err("a <script".into());
    }
    for (name, attrs) in tags(html)? {
        if matches!(name.as_str(), "script" | "iframe" | "object" | "embed" | "style" | "svg" | "math" | "base") {
            return Err(format!("a <{name}> element"));
        }
        for (attr, value) in attrs {
            if attr.starts_with("on") {
                return Err(format!("an event handler {attr}= on <{name}>"));
            }
            if let Some(s) = scheme(&value)
                && matches!(attr.as_str(), "href" | "src" | "action" | "formaction" | "xlink:href" | "cite")
                && !matches!(s.as_str(), "http" | "https" | "mailto" | "tel")
            {
                return Err(format!("a {s}: address in {attr}= on <{name}>: {value:?}"));
            }
        }
    }
    Ok(())
}

fn check_markdown(md: &str) -> Result<(), TestCaseError> {
    let r = render(md);
    if let Err(why) = html_is_inert(&r.html) {
        return Err(TestCaseError::fail(format!("{why}\ninput: {md:?}\nhtml: {}", r.html)));
    }
    let mut ids: Vec<&str> = r.sections.iter().map(|s| s.id.as_str()).collect();
    prop_assert!(ids.iter().all(|id| id.starts_with("section-")));
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    prop_assert_eq!(ids.len(), n, "two sections with one anchor");
    prop_assert!(r.problems.iter().all(|p| !p.trim().is_empty()));
    let _ = plain_text(md);
    Ok(())
}

fn check_vtt(text: &str) -> Result<(), TestCaseError> {
    match parse_vtt(text) {
        Ok(cues) => {
            prop_assert!(!cues.is_empty() && cues.len() <= MAX_CUES);
            for c in &cues {
                prop_assert!(c.end_ms >= c.start_ms);
                prop_assert!(!c.text.is_empty() && !c.text.contains('\n'));
                prop_assert!(c.speaker.as_ref().is_none_or(|s| !s.is_empty()));
                let _ = c.clock();
            }
            // As documented on `to_vtt`: what is read writes back the same.
            let written = to_vtt(&cues);
            prop_assert_eq!(parse_vtt(&written), Ok(cues), "written back: {:?}", written);
        }
        Err(e) => {
            prop_assert!(!e.to_string().trim().is_empty());
            if let VttError::Timing { line } | VttError::Backwards { line } = e {
                prop_assert!(line >= 1 && line <= text.lines().count(), "line {line}");
            }
        }
    }
    Ok(())
}

fn check_polis(comments: &[u8], votes: &[u8]) -> Result<(), TestCaseError> {
    match polis::read_comments(comments) {
        Ok(list) => {
            prop_assert!(!list.is_empty());
            let mut ids: Vec<i64> = list.iter().map(|c| c.id).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), list.len(), "a comment twice");
            for c in &list {
                prop_assert!((-1..=1).contains(&c.moderated));
                prop_assert!(jiff::Timestamp::from_millisecond(c.created_at_ms).is_ok());
                prop_assert!(!c.body.is_empty() && c.body.chars().count() <= MAX_COMMENT_CHARS);
            }
            match polis::read_votes(votes, &list) {
                Ok(vs) => {
                    let known = |v: &polis::PolisVote| ids.binary_search(&v.comment).is_ok();
                    let dated = |v: &polis::PolisVote| jiff::Timestamp::from_millisecond(v.at_ms).is_ok();
                    prop_assert!(vs.iter().all(|v| known(v) && dated(v)));
                }
                Err(e) => {
                    prop_assert_eq!(e.file, "votes.csv");
                    prop_assert!(!e.message.trim().is_empty());
                }
            }
        }
        Err(e) => {
            prop_assert_eq!(e.file, "comments.csv");
            prop_assert!(!e.message.trim().is_empty() && !e.to_string().is_empty());
        }
    }
    Ok(())
}

// ------------------------------------------------------------ Markdown pieces

const MARKDOWN: &[&str] = &[
    "# ",
    "## ",
    "### ",
    "\n",
    "\n\n",
    "    ",
    "> ",
    "- ",
    "1. ",
    "```\n",
    "`",
    "**",
    "_",
    "~~",
    "\\",
    "|a|b|\n|-|-|\n",
    "[",
    "]",
    "(",
    ")",
    "[x](",
    "![",
    "![alt](",
    "](",
    "\"",
    "'",
    " ",
    "\t",
    "\0",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java&#09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:",
    "javascript&colon;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    " javascript:alert(1)",
    "<javascript:alert(1)>",
    "<http://exemple.fr>",
    "<mailto:a@b.fr>",
    "[ref]",
    "[ref]: javascript:alert(1)\n",
    "[ref]: /ressources/x.png \"t\"\n",
    "https://exemple.fr",
    "/ressources/x/fichiers/a.png",
    "//evil.example/x.png",
    "#section",
    "<script>alert(1)</script>",
    "<script",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<iframe src=x>",
    "<style>*{}</style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "<div onclick=\"x\">",
    "onclick=alert(1)",
    " onmouseover=alert(1) ",
    "\" onfocus=\"alert(1)",
    "<",
    ">",
    "&",
    "&lt;script&gt;",
    "Le besoin",
    "Détail",
    "é",
    "😀",
];

fn markdown() -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![4 => prop::sample::select(MARKDOWN).prop_map(str::to_owned), 1 => cell()], 0..40)
        .prop_map(|v| v.concat())
}

// ------------------------------------------------------------ WebVTT pieces

fn vtt_timestamp() -> impl Strategy<Value = String> {
    let hours = prop_oneof![
        4 => (0u64..100).prop_map(|n| format!("{n:02}")),
        1 => prop::sample::select(&[u64::MAX, u64::MAX / 1000, u64::MAX / 3_600_000, u64::MAX / 3_600_000 + 1][..])
            .prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
    ];
    let valid = (prop::option::of(hours), 0u32..60, 0u32..60, 0u32..1000).prop_map(|(h, m, s, ms)| match h {
        Some(h) => format!("{h}:{m:02}:{s:02}.{ms:03}"),
        None => format!("{m:02}:{s:02}.{ms:03}"),
    });
    let digits = prop_oneof![
        3 => (0u64..100).prop_map(|n| format!("{n:02}")),
        1 => nasty(),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => "[0-9]{1,25}",
    ];
    let broken =
        (digits.clone(), digits.clone(), digits.clone(), digits, 0..3u8).prop_map(|(h, m, s, ms, form)| match form {
            0 => format!("{m}:{s}.{ms}"),
            1 => format!("{h}:{m}:{s}.{ms}"),
            _ => format!("{h}:{m}:{s}:{ms}"),
        });
    prop_oneof![4 => valid, 1 => broken]
}

fn vtt_block() -> impl Strategy<Value = String> {
    let payload = prop::collection::vec(
        prop_oneof![
            3 => cell(),
            1 => prop::sample::select(
                &["<v Claire Martin>", "<v.loud Jean Dupont>", "<v >", "<v", "<b>", "</v>", "<", ">", "&amp;",
                  "&lt;", "&nbsp;", "&lrm;", "-->", "NOTE", "<v A&B>", "<v a<b>", "<v &>"][..]
            )
            .prop_map(str::to_owned),
        ],
        0..5,
    )
    .prop_map(|v| v.concat());
    prop_oneof![
        6 => (prop::option::of(cell()), vtt_timestamp(), vtt_timestamp(), prop::option::of(cell()),
              prop::collection::vec(payload, 0..3))
            .prop_map(|(id, a, b, settings, lines)| {
                let mut s = String::new();
                if let Some(id) = id {
                    s.push_str(&id);
                    s.push('\n');
                }
                s.push_str(&format!("{a} --> {b}"));
                if let Some(settings) = settings {
                    s.push(' ');
                    s.push_str(&settings);
                }
                for l in lines {
                    s.push('\n');
                    s.push_str(&l);
                }
                s
            }),
        1 => prop::sample::select(&["NOTE hello", "STYLE\n::cue {}", "REGION\nid:x", "NOTE"][..]).prop_map(str::to_owned),
        1 => cell(),
    ]
}

fn vtt_file() -> impl Strategy<Value = String> {
    (
        prop::sample::select(&["WEBVTT", "\u{feff}WEBVTT", "WEBVTT - titre", "WEBVTT\tx", "WEBVTTX", "webvtt", ""][..]),
        prop::option::of(cell()),
        prop::collection::vec(vtt_block(), 0..6),
        prop::sample::select(&["\n\n", "\r\n\r\n", "\n \n", "\n", "\n\n\n"][..]),
    )
        .prop_map(|(header, header_rest, blocks, sep)| {
            let mut s = header.to_string();
            if let Some(rest) = header_rest {
                s.push('\n');
                s.push_str(&rest);
            }
            for b in blocks {
                s.push_str(sep);
                s.push_str(&b);
            }
            s
        })
}

// ------------------------------------------------------------ Pol.is pieces

const COMMENT_COLUMNS: &[&str] = &[
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
    "inconnue",
];
const VOTE_COLUMNS: &[&str] = &["timestamp", "datetime", "comment-id", "voter-id", "vote", "inconnue"];

/// A Pol.is file: the columns it needs (in any order, others mixed in)
/// and rows as wide as the header (now and then not), of numbers near and
/// past the limits, or any cell.
fn polis_file(columns: &'static [&'static str], needed: usize) -> impl Strategy<Value = Vec<u8>> {
    let number_cell = prop_oneof![
        6 => (-2i64..5).prop_map(|n| n.to_string()),
        1 => prop::sample::select(&[i64::MIN, i64::MIN + 1, i64::MAX, -100_000_000_000, 100_000_000_000][..])
            .prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => csv_cell(),
    ];
    (Just(columns[..needed].to_vec()).prop_shuffle(), prop::collection::vec(prop::sample::select(columns), 0..2))
        .prop_flat_map(move |(mut header, extra)| {
            header.extend(extra);
            let width = header.len();
            let row = prop_oneof![
                8 => prop::collection::vec(number_cell.clone(), width),
                1 => prop::collection::vec(number_cell.clone(), 0..width + 2),
            ];
            (Just(header), prop::collection::vec(row, 0..8), prop::sample::select(&["\n", "\r\n"][..]), any::<bool>())
        })
        .prop_map(|(header, rows, eol, bom)| {
            let mut out = if bom { "\u{feff}".to_string() } else { String::new() };
            out.push_str(&header.join(","));
            for row in rows {
                out.push_str(eol);
                out.push_str(&row.join(","));
            }
            out.into_bytes()
        })
}

// ------------------------------------------------------------ properties

/// proptest's defaults (`PROPTEST_CASES` and the other variables are read
/// there), with failures kept in the crate's `proptest-regressions/`: by
/// default they land beside a test file, as `tests/fuzz.proptest-regressions`.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/fuzz.txt"))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn import_reads_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check_import(&bytes)?;
    }

    #[test]
    fn import_reads_any_csv(file in csv_file(IMPORT_COLUMNS)) {
        check_import(&file)?;
    }

    #[test]
    fn import_reads_any_json(file in json_file()) {
        check_import(&file)?;
    }

    #[test]
    fn markdown_never_lets_a_script_through(md in markdown()) {
        check_markdown(&md)?;
    }

    #[test]
    fn markdown_renders_any_string(md in any::<String>()) {
        check_markdown(&md)?;
    }

    #[test]
    fn vtt_reads_any_string(text in any::<String>()) {
        check_vtt(&text)?;
    }

    #[test]
    fn vtt_reads_near_valid_files(text in vtt_file()) {
        check_vtt(&text)?;
    }

    #[test]
    fn polis_reads_any_bytes(
        comments in prop::collection::vec(any::<u8>(), 0..300),
        votes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        check_polis(&comments, &votes)?;
    }

    #[test]
    fn polis_reads_near_valid_exports(
        comments in polis_file(COMMENT_COLUMNS, 8),
        votes in polis_file(VOTE_COLUMNS, 5),
    ) {
        check_polis(&comments, &votes)?;
    }

    #[test]
    fn application_form_is_checked_field_by_field(
        fields in prop::collection::vec(cell(), 7),
        area in prop::collection::vec(cell(), 0..4),
        specialties in prop::collection::vec(cell(), 0..4),
        in_person in any::<bool>(),
        remote in any::<bool>(),
        started_before in cell(),
    ) {
        let raw = RawApplication {
            name: fields[0].clone(),
            siret: fields[1].clone(),
            activity_start: fields[2].clone(),
            website: fields[3].clone(),
            structure_type: fields[4].clone(),
            commune: fields[5].clone(),
            area,
            specialties,
            in_person,
            remote,
            // Repeated: a cell is short, a description needs 40 characters.
            description: fields[6].repeat(8),
        };
        match raw.check(geo(), &started_before) {
            Ok(form) => {
                prop_assert_eq!(form.siret.len(), 14);
                prop_assert!(!form.specialties.is_empty() && !form.area.is_empty());
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.message.trim().is_empty()));
            }
        }
    }

    #[test]
    fn contact_form_is_checked_field_by_field(fields in prop::collection::vec(cell(), 6)) {
        let raw = RawContact {
            name: fields[0].clone(),
            email: fields[1].clone(),
            company: fields[2].clone(),
            commune: fields[3].clone(),
            need: fields[4].clone(),
            // Repeated: a cell is short, a message needs a few words.
            message: fields[5].repeat(5),
        };
        match raw.check(geo()) {
            Ok(form) => {
                // Nothing that could break a mail header.
                prop_assert!(!form.name.chars().any(char::is_control));
                prop_assert!(!form.email.as_str().chars().any(char::is_control));
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| !e.message.trim().is_empty()));
            }
        }
    }
}

// ------------------------------------------------------------ regressions
//
// The minimal input of each crash the properties found, kept as a plain
// test so that it stays when proptest's own cases change.

#[test]
fn a_vtt_block_of_one_line_without_timing_is_refused_at_that_line() {
    // Found by `vtt_reads_near_valid_files`: the error named line 4 of a
    // file of 3 lines.
    assert_eq!(parse_vtt("WEBVTT\n\n\""), Err(VttError::Timing { line: 3 }));
}

#[test]
fn a_vtt_time_past_u64_milliseconds_is_unreadable_not_an_overflow() {
    // Found by `vtt_reads_near_valid_files`: 5,124,095,576,031 hours
    // overflowed u64 milliseconds (a panic in debug builds, a wrong time in
    // release ones).
    let vtt = "WEBVTT\n\n5124095576031:00:00.000 --> 5124095576031:00:01.000\nx\n";
    assert_eq!(parse_vtt(vtt), Err(VttError::Timing { line: 3 }));
    // The largest time that fits is read.
    let max = u64::MAX / 1000 / 3600;
    let vtt = format!("WEBVTT\n\n{max}:00:00.000 --> {max}:00:01.000\nx\n");
    assert_eq!(parse_vtt(&vtt).unwrap()[0].start_ms, max * 3_600_000);
}

#[test]
fn a_polis_timestamp_out_of_range_is_refused_not_an_overflow() {
    // Found by `polis_reads_near_valid_exports`: the absolute value of
    // i64::MIN overflowed while telling seconds from milliseconds. And a
    // timestamp of i64::MAX, accepted as it was, overflowed where the
    // import works out the consultation's closing date (`last + 1`).
    let header = "timestamp,comment-id,author-id,moderated,comment-body\n";
    for ts in [i64::MIN, i64::MAX, -8_210_298_412_800_001, 253_402_300_800_000] {
        let comments = format!("{header}{ts},0,0,1,Il faut former\n");
        let err = polis::read_comments(comments.as_bytes()).unwrap_err();
        assert_eq!((err.line, err.message.contains("timestamp")), (Some(2), true), "{ts}: {err}");
    }
    let comments = polis::read_comments(format!("{header}1534004984,0,0,1,Il faut former\n").as_bytes()).unwrap();
    let votes = "timestamp,comment-id,voter-id,vote\n-9223372036854775808,0,1,1\n";
    assert!(polis::read_votes(votes.as_bytes(), &comments).unwrap_err().message.contains("timestamp"));
}

#[test]
fn a_voice_with_an_ampersand_or_a_chevron_is_written_back_as_it_was_read() {
    // Found by `vtt_reads_near_valid_files`: `to_vtt` blanked `&`, `<` and
    // `>` in a voice's name, so that "A&B" read back as "A B" (the
    // editor's form and the player's track showed another name).
    let cues =
        parse_vtt("WEBVTT\n\n00:00.000 --> 00:01.000\n<v A&B>x\n\n00:01.000 --> 00:02.000\n<v Dupont &amp; Fils>y")
            .unwrap();
    assert_eq!(cues[0].speaker.as_deref(), Some("A&B"));
    assert_eq!(cues[1].speaker.as_deref(), Some("Dupont & Fils"), "a character reference is decoded");
    assert_eq!(parse_vtt(&to_vtt(&cues)), Ok(cues));
}

#[test]
fn many_headings_of_one_title_get_their_anchors_in_linear_time() {
    // Found by reading `render` while writing `markdown_never_lets_a_script_through`
    // (random inputs are too short to show it): each heading tried every
    // anchor of the same title before its own, so 20,000 headings "## a"
    // (100 KB, under the body's limit) took 143 s. The deadline is not a
    // benchmark: it tells a finished render (a fraction of a second) from
    // that one.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(render(&"## a\n".repeat(20_000)).sections);
    });
    let sections = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("rendered within a minute");
    assert_eq!(sections.len(), 20_000);
    assert_eq!((sections[0].id.as_str(), sections[19_999].id.as_str()), ("section-a", "section-a-20000"));
}
