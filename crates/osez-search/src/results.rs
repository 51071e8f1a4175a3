//! What a search is asked and what it answers: the request, the hits,
//! the facets, the place understood and the relaxations applied.

use osez_core::{Kind, Place, Sector, Specialty, StructureType};
use serde::Serialize;

/// A search as the web layer hands it over, already validated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchRequest {
    pub q: String,
    /// An explicit place; takes precedence over one named in `q`.
    #[serde(skip)]
    pub near: Option<Place>,
    pub radius_km: Option<f64>,
    pub kind: Option<Kind>,
    pub specialty: Option<Specialty>,
    pub sector: Option<Sector>,
    pub structure_type: Option<StructureType>,
    /// Region code.
    pub region: Option<String>,
    /// Department code.
    pub department: Option<String>,
    pub remote: Option<bool>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    /// The query is being typed: its last word is also a prefix.
    #[serde(skip)]
    pub typing: bool,
}

/// What was relaxed to avoid an empty answer, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Relaxation {
    Radius { from_km: f64, to_km: f64 },
    DepartmentToRadius { department: String, to_km: f64 },
    AddedRemote,
    DroppedWord { word: String },
    DroppedFilter { filter: &'static str, value: String },
    TruncatedQuery { kept_words: usize },
}

impl Relaxation {
    /// French sentence for the page and the API.
    pub fn message(&self) -> String {
        match self {
            Relaxation::Radius { from_km, to_km } => {
                format!("Aucun résultat à moins de {from_km:.0} km : rayon élargi à {to_km:.0} km.")
            }
            Relaxation::DepartmentToRadius { department, to_km } => {
                format!("Aucun résultat dans le département {department} : recherche élargie à {to_km:.0} km autour.")
            }
            Relaxation::AddedRemote => "Aucun résultat sur place : conseillers à distance ajoutés.".into(),
            Relaxation::DroppedWord { word } => {
                format!("Aucun résultat avec tous les mots : « {word} » a été ignoré.")
            }
            Relaxation::DroppedFilter { filter, value } => {
                format!("Aucun résultat avec tous les filtres : filtre « {filter} : {value} » retiré.")
            }
            Relaxation::TruncatedQuery { kept_words } => {
                format!("Requête trop longue : seuls les {kept_words} premiers mots ont été pris en compte.")
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Position in [`Engine::advisers`].
    #[serde(skip)]
    pub ord: usize,
    /// Words matched only through a typo: fewer ranks first, as in
    /// Meilisearch's "typo" rule, before relevance and distance.
    #[serde(skip)]
    pub typos: u32,
    pub score: f64,
    pub distance_km: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: usize,
}

/// The values of a closed vocabulary that occur, with their counts
/// (`counts` indexed like `all`), the most frequent first.
pub(crate) fn facet_values<T: Copy>(
    all: &[T],
    counts: &[usize],
    slug: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<FacetValue> {
    let mut v: Vec<FacetValue> = all
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(&k, &count)| FacetValue { value: slug(k).into(), label: label(k).into(), count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    v
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub kind: Vec<FacetValue>,
    pub specialty: Vec<FacetValue>,
    pub sector: Vec<FacetValue>,
    pub structure_type: Vec<FacetValue>,
    pub region: Vec<FacetValue>,
    pub department: Vec<FacetValue>,
    pub remote: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlaceInfo {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    /// Radius around the point, when the place is a commune or postal code
    /// (or a department widened by relaxation).
    pub radius_km: Option<f64>,
    /// Named in the query text rather than given as `near`.
    pub from_query: bool,
    /// The chief town whose point stands in for a commune without
    /// coordinates of its own: distances from it are only a sector.
    #[serde(skip)]
    pub sector: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub relaxed: Vec<Relaxation>,
    pub facets: Facets,
    pub place: Option<PlaceInfo>,
    /// The words matched, as understood (folded).
    pub words: Vec<String>,
    /// Kind and remote read from the query text.
    pub kind: Option<Kind>,
    pub remote: Option<bool>,
}
