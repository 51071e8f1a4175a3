//! The tantivy index of the directory: schema, build, open, and the
//! vocabulary used for typo and prefix matching.
//!
//! The index is derived data: it is rebuilt from the store whenever the
//! directory's version differs from the one it was built from.

use std::collections::HashMap;
use std::path::Path;

use osez_core::Adviser;
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::SearchError;
use osez_core::text::fold;

use crate::analysis::{index_terms, stem, vocabulary_words};

/// Bump when the schema or the analysis changes: older indexes are rebuilt.
const SCHEMA_VERSION: u32 = 2;
const META_FILE: &str = "osez-index.json";

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    /// Position of the adviser in the engine's list (sorted by id).
    pub ord: Field,
    pub name: Field,
    /// Kind, specialties, sectors and structure type, with their keywords.
    pub tags: Field,
    pub body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        ord: b.add_u64_field("ord", FAST),
        name: b.add_text_field("name", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        body: b.add_text_field("body", text),
    };
    (b.build(), fields)
}

/// The name as indexed: without the adviser's commune, whose words are a
/// place, not a need. "Studio Ancre Saint-Cloud" must not be the best match
/// for "cloud"; a search for Saint-Cloud finds it through the geography.
pub(crate) fn name_text(a: &Adviser) -> String {
    let name = fold(&a.name);
    let commune = fold(&a.commune);
    if commune.is_empty() {
        return name;
    }
    let padded = format!(" {name} ");
    padded.replace(&format!(" {commune} "), " ").trim().to_string()
}

/// Text of the `tags` field: labels and keywords of the adviser's kind,
/// structure type, specialties and sectors.
pub fn tags_text(a: &Adviser) -> String {
    let mut s = String::new();
    let mut push = |label: &str, keywords: &[&str]| {
        s.push_str(label);
        s.push_str(". ");
        for k in keywords {
            s.push_str(k);
            s.push_str(". ");
        }
    };
    push(a.kind.label(), a.kind.keywords());
    push(a.structure_type.label(), a.structure_type.keywords());
    for sp in &a.specialties {
        push(sp.label(), sp.keywords());
    }
    for se in &a.sectors {
        push(se.label(), se.keywords());
    }
    s
}

pub(crate) fn pre_tokenized(text: &str) -> PreTokenizedString {
    let tokens = index_terms(text)
        .into_iter()
        .enumerate()
        .map(|(position, t)| Token { offset_from: 0, offset_to: 0, position, text: t, position_length: 1 })
        .collect();
    PreTokenizedString { text: String::new(), tokens }
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq, Debug)]
struct Meta {
    schema: u32,
    advisers_version: i64,
    count: usize,
}

pub(crate) struct Built {
    pub reader: IndexReader,
    pub fields: Fields,
}

fn write_docs(index: &Index, fields: Fields, advisers: &[Adviser]) -> Result<(), SearchError> {
    // One thread and one commit: 4,300 short profiles index in well under a
    // second, and a single segment keeps queries simple and fast.
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
    for (ord, a) in advisers.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_u64(fields.ord, ord as u64);
        doc.add_pre_tokenized_text(fields.name, pre_tokenized(&name_text(a)));
        doc.add_pre_tokenized_text(fields.tags, pre_tokenized(&tags_text(a)));
        doc.add_pre_tokenized_text(fields.body, pre_tokenized(&a.description));
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

pub(crate) fn reader(index: &Index) -> Result<IndexReader, SearchError> {
    Ok(index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?)
}

/// An index in memory (tests, benchmarks).
pub(crate) fn build_in_ram(advisers: &[Adviser]) -> Result<Built, SearchError> {
    let (schema, fields) = schema();
    let index = Index::create_in_ram(schema);
    write_docs(&index, fields, advisers)?;
    Ok(Built { reader: reader(&index)?, fields })
}

/// Opens the index in `dir` if it was built from this version of the
/// directory, or rebuilds it there. Returns whether it was rebuilt.
pub(crate) fn open_or_build(dir: &Path, advisers: &[Adviser], version: i64) -> Result<(Built, bool), SearchError> {
    let (schema, fields) = schema();
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("index");
    let io = |e: std::io::Error| SearchError::Io(e.to_string());
    // One process at a time looks at and swaps the index: a server that
    // reloads and an `osez import` that rebuilds may meet here. The lock is
    // the operating system's, released when the file closes, even on a crash.
    std::fs::create_dir_all(parent).map_err(io)?;
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(parent.join(format!("{name}.lock")))
        .map_err(io)?;
    lock.lock().map_err(io)?;
    let wanted = Meta { schema: SCHEMA_VERSION, advisers_version: version, count: advisers.len() };
    let current: Option<Meta> =
        std::fs::read(dir.join(META_FILE)).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok());
    if current.as_ref() == Some(&wanted)
        && let Ok(index) = Index::open_in_dir(dir)
        && index.schema() == schema
    {
        return Ok((Built { reader: reader(&index)?, fields }, false));
    }
    // Build beside, then swap: a crash mid-build leaves the old index or none,
    // never a half-written one under the real name.
    let tmp = parent.join(format!("{name}.building"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io)?;
    }
    std::fs::create_dir_all(&tmp).map_err(io)?;
    {
        let index = Index::create_in_dir(&tmp, schema)?;
        write_docs(&index, fields, advisers)?;
    }
    std::fs::write(tmp.join(META_FILE), serde_json::to_vec(&wanted).map_err(|e| SearchError::Io(e.to_string()))?)
        .map_err(io)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::rename(&tmp, dir).map_err(io)?;
    let index = Index::open_in_dir(dir)?;
    Ok((Built { reader: reader(&index)?, fields }, true))
}

/// Every folded word of the indexed text, with its index term, grouped by
/// length so that typo look-ups scan only the lengths that can match.
pub(crate) struct Vocabulary {
    /// by_len[n]: (word, term, document frequency) of words of n bytes.
    pub by_len: Vec<Vec<(String, String, u32)>>,
}

impl Vocabulary {
    pub fn build(advisers: &[Adviser]) -> Self {
        Self::from_documents(advisers.iter().map(|a| vec![name_text(a), tags_text(a), a.description.clone()]))
    }

    /// The vocabulary of documents given as their texts.
    pub fn from_documents(docs: impl Iterator<Item = Vec<String>>) -> Self {
        let mut df: HashMap<String, u32> = HashMap::new();
        for texts in docs {
            let mut words: Vec<String> = texts.iter().flat_map(|t| vocabulary_words(t)).collect();
            words.sort_unstable();
            words.dedup();
            for w in words {
                *df.entry(w).or_default() += 1;
            }
        }
        let mut by_len: Vec<Vec<(String, String, u32)>> = Vec::new();
        for (w, n) in df {
            if by_len.len() <= w.len() {
                by_len.resize_with(w.len() + 1, Vec::new);
            }
            let term = stem(&w);
            by_len[w.len()].push((w, term, n));
        }
        for list in &mut by_len {
            list.sort_unstable();
        }
        Vocabulary { by_len }
    }

    pub fn len(&self) -> usize {
        self.by_len.iter().map(Vec::len).sum()
    }
}
