//! The resource centre's pages: the list and search, and a resource.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::geo::distance_km;
use osez_core::resource::markdown;
use osez_core::resource::{Resource, ResourceType, Theme, Webinar};
use osez_core::{Adviser, Geography};
use osez_search::{FacetValue, ResourceResults, SearchRequest};

use crate::kit::error::{PageError, render};
use crate::kit::format::{format_count, format_date_long, format_datetime_long};
use crate::kit::page::pagination;
use crate::kit::params::RawParams;
use crate::kit::state::{AppState, Directory, Library};
use crate::kit::tokens::now_ms;
use crate::resources::params::{MAX_PAGE, MAX_QUERY_CHARS, run_resource_search};
use crate::resources::views::{
    ActiveFilter, AdviserLink, CueView, Download, FilterLink, FilterSection, IndexPage, Player, ResourceCard,
    ResourceSide, ShowPage, WebinarView, duration_label, file_url, moment_anchor, venue_address,
};

const PATH: &str = "/ressources";
/// Filters shown beside the results: (parameter, title).
const FILTERS: &[(&str, &str)] = &[("type", "Type de ressource"), ("theme", "Thème")];

fn facet_values<'r>(r: &'r ResourceResults, key: &str) -> &'r [FacetValue] {
    match key {
        "type" => &r.facets.kind,
        "theme" => &r.facets.theme,
        _ => &[],
    }
}

fn filter_label(key: &str, value: &str) -> Option<String> {
    Some(match key {
        "type" => format!("Type : {}", ResourceType::from_slug(value)?.label()),
        "theme" => format!("Thème : {}", Theme::from_slug(value)?.label()),
        _ => return None,
    })
}

fn theme_links() -> Vec<(&'static str, &'static str)> {
    Theme::ALL.iter().map(|t| (t.slug(), t.label())).collect()
}

fn count_phrase(n: usize) -> String {
    match n {
        0 => "Aucune ressource trouvée.".into(),
        1 => "1 ressource trouvée.".into(),
        n => format!("{} ressources trouvées.", format_count(n)),
    }
}

pub async fn index(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let raw = RawParams::from_query(query.as_deref());
    let form_q: String = raw.get("q").unwrap_or("").chars().take(MAX_QUERY_CHARS).collect();
    let hidden: Vec<(String, String)> = raw
        .pairs
        .iter()
        .filter(|(k, v)| matches!(k.as_str(), "type" | "theme" | "per_page") && !v.trim().is_empty())
        .cloned()
        .collect();
    let searched = raw.pairs.iter().any(|(k, v)| k != "page" && !v.trim().is_empty());
    let mut page = IndexPage {
        base: state.base(),
        title: "Ressources : articles, guides, cas d'usage et webinaires".into(),
        heading: "Ressources pour passer au numérique et à l'IA".into(),
        form_q: form_q.clone(),
        hidden,
        error: None,
        status: String::new(),
        relaxed: Vec::new(),
        total: 0,
        searched,
        cards: Vec::new(),
        first_rank: 1,
        filters: Vec::new(),
        active_filters: Vec::new(),
        pages: Vec::new(),
        themes: theme_links(),
    };
    let s = match run_resource_search(&state, &library, &raw) {
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
        page.heading = format!("Ressources pour « {form_q} »");
        page.title = format!("{} – ressources", form_q);
    }
    page.status = count_phrase(r.total);
    page.relaxed = r.relaxed.iter().map(|x| x.message()).collect();
    page.total = r.total;
    page.first_rank = (s.request.page - 1) * s.request.per_page + 1;
    let resources = library.engine.resources();
    page.cards = r.hits.iter().map(|h| ResourceCard::new(&state.geo, &resources[h.ord], Some(h))).collect();
    for (key, value) in &raw.pairs {
        if let Some(label) = filter_label(key, value.trim()) {
            page.active_filters.push(ActiveFilter { label, url: raw.with_at(PATH, key, None) });
        }
    }
    for &(key, title) in FILTERS {
        if raw.get(key).is_some() {
            continue;
        }
        let values: Vec<FilterLink> = facet_values(r, key)
            .iter()
            .map(|v| FilterLink { label: v.label.clone(), count: v.count, url: raw.with_at(PATH, key, Some(&v.value)) })
            .collect();
        if values.len() > 1 || (values.len() == 1 && values[0].count < r.total) {
            page.filters.push(FilterSection { title, values });
        }
    }
    page.pages = pagination(&raw, PATH, s.request.page, s.request.per_page, r.total.min(MAX_PAGE * s.request.per_page));
    Ok(render(StatusCode::OK, &page))
}

