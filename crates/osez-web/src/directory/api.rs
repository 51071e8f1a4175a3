//! The JSON API, described in `openapi.json`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use osez_core::{Adviser, Geography};
use osez_search::{Engine, Facets, PlaceInfo, Relaxation, SearchResults};
use serde::Serialize;

use crate::directory::search::run_search;
use crate::kit::error::ApiError;
use crate::kit::params::RawParams;
use crate::kit::state::AppState;

const OPENAPI: &str = include_str!("../../openapi.json");

/// An adviser as the API shows it. Serialized straight from borrowed
/// fields: building `serde_json::Value` trees cost a quarter of the
/// server's time under load.
#[derive(Serialize)]
struct AdviserOut<'a> {
    id: &'a str,
    name: &'a str,
    kind: &'static str,
    structure_type: &'static str,
    category: &'static str,
    specialties: Vec<&'static str>,
    sectors: Vec<&'static str>,
    commune: &'a str,
    postal_code: &'a str,
    department: &'a str,
    department_name: Option<&'a str>,
    region: &'a str,
    region_name: Option<&'a str>,
    lat: f64,
    lon: f64,
    approx_location: bool,
    in_person: bool,
    remote: bool,
    is_demo: bool,
    url: String,
}

impl<'a> AdviserOut<'a> {
    fn new(a: &'a Adviser, geo: &'a Geography) -> Self {
        AdviserOut {
            id: a.id.as_str(),
            name: &a.name,
            kind: a.kind.slug(),
            structure_type: a.structure_type.label(),
            category: a.category.label(),
            specialties: a.specialties.iter().map(|s| s.slug()).collect(),
            sectors: a.sectors.iter().map(|s| s.slug()).collect(),
            commune: &a.commune,
            postal_code: &a.postal_code,
            department: &a.department,
            department_name: geo.department(&a.department).map(|d| d.name.as_str()),
            region: &a.region,
            region_name: geo.region(&a.region).map(|r| r.name.as_str()),
            lat: a.lat,
            lon: a.lon,
            approx_location: a.approx_location,
            in_person: a.in_person,
            remote: a.remote,
            is_demo: a.is_demo,
            url: format!("/conseillers/{}", a.id),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct HitOut<'a> {
    #[serde(flatten)]
    adviser: AdviserOut<'a>,
    distance_km: Option<f64>,
}

#[derive(Serialize)]
struct RelaxedOut<'a> {
    #[serde(flatten)]
    relaxation: &'a Relaxation,
    message: String,
}

#[derive(Serialize)]
struct UnderstoodOut<'a> {
    words: &'a [String],
    place: &'a Option<PlaceInfo>,
    kind: Option<&'static str>,
    remote: Option<bool>,
}

#[derive(Serialize)]
struct SearchOut<'a> {
    total: usize,
    took_ms: f64,
    page: usize,
    per_page: usize,
    relaxed: Vec<RelaxedOut<'a>>,
    understood: UnderstoodOut<'a>,
    hits: Vec<HitOut<'a>>,
    facets: &'a Facets,
}

#[derive(Serialize)]
struct DetailOut<'a> {
    #[serde(flatten)]
    adviser: AdviserOut<'a>,
    description: &'a str,
    address: Option<&'a str>,
    source_url: Option<&'a str>,
    notice: &'static str,
}

pub async fn advisers(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let directory = ready.directory();
    let raw = RawParams::from_query(query.as_deref());
    let s = run_search(&state, ready, &directory, &raw).map_err(ApiError::BadParameter)?;
    let engine = &directory.engine;
    let r = &s.results;
    let out = SearchOut {
        total: r.total,
        took_ms: (s.took_ms * 1000.0).round() / 1000.0,
        page: s.request.page,
        per_page: s.request.per_page,
        relaxed: r.relaxed.iter().map(|x| RelaxedOut { relaxation: x, message: x.message() }).collect(),
        understood: UnderstoodOut {
            words: &r.words,
            place: &r.place,
            kind: r.kind.map(|k| k.slug()),
            remote: r.remote,
        },
        hits: adviser_hits(&state.geo, engine, r),
        facets: &r.facets,
    };
    Ok(Json(out).into_response())
}

/// One adviser as a search hit shows it (the assistant's recommendations
/// too).
pub(crate) fn adviser_hit<'a>(geo: &'a Geography, a: &'a Adviser, distance_km: Option<f64>) -> HitOut<'a> {
    HitOut { adviser: AdviserOut::new(a, geo), distance_km }
}

/// The hits of an adviser search as the API shows them (also in
/// `/api/v1/search`).
pub(crate) fn adviser_hits<'a>(geo: &'a Geography, engine: &'a Engine, r: &'a SearchResults) -> Vec<HitOut<'a>> {
    r.hits.iter().map(|h| adviser_hit(geo, &engine.advisers()[h.ord], h.distance_km)).collect()
}

pub async fn adviser(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or_else(|| ApiError::NotFound(format!("aucun conseiller « {id} »")))?;
    let out = DetailOut {
        adviser: AdviserOut::new(a, &state.geo),
        description: &a.description,
        address: a.address.as_deref(),
        source_url: a.source_url.as_deref(),
        notice: "Un référencement n'est pas une certification.",
    };
    Ok(Json(out).into_response())
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
