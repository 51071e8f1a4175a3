//! The resource centre's JSON API, described in `openapi.json`:
//! `/api/v1/resources` (search), `/api/v1/resources/{slug}` and
//! `/api/v1/search` (advisers and resources together).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use osez_core::resource::{Cue, Resource};
use osez_search::{Relaxation, ResourceFacets, ResourceResults};
use serde::Serialize;

use crate::directory::api::{HitOut, adviser_hits};
use crate::directory::search::run_search;
use crate::kit::error::ApiError;
use crate::kit::format::rfc3339;
use crate::kit::params::RawParams;
use crate::kit::state::{AppState, Library};
use crate::resources::params::run_resource_search;
use crate::resources::views::moment_url;

/// A resource as a search hit shows it.
#[derive(Serialize)]
pub(crate) struct ResourceOut<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    summary: &'a str,
    themes: Vec<&'static str>,
    published_at: String,
    updated_at: String,
    url: String,
    is_demo: bool,
}

impl<'a> ResourceOut<'a> {
    fn new(r: &'a Resource) -> Self {
        let c = &r.content;
        ResourceOut {
            id: &r.slug,
            kind: c.kind.slug(),
            title: &c.title,
            summary: &c.summary,
            themes: c.themes.iter().map(|t| t.slug()).collect(),
            published_at: rfc3339(r.published_at),
            updated_at: rfc3339(r.updated_at),
            url: format!("/ressources/{}", r.slug),
            is_demo: r.is_demo,
        }
    }
}

/// One resource as a search hit shows it (the assistant's recommendations
/// too).
pub(crate) fn resource_out(r: &Resource) -> ResourceOut<'_> {
    ResourceOut::new(r)
}

#[derive(Serialize)]
struct MomentOut<'a> {
    start_s: u64,
    speaker: Option<&'a str>,
    text: &'a str,
    url: String,
}

#[derive(Serialize)]
struct ResourceHitOut<'a> {
    #[serde(flatten)]
    resource: ResourceOut<'a>,
    /// The replay moment of a transcript line that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    moment: Option<MomentOut<'a>>,
}

#[derive(Serialize)]
struct RelaxedOut<'a> {
    #[serde(flatten)]
    relaxation: &'a Relaxation,
    message: String,
}

#[derive(Serialize)]
struct ResourcesOut<'a> {
    total: usize,
    took_ms: f64,
    page: usize,
    per_page: usize,
    relaxed: Vec<RelaxedOut<'a>>,
    hits: Vec<ResourceHitOut<'a>>,
    facets: &'a ResourceFacets,
}

fn round_ms(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

fn resource_hits<'a>(library: &'a Library, r: &'a ResourceResults) -> Vec<ResourceHitOut<'a>> {
    let all = library.engine.resources();
    r.hits
        .iter()
        .map(|h| {
            let res = &all[h.ord];
            ResourceHitOut {
                resource: ResourceOut::new(res),
                moment: h.moment.as_ref().map(|cue: &Cue| MomentOut {
                    start_s: cue.start_s(),
                    speaker: cue.speaker.as_deref(),
                    text: &cue.text,
                    url: moment_url(res, cue),
                }),
            }
        })
        .collect()
}

pub async fn resources(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let library = ready.library();
    let raw = RawParams::from_query(query.as_deref());
    let s = run_resource_search(&state, &library, &raw).map_err(ApiError::BadParameter)?;
    let r = &s.results;
    let out = ResourcesOut {
        total: r.total,
        took_ms: round_ms(s.took_ms),
        page: s.request.page,
        per_page: s.request.per_page,
        relaxed: r.relaxed.iter().map(|x| RelaxedOut { relaxation: x, message: x.message() }).collect(),
        hits: resource_hits(&library, r),
        facets: &r.facets,
    };
    Ok(Json(out).into_response())
}

#[derive(Serialize)]
struct WebinarOut<'a> {
    starts_at: String,
    ends_at: String,
    duration_min: u32,
    speakers: &'a [String],
    capacity: u32,
}

#[derive(Serialize)]
struct DetailOut<'a> {
    #[serde(flatten)]
    resource: ResourceOut<'a>,
    specialties: Vec<&'static str>,
    sectors: Vec<&'static str>,
    /// Sanitised HTML of the body.
    body_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    use_case: Option<&'a osez_core::resource::UseCase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    webinar: Option<WebinarOut<'a>>,
    transcript: &'a [Cue],
}

pub async fn resource(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let library = ready.library();
    let r = library.engine.find(&slug).ok_or_else(|| ApiError::NotFound(format!("aucune ressource « {slug} »")))?;
    let c = &r.content;
    let out = DetailOut {
        resource: ResourceOut::new(r),
        specialties: c.specialties.iter().map(|s| s.slug()).collect(),
        sectors: c.sectors.iter().map(|s| s.slug()).collect(),
        body_html: osez_core::resource::markdown::render(&c.body).html,
        use_case: c.use_case.as_ref(),
        webinar: c.webinar.as_ref().map(|w| WebinarOut {
            starts_at: rfc3339(w.starts_at),
            ends_at: rfc3339(w.ends_at()),
            duration_min: w.duration_min,
            speakers: &w.speakers,
            capacity: w.capacity,
        }),
        transcript: &c.transcript,
    };
    Ok(Json(out).into_response())
}

#[derive(Serialize)]
struct AdvisersPart<'a> {
    total: usize,
    hits: Vec<HitOut<'a>>,
}

#[derive(Serialize)]
struct ResourcesPart<'a> {
    total: usize,
    hits: Vec<ResourceHitOut<'a>>,
}

#[derive(Serialize)]
struct AllOut<'a> {
    took_ms: f64,
    advisers: AdvisersPart<'a>,
    resources: ResourcesPart<'a>,
}

/// Advisers and resources for one query: the first page of each (`per_page`
/// applies to both), with their totals.
pub async fn search_all(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let directory = ready.directory();
    let library = ready.library();
    let mut raw = RawParams::from_query(query.as_deref());
    // Only the query and the page size mean something to both.
    raw.pairs.retain(|(k, _)| matches!(k.as_str(), "q" | "per_page"));
    let advisers = run_search(&state, ready, &directory, &raw).map_err(ApiError::BadParameter)?;
    let resources = run_resource_search(&state, &library, &raw).map_err(ApiError::BadParameter)?;
    let out = AllOut {
        took_ms: round_ms(advisers.took_ms + resources.took_ms),
        advisers: AdvisersPart {
            total: advisers.results.total,
            hits: adviser_hits(&state.geo, &directory.engine, &advisers.results),
        },
        resources: ResourcesPart { total: resources.results.total, hits: resource_hits(&library, &resources.results) },
    };
    Ok(Json(out).into_response())
}
