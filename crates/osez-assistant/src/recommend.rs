//! Recommendations: up to three advisers from the directory engine and
//! three resources from the resource centre, each with a one-line reason
//! made only of what its record says.

use osez_core::geo::Place;
use osez_core::resource::{Resource, ResourceType, Theme};
use osez_core::{Adviser, Geography, Kind, Sector, Specialty};
use osez_search::{Engine, Relaxation, ResourceEngine, ResourceRequest, SearchRequest};

use crate::semantic::{Meaning, fuse};

/// How many of each a reply recommends.
pub const TOP: usize = 3;

/// How many records the ranking by meaning brings to the fusion.
const SEMANTIC_DEPTH: usize = 10;

/// What Osez's records are: the directory and the resource centre.
#[derive(Clone, Copy)]
pub struct Catalogue<'a> {
    pub directory: &'a Engine,
    pub resources: &'a ResourceEngine,
    /// The records embedded, when the embedding model is loaded: their
    /// ranking by meaning is fused with the keyword engine's.
    pub meaning: Option<&'a Meaning>,
}

impl<'a> Catalogue<'a> {
    pub fn geography(&self) -> &'a Geography {
        self.directory.geography()
    }

    pub fn adviser(&self, ord: usize) -> &'a Adviser {
        &self.directory.advisers()[ord]
    }

    pub fn resource(&self, ord: usize) -> &'a Resource {
        &self.resources.resources()[ord]
    }
}

