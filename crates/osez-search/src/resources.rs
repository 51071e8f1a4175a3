//! The search of the resource centre: the same French analysis, typo and
//! prefix expansion and BM25 as the directory, over published resources and
//! the lines of webinar transcripts.
//!
//! Each resource is one document (title, tags, text); each transcript line
//! is one more, so that a match in a replay points to its moment. A
//! resource matches a word when its document or one of its lines does. The
//! index lives in memory: a few thousand resources build in milliseconds,
//! and every node rebuilds it when the resources' version changes.

use osez_core::Geography;
use osez_core::resource::{Cue, Resource, ResourceType, Theme};
use serde::Serialize;
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, TantivyDocument};

use crate::SearchError;
use crate::index::{Vocabulary, pre_tokenized, reader};
use crate::lexicon::Lexicon;
use crate::query::{QueryWord, parse};
use crate::results::{FacetValue, Relaxation, facet_values};
use crate::terms::TermCache;

const TITLE_BOOST: f32 = 3.0;
const TAGS_BOOST: f32 = 1.5;
const TEXT_BOOST: f32 = 1.0;
/// What the best matching transcript line adds to a resource's score.
const LINE_SHARE: f32 = 0.5;
/// What a word matched only through a typo counts.
const TYPO_SHARE: f32 = 0.5;
/// How much the share of query words matched weighs in the rank.
const COVERAGE_POWER: f32 = 0.5;
/// Hits scoring less than this share of the best one are left out: with
/// any word matching, a common word ("commande") would otherwise bring in
/// most of the resources.
const MIN_SHARE_OF_BEST: f64 = 0.25;

struct Candidate {
    ord: usize,
    score: f32,
    matched: u32,
    typos: u32,
}

#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    title: Field,
    tags: Field,
    text: Field,
    line: Field,
}

