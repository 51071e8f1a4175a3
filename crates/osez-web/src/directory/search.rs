//! Searching the directory: running a search (and noting the ones that
//! found nothing), and the results page with its facets and pages.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::{Geography, Kind, Sector, Specialty, StructureType};
use osez_search::SearchRequest;
use osez_search::{FacetValue, Hit, PlaceInfo, SearchResults};

use crate::directory::params::{MAX_PAGE, MAX_QUERY_CHARS, parse_search};
use crate::directory::views::{
    ActiveFilter, FacetGroup, FacetLink, FacetSection, HitView, ResultsPage, distance_phrase, specialty_links,
};
use crate::kit::error::{PageError, render};
use crate::kit::format::format_count;
use crate::kit::page::pagination;
use crate::kit::params::{ParamError, RawParams};
use crate::kit::state::{AppState, Directory, Ready};
use crate::kit::tokens::now_ms;
use crate::resources::pages::{beside, upcoming_near};

/// How far from the place searched a workshop is shown, at least.
const EVENTS_NEAR_KM: f64 = 40.0;

/// Filters shown as facets, with the parameter that sets them.
/// (parameter, title, most values shown, group): facets of one group share
/// one collapsible box, so that the keyboard meets fewer stops before the
/// results.
const FACETS: &[(&str, &str, usize, &str)] = &[
    ("kind", "Réseau", 10, "Réseau"),
    ("specialty", "Spécialité", 20, "Spécialité"),
    ("sector", "Secteur", 20, "Secteur"),
    ("structure_type", "Type de structure", 10, "Type de structure"),
    ("remote", "Modalités", 2, "Modalités"),
    ("region", "Région", 18, "Lieu"),
    ("department", "Département", 12, "Lieu"),
];

fn facet_values<'r>(results: &'r SearchResults, key: &str) -> &'r [FacetValue] {
    let f = &results.facets;
    match key {
        "kind" => &f.kind,
        "specialty" => &f.specialty,
        "sector" => &f.sector,
        "structure_type" => &f.structure_type,
        "remote" => &f.remote,
        "region" => &f.region,
        "department" => &f.department,
        _ => &[],
    }
}

fn active_filter_label(state: &AppState, key: &str, value: &str) -> Option<String> {
    let geo = &state.geo;
    Some(match key {
        "kind" => format!("Réseau : {}", Kind::from_slug(value)?.label()),
        "specialty" => format!("Spécialité : {}", Specialty::from_slug(value)?.label()),
        "sector" => format!("Secteur : {}", Sector::from_slug(value)?.label()),
        "structure_type" => format!("Type : {}", StructureType::from_slug(value)?.label()),
        "remote" => {
            if matches!(value, "true" | "1" | "oui") {
                "À distance".into()
            } else {
                "Sur place uniquement".into()
            }
        }
        "region" => format!("Région : {}", geo.regions[geo.find_region(value)?].name),
        "department" => format!("Département : {}", geo.departments[geo.find_department(value)?].name),
        "radius_km" => format!("Rayon : {value} km"),
        _ => return None,
    })
}

fn hit_view(geo: &Geography, directory: &Directory, hit: &Hit, place: Option<&PlaceInfo>) -> HitView {
    let a = &directory.engine.advisers()[hit.ord];
    // A point borrowed from a chief town, the adviser's or the place's,
    // gives only a sector.
    let own_sector =
        || geo.commune_by_insee(&a.commune_insee).and_then(|c| geo.sector_town(c)).map(|c| c.name.as_str());
    let sector = own_sector().or_else(|| place.and_then(|p| p.sector.as_deref()));
    HitView {
        id: a.id.to_string(),
        name: a.name.clone(),
        kind_slug: a.kind.slug(),
        kind_label: a.kind.label(),
        is_demo: a.is_demo,
        structure_type: a.structure_type.label(),
        commune: a.commune.clone(),
        department: a.department.clone(),
        distance: hit.distance_km.map(|d| distance_phrase(d, sector)),
        in_person: a.in_person,
        remote: a.remote,
        specialties: a.specialties.iter().map(|s| s.label()).collect::<Vec<_>>().join(" · "),
    }
}

