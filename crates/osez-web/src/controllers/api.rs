//! The JSON API, described in `openapi.json`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use osez_core::{Adviser, Geography};
use serde_json::{Value, json};

use super::run_search;
use crate::params::RawParams;
use crate::{ApiError, AppState};

const OPENAPI: &str = include_str!("../../openapi.json");

fn adviser_json(a: &Adviser, geo: &Geography, distance_km: Option<f64>) -> Value {
    json!({
        "id": a.id.as_str(),
        "name": a.name,
        "kind": a.kind.slug(),
        "structure_type": a.structure_type.label(),
        "category": a.category.label(),
        "specialties": a.specialties.iter().map(|s| s.slug()).collect::<Vec<_>>(),
        "sectors": a.sectors.iter().map(|s| s.slug()).collect::<Vec<_>>(),
        "commune": a.commune,
        "postal_code": a.postal_code,
        "department": a.department,
        "department_name": geo.department(&a.department).map(|d| d.name.as_str()),
        "region": a.region,
        "region_name": geo.region(&a.region).map(|r| r.name.as_str()),
        "lat": a.lat,
        "lon": a.lon,
        "approx_location": a.approx_location,
        "distance_km": distance_km,
        "in_person": a.in_person,
        "remote": a.remote,
        "is_demo": a.is_demo,
        "url": format!("/conseillers/{}", a.id),
    })
}

pub async fn advisers(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let directory = ready.directory();
    let raw = RawParams::from_query(query.as_deref());
    let s = run_search(&state, ready, &directory, &raw).map_err(ApiError::BadParameter)?;
    let engine = &directory.engine;
    let hits: Vec<Value> = s
        .results
        .hits
        .iter()
        .map(|h| adviser_json(&engine.advisers()[h.ord], &state.geo, h.distance_km))
        .collect();
    let relaxed: Vec<Value> = s
        .results
        .relaxed
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("message".into(), r.message().into());
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "total": s.results.total,
        "took_ms": (s.took_ms * 1000.0).round() / 1000.0,
        "page": s.request.page,
        "per_page": s.request.per_page,
        "relaxed": relaxed,
        "understood": {
            "words": s.results.words,
            "place": s.results.place,
            "kind": s.results.kind.map(|k| k.slug()),
            "remote": s.results.remote,
        },
        "hits": hits,
        "facets": s.results.facets,
    })))
}

pub async fn adviser(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ready = state.ready().ok_or(ApiError::Starting)?;
    let directory = ready.directory();
    let a = directory
        .engine
        .find(&id)
        .ok_or_else(|| ApiError::NotFound(format!("aucun conseiller « {id} »")))?;
    let mut v = adviser_json(a, &state.geo, None);
    if let Some(o) = v.as_object_mut() {
        o.remove("distance_km");
        o.insert("description".into(), a.description.clone().into());
        o.insert("address".into(), a.address.clone().into());
        o.insert("source_url".into(), a.source_url.clone().into());
        o.insert(
            "notice".into(),
            "Un référencement n'est pas une certification.".into(),
        );
    }
    Ok(Json(v))
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}