/// Resources that share the most themes and specialties with `r`, newest
/// first on a tie.
fn related<'l>(library: &'l Library, r: &Resource, n: usize) -> Vec<&'l Resource> {
    let c = &r.content;
    let mut scored: Vec<(usize, &Resource)> = library
        .engine
        .resources()
        .iter()
        .filter(|o| o.slug != r.slug)
        .map(|o| {
            let themes = o.content.themes.iter().filter(|t| c.themes.contains(t)).count();
            let specialties = o.content.specialties.iter().filter(|s| c.specialties.contains(s)).count();
            (2 * themes + specialties, o)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.published_at.cmp(&a.1.published_at)).then(a.1.slug.cmp(&b.1.slug)));
    scored.into_iter().take(n).map(|(_, o)| o).collect()
}

fn adviser_link(a: &Adviser) -> AdviserLink {
    AdviserLink {
        url: format!("/conseillers/{}", a.id),
        name: a.name.clone(),
        kind_label: a.kind.label(),
        place: format!("{} ({})", a.commune, a.department),
        is_demo: a.is_demo,
    }
}

/// The adviser who organises an event, while their profile is published.
fn organiser_link(directory: &Directory, r: &Resource) -> Option<AdviserLink> {
    r.organiser.as_ref().and_then(|id| directory.engine.find(id.as_str())).map(adviser_link)
}

