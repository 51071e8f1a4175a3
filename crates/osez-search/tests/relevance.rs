//! Relevance of the search engine over the deterministic demo directory:
//! queries a business owner would type, each with properties its top
//! results must have (never exact ids, so that the demo data may change).
//!
//! A case the engine gets wrong today keeps its assertion and is marked
//! `known_failure`: it is printed, not failed, so that the table documents
//! what is wrong. A known failure that starts passing is printed too, to be
//! unmarked. `cargo test -p osez-search --test relevance -- --nocapture`
//! shows the report and MRR@10.

use std::sync::{Arc, OnceLock};

use osez_core::{Adviser, Geography, Kind, Sector, Specialty, demo};
use osez_search::{Engine, Relaxation, SearchRequest, SearchResults};

use Kind::{Activateur, AmbassadeurIa};
use Sector as Se;
use Specialty as Sp;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let geo = Geography::embedded().expect("embedded geography");
        let advisers = demo::generate(&geo, demo::DEFAULT_SEED);
        Engine::in_ram(advisers, Arc::new(geo)).expect("engine")
    })
}

fn search(q: &str) -> SearchResults {
    engine().search(&SearchRequest { q: q.to_string(), page: 1, per_page: 10, typing: true, ..Default::default() })
}

/// What may have been relaxed.
#[derive(Debug, Clone, Copy)]
enum Relax {
    /// Not checked.
    Any,
    /// Nothing relaxed.
    No,
    /// This word was dropped (folded, as typed).
    Dropped(&'static str),
    /// The radius around a commune was widened.
    Radius,
}

/// One judged query. Every expectation is optional; `..C` fills the rest.
#[derive(Debug, Clone, Copy)]
struct Case {
    q: &'static str,
    /// At least this many results.
    min_total: usize,
    /// Each of the top n has at least one of these specialties.
    spec: Option<(usize, &'static [Specialty])>,
    /// Each of the top n has this sector.
    sector: Option<(usize, Sector)>,
    /// The top n contain at least one adviser of this kind.
    some_kind: Option<(usize, Kind)>,
    /// Each of the top n is of this kind.
    all_kind: Option<(usize, Kind)>,
    /// The place understood: its label starts with this.
    place: Option<&'static str>,
    /// Every hit of the first page is within this many km of the place.
    within_km: Option<f64>,
    /// The first hit is within this many km of the place.
    first_within_km: Option<f64>,
    /// Every hit of the first page is in this department (code).
    department: Option<&'static str>,
    /// Every hit of the first page is in this region (code).
    region: Option<&'static str>,
    /// Every hit of the first page works remotely (or not).
    remote: Option<bool>,
    relax: Relax,
    /// The engine is known to get this case wrong (see `why`).
    known_failure: bool,
    why: &'static str,
}

const C: Case = Case {
    q: "",
    min_total: 1,
    spec: None,
    sector: None,
    some_kind: None,
    all_kind: None,
    place: None,
    within_km: None,
    first_within_km: None,
    department: None,
    region: None,
    remote: None,
    relax: Relax::No,
    known_failure: false,
    why: "",
};

const CYBER: &[Specialty] = &[Sp::Cybersecurite];
const COMPTA: &[Specialty] = &[Sp::GestionComptabilite];
const MARKETING: &[Specialty] = &[Sp::MarketingDigital];
const IA: &[Specialty] = &[Sp::IaGenerative];
const SEO: &[Specialty] = &[Sp::Referencement];
const WEB: &[Specialty] = &[Sp::SiteWebEcommerce];
const RH: &[Specialty] = &[Sp::RessourcesHumaines];
const CRM: &[Specialty] = &[Sp::RelationClient];
const DATA: &[Specialty] = &[Sp::Donnees];
const STRAT: &[Specialty] = &[Sp::StrategieNumerique];
const COLLAB: &[Specialty] = &[Sp::OutilsCollaboratifs];

#[rustfmt::skip]
const CASES: &[Case] = &[
    // --- Typos: one from 5 letters, two from 9 ---------------------------
    Case { q: "cybersecurtié", spec: Some((3, CYBER)), ..C },
    Case { q: "comptabilitée", spec: Some((3, COMPTA)), ..C },
    Case { q: "markting", spec: Some((3, MARKETING)), ..C },
    Case { q: "intelligance artificielle", spec: Some((3, IA)), ..C },
    Case { q: "referencment", spec: Some((3, SEO)), ..C },
    Case { q: "cyebrsécurité", spec: Some((3, CYBER)), ..C },
    Case { q: "comptabilte", spec: Some((3, COMPTA)), ..C },
    Case { q: "marketting", spec: Some((3, MARKETING)), ..C },
    Case { q: "ressources humainnes", spec: Some((3, RH)), ..C },
    Case { q: "recrutment", spec: Some((3, RH)), ..C },
    // --- Accents, case, hyphens -----------------------------------------
    Case { q: "securite informatique", spec: Some((3, CYBER)), ..C },
    Case { q: "creation site", spec: Some((3, WEB)), ..C },
    Case { q: "CYBERSÉCURITÉ", spec: Some((3, CYBER)), ..C },
    Case { q: "Intelligence Artificielle", spec: Some((3, IA)), ..C },
    Case { q: "e-commerce", spec: Some((3, WEB)), ..C },
    Case { q: "ecommerce", spec: Some((3, WEB)), ..C },
    Case { q: "site-web", spec: Some((3, WEB)), ..C },
    Case { q: "reseaux sociaux", spec: Some((3, MARKETING)), ..C },
    Case { q: "referencement", spec: Some((3, SEO)), ..C },
    // --- Synonyms --------------------------------------------------------
    Case { q: "IA", spec: Some((5, IA)), some_kind: Some((10, AmbassadeurIa)), ..C },
    Case { q: "intelligence artificielle", spec: Some((5, IA)), some_kind: Some((10, AmbassadeurIa)), ..C },
    Case { q: "vente en ligne", spec: Some((3, WEB)), ..C },
    Case { q: "boutique en ligne", spec: Some((3, WEB)), ..C },
    Case { q: "compta", spec: Some((3, COMPTA)), ..C },
    Case { q: "RH", spec: Some((3, RH)), ..C },
    Case { q: "ressources humaines", spec: Some((3, RH)), ..C },
    Case { q: "SEO", spec: Some((3, SEO)), ..C },
    Case { q: "CRM", spec: Some((3, CRM)), ..C },
    Case { q: "RGPD", spec: Some((3, DATA)), ..C },
    Case { q: "données personnelles", spec: Some((3, DATA)), ..C },
    Case { q: "chatgpt", spec: Some((3, IA)), ..C },
    Case {
        q: "chat gpt", spec: Some((3, IA)),
        // Fixed, kept as a regression test: no synonym for the two-word spelling "chat gpt": neither "chat" nor "gpt" is in the index, so nothing at all is found
    ..C },
    Case { q: "facture électronique", spec: Some((3, COMPTA)), ..C },
    Case { q: "transformation numérique", spec: Some((3, STRAT)), ..C },
    Case { q: "piratage", spec: Some((3, CYBER)), ..C },
    Case { q: "visioconférence", spec: Some((3, COLLAB)), ..C },
    Case {
        q: "cloud", spec: Some((3, COLLAB)),
        // Fixed, kept as a regression test: "Studio Ancre Saint-Cloud" (marketing) comes first, then Saint-Claude (1 typo) and Loudéac: a rare word of a name (boost 2, high IDF) outweighs the specialty keyword "cloud" that 740 profiles carry in their tags
    ..C },
    Case { q: "recrutement", spec: Some((3, RH)), ..C },
    // --- Natural sentences -------------------------------------------------
    Case {
        q: "je cherche quelqu'un pour m'aider à vendre en ligne près de Lille",
        spec: Some((5, WEB)), place: Some("Lille"), within_km: Some(30.0), first_within_km: Some(10.0), ..C
    },
    Case {
        q: "comment utiliser l'IA dans mon restaurant à Nice ?",
        spec: Some((1, IA)), sector: Some((1, Se::HotellerieRestauration)), place: Some("Nice"),
        within_km: Some(30.0), relax: Relax::Any, ..C
    },
    Case {
        q: "besoin d'un expert en cybersécurité pour ma PME à Toulouse",
        spec: Some((5, CYBER)), place: Some("Toulouse"), within_km: Some(30.0), first_within_km: Some(5.0), ..C
    },
    Case {
        q: "j'ai besoin d'aide pour créer mon site internet à Lille",
        spec: Some((5, WEB)), place: Some("Lille"), within_km: Some(30.0), ..C
    },
    Case { q: "améliorer ma visibilité sur Google", spec: Some((3, SEO)), ..C },
    Case { q: "je veux passer à la facture électronique", spec: Some((3, COMPTA)), ..C },
    Case {
        q: "mettre en place un CRM pour mon commerce à Rennes",
        spec: Some((3, CRM)), place: Some("Rennes"), within_km: Some(60.0), relax: Relax::Any, ..C
    },
    Case {
        q: "qui peut m'aider à sécuriser mes données ?",
        spec: Some((3, &[Sp::Cybersecurite, Sp::Donnees])), relax: Relax::Any, ..C
    },
    Case {
        q: "je voudrais former mes salariés à ChatGPT", spec: Some((3, IA)), relax: Relax::Any,
        // Fixed, kept as a regression test: 0 results. Words [former, salaries, chatgpt]; no pair matches, so the relaxation drops the LAST word on a tie (chatgpt, the only one that matches), then salaries, and stops at [former], which matches nothing
    ..C },
    Case {
        q: "Je cherche un ambassadeur IA à distance pour mon entreprise",
        all_kind: Some((10, AmbassadeurIa)), remote: Some(true), ..C
    },
    Case {
        q: "protéger mon entreprise contre les rançongiciels", spec: Some((3, CYBER)), relax: Relax::Any,
        // Fixed, kept as a regression test: 0 results, same cause: [proteger, contre, rancongiciels] → the tie-break drops rancongiciels (the only word that matches) and ends on [proteger]
    ..C },
    Case { q: "je suis boulanger et je veux vendre en ligne", spec: Some((3, WEB)), sector: Some((3, Se::Artisanat)), relax: Relax::Any, ..C },
    Case { q: "aide pour recruter un apprenti", spec: Some((3, RH)), relax: Relax::Dropped("apprenti"), ..C },
    Case { q: "être visible sur google", spec: Some((3, SEO)), relax: Relax::Any, ..C },
    Case {
        q: "comment gérer mes réseaux sociaux quand on est artisan",
        spec: Some((3, MARKETING)), sector: Some((3, Se::Artisanat)), min_total: 3, relax: Relax::Any,
        // Fixed, kept as a regression test: 1 result (an IA ambassador in the Gers, matched by a typo of "gerer"). Words [gerer, reseausocial, quand, artisan]: no 3 of them match together, so the tie-break drops the last word, "artisan", instead of "quand" which matches nothing
    ..C },
    // --- Places: communes, arrondissements, postal codes --------------------
    Case {
        q: "ia lyon", spec: Some((5, IA)), some_kind: Some((5, AmbassadeurIa)),
        place: Some("Lyon"), within_km: Some(30.0), first_within_km: Some(5.0), ..C
    },
    Case { q: "St-Étienne", place: Some("Saint-Étienne"), within_km: Some(30.0), min_total: 10, ..C },
    Case { q: "saint etienne", place: Some("Saint-Étienne"), within_km: Some(30.0), min_total: 10, ..C },
    Case { q: "site web st etienne", spec: Some((3, WEB)), place: Some("Saint-Étienne"), within_km: Some(30.0), ..C },
    Case { q: "paris 15", place: Some("Paris 15"), within_km: Some(30.0), min_total: 10, ..C },
    Case { q: "marketing lyon 3e", spec: Some((3, MARKETING)), place: Some("Lyon 3"), within_km: Some(30.0), ..C },
    Case {
        q: "cybersécurité 33000", spec: Some((5, CYBER)), place: Some("33000"),
        within_km: Some(30.0), first_within_km: Some(5.0), ..C
    },
    Case {
        q: "75011", place: Some("75011"), within_km: Some(30.0), min_total: 10,
        // Fixed, kept as a regression test: label is "75001 (Paris)": the postal code resolves to the commune of Paris (most populous holder of 75011) and the label prints that commune's first code
        ..C
    },
    Case { q: "site internet Marseille", spec: Some((3, WEB)), place: Some("Marseille"), within_km: Some(30.0), ..C },
    Case { q: "marketing Nantes", spec: Some((3, MARKETING)), place: Some("Nantes"), within_km: Some(30.0), ..C },
    Case { q: "seo bordeaux", spec: Some((3, SEO)), place: Some("Bordeaux"), within_km: Some(30.0), ..C },
    Case { q: "ia près de Rennes", spec: Some((3, IA)), place: Some("Rennes"), within_km: Some(30.0), ..C },
    // Ranks 2-3 are "… Expertise Comptable" firms with other specialties: defensible.
    Case { q: "comptable à Strasbourg", spec: Some((1, COMPTA)), place: Some("Strasbourg"), within_km: Some(30.0), ..C },
    // --- Places: departments, regions -------------------------------------
    Case {
        q: "marketing dans le 35", spec: Some((3, MARKETING)), place: Some("Ille-et-Vilaine"), department: Some("35"),
        // Fixed, kept as a regression test: "le" sits between the marker "dans" and "35": find_place only looks at the word just before, so "35" is an unmarked number, kept as a word and then dropped
        ..C
    },
    Case {
        q: "comptabilité dans le 33", spec: Some((3, COMPTA)), place: Some("Gironde"), department: Some("33"),
        // Fixed, kept as a regression test: same as "dans le 35"
        ..C
    },
    Case { q: "comptabilité en 33", spec: Some((3, COMPTA)), place: Some("Gironde"), department: Some("33"), ..C },
    Case { q: "site web en Gironde", spec: Some((3, WEB)), place: Some("Gironde"), department: Some("33"), ..C },
    Case { q: "Corse-du-Sud", place: Some("Corse-du-Sud"), department: Some("2A"), ..C },
    Case { q: "ia corse du sud", spec: Some((3, IA)), place: Some("Corse-du-Sud"), department: Some("2A"), relax: Relax::Any, ..C },
    Case {
        q: "2A", place: Some("Corse-du-Sud"), department: Some("2A"),
        // Fixed, kept as a regression test: a bare department number is a place only after a marker; "2A" (and 3-digit overseas codes) cannot be a quantity, yet is kept as a word that matches nothing
        ..C
    },
    Case {
        q: "cybersécurité dans le Nord", spec: Some((3, CYBER)), place: Some("Nord"), department: Some("59"),
        // Fixed, kept as a regression test: place None: "nord" is an ambiguous department name that needs a marker, and the marker "dans" is two words back (same cause as "dans le 35"); the word "nord" then matches names like "CCI Nord", which hides the bug
    ..C },
    Case { q: "comptabilité en Bretagne", spec: Some((3, COMPTA)), place: Some("Bretagne"), region: Some("53"), ..C },
    Case { q: "Hauts-de-France", place: Some("Hauts-de-France"), region: Some("32"), ..C },
    Case { q: "marketing Auvergne-Rhône-Alpes", spec: Some((3, MARKETING)), place: Some("Auvergne"), region: Some("84"), ..C },
    // --- Overseas --------------------------------------------------------
    Case { q: "La Réunion", place: Some("La Réunion"), region: Some("04"), ..C },
    Case {
        q: "974", place: Some("La Réunion"), department: Some("974"),
        // Fixed, kept as a regression test: same as "2A": an unmarked 3-digit overseas code is not read as a place
        ..C
    },
    Case { q: "site web en 974", spec: Some((3, WEB)), place: Some("La Réunion"), department: Some("974"), relax: Relax::Any, ..C },
    Case { q: "Cayenne", place: Some("Cayenne"), within_km: Some(30.0), ..C },
    Case { q: "ia Fort-de-France", spec: Some((3, IA)), place: Some("Fort-de-France"), within_km: Some(120.0), relax: Relax::Any, ..C },
    Case { q: "marketing Guadeloupe", spec: Some((3, MARKETING)), place: Some("Guadeloupe"), region: Some("01"), relax: Relax::Any, ..C },
    // --- Kinds -----------------------------------------------------------
    Case { q: "ambassadeur IA Normandie", all_kind: Some((10, AmbassadeurIa)), place: Some("Normandie"), region: Some("28"), ..C },
    Case { q: "activateur France Num Dijon", all_kind: Some((10, Activateur)), place: Some("Dijon"), within_km: Some(30.0), ..C },
    Case { q: "ambassadeurs ia bretagne", all_kind: Some((10, AmbassadeurIa)), region: Some("53"), ..C },
    Case { q: "ambassadrice IA à Paris", all_kind: Some((5, AmbassadeurIa)), place: Some("Paris"), within_km: Some(30.0), ..C },
    Case {
        q: "activateur cybersécurité Lille", all_kind: Some((10, Activateur)), spec: Some((3, CYBER)),
        place: Some("Lille"), within_km: Some(30.0), ..C
    },
    // --- Remote ----------------------------------------------------------
    Case { q: "à distance", remote: Some(true), min_total: 100, ..C },
    Case {
        q: "en visio", remote: Some(true), min_total: 100,
        // Fixed, kept as a regression test: "visio" is a synonym phrase (→ visioconference), and parse() skips synonym phrases before looking for intents: remote is not set, the word matches profiles about visioconference tools, some of them on site only
        ..C
    },
    Case { q: "marketing à distance", spec: Some((3, MARKETING)), remote: Some(true), ..C },
    Case { q: "formation IA en distanciel", spec: Some((3, IA)), remote: Some(true), relax: Relax::Any, ..C },
    Case { q: "comptabilité en ligne", spec: Some((3, COMPTA)), remote: Some(true), ..C },
    // --- Sectors ---------------------------------------------------------
    Case { q: "restaurant", sector: Some((5, Se::HotellerieRestauration)), ..C },
    Case { q: "hôtel", sector: Some((5, Se::HotellerieRestauration)), ..C },
    Case { q: "artisan", sector: Some((5, Se::Artisanat)), ..C },
    Case { q: "agriculteur", sector: Some((5, Se::Agriculture)), ..C },
    Case { q: "BTP", sector: Some((5, Se::Btp)), ..C },
    Case { q: "site web pour mon restaurant", spec: Some((3, WEB)), sector: Some((3, Se::HotellerieRestauration)), ..C },
    Case { q: "ia pour artisans", spec: Some((3, IA)), sector: Some((3, Se::Artisanat)), ..C },
    Case { q: "comptabilité agriculteur", spec: Some((3, COMPTA)), sector: Some((3, Se::Agriculture)), ..C },
    Case {
        q: "cybersécurité pour cabinet médical à Bordeaux", spec: Some((3, CYBER)), place: Some("Bordeaux"),
        within_km: Some(120.0), relax: Relax::Any, ..C
    },
    // --- Prefixes, while typing --------------------------------------------
    Case { q: "cybers", spec: Some((3, CYBER)), ..C },
    Case { q: "compt", spec: Some((3, COMPTA)), ..C },
    Case {
        q: "marke", spec: Some((3, MARKETING)),
        // Fixed, kept as a regression test: one-typo matches of rare place names (Marles, Marie, Marais, Marne) in names outscore the prefix "marketing": weight 0.5 × high IDF beats 0.7 × low IDF
        ..C
    },
    Case { q: "intelligence art", spec: Some((3, IA)), ..C },
    Case { q: "référen", spec: Some((3, SEO)), ..C },
    Case { q: "ressources hum", spec: Some((3, RH)), ..C },
    Case { q: "ia ly", spec: Some((3, IA)), ..C },
    Case { q: "site web lyon", spec: Some((3, WEB)), place: Some("Lyon"), within_km: Some(30.0), ..C },
    // --- Relaxation --------------------------------------------------------
    Case {
        q: "cybersécurité Mende", spec: Some((3, CYBER)), place: Some("Mende"), relax: Relax::Any, ..C
    },
    Case {
        q: "ia Lozère", spec: Some((3, IA)), place: Some("Lozère"), relax: Relax::Any, ..C
    },
    Case {
        q: "site web licorne", spec: Some((3, WEB)), relax: Relax::Dropped("licorne"), ..C
    },
    Case {
        q: "rh Aurillac", spec: Some((3, RH)), place: Some("Aurillac"), within_km: Some(120.0), relax: Relax::Radius, ..C
    },
];

/// Rank (1-based, within the first page) of the first hit satisfying the
/// specialty, sector and kind expectations of the case.
fn first_relevant_rank(case: &Case, r: &SearchResults) -> Option<usize> {
    let e = engine();
    r.hits.iter().position(|h| relevant(case, &e.advisers()[h.ord])).map(|p| p + 1)
}

fn relevant(case: &Case, a: &Adviser) -> bool {
    case.spec.is_none_or(|(_, s)| s.iter().any(|s| a.specialties.contains(s)))
        && case.sector.is_none_or(|(_, s)| a.sectors.contains(&s))
        && case.some_kind.or(case.all_kind).is_none_or(|(_, k)| a.kind == k)
}

fn describe(a: &Adviser) -> String {
    format!(
        "{} [{}] {} ({}) remote={} {:?} {:?}",
        a.name,
        a.kind.slug(),
        a.commune,
        a.department,
        a.remote,
        a.specialties.iter().map(|s| s.slug()).collect::<Vec<_>>(),
        a.sectors.iter().map(|s| s.slug()).collect::<Vec<_>>()
    )
}

/// Failed expectations of one case (empty when it passes).
fn check(case: &Case, r: &SearchResults) -> Vec<String> {
    let e = engine();
    let advisers: Vec<&Adviser> = r.hits.iter().map(|h| &e.advisers()[h.ord]).collect();
    let mut fails = Vec::new();
    if r.total < case.min_total {
        fails.push(format!("total {} < {}", r.total, case.min_total));
    }
    let top = |n: usize| advisers.iter().take(n);
    let short = |n: usize| advisers.len() < n.min(case.min_total.max(1));
    if let Some((n, specs)) = case.spec
        && (short(n) || !top(n).all(|a| specs.iter().any(|s| a.specialties.contains(s))))
    {
        fails.push(format!("top {n} do not all have one of {specs:?}"));
    }
    if let Some((n, s)) = case.sector
        && (short(n) || !top(n).all(|a| a.sectors.contains(&s)))
    {
        fails.push(format!("top {n} do not all have sector {s:?}"));
    }
    if let Some((n, k)) = case.some_kind
        && (!top(n).any(|a| a.kind == k))
    {
        fails.push(format!("no {k:?} in top {n}"));
    }
    if let Some((n, k)) = case.all_kind
        && (short(n) || !top(n).all(|a| a.kind == k))
    {
        fails.push(format!("top {n} are not all {k:?}"));
    }
    if let Some(p) = case.place {
        match &r.place {
            Some(info) if info.label.starts_with(p) => {}
            other => fails
                .push(format!("place {:?}, expected a label starting with {p:?}", other.as_ref().map(|i| &i.label))),
        }
    }
    if let Some(max) = case.within_km {
        let far: Vec<_> = r.hits.iter().filter(|h| h.distance_km.is_none_or(|d| d > max)).collect();
        if !far.is_empty() {
            fails.push(format!(
                "{} hits of the first page farther than {max} km (or without distance): {:?}",
                far.len(),
                far.iter().map(|h| h.distance_km).collect::<Vec<_>>()
            ));
        }
    }
    if let Some(max) = case.first_within_km {
        match r.hits.first().and_then(|h| h.distance_km) {
            Some(d) if d <= max => {}
            other => fails.push(format!("first hit at {other:?} km, expected ≤ {max}")),
        }
    }
    if let Some(d) = case.department
        && (advisers.is_empty() || !advisers.iter().all(|a| a.department == d))
    {
        fails.push(format!("hits not all in department {d}"));
    }
    if let Some(reg) = case.region
        && (advisers.is_empty() || !advisers.iter().all(|a| a.region == reg))
    {
        fails.push(format!("hits not all in region {reg}"));
    }
    if let Some(remote) = case.remote
        && (advisers.is_empty() || !advisers.iter().all(|a| a.remote == remote))
    {
        fails.push(format!("hits not all remote={remote} (query remote={:?})", r.remote));
    }
    match case.relax {
        Relax::Any => {}
        Relax::No => {
            if !r.relaxed.is_empty() {
                fails.push(format!("relaxed: {:?}", r.relaxed));
            }
        }
        Relax::Dropped(w) => {
            if !r.relaxed.iter().any(|x| matches!(x, Relaxation::DroppedWord { word } if word == w)) {
                fails.push(format!("expected {w:?} dropped, relaxed: {:?}", r.relaxed));
            }
        }
        Relax::Radius => {
            if !r.relaxed.iter().any(|x| matches!(x, Relaxation::Radius { .. })) {
                fails.push(format!("expected a wider radius, relaxed: {:?}", r.relaxed));
            }
        }
    }
    fails
}

#[test]
fn judged_queries() {
    assert!(CASES.len() >= 70, "{} cases", CASES.len());
    let e = engine();
    let mut unexpected = Vec::new();
    let mut known = Vec::new();
    let mut fixed = Vec::new();
    let (mut rr_sum, mut rr_n) = (0.0, 0usize);
    let (mut rr_ok_sum, mut rr_ok_n) = (0.0, 0usize);
    for case in CASES {
        let r = search(case.q);
        let fails = check(case, &r);
        if case.spec.is_some() || case.some_kind.is_some() || case.all_kind.is_some() {
            rr_n += 1;
            let rr = first_relevant_rank(case, &r).map_or(0.0, |rank| 1.0 / rank as f64);
            rr_sum += rr;
            if !case.known_failure {
                rr_ok_sum += rr;
                rr_ok_n += 1;
            }
        }
        let detail = || {
            let mut s = format!(
                "  {:?}: total {}, words {:?}, place {:?}, kind {:?}, remote {:?}, relaxed {:?}\n",
                case.q,
                r.total,
                r.words,
                r.place.as_ref().map(|p| &p.label),
                r.kind,
                r.remote,
                r.relaxed
            );
            for f in &fails {
                s.push_str(&format!("    ✗ {f}\n"));
            }
            for h in r.hits.iter().take(5) {
                s.push_str(&format!(
                    "      {:.3} {:?} km  {}\n",
                    h.score,
                    h.distance_km,
                    describe(&e.advisers()[h.ord])
                ));
            }
            s
        };
        match (fails.is_empty(), case.known_failure) {
            (true, false) => {}
            (false, false) => unexpected.push(detail()),
            (false, true) => known.push(format!("{}    why: {}\n", detail(), case.why)),
            (true, true) => fixed.push(case.q),
        }
    }
    let mrr = rr_sum / rr_n.max(1) as f64;
    println!("relevance: {} judged queries", CASES.len());
    println!("MRR@10 over {rr_n} queries with a specialty/kind expectation: {mrr:.3}");
    println!("MRR@10 over the {rr_ok_n} of them not marked known_failure: {:.3}", rr_ok_sum / rr_ok_n.max(1) as f64);
    println!("known failures: {}", known.len());
    for k in &known {
        println!("KNOWN FAILURE\n{k}");
    }
    for q in &fixed {
        println!("KNOWN FAILURE NOW PASSES (unmark it): {q:?}");
    }
    assert!(unexpected.is_empty(), "{} unexpected failures:\n{}", unexpected.len(), unexpected.join("\n"));
    assert!(mrr >= 0.9, "MRR@10 {mrr:.3} fell below 0.9");
}

/// Same query, same answer: same hits in the same order, same relaxations.
/// Scores are compared too, bit for bit, but only reported: the word
/// scores come from a `HashMap` of candidate terms (`Engine::expand`), so
/// the order in which tantivy sums the clauses, and with it the last bits
/// of a score, changes from call to call. Ties on the score are broken by
/// distance then ord, so the order could flip on a near tie; it is asserted.
#[test]
fn every_query_is_deterministic() {
    let mut order_changed = Vec::new();
    let mut bits_changed = Vec::new();
    for case in CASES {
        let runs: Vec<SearchResults> = (0..3).map(|_| search(case.q)).collect();
        let order = |r: &SearchResults| {
            (
                r.total,
                r.hits.iter().map(|h| (h.ord, h.distance_km.map(f64::to_bits))).collect::<Vec<_>>(),
                r.relaxed.clone(),
                r.words.clone(),
            )
        };
        let bits = |r: &SearchResults| r.hits.iter().map(|h| h.score.to_bits()).collect::<Vec<_>>();
        if runs.iter().any(|r| order(r) != order(&runs[0])) {
            order_changed.push(case.q);
        }
        if runs.iter().any(|r| bits(r) != bits(&runs[0])) {
            let spread = runs
                .iter()
                .flat_map(|r| r.hits.iter().zip(&runs[0].hits).map(|(a, b)| (a.score - b.score).abs()))
                .fold(0.0f64, f64::max);
            bits_changed.push(format!("{:?} (max score difference {spread:e})", case.q));
        }
    }
    if !bits_changed.is_empty() {
        println!(
            "NOTE: scores differ in their last bits from one call to the next for {} of {} queries \
             (HashMap order of the expanded terms in Engine::expand): {bits_changed:?}",
            bits_changed.len(),
            CASES.len()
        );
    }
    assert!(order_changed.is_empty(), "answers change from one call to the next: {order_changed:?}");
}

#[test]
fn bad_inputs_do_not_panic() {
    let long = "cybersécurité ".repeat(800);
    let very_long = "a".repeat(10_000);
    let inputs: Vec<String> = vec![
        very_long,
        long.clone(),
        "\" OR 1=1 --".into(),
        "'; DROP TABLE advisers; --".into(),
        "*?~^:()[]{}".into(),
        "title:ia AND -marketing +\"seo\"~2".into(),
        "🚀🤖 ia 🇫🇷".into(),
        "🤖".into(),
        "le la les de".into(),
        "".into(),
        "   ".into(),
        "\u{0}\u{1f}\t\n".into(),
        "é".repeat(3000),
        "ﬁ ǅ Ω ℌ ①".into(),
        "2".into(),
        "00000".into(),
        "99999".into(),
        "97".into(),
        "-".into(),
        "d'".into(),
        "l'".into(),
    ];
    for q in &inputs {
        for typing in [false, true] {
            for page in [0, 1, 2, usize::MAX] {
                let r =
                    engine().search(&SearchRequest { q: q.clone(), page, per_page: 10, typing, ..Default::default() });
                assert!(r.hits.len() <= 10);
                assert!(r.hits.iter().all(|h| h.score.is_finite()));
            }
        }
    }
    // A very long query is truncated, and says so.
    let r = search(&long);
    assert!(
        r.relaxed.iter().any(|x| matches!(x, Relaxation::TruncatedQuery { .. })) || r.words.len() <= 10,
        "{:?}",
        r.relaxed
    );
}

/// Meaningful queries known to answer nothing because of an engine bug
/// (see the known failures of `CASES` for the diagnosis of each).
const KNOWN_ZERO: &[&str] = &[];

/// The list shared with `examples/zero_results.rs` (which reports the rate
/// against the 2 % target): no meaningful query may answer nothing, except
/// the known failures above.
#[test]
fn zero_result_queries_are_only_known_failures() {
    let queries: Vec<String> =
        serde_json::from_str(include_str!("queries/meaningful.json")).expect("queries/meaningful.json");
    assert!(queries.len() >= 200, "{} queries", queries.len());
    let zero: Vec<&str> = queries.iter().map(String::as_str).filter(|q| search(q).total == 0).collect();
    let rate = zero.len() as f64 / queries.len() as f64;
    println!(
        "zero results: {} of {} meaningful queries ({:.1} %, target ≤ 2 %): {zero:?}",
        zero.len(),
        queries.len(),
        rate * 100.0
    );
    for q in KNOWN_ZERO.iter().filter(|q| !zero.contains(q)) {
        println!("KNOWN ZERO-RESULT QUERY NOW ANSWERS (remove it from KNOWN_ZERO): {q:?}");
    }
    let new: Vec<&&str> = zero.iter().filter(|q| !KNOWN_ZERO.contains(q)).collect();
    assert!(new.is_empty(), "meaningful queries with no result: {new:?}");
}
