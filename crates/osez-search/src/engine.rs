//! Query execution: word scores, filters, places, ranking, relaxation and
//! facets.

use std::path::Path;
use std::sync::Arc;

use osez_core::geo::distance_km;
use osez_core::{Adviser, Geography, Kind, Place, Sector, Specialty, StructureType};

use crate::SearchError;
use crate::index::{Built, Vocabulary, build_in_ram, open_or_build};
use crate::lexicon::Lexicon;
use crate::query::{ParsedQuery, QueryWord, parse};
use crate::results::*;
use crate::terms::TermCache;

/// Default radius around a commune or postal code.
pub const DEFAULT_RADIUS_KM: f64 = 30.0;
/// Largest radius a relaxation widens to.
const MAX_RELAXED_RADIUS_KM: f64 = 200.0;
/// Relative weight of the fields.
///
/// The tags (kind, specialties, sectors) say what an adviser does; names
/// often hold a town ("Studio Ancre Saint-Cloud"), which must not outrank
/// the specialty "cloud".
const NAME_BOOST: f32 = 1.0;
const TAGS_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 1.0;
/// Share of proximity in the blended score when both apply.
const PROXIMITY_SHARE: f64 = 0.3;
/// Distance at which proximity counts half.
const PROXIMITY_HALF_KM: f64 = 25.0;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    Everywhere,
    Point { lat: f64, lon: f64, radius_km: f64 },
    Department(usize),
    Region(usize),
}

#[derive(Debug, Clone)]
struct Constraint {
    kind: Option<Kind>,
    specialty: Option<Specialty>,
    sector: Option<Sector>,
    structure_type: Option<StructureType>,
    region: Option<String>,
    department: Option<String>,
    remote: Option<bool>,
    scope: Scope,
    /// Remote advisers match wherever they are.
    remote_anywhere: bool,
}

/// Scores of one query word over the directory.
struct WordScores {
    /// 0 where the word does not match.
    score: Vec<f32>,
    /// Matched only through a typo.
    typo_only: Vec<bool>,
}

/// Positions of an adviser's region and department in the geography (the
/// last position where unknown), for facet counting.
#[derive(Clone, Copy)]
struct PlaceIndex {
    region: u8,
    department: u8,
}

pub struct Engine {
    built: Built,
    advisers: Vec<Adviser>,
    places: Vec<PlaceIndex>,
    geo: Arc<Geography>,
    lexicon: Lexicon,
    term_cache: TermCache,
}

impl Engine {
    fn new(built: Built, advisers: Vec<Adviser>, geo: Arc<Geography>) -> Self {
        let lexicon = Lexicon::new(Vocabulary::build(&advisers));
        let places = advisers
            .iter()
            .map(|a| PlaceIndex {
                region: geo.regions.iter().position(|r| r.code == a.region).unwrap_or(geo.regions.len()) as u8,
                department: geo.departments.iter().position(|d| d.code == a.department).unwrap_or(geo.departments.len())
                    as u8,
            })
            .collect();
        Engine { built, advisers, places, geo, lexicon, term_cache: TermCache::default() }
    }

    /// An engine over an index in memory.
    pub fn in_ram(mut advisers: Vec<Adviser>, geo: Arc<Geography>) -> Result<Self, SearchError> {
        advisers.sort_by(|a, b| a.id.cmp(&b.id));
        let built = build_in_ram(&advisers)?;
        Ok(Engine::new(built, advisers, geo))
    }

    /// Opens the index in `dir`, rebuilding it when it was not built from
    /// `version` of the directory. Returns whether it was rebuilt.
    pub fn open_or_build(
        dir: &Path,
        mut advisers: Vec<Adviser>,
        version: i64,
        geo: Arc<Geography>,
    ) -> Result<(Self, bool), SearchError> {
        advisers.sort_by(|a, b| a.id.cmp(&b.id));
        let (built, rebuilt) = open_or_build(dir, &advisers, version)?;
        Ok((Engine::new(built, advisers, geo), rebuilt))
    }

    pub fn advisers(&self) -> &[Adviser] {
        &self.advisers
    }

    pub fn geography(&self) -> &Geography {
        &self.geo
    }

    pub fn find(&self, id: &str) -> Option<&Adviser> {
        self.advisers.binary_search_by(|a| a.id.as_str().cmp(id)).ok().map(|i| &self.advisers[i])
    }

    pub fn vocabulary_size(&self) -> usize {
        self.lexicon.vocabulary.len()
    }

    /// BM25 of a set of weighted terms for every adviser (0 where none
    /// matches).
    fn score_terms(&self, terms: &[(&str, f32)]) -> Vec<f32> {
        let f = self.built.fields;
        let fields = [(f.name, NAME_BOOST), (f.tags, TAGS_BOOST), (f.body, BODY_BOOST)];
        self.term_cache.score(&self.built.reader, &fields, terms, self.advisers.len())
    }

