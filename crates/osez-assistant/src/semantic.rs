//! Semantic matching, when the operator has fetched the local embedding
//! model. A small classifier (multinomial logistic regression on the
//! embeddings of the labelled requests of the evaluation sets already
//! measured) reads the intent where the lexicon's rules read none, or read
//! an everyday word as a need ("le site de l'ANTS plante"); and the
//! resource centre's records are ranked by meaning, that ranking fused
//! with the keyword engine's by reciprocal rank fusion.
//!
//! The model's similarities are bunched (0.85 related, 0.82 unrelated), so
//! no decision rests on a raw similarity: the classifier learns which
//! directions of the embedding matter, and it only overrides the rules when
//! it is confident.

use std::collections::HashMap;
use std::sync::Arc;

use osez_core::{Sector, Specialty};

use crate::eval;
use crate::need::Intent;

/// Embeds texts; the real one is `osez_embed::Model`.
pub trait Embedder: Send + Sync {
    /// Requests ("query" side), several at once.
    fn queries(&self, texts: &[&str]) -> Vec<Vec<f32>>;
    /// One request for a reply, or `None` when the embedder is too busy to
    /// answer soon (the reply then reads with the rules).
    fn query_now(&self, text: &str) -> Option<Vec<f32>> {
        self.queries(&[text]).pop()
    }
    /// Records ("passage" side), several at once.
    fn passages(&self, texts: &[&str]) -> Vec<Vec<f32>>;
}

impl Embedder for osez_embed::Model {
    fn queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        osez_embed::Model::queries(self, texts)
    }

    fn query_now(&self, text: &str) -> Option<Vec<f32>> {
        osez_embed::Model::query_now(self, text)
    }

    fn passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        osez_embed::Model::passages(self, texts)
    }
}

/// Below this probability a classifier never decides what the rules left
/// open.
pub const CONFIDENT: f32 = 0.6;

/// Below this probability the intent classifier never refuses a request
/// the rules read as one Osez serves (measured on the sets, one left out
/// at a time: 0.6 refused needs, 0.8 let through what is not for Osez).
pub const OVERRULE: f32 = 0.7;

/// A classifier's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote<L> {
    pub value: L,
    /// Its probability (0 to 1).
    pub probability: f32,
}

impl<L: Copy> Vote<L> {
    /// The value, when the classifier is confident.
    pub fn confident(&self) -> Option<L> {
        (self.probability >= CONFIDENT).then_some(self.value)
    }
}

/// What the classifiers read in a message: its intent, and the need and
/// the sector it states (`None`: states none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub intent: Vote<Intent>,
    pub specialty: Vote<Option<Specialty>>,
    pub sector: Vote<Option<Sector>>,
}

/// A labelled request, embedded.
struct Exemplar {
    /// Which of the sets it comes from.
    set: usize,
    intent: Intent,
    specialty: Option<Specialty>,
    sector: Option<Sector>,
    vector: Vec<f32>,
}

/// The classifiers, trained together on the same requests.
struct Classifiers {
    intent: Classifier<Intent>,
    specialty: Classifier<Option<Specialty>>,
    sector: Classifier<Option<Sector>>,
}

impl Classifiers {
    fn train(exemplars: &[&Exemplar]) -> Self {
        let specialties: Vec<Option<Specialty>> =
            std::iter::once(None).chain(Specialty::ALL.iter().copied().map(Some)).collect();
        let sectors: Vec<Option<Sector>> = std::iter::once(None).chain(Sector::ALL.iter().copied().map(Some)).collect();
        Self {
            intent: Classifier::train(exemplars, |e| e.intent, Intent::ALL.to_vec()),
            specialty: Classifier::train(exemplars, |e| e.specialty, specialties),
            sector: Classifier::train(exemplars, |e| e.sector, sectors),
        }
    }
}

/// The embedder, the labelled requests embedded once, and the classifiers
/// trained on them.
pub struct Semantic {
    embedder: Arc<dyn Embedder>,
    exemplars: Arc<Vec<Exemplar>>,
    classifiers: Classifiers,
}