/// Advisers of the resource's first specialty (as the directory ranks
/// them), with the link to all of them.
fn advisers(directory: &Directory, r: &Resource, n: usize) -> (Vec<AdviserLink>, Option<(String, &'static str)>) {
    let Some(&specialty) = r.content.specialties.first() else { return (Vec::new(), None) };
    let req = SearchRequest { specialty: Some(specialty), page: 1, per_page: n, ..Default::default() };
    let found = directory.engine.search(&req);
    let links = found.hits.iter().map(|h| adviser_link(&directory.engine.advisers()[h.ord])).collect();
    (links, Some((format!("/recherche?specialty={}", specialty.slug()), specialty.label())))
}

pub async fn show(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let r = library.engine.find(&slug).ok_or(PageError::NotFound)?;
    let c = &r.content;
    let rendered = markdown::render(&c.body);
    let now = now_ms();
    let webinar = c.webinar.as_ref().map(|w| WebinarView {
        noun: if w.venue.is_some() { "L'atelier" } else { "Le webinaire" },
        when: format_datetime_long(w.starts_at),
        duration: duration_label(w.duration_min),
        speakers: w.speakers.clone(),
        capacity: w.capacity,
        upcoming: w.ends_at() > now,
        place: w.venue.as_ref().map_or_else(|| "En ligne".into(), |v| venue_address(&state.geo, v)),
        organiser: organiser_link(&ready.directory(), r),
    });
    let transcript = c
        .transcript
        .iter()
        .map(|cue| CueView {
            anchor: moment_anchor(cue),
            start_s: cue.start_s(),
            clock: cue.clock(),
            speaker: cue.speaker.clone(),
            text: cue.text.clone(),
        })
        .collect();
    let (advisers, more_advisers) = advisers(&ready.directory(), r, 3);
    // Updated the same day as published: one date says it.
    let updated =
        (format_date_long(r.updated_at) != format_date_long(r.published_at)).then(|| format_date_long(r.updated_at));
    let page = ShowPage {
        base: state.base(),
        r,
        kind_label: c.kind_label(),
        body_html: rendered.html,
        sections: rendered.sections,
        published: format_date_long(r.published_at),
        updated,
        themes: c.themes.iter().map(|t| (t.slug(), t.label())).collect(),
        use_case: c.use_case.as_ref(),
        webinar,
        transcript,
        player: c.video().map(|v| Player {
            src: file_url(&r.slug, v),
            mime: v.kind.mime(),
            captions: (!c.transcript.is_empty()).then(|| format!("/ressources/{}/sous-titres.vtt", r.slug)),
            format_size: v.format_and_size(),
        }),
        downloads: c
            .attachments
            .iter()
            .filter(|a| !a.kind.is_image())
            .map(|a| Download { url: file_url(&r.slug, a), label: a.label.clone(), format_size: a.format_and_size() })
            .collect(),
        related: related(&library, r, 3).into_iter().map(|o| ResourceCard::new(&state.geo, o, None)).collect(),
        advisers,
        more_advisers,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The resources for the words of a directory search, shown beside its
/// advisers; none when the query is empty or finds nothing.
pub(crate) fn beside(state: &AppState, library: &Library, q: &str) -> Option<ResourceSide> {
    if q.trim().is_empty() {
        return None;
    }
    let raw = RawParams { pairs: vec![("q".into(), q.to_string()), ("per_page".into(), "3".into())] };
    let s = run_resource_search(state, library, &raw).ok()?;
    if s.results.total == 0 {
        return None;
    }
    let resources = library.engine.resources();
    let link = RawParams { pairs: vec![("q".into(), q.to_string())] };
    Some(ResourceSide {
        total: s.results.total,
        cards: s.results.hits.iter().map(|h| ResourceCard::new(&state.geo, &resources[h.ord], Some(h))).collect(),
        url: link.with_at(PATH, "page", None),
        types: s
            .results
            .facets
            .kind
            .iter()
            .map(|v| FilterLink {
                label: v.label.clone(),
                count: v.count,
                url: link.with_at(PATH, "type", Some(&v.value)),
            })
            .collect(),
    })
}

/// The newest resources, for the home page.
pub(crate) fn latest(geo: &Geography, library: &Library, n: usize) -> Vec<ResourceCard> {
    let mut all: Vec<&Resource> = library.engine.resources().iter().collect();
    all.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.slug.cmp(&b.slug)));
    all.into_iter().take(n).map(|r| ResourceCard::new(geo, r, None)).collect()
}

/// The next events (webinars and workshops not yet over), soonest first.
pub(crate) fn upcoming(geo: &Geography, library: &Library, now: i64, n: usize) -> Vec<ResourceCard> {
    upcoming_where(geo, library, now, n, |_, _| true)
}

/// The next `n` events that `keep` keeps, soonest first.
pub(crate) fn upcoming_where(
    geo: &Geography,
    library: &Library,
    now: i64,
    n: usize,
    keep: impl Fn(&Resource, &Webinar) -> bool,
) -> Vec<ResourceCard> {
    let mut events: Vec<(&Resource, &Webinar)> = library
        .engine
        .resources()
        .iter()
        .filter_map(|r| r.content.webinar.as_ref().map(|w| (r, w)))
        .filter(|(r, w)| w.ends_at() > now && keep(r, w))
        .collect();
    events.sort_by_key(|(r, w)| (w.starts_at, r.slug.as_str()));
    events.into_iter().take(n).map(|(r, _)| ResourceCard::new(geo, r, None)).collect()
}

/// The next in-person events within `km` of `point`, soonest first.
pub(crate) fn upcoming_near(
    geo: &Geography,
    library: &Library,
    now: i64,
    point: (f64, f64),
    km: f64,
    n: usize,
) -> Vec<ResourceCard> {
    upcoming_where(geo, library, now, n, |_, w| {
        w.venue
            .as_ref()
            .and_then(|v| geo.commune_by_insee(&v.commune))
            .is_some_and(|c| distance_km(point, (c.lat, c.lon)) <= km)
    })
}