    /// Scores of one query word: exact and prefix matches first; profiles
    /// reached only through a typo get their typo score and a typo mark.
    fn word_scores(&self, w: &QueryWord) -> WordScores {
        let terms = self.lexicon.expand(w);
        let exact: Vec<(&str, f32)> = terms.iter().filter(|t| !t.2).map(|t| (t.0.as_str(), t.1)).collect();
        let typo: Vec<(&str, f32)> = terms.iter().filter(|t| t.2).map(|t| (t.0.as_str(), t.1)).collect();
        let mut score = self.score_terms(&exact);
        let mut typo_only = vec![false; score.len()];
        if !typo.is_empty() {
            for (ord, t) in self.score_terms(&typo).into_iter().enumerate() {
                if t > 0.0 && score[ord] <= 0.0 {
                    score[ord] = t;
                    typo_only[ord] = true;
                }
            }
        }
        WordScores { score, typo_only }
    }

    fn passes(&self, a: &Adviser, c: &Constraint) -> bool {
        if c.kind.is_some_and(|k| a.kind != k)
            || c.specialty.is_some_and(|s| !a.specialties.contains(&s))
            || c.sector.is_some_and(|s| !a.sectors.contains(&s))
            || c.structure_type.is_some_and(|t| a.structure_type != t)
            || c.remote.is_some_and(|r| a.remote != r)
            || c.region.as_ref().is_some_and(|r| &a.region != r)
            || c.department.as_ref().is_some_and(|d| &a.department != d)
        {
            return false;
        }
        if c.remote_anywhere && a.remote {
            return true;
        }
        match c.scope {
            Scope::Everywhere => true,
            Scope::Point { lat, lon, radius_km } => distance_km((lat, lon), (a.lat, a.lon)) <= radius_km,
            Scope::Department(d) => a.department == self.geo.departments[d].code,
            Scope::Region(r) => a.region == self.geo.regions[r].code,
        }
    }