impl Semantic {
    /// Embeds the labelled requests of `sets` (the evaluation sets'
    /// format) and trains the classifiers: seconds, once, at start-up.
    pub fn new(embedder: Arc<dyn Embedder>, sets: &[&str]) -> Result<Self, eval::EvalError> {
        let mut cases = Vec::new();
        for (set, text) in sets.iter().enumerate() {
            cases.extend(eval::load(text)?.into_iter().map(|c| (set, c)));
        }
        let texts: Vec<&str> = cases.iter().map(|(_, c)| c.text.as_str()).collect();
        let vectors = embedder.queries(&texts);
        let exemplars: Vec<Exemplar> = cases
            .iter()
            .zip(vectors)
            .map(|((set, c), vector)| Exemplar {
                set: *set,
                intent: c.intent,
                specialty: c.slots.specialty,
                sector: c.slots.sector,
                vector,
            })
            .collect();
        let classifiers = Classifiers::train(&exemplars.iter().collect::<Vec<_>>());
        Ok(Self { embedder, exemplars: Arc::new(exemplars), classifiers })
    }

    /// The same, the classifiers trained without the set at `left_out`, so
    /// that measuring a set they learnt from stays fair.
    pub fn leaving_out(&self, left_out: usize) -> Self {
        let kept: Vec<&Exemplar> = self.exemplars.iter().filter(|e| e.set != left_out).collect();
        Self {
            embedder: self.embedder.clone(),
            exemplars: self.exemplars.clone(),
            classifiers: Classifiers::train(&kept),
        }
    }

    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    /// How many labelled requests it learnt from.
    pub fn exemplars(&self) -> usize {
        self.exemplars.len()
    }

    /// What the classifiers read in a message (one embedding).
    pub fn read(&self, message: &str) -> Option<Reading> {
        let q = self.embedder.query_now(message)?;
        let c = &self.classifiers;
        Some(Reading { intent: c.intent.predict(&q), specialty: c.specialty.predict(&q), sector: c.sector.predict(&q) })
    }

    /// Records ranked by meaning for `text`, best first: positions in
    /// `vectors`, the closest `limit`.
    pub fn rank(&self, text: &str, vectors: &[Vec<f32>], limit: usize) -> Vec<usize> {
        let Some(q) = self.embedder.query_now(text) else { return Vec::new() };
        let mut scored: Vec<(f32, usize)> =
            vectors.iter().enumerate().map(|(i, v)| (osez_embed::similarity(&q, v), i)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(limit).map(|(_, i)| i).collect()
    }
}

/// Multinomial logistic regression, trained by full-batch gradient descent
/// from zero: deterministic, about a second for a few hundred requests.
struct Classifier<L> {
    labels: Vec<L>,
    mean: Vec<f32>,
    /// `weights[c]`: the weights of label `c`.
    weights: Vec<Vec<f32>>,
    bias: Vec<f32>,
}

/// Centred embeddings are scaled up so that the weights stay near 1.
const SCALE: f32 = 10.0;
const STEPS: usize = 800;
const RATE: f32 = 0.5;
/// Inverse strength of the L2 penalty.
const C: f32 = 10.0;

impl<L: Copy + PartialEq> Classifier<L> {
    fn train(exemplars: &[&Exemplar], label: impl Fn(&Exemplar) -> L, labels: Vec<L>) -> Self {
        let dim = exemplars.first().map_or(0, |e| e.vector.len());
        let n = exemplars.len().max(1) as f32;
        let mut mean = vec![0f32; dim];
        for e in exemplars {
            for (m, x) in mean.iter_mut().zip(&e.vector) {
                *m += x / n;
            }
        }
        let xs: Vec<Vec<f32>> =
            exemplars.iter().map(|e| e.vector.iter().zip(&mean).map(|(x, m)| (x - m) * SCALE).collect()).collect();
        let ys: Vec<usize> =
            exemplars.iter().map(|e| labels.iter().position(|l| *l == label(e)).unwrap_or(0)).collect();
        let k = labels.len();
        let mut weights = vec![vec![0f32; dim]; k];
        let mut bias = vec![0f32; k];
        let mut grad_w = vec![vec![0f32; dim]; k];
        let mut grad_b = vec![0f32; k];
        for _ in 0..STEPS {
            grad_w.iter_mut().for_each(|g| g.iter_mut().for_each(|x| *x = 0.0));
            grad_b.iter_mut().for_each(|x| *x = 0.0);
            for (x, &y) in xs.iter().zip(&ys) {
                let p = softmax(&weights, &bias, x);
                for c in 0..k {
                    let err = (p[c] - f32::from(u8::from(c == y))) / n;
                    grad_b[c] += err;
                    for (g, xi) in grad_w[c].iter_mut().zip(x) {
                        *g += err * xi;
                    }
                }
            }
            for c in 0..k {
                for (w, g) in weights[c].iter_mut().zip(&grad_w[c]) {
                    *w -= RATE * (g + *w / (C * n));
                }
                bias[c] -= RATE * grad_b[c];
            }
        }
        Self { labels, mean, weights, bias }
    }