pub async fn search(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let raw = RawParams::from_query(query.as_deref());
    let form_q = raw.get("q").unwrap_or("").chars().take(MAX_QUERY_CHARS).collect::<String>();
    let form_near = raw.get("near").unwrap_or("").chars().take(100).collect::<String>();
    // Filters set by facets travel with the form as hidden fields.
    let hidden: Vec<(String, String)> = raw
        .pairs
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "q" | "near" | "page" | "live") && !v.trim().is_empty())
        .filter(|(k, _)| FACETS.iter().any(|(f, ..)| f == k) || k == "radius_km" || k == "per_page")
        .cloned()
        .collect();
    let searched = raw.pairs.iter().any(|(k, v)| k != "page" && k != "live" && !v.trim().is_empty());
    let mut page = ResultsPage {
        title: "Trouver un conseiller".into(),
        heading: "Trouver un conseiller".into(),
        form_q: form_q.clone(),
        form_near,
        hidden,
        error: None,
        status: String::new(),
        relaxed: Vec::new(),
        total: 0,
        searched,
        hits: Vec::new(),
        first_rank: 1,
        facet_groups: Vec::new(),
        active_filters: Vec::new(),
        pages: Vec::new(),
        specialties: specialty_links(),
        base: state.base(),
        resources: None,
        events: Vec::new(),
        events_near: String::new(),
    };
    let s = match run_search(&state, ready, &directory, &raw) {
        Ok(s) => s,
        Err(e) => {
            page.title = "Recherche impossible".into();
            page.error = Some(format!("{} (paramètre « {} »).", e.message, e.parameter));
            page.searched = false;
            page.status = "La recherche n'a pas pu être lancée.".into();
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        }
    };
    let r = &s.results;
    if !form_q.is_empty() {
        page.heading = format!("Conseillers pour « {form_q} »");
        page.title = format!("{} – recherche « {form_q} »", plural(r.total, "conseiller", "conseillers"));
    } else if searched {
        page.title = format!("{} – recherche", plural(r.total, "conseiller", "conseillers"));
    }
    let mut status = if r.total == 0 {
        "Aucun conseiller trouvé.".to_string()
    } else {
        format!("{} {}", plural(r.total, "conseiller", "conseillers"), if r.total > 1 { "trouvés" } else { "trouvé" })
    };
    if let Some(p) = &r.place {
        match p.radius_km {
            Some(radius) => status.push_str(&format!(" à moins de {radius:.0} km de {}", p.label)),
            None => status.push_str(&format!(" – {}", p.label)),
        }
    }
    status.push('.');
    page.status = status;
    page.relaxed = r.relaxed.iter().map(|x| x.message()).collect();
    page.total = r.total;
    page.first_rank = (s.request.page - 1) * s.request.per_page + 1;
    page.hits = r.hits.iter().map(|h| hit_view(&state.geo, &directory, h, r.place.as_ref())).collect();
    for (key, value) in &raw.pairs {
        if value.trim().is_empty() {
            continue;
        }
        if let Some(label) = active_filter_label(&state, key, value.trim()) {
            page.active_filters.push(ActiveFilter { label, url: raw.with(key, None) });
        }
    }
    for &(key, title, limit, group) in FACETS {
        if raw.get(key).is_some() {
            continue;
        }
        let values: Vec<FacetLink> = facet_values(r, key)
            .iter()
            .take(limit)
            .map(|v| FacetLink { label: v.label.clone(), count: v.count, url: raw.with(key, Some(&v.value)) })
            .collect();
        if values.len() > 1 || (values.len() == 1 && values[0].count < r.total) {
            let section = FacetSection { title, values };
            match page.facet_groups.iter_mut().find(|g| g.title == group) {
                Some(g) => g.sections.push(section),
                None => page.facet_groups.push(FacetGroup { title: group, sections: vec![section] }),
            }
        }
    }
    page.resources = beside(&state, &ready.library(), &form_q);
    if let Some(p) = &r.place {
        let km = p.radius_km.unwrap_or(0.0).max(EVENTS_NEAR_KM);
        page.events = upcoming_near(&state.geo, &ready.library(), now_ms(), (p.lat, p.lon), km, 3);
        page.events_near = p.label.clone();
    }
    page.pages =
        pagination(&raw, "/recherche", s.request.page, s.request.per_page, r.total.min(MAX_PAGE * s.request.per_page));
    Ok(render(StatusCode::OK, &page))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", format_count(n), if n > 1 { many } else { one })
}

pub(crate) struct Searched {
    pub request: SearchRequest,
    pub results: SearchResults,
    pub took_ms: f64,
}

/// Parses and runs a search; records it when it found nothing (query,
/// filters and time only), unless it is a live update while typing.
pub(crate) fn run_search(
    state: &AppState,
    ready: &Ready,
    directory: &Directory,
    raw: &RawParams,
) -> Result<Searched, ParamError> {
    let started = Instant::now();
    let request = parse_search(raw, &state.geo)?;
    let results = directory.engine.search(&request);
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    let searched = raw.pairs.iter().any(|(k, v)| k != "page" && k != "live" && !v.trim().is_empty());
    if results.total == 0 && searched && raw.get("live").is_none() {
        let query = request.q.clone();
        let mut filters = serde_json::to_value(&request).unwrap_or_default();
        if let Some(obj) = filters.as_object_mut() {
            for k in ["q", "page", "per_page"] {
                obj.remove(k);
            }
            obj.retain(|_, v| !v.is_null());
            if let Some(near) = raw.get("near") {
                obj.insert("near".into(), near.into());
            }
        }
        // Queued, never awaited: a full queue drops the record (counted).
        ready.zero_results.record(query, filters.to_string());
    }
    Ok(Searched { request, results, took_ms })
}