    /// Advisers passing `c` and matching every word of `active`, with their
    /// summed word scores and their count of typo-only words.
    fn matches(&self, c: &Constraint, scores: &[WordScores], active: &[usize]) -> Vec<(usize, f32, u32)> {
        let mut out = Vec::new();
        'doc: for (ord, a) in self.advisers.iter().enumerate() {
            let mut total = 0.0;
            let mut typos = 0;
            for &w in active {
                let s = scores[w].score[ord];
                if s <= 0.0 {
                    continue 'doc;
                }
                total += s;
                typos += u32::from(scores[w].typo_only[ord]);
            }
            if self.passes(a, c) {
                out.push((ord, total, typos));
            }
        }
        out
    }

    pub fn search(&self, req: &SearchRequest) -> SearchResults {
        let parsed: ParsedQuery = parse(&req.q, &self.geo, req.typing);
        let place = req.near.or(parsed.place);
        let scores: Vec<WordScores> = parsed.words.iter().map(|w| self.word_scores(w)).collect();
        let mut active: Vec<usize> = (0..parsed.words.len()).collect();
        let radius = req.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
        let scope = match place {
            None => Scope::Everywhere,
            Some(Place::Commune(i)) | Some(Place::PostalCode(i, _)) => {
                Scope::Point { lat: self.geo.communes[i].lat, lon: self.geo.communes[i].lon, radius_km: radius }
            }
            Some(Place::Department(d)) => match req.radius_km {
                Some(r) => {
                    Scope::Point { lat: self.geo.departments[d].lat, lon: self.geo.departments[d].lon, radius_km: r }
                }
                None => Scope::Department(d),
            },
            Some(Place::Region(r)) => Scope::Region(r),
        };
        let mut c = Constraint {
            kind: req.kind.or(parsed.kind),
            specialty: req.specialty,
            sector: req.sector,
            structure_type: req.structure_type,
            region: req.region.clone(),
            department: req.department.clone(),
            remote: req.remote.or(parsed.remote),
            scope,
            remote_anywhere: false,
        };
        let mut relaxed = Vec::new();
        if parsed.truncated {
            relaxed.push(Relaxation::TruncatedQuery { kept_words: parsed.words.len() });
        }
        let mut found = self.matches(&c, &scores, &active);

        // Relax, one step at a time, until something is found: a wider
        // radius (up to 4 times), then fewer words, then remote advisers
        // from anywhere, then the widest radius, then fewer filters.
        let widen: Vec<(Scope, Relaxation)> = match c.scope {
            Scope::Point { lat, lon, radius_km } => [radius_km * 2.0, radius_km * 4.0, MAX_RELAXED_RADIUS_KM]
                .into_iter()
                .filter(|&r| r > radius_km && r <= MAX_RELAXED_RADIUS_KM.max(radius_km))
                .map(|r| (Scope::Point { lat, lon, radius_km: r }, Relaxation::Radius { from_km: radius_km, to_km: r }))
                .collect(),
            Scope::Department(d) => {
                let dep = &self.geo.departments[d];
                [60.0, 120.0, MAX_RELAXED_RADIUS_KM]
                    .into_iter()
                    .map(|r| {
                        let why = Relaxation::DepartmentToRadius { department: dep.name.clone(), to_km: r };
                        (Scope::Point { lat: dep.lat, lon: dep.lon, radius_km: r }, why)
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let (near_steps, far_steps) = widen.split_at(widen.len().saturating_sub(1));
        if found.is_empty() {
            for (scope, why) in near_steps {
                let next = Constraint { scope: *scope, ..c.clone() };
                found = self.matches(&next, &scores, &active);
                if !found.is_empty() {
                    c = next;
                    relaxed.push(why.clone());
                    break;
                }
            }
        }
        while found.is_empty() && active.len() > 1 {
            // Drop the word whose absence finds the most; on a tie, the one
            // that matches the fewest profiles on its own (a word that
            // matches nothing is the least useful), then the last one.
            let own = |w: usize| scores[w].score.iter().filter(|&&s| s > 0.0).count();
            let (best, best_found) = active
                .iter()
                .enumerate()
                .map(|(pos, _)| {
                    let rest: Vec<usize> =
                        active.iter().enumerate().filter(|&(p, _)| p != pos).map(|(_, &w)| w).collect();
                    (pos, self.matches(&c, &scores, &rest))
                })
                .max_by(|a, b| {
                    a.1.len().cmp(&b.1.len()).then_with(|| own(active[b.0]).cmp(&own(active[a.0]))).then(a.0.cmp(&b.0))
                })
                .expect("active is not empty");
            relaxed.push(Relaxation::DroppedWord { word: parsed.words[active[best]].text.clone() });
            active.remove(best);
            found = best_found;
        }
        if found.is_empty() && c.scope != Scope::Everywhere && c.remote != Some(false) {
            c.remote_anywhere = true;
            relaxed.push(Relaxation::AddedRemote);
            found = self.matches(&c, &scores, &active);
        }
        if found.is_empty() {
            for (scope, why) in far_steps {
                c.scope = *scope;
                relaxed.push(why.clone());
                found = self.matches(&c, &scores, &active);
            }
        }
        while found.is_empty() {
            let options = self.filter_removals(&c);
            let Some((next, why)) = options
                .into_iter()
                .map(|(next, why)| {
                    let n = self.matches(&next, &scores, &active).len();
                    (next, why, n)
                })
                .filter(|o| o.2 > 0)
                .max_by_key(|o| o.2)
                .map(|(next, why, _)| (next, why))
            else {
                break;
            };
            c = next;
            relaxed.push(why);
            found = self.matches(&c, &scores, &active);
        }
        if found.is_empty() {
            // Nothing at all: what was tried is not worth reporting.
            relaxed.retain(|r| matches!(r, Relaxation::TruncatedQuery { .. }));
        }

        let point = match c.scope {
            Scope::Point { lat, lon, .. } => Some((lat, lon)),
            _ => None,
        };
        let max_rel = found.iter().map(|&(_, s, _)| s).fold(0.0f32, f32::max);
        let has_words = !active.is_empty();
        let mut hits: Vec<Hit> = found
            .iter()
            .map(|&(ord, rel, typos)| {
                let a = &self.advisers[ord];
                let distance = point.map(|p| distance_km(p, (a.lat, a.lon)));
                let relevance = if max_rel > 0.0 { f64::from(rel / max_rel) } else { 0.0 };
                let proximity = distance.map(|d| 1.0 / (1.0 + d / PROXIMITY_HALF_KM));
                let score = match (has_words, proximity) {
                    (true, Some(p)) => (1.0 - PROXIMITY_SHARE) * relevance + PROXIMITY_SHARE * p,
                    (true, None) => relevance,
                    (false, Some(p)) => p,
                    (false, None) => 0.0,
                };
                Hit { ord, typos, score, distance_km: distance.map(|d| (d * 10.0).round() / 10.0) }
            })
            .collect();
        hits.sort_by(|a, b| {
            a.typos
                .cmp(&b.typos)
                .then_with(|| b.score.total_cmp(&a.score))
                .then_with(|| a.distance_km.unwrap_or(0.0).total_cmp(&b.distance_km.unwrap_or(0.0)))
                .then(a.ord.cmp(&b.ord))
        });
        let facets = self.facets(&hits);
        let total = hits.len();
        let per_page = req.per_page.clamp(1, 100);
        let start = (req.page.max(1) - 1).saturating_mul(per_page);
        let hits = hits.into_iter().skip(start).take(per_page).collect();
        let place = place.map(|p| {
            let (lat, lon) = self.geo.point(p);
            PlaceInfo {
                label: self.geo.place_label(p),
                lat,
                lon,
                radius_km: match c.scope {
                    Scope::Point { radius_km, .. } => Some(radius_km),
                    _ => None,
                },
                from_query: req.near.is_none(),
                sector: self.geo.place_sector_town(p).map(|c| c.name.clone()),
            }
        });
        SearchResults {
            total,
            hits,
            relaxed,
            facets,
            place,
            words: active.iter().map(|&w| parsed.words[w].text.clone()).collect(),
            kind: parsed.kind,
            remote: parsed.remote,
        }
    }

    /// Constraints with one filter less each, and what that removal is called.
    fn filter_removals(&self, c: &Constraint) -> Vec<(Constraint, Relaxation)> {
        let mut out = Vec::new();
        let mut push = |next: Constraint, filter: &'static str, value: String| {
            out.push((next, Relaxation::DroppedFilter { filter, value }));
        };
        if let Some(s) = c.specialty {
            push(Constraint { specialty: None, ..c.clone() }, "spécialité", s.label().into());
        }
        if let Some(s) = c.sector {
            push(Constraint { sector: None, ..c.clone() }, "secteur", s.label().into());
        }
        if let Some(t) = c.structure_type {
            push(Constraint { structure_type: None, ..c.clone() }, "type de structure", t.label().into());
        }
        if let Some(k) = c.kind {
            push(Constraint { kind: None, ..c.clone() }, "réseau", k.label().into());
        }
        if let Some(r) = c.remote {
            push(Constraint { remote: None, ..c.clone() }, "à distance", if r { "oui" } else { "non" }.into());
        }
        if let Some(d) = &c.department {
            let name = self.geo.department(d).map(|x| x.name.clone()).unwrap_or_else(|| d.clone());
            push(Constraint { department: None, ..c.clone() }, "département", name);
        }
        if let Some(r) = &c.region {
            let name = self.geo.region(r).map(|x| x.name.clone()).unwrap_or_else(|| r.clone());
            push(Constraint { region: None, ..c.clone() }, "région", name);
        }
        out
    }

    /// Facet counts over all the hits. Plain arrays indexed by enum
    /// position and by department/region position: this runs over up to
    /// every profile on each search, where hash maps cost a third of the
    /// server's time.
    fn facets(&self, hits: &[Hit]) -> Facets {
        let mut kind = vec![0usize; Kind::ALL.len()];
        let mut specialty = vec![0usize; Specialty::ALL.len()];
        let mut sector = vec![0usize; Sector::ALL.len()];
        let mut structure = vec![0usize; StructureType::ALL.len()];
        let mut region = vec![0usize; self.geo.regions.len() + 1];
        let mut department = vec![0usize; self.geo.departments.len() + 1];
        let mut remote = [0usize; 2];
        for h in hits {
            let a = &self.advisers[h.ord];
            let places = self.places[h.ord];
            kind[a.kind as usize] += 1;
            a.specialties.iter().for_each(|&s| specialty[s as usize] += 1);
            a.sectors.iter().for_each(|&s| sector[s as usize] += 1);
            structure[a.structure_type as usize] += 1;
            region[usize::from(places.region)] += 1;
            department[usize::from(places.department)] += 1;
            remote[usize::from(a.remote)] += 1;
        }
        let geo = &*self.geo;
        let mut regions: Vec<FacetValue> = geo
            .regions
            .iter()
            .zip(&region)
            .filter(|(_, n)| **n > 0)
            .map(|(r, &count)| FacetValue { value: r.code.clone(), label: r.name.clone(), count })
            .collect();
        regions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let mut departments: Vec<FacetValue> = geo
            .departments
            .iter()
            .zip(&department)
            .filter(|(_, n)| **n > 0)
            .map(|(d, &count)| FacetValue { value: d.code.clone(), label: format!("{} ({})", d.name, d.code), count })
            .collect();
        departments.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let mut remote_values: Vec<FacetValue> = [(true, "À distance"), (false, "Sur place uniquement")]
            .into_iter()
            .filter(|(r, _)| remote[usize::from(*r)] > 0)
            .map(|(r, label)| FacetValue {
                value: if r { "true" } else { "false" }.into(),
                label: label.into(),
                count: remote[usize::from(r)],
            })
            .collect();
        remote_values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        Facets {
            kind: facet_values(Kind::ALL, &kind, Kind::slug, Kind::label),
            specialty: facet_values(Specialty::ALL, &specialty, Specialty::slug, Specialty::label),
            sector: facet_values(Sector::ALL, &sector, Sector::slug, Sector::label),
            structure_type: facet_values(StructureType::ALL, &structure, StructureType::slug, StructureType::label),
            region: regions,
            department: departments,
            remote: remote_values,
        }
    }
}
