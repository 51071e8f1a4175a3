//! One term's scores over an index, kept: a query word expands to a few
//! terms, each a search of several fields, and the same terms come back
//! query after query. Both engines (advisers, resources) score a query as
//! the weighted sum of its terms' lists.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{IndexReader, Term};

use crate::collect::ScoreAll;

/// Terms an engine keeps. The lists of a whole vocabulary add up to a few
/// MB for the demo directory; a term outside the vocabulary is kept as an
/// empty list, so that made-up words cannot grow the cache past this bound.
const MAX_CACHED_TERMS: usize = 50_000;

/// A term's BM25 per document, summed over the fields with their boosts.
pub(crate) type TermList = Arc<Vec<(u32, f32)>>;

#[derive(Default)]
pub(crate) struct TermCache {
    lists: RwLock<HashMap<String, TermList>>,
}

impl TermCache {
    /// The list of `term` over `fields` (each with its boost), searched
    /// through tantivy the first time, then kept (up to
    /// [`MAX_CACHED_TERMS`]; beyond, searched each time).
    pub fn get(&self, reader: &IndexReader, fields: &[(Field, f32)], term: &str) -> TermList {
        let cached = self.lists.read().unwrap_or_else(|e| e.into_inner()).get(term).cloned();
        if let Some(list) = cached {
            return list;
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = fields
            .iter()
            .map(|&(field, boost)| {
                let q = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::WithFreqs);
                (Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost)) as Box<dyn Query>)
            })
            .collect();
        let list = match reader.searcher().search(&BooleanQuery::new(clauses), &ScoreAll) {
            Ok(found) => found,
            // A failing search of an index built by this process is a bug;
            // log it and treat the term as matching nothing.
            Err(e) => {
                tracing::error!(error = %e, "search failed");
                Vec::new()
            }
        };
        let list = Arc::new(list);
        let mut lists = self.lists.write().unwrap_or_else(|e| e.into_inner());
        if lists.len() < MAX_CACHED_TERMS {
            lists.insert(term.to_string(), list.clone());
        }
        list
    }

    /// BM25 of weighted terms for each of `docs` documents (0 where none
    /// matches): each term's list times its weight, summed.
    pub fn score(&self, reader: &IndexReader, fields: &[(Field, f32)], terms: &[(&str, f32)], docs: usize) -> Vec<f32> {
        let mut scores = vec![0.0f32; docs];
        for &(term, weight) in terms {
            for &(ord, score) in self.get(reader, fields, term).iter() {
                if let Some(s) = scores.get_mut(ord as usize) {
                    *s = (*s + weight * score).max(f32::MIN_POSITIVE);
                }
            }
        }
        scores
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{FAST, Schema, TEXT};
    use tantivy::{Index, doc};

    use super::*;

    #[test]
    fn the_kept_scores_are_those_of_the_boolean_query_they_replace() {
        let mut schema = Schema::builder();
        let (title, body) = (schema.add_text_field("title", TEXT), schema.add_text_field("body", TEXT));
        let ord = schema.add_u64_field("ord", FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer(15_000_000).unwrap();
        for (n, (t, b)) in [("site web", "vendre en ligne"), ("web", "site web et web"), ("compta", "factures")]
            .into_iter()
            .enumerate()
        {
            writer.add_document(doc!(title => t, body => b, ord => n as u64)).unwrap();
        }
        writer.commit().unwrap();
        let reader = index.reader().unwrap();
        let fields = [(title, 3.0), (body, 1.0)];
        let cache = TermCache::default();
        let ours = cache.score(&reader, &fields, &[("web", 1.0), ("site", 0.5)], 3);
        // The same terms as one boolean query, as tantivy scores it.
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in [("web", 1.0f32), ("site", 0.5)] {
            for &(field, boost) in &fields {
                let q = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), weight * boost))));
            }
        }
        let theirs = reader.searcher().search(&BooleanQuery::new(clauses), &ScoreAll).unwrap();
        assert_eq!(theirs.len(), 2);
        for (ord, score) in theirs {
            assert!((ours[ord as usize] - score).abs() < 1e-4, "{ord}: {} vs {score}", ours[ord as usize]);
        }
        assert_eq!(ours[2], 0.0);
        // Asked again: the same list, from the cache.
        assert!(Arc::ptr_eq(&cache.get(&reader, &fields, "web"), &cache.get(&reader, &fields, "web")));
    }
}