    fn predict(&self, vector: &[f32]) -> Vote<L> {
        let x: Vec<f32> = vector.iter().zip(&self.mean).map(|(v, m)| (v - m) * SCALE).collect();
        let p = softmax(&self.weights, &self.bias, &x);
        let (c, probability) = p.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
        Vote { value: self.labels[c], probability }
    }
}

fn softmax(weights: &[Vec<f32>], bias: &[f32], x: &[f32]) -> Vec<f32> {
    let z: Vec<f32> =
        weights.iter().zip(bias).map(|(w, b)| b + w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>()).collect();
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// The resource centre's records embedded (title and summary), for one
/// version of them.
pub struct Meaning {
    semantic: Arc<Semantic>,
    vectors: Vec<Vec<f32>>,
}

impl Meaning {
    /// Embeds every record: about a second for a hundred, once per version
    /// of the published resources.
    pub fn new(semantic: Arc<Semantic>, resources: &[osez_core::resource::Resource]) -> Self {
        let texts: Vec<String> =
            resources.iter().map(|r| format!("{}. {}", r.content.title, r.content.summary)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = semantic.embedder.passages(&refs);
        Self { semantic, vectors }
    }

    /// Positions of the records closest in meaning to `text`, best first.
    pub fn rank(&self, text: &str, limit: usize) -> Vec<usize> {
        self.semantic.rank(text, &self.vectors, limit)
    }
}

/// Reciprocal rank fusion of rankings (k = 60, after Cormack, Clarke and
/// Büttcher, SIGIR 2009): best first.
pub fn fuse(rankings: &[&[usize]]) -> Vec<usize> {
    let mut scores: HashMap<usize, f64> = HashMap::new();
    for ranking in rankings {
        for (rank, &id) in ranking.iter().enumerate() {
            *scores.entry(id).or_default() += 1.0 / (60.0 + rank as f64 + 1.0);
        }
    }
    let mut v: Vec<(usize, f64)> = scores.into_iter().collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    v.into_iter().map(|(id, _)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_what_both_rankings_place_high() {
        assert_eq!(fuse(&[&[1, 2, 3], &[3, 1, 4]]), vec![1, 3, 2, 4]);
        assert_eq!(fuse(&[&[], &[5]]), vec![5]);
    }

    /// A stand-in embedder (no model needed): one direction per word.
    struct Words;
    impl Embedder for Words {
        fn queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
            texts.iter().map(|t| embed(t)).collect()
        }
        fn passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
            self.queries(texts)
        }
    }
    fn embed(t: &str) -> Vec<f32> {
        let mut v = vec![0f32; 8];
        for w in t.split_whitespace() {
            v[w.bytes().map(usize::from).sum::<usize>() % 8] += 1.0;
        }
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn the_classifier_learns_the_labelled_requests_and_can_leave_a_set_out() {
        let set = |text: &str, intent: &str, id: usize| {
            format!(
                "[[case]]\nid = \"clear-{id}\"\ncategory = \"clear\"\ntext = \"{text}\"\nintent = \"{intent}\"\nquestion_needed = false\n"
            )
        };
        let a = [set("site web vitrine", "find_adviser", 1), set("recette tarte pommes", "out_of_scope", 2)].concat();
        let b = set("site web boutique", "find_adviser", 3);
        let s = Semantic::new(Arc::new(Words), &[&a, &b]).unwrap();
        assert_eq!(s.exemplars(), 3);
        assert_eq!(s.read("recette tarte pommes").unwrap().intent.value, Intent::OutOfScope);
        assert_eq!(s.read("site web vitrine").unwrap().intent.value, Intent::FindAdviser);
        let without_a = s.leaving_out(0);
        // Only one class left to learn from.
        assert_eq!(without_a.read("recette tarte pommes").unwrap().intent.value, Intent::FindAdviser);
    }
}