/// A search of the resources, already validated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResourceRequest {
    pub q: String,
    #[serde(rename = "type")]
    pub kind: Option<ResourceType>,
    pub theme: Option<Theme>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    #[serde(skip)]
    pub typing: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceHit {
    /// Position in [`ResourceEngine::resources`].
    #[serde(skip)]
    pub ord: usize,
    #[serde(skip)]
    pub typos: u32,
    pub score: f64,
    /// The transcript line that matches the query best, if any.
    pub moment: Option<Cue>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ResourceFacets {
    #[serde(rename = "type")]
    pub kind: Vec<FacetValue>,
    pub theme: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceResults {
    pub total: usize,
    pub hits: Vec<ResourceHit>,
    pub relaxed: Vec<Relaxation>,
    pub facets: ResourceFacets,
    pub words: Vec<String>,
}

pub struct ResourceEngine {
    reader: IndexReader,
    fields: Fields,
    /// Sorted by slug.
    resources: Vec<Resource>,
    /// Document ord → (resource ord, transcript line).
    docs: Vec<(u32, Option<u32>)>,
    lexicon: Lexicon,
    term_cache: TermCache,
}

/// Scores of one query word, per resource and per transcript line.
struct WordScores {
    score: Vec<f32>,
    typo_only: Vec<bool>,
    /// Document ords of the transcript lines that match.
    lines: Vec<(u32, f32)>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        ord: b.add_u64_field("ord", FAST),
        title: b.add_text_field("title", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        text: b.add_text_field("text", text.clone()),
        line: b.add_text_field("line", text),
    };
    (b.build(), fields)
}

impl ResourceEngine {
    /// Indexes `resources` (the published ones) in memory.
    pub fn new(mut resources: Vec<Resource>) -> Result<Self, SearchError> {
        resources.sort_by(|a, b| a.slug.cmp(&b.slug));
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 50_000_000)?;
        let mut docs = Vec::new();
        let mut texts: Vec<Vec<String>> = Vec::new();
        for (ord, r) in resources.iter().enumerate() {
            let c = &r.content;
            let (tags, text) = (c.tags_text(), c.search_text());
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.ord, docs.len() as u64);
            doc.add_pre_tokenized_text(fields.title, pre_tokenized(&c.title));
            doc.add_pre_tokenized_text(fields.tags, pre_tokenized(&tags));
            doc.add_pre_tokenized_text(fields.text, pre_tokenized(&text));
            writer.add_document(doc)?;
            docs.push((ord as u32, None));
            texts.push(vec![c.title.clone(), tags, text]);
            for (i, cue) in c.transcript.iter().enumerate() {
                let mut doc = TantivyDocument::default();
                doc.add_u64(fields.ord, docs.len() as u64);
                doc.add_pre_tokenized_text(fields.line, pre_tokenized(&cue.text));
                writer.add_document(doc)?;
                docs.push((ord as u32, Some(i as u32)));
            }
            texts.push(c.transcript.iter().map(|cue| cue.text.clone()).collect());
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let lexicon = Lexicon::new(Vocabulary::from_documents(texts.into_iter()));
        Ok(ResourceEngine {
            reader: reader(&index)?,
            fields,
            resources,
            docs,
            lexicon,
            term_cache: TermCache::default(),
        })
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn find(&self, slug: &str) -> Option<&Resource> {
        self.resources.binary_search_by(|r| r.slug.as_str().cmp(slug)).ok().map(|i| &self.resources[i])
    }

    /// BM25 of weighted terms for every document (0 where none matches).
    fn score_terms(&self, terms: &[(&str, f32)]) -> Vec<f32> {
        let f = self.fields;
        let fields = [(f.title, TITLE_BOOST), (f.tags, TAGS_BOOST), (f.text, TEXT_BOOST), (f.line, 1.0)];
        self.term_cache.score(&self.reader, &fields, terms, self.docs.len())
    }

    /// Per-resource scores of a word: the resource's own document, plus a
    /// share of its best line.
    fn fold(&self, doc_scores: &[f32]) -> (Vec<f32>, Vec<(u32, f32)>) {
        let mut own = vec![0.0f32; self.resources.len()];
        let mut best_line = vec![0.0f32; self.resources.len()];
        let mut lines = Vec::new();
        for (d, &s) in doc_scores.iter().enumerate() {
            if s <= 0.0 {
                continue;
            }
            let (r, line) = self.docs[d];
            match line {
                None => own[r as usize] = s,
                Some(_) => {
                    best_line[r as usize] = best_line[r as usize].max(s);
                    lines.push((d as u32, s));
                }
            }
        }
        let score = own
            .iter()
            .zip(&best_line)
            .map(|(&o, &l)| if o > 0.0 { o + LINE_SHARE * l } else { LINE_SHARE * l })
            .collect();
        (score, lines)
    }

    fn word_scores(&self, w: &QueryWord) -> WordScores {
        let terms = self.lexicon.expand(w);
        let exact: Vec<(&str, f32)> = terms.iter().filter(|t| !t.2).map(|t| (t.0.as_str(), t.1)).collect();
        let typo: Vec<(&str, f32)> = terms.iter().filter(|t| t.2).map(|t| (t.0.as_str(), t.1)).collect();
        let (mut score, mut lines) = self.fold(&self.score_terms(&exact));
        let mut typo_only = vec![false; score.len()];
        if !typo.is_empty() {
            let (typo_score, typo_lines) = self.fold(&self.score_terms(&typo));
            for (ord, t) in typo_score.into_iter().enumerate() {
                if t > 0.0 && score[ord] <= 0.0 {
                    score[ord] = t;
                    typo_only[ord] = true;
                }
            }
            lines.extend(typo_lines.into_iter().filter(|&(d, _)| typo_only[self.docs[d as usize].0 as usize]));
        }
        WordScores { score, typo_only, lines }
    }

    fn passes(&self, r: &Resource, req: &ResourceRequest) -> bool {
        req.kind.is_none_or(|k| r.content.kind == k) && req.theme.is_none_or(|t| r.content.themes.contains(&t))
    }

    /// Resources passing the filters and matching at least one word of
    /// `active` (every resource when there is none), with their score and
    /// their count of words matched and of words matched only by a typo.
    ///
    /// Any word, not every word: a resource is long text, and a business
    /// owner's sentence ("à quoi sert un ambassadeur IA") holds words that
    /// its answer need not contain. The rank counts the matched words'
    /// weight (BM25 carries their rarity), so "ambassadeur" outweighs
    /// "sert".
    fn matches(&self, req: &ResourceRequest, scores: &[WordScores], active: &[usize]) -> Vec<Candidate> {
        let mut out = Vec::new();
        for (ord, r) in self.resources.iter().enumerate() {
            if !self.passes(r, req) {
                continue;
            }
            let mut c = Candidate { ord, score: 0.0, matched: 0, typos: 0 };
            for &w in active {
                let s = scores[w].score[ord];
                if s > 0.0 {
                    let typo = scores[w].typo_only[ord];
                    c.score += if typo { s * TYPO_SHARE } else { s };
                    c.matched += 1;
                    c.typos += u32::from(typo);
                }
            }
            if c.matched > 0 || active.is_empty() {
                out.push(c);
            }
        }
        out
    }

    /// The line of resource `ord` that matches the most active words, then
    /// scores highest.
    fn moment(&self, ord: usize, scores: &[WordScores], active: &[usize]) -> Option<Cue> {
        let mut per_line: Vec<(u32, usize, f32)> = Vec::new();
        for &w in active {
            for &(d, s) in &scores[w].lines {
                if self.docs[d as usize].0 as usize != ord {
                    continue;
                }
                match per_line.iter_mut().find(|x| x.0 == d) {
                    Some(x) => {
                        x.1 += 1;
                        x.2 += s;
                    }
                    None => per_line.push((d, 1, s)),
                }
            }
        }
        let best = per_line.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)).then(b.0.cmp(&a.0)))?;
        let line = self.docs[best.0 as usize].1? as usize;
        self.resources[ord].content.transcript.get(line).cloned()
    }

    pub fn search(&self, req: &ResourceRequest, geo: &Geography) -> ResourceResults {
        let parsed = parse(&req.q, geo, req.typing);
        // Kind and remote words are filters for advisers, words here; a
        // place means nothing to a resource.
        let mut words = parsed.intent_words.clone();
        words.extend(parsed.words.iter().cloned());
        let scores: Vec<WordScores> = words.iter().map(|w| self.word_scores(w)).collect();
        let active: Vec<usize> = (0..words.len()).collect();
        let found = self.matches(req, &scores, &active);
        let n = active.len().max(1) as f32;
        let max_rel = found.iter().map(|c| c.score).fold(0.0f32, f32::max);
        let mut hits: Vec<ResourceHit> = found
            .iter()
            .map(|c| {
                let coverage = c.matched as f32 / n;
                let rel = if max_rel > 0.0 { c.score / max_rel } else { 0.0 };
                ResourceHit {
                    ord: c.ord,
                    typos: c.typos,
                    score: f64::from(rel * coverage.powf(COVERAGE_POWER)),
                    moment: None,
                }
            })
            .collect();
        let best = hits.iter().map(|h| h.score).fold(0.0f64, f64::max);
        hits.retain(|h| h.score >= MIN_SHARE_OF_BEST * best);
        let newest = |h: &ResourceHit| self.resources[h.ord].published_at;
        hits.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| newest(b).cmp(&newest(a))).then(a.ord.cmp(&b.ord))
        });
        // The words that no hit matches are said, as the directory does.
        let relaxed: Vec<Relaxation> = active
            .iter()
            .filter(|&&w| hits.iter().all(|h| scores[w].score[h.ord] <= 0.0))
            .filter(|_| !hits.is_empty())
            .map(|&w| Relaxation::DroppedWord { word: words[w].text.clone() })
            .collect();
        let facets = self.facets(&hits);
        let total = hits.len();
        let per_page = req.per_page.clamp(1, 100);
        let start = (req.page.max(1) - 1).saturating_mul(per_page);
        let mut hits: Vec<ResourceHit> = hits.into_iter().skip(start).take(per_page).collect();
        for h in &mut hits {
            h.moment = self.moment(h.ord, &scores, &active);
        }
        ResourceResults { total, hits, relaxed, facets, words: words.iter().map(|w| w.text.clone()).collect() }
    }

    fn facets(&self, hits: &[ResourceHit]) -> ResourceFacets {
        let mut kind = vec![0usize; ResourceType::ALL.len()];
        let mut theme = vec![0usize; Theme::ALL.len()];
        for h in hits {
            let c = &self.resources[h.ord].content;
            kind[c.kind as usize] += 1;
            c.themes.iter().for_each(|&t| theme[t as usize] += 1);
        }
        ResourceFacets {
            kind: facet_values(ResourceType::ALL, &kind, ResourceType::slug, ResourceType::label),
            theme: facet_values(Theme::ALL, &theme, Theme::slug, Theme::label),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use osez_core::resource::starter;

    use super::*;

    fn geo() -> &'static Geography {
        static GEO: OnceLock<Geography> = OnceLock::new();
        GEO.get_or_init(|| Geography::embedded().unwrap())
    }

    fn engine() -> ResourceEngine {
        ResourceEngine::new(starter::all(1_796_212_800_000).unwrap()).unwrap()
    }

    fn top(e: &ResourceEngine, q: &str) -> Vec<String> {
        let req = ResourceRequest { q: q.into(), page: 1, per_page: 5, ..Default::default() };
        e.search(&req, geo()).hits.iter().map(|h| e.resources()[h.ord].slug.clone()).collect()
    }

    #[test]
    fn plain_words_find_their_resource() {
        let e = engine();
        assert_eq!(top(&e, "fiche de poste")[0], "fiches-de-poste-avec-l-ia");
        assert_eq!(top(&e, "bons de commande")[0], "lecture-automatique-des-bons-de-commande");
        assert_eq!(top(&e, "qu'est-ce qu'un ambassadeur IA")[0], "qu-est-ce-qu-un-ambassadeur-ia");
    }

    #[test]
    fn a_transcript_hit_points_to_its_moment() {
        let e = engine();
        let req = ResourceRequest {
            q: "devis".into(),
            kind: Some(ResourceType::Webinaire),
            page: 1,
            per_page: 5,
            ..Default::default()
        };
        let res = e.search(&req, geo());
        let hit = res.hits.iter().find(|h| e.resources()[h.ord].slug == "webinaire-premiers-pas-avec-l-ia-generative");
        let moment = hit.and_then(|h| h.moment.clone()).expect("a line of the replay");
        assert!(crate::analysis::index_terms(&moment.text).contains(&crate::analysis::stem("devis")), "{moment:?}");
    }

    #[test]
    fn filters_and_facets() {
        let e = engine();
        let req = ResourceRequest {
            q: String::new(),
            theme: Some(Theme::RessourcesHumaines),
            page: 1,
            per_page: 100,
            ..Default::default()
        };
        let res = e.search(&req, geo());
        assert!(res.total >= 3);
        assert!(res.hits.iter().all(|h| e.resources()[h.ord].content.themes.contains(&Theme::RessourcesHumaines)));
        assert_eq!(
            res.facets.theme.iter().find(|f| f.value == "ressources_humaines").map(|f| f.count),
            Some(res.total)
        );
        // No words: newest first.
        let dates: Vec<i64> = res.hits.iter().map(|h| e.resources()[h.ord].published_at).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    }

    #[test]
    fn a_typo_still_finds_and_a_word_that_matches_nothing_is_dropped_and_said() {
        let e = engine();
        assert_eq!(top(&e, "hallucinasions")[0], "hallucinations-et-biais-de-l-ia");
        let req = ResourceRequest { q: "newsletter xyzzyq".into(), page: 1, per_page: 5, ..Default::default() };
        let res = e.search(&req, geo());
        assert!(res.total > 0);
        assert_eq!(res.relaxed, vec![Relaxation::DroppedWord { word: "xyzzyq".into() }]);
    }
}