/// The need as the conversation has established it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Need {
    pub place: Option<Place>,
    pub specialties: Vec<Specialty>,
    pub sector: Option<Sector>,
    pub kind: Option<Kind>,
    pub remote: Option<bool>,
    pub resource_type: Option<ResourceType>,
    /// Words for the resource search.
    pub words: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdviserPick {
    /// Position in [`Engine::advisers`].
    pub ord: usize,
    pub distance_km: Option<f64>,
    /// Which of the need's specialties it covers; none when the search had
    /// to drop the need to find anyone.
    pub specialty: Option<Specialty>,
    pub sector: Option<Sector>,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePick {
    /// Position in [`ResourceEngine::resources`].
    pub ord: usize,
    pub why: String,
}

/// The theme of the resource centre that a specialty belongs to.
pub fn theme_of(s: Specialty) -> Theme {
    match s {
        Specialty::IaGenerative => Theme::IntelligenceArtificielle,
        Specialty::MarketingDigital | Specialty::Referencement => Theme::VisibiliteReferencement,
        Specialty::SiteWebEcommerce | Specialty::RelationClient => Theme::SiteVenteEnLigne,
        Specialty::Cybersecurite | Specialty::Donnees => Theme::RisquesDonnees,
        Specialty::GestionComptabilite | Specialty::OutilsCollaboratifs => Theme::GestionEntreprise,
        Specialty::RessourcesHumaines => Theme::RessourcesHumaines,
        Specialty::StrategieNumerique => Theme::StrategieNumerique,
    }
}

/// Advisers for the need, and what the search relaxed to find them.
pub fn advisers(need: &Need, catalogue: Catalogue<'_>) -> (Vec<AdviserPick>, Vec<Relaxation>) {
    let geo = catalogue.geography();
    let specialty = need.specialties.first().copied().or_else(|| {
        // An ambassadeur IA is about AI even when the need was not said.
        (need.kind == Some(Kind::AmbassadeurIa)).then_some(Specialty::IaGenerative)
    });
    let request = |sector: Option<Sector>| SearchRequest {
        q: String::new(),
        near: if need.remote == Some(true) { None } else { need.place },
        kind: need.kind,
        specialty,
        sector,
        // Without a place, those who can help from anywhere.
        remote: if need.place.is_none() { Some(true) } else { need.remote.filter(|r| *r) },
        page: 1,
        per_page: 20,
        ..SearchRequest::default()
    };
    // Those who know the sector first, then the others.
    let mut results = catalogue.directory.search(&request(need.sector));
    let with_sector =
        results.relaxed.iter().all(|r| !matches!(r, Relaxation::DroppedFilter { filter, .. } if *filter == "sector"));
    let mut hits: Vec<(usize, Option<f64>)> =
        if with_sector { results.hits.iter().map(|h| (h.ord, h.distance_km)).collect() } else { Vec::new() };
    if hits.len() < TOP && need.sector.is_some() {
        results = catalogue.directory.search(&request(None));
        for h in &results.hits {
            if !hits.iter().any(|(o, _)| *o == h.ord) {
                hits.push((h.ord, h.distance_km));
            }
        }
    }
    let place_label = need.place.map(|p| short_place(geo, p));
    let picks = hits
        .into_iter()
        .take(TOP)
        .map(|(ord, distance_km)| {
            let a = catalogue.adviser(ord);
            let covered = need.specialties.iter().copied().chain(specialty).find(|s| a.specialties.contains(s));
            let sector = need.sector.filter(|s| a.sectors.contains(s));
            let why = adviser_why(a, covered, sector, distance_km, place_label.as_deref(), need.remote);
            AdviserPick { ord, distance_km, specialty: covered, sector, why }
        })
        .collect();
    (picks, results.relaxed)
}

fn adviser_why(
    a: &Adviser,
    covered: Option<Specialty>,
    sector: Option<Sector>,
    distance_km: Option<f64>,
    place: Option<&str>,
    remote: Option<bool>,
) -> String {
    let mut parts = vec![a.kind.label().to_string()];
    if let Some(s) = covered {
        parts.push(format!("accompagne sur « {} »", s.label()));
    }
    if let Some(s) = sector {
        parts.push(format!("connaît le secteur « {} »", s.label()));
    }
    match (distance_km, place) {
        (Some(d), Some(p)) if d < 1.0 => parts.push(format!("à {}", p)),
        (Some(d), Some(p)) => parts.push(format!("à {:.0} km de {}", d, p)),
        _ => parts.push(format!("à {}", a.commune)),
    }
    if remote == Some(true) && a.remote {
        parts.push("accompagne à distance".into());
    }
    let mut why = parts.join(", ");
    why.push('.');
    why
}

/// "Lyon", "Gironde", "Bretagne": a place as a sentence names it.
pub fn short_place(geo: &Geography, place: Place) -> String {
    match place {
        Place::Commune(i) | Place::PostalCode(i, _) => geo.communes[i].name.clone(),
        Place::Department(d) => geo.departments[d].name.clone(),
        Place::Region(r) => geo.regions[r].name.clone(),
    }
}

/// Resources for the need: those about its specialty or theme, of the
/// kind asked for first, the keyword search breaking ties. Nothing when no
/// resource is about the need: a reply never fills the gap.
pub fn resources(need: &Need, catalogue: Catalogue<'_>) -> Vec<ResourcePick> {
    let all = catalogue.resources.resources();
    let q: Vec<&str> = need.words.iter().map(String::as_str).take(osez_search::query::MAX_WORDS).collect();
    let text_rank: Vec<usize> = if q.is_empty() {
        Vec::new()
    } else {
        let req = ResourceRequest { q: q.join(" "), page: 1, per_page: 20, ..ResourceRequest::default() };
        let by_words: Vec<usize> =
            catalogue.resources.search(&req, catalogue.geography()).hits.iter().map(|h| h.ord).collect();
        match catalogue.meaning {
            Some(m) => {
                let by_meaning = m.rank(&q.join(" "), SEMANTIC_DEPTH);
                let mut fused = fuse(&[&by_words, &by_meaning]);
                fused.truncate(20);
                fused
            }
            None => by_words,
        }
    };
    let mut scored: Vec<(f64, usize)> = all
        .iter()
        .enumerate()
        .filter_map(|(ord, r)| {
            let c = &r.content;
            let mut topical = 0.0;
            for (k, s) in need.specialties.iter().take(2).enumerate() {
                let weight = if k == 0 { 1.0 } else { 0.5 };
                if c.specialties.contains(s) {
                    topical += 4.0 * weight;
                }
                if c.themes.contains(&theme_of(*s)) {
                    topical += 3.0 * weight;
                }
            }
            let by_text = text_rank.iter().position(|&o| o == ord).map_or(0.0, |rank| 10.0 / (10.0 + rank as f64));
            if need.specialties.is_empty() {
                topical += by_text;
            }
            if topical <= 0.0 {
                return None;
            }
            let mut score = topical + by_text;
            if need.sector.is_some_and(|s| c.sectors.contains(&s)) {
                score += 1.0;
            }
            match need.resource_type {
                Some(t) if t == c.kind => score += 2.5,
                Some(_) => score -= 0.5,
                None => {}
            }
            Some((score, ord))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| all[b.1].updated_at.cmp(&all[a.1].updated_at)));
    scored.into_iter().take(TOP).map(|(_, ord)| ResourcePick { ord, why: resource_why(&all[ord], need) }).collect()
}

fn resource_why(r: &Resource, need: &Need) -> String {
    let c = &r.content;
    let about = need
        .specialties
        .iter()
        .find(|s| c.specialties.contains(s))
        .map(|s| s.label())
        .or_else(|| need.specialties.iter().map(|s| theme_of(*s)).find(|t| c.themes.contains(t)).map(|t| t.label()))
        .or_else(|| c.themes.first().map(|t| t.label()));
    let mut why = c.kind.label().to_string();
    if let Some(a) = about {
        why.push_str(&format!(" sur « {a} »"));
    }
    if let Some(s) = need.sector.filter(|s| c.sectors.contains(s)) {
        why.push_str(&format!(", pour le secteur « {} »", s.label()));
    }
    why.push('.');
    why
}
