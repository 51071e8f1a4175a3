//! The words of an index and the expansion of a query word into index
//! terms: exact, with typos (by edit distance) and as a prefix. Each engine
//! (advisers, resources) has its own lexicon over its own documents.

use std::collections::BTreeMap;

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};

use crate::index::Vocabulary;
use crate::query::QueryWord;

/// Weights of a candidate term by edit distance: exact, one typo, two typos.
const TYPO_WEIGHTS: [f32; 3] = [1.0, 0.5, 0.3];
/// A word matched as the prefix of a longer word.
const PREFIX_WEIGHT: f32 = 0.7;
const MAX_PREFIX_CANDIDATES: usize = 20;

pub(crate) struct Lexicon {
    pub vocabulary: Vocabulary,
    typo_builders: [LevenshteinAutomatonBuilder; 3],
}

impl Lexicon {
    pub fn new(vocabulary: Vocabulary) -> Self {
        Lexicon {
            vocabulary,
            // Transposition counts as one typo ("cyebr" for "cyber").
            typo_builders: [0, 1, 2].map(|d| LevenshteinAutomatonBuilder::new(d, true)),
        }
    }

    /// Candidate index terms of a query word with their weights, and
    /// whether each is reached only through a typo. Sorted by term, so that
    /// scores add up in the same order every time.
    pub fn expand(&self, w: &QueryWord) -> Vec<(String, f32, bool)> {
        let mut terms: BTreeMap<String, (f32, bool)> = BTreeMap::new();
        let mut keep = |term: &str, weight: f32, typo: bool| {
            let e = terms.entry(term.to_string()).or_insert((0.0, true));
            e.0 = e.0.max(weight);
            e.1 &= typo;
        };
        keep(&w.term, 1.0, false);
        if w.fuzzy {
            let len = w.text.len();
            // As Meilisearch does: one typo from 5 letters, two from 9.
            let typos: usize = if len >= 9 {
                2
            } else if len >= 5 {
                1
            } else {
                0
            };
            if typos > 0 {
                let dfa = self.typo_builders[typos].build_dfa(&w.text);
                for l in len.saturating_sub(typos)..=len + typos {
                    for (word, term, _) in self.vocabulary.by_len.get(l).into_iter().flatten() {
                        if let Distance::Exact(d) = dfa.eval(word) {
                            keep(term, TYPO_WEIGHTS[usize::from(d)], d > 0);
                        }
                    }
                }
            }
            if w.prefix && len >= 2 {
                let dfa = self.typo_builders[typos].build_prefix_dfa(&w.text);
                let mut found: Vec<(&str, f32, u32, bool)> = Vec::new();
                for l in len + 1..self.vocabulary.by_len.len() {
                    for (word, term, df) in &self.vocabulary.by_len[l] {
                        if let Distance::Exact(d) = dfa.eval(word) {
                            found.push((term, PREFIX_WEIGHT * TYPO_WEIGHTS[usize::from(d)], *df, d > 0));
                        }
                    }
                }
                // Exact completions first, then the most common: "cyb" is
                // "cybersécurité" before a rare name.
                found.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
                for (term, weight, _, typo) in found.into_iter().take(MAX_PREFIX_CANDIDATES) {
                    keep(term, weight, typo);
                }
            }
        }
        terms.into_iter().map(|(t, (w, typo))| (t, w, typo)).collect()
    }
}
