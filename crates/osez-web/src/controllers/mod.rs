//! Handlers, one module per area.

pub mod admin;
pub mod api;
pub mod backoffice;
pub mod health;
pub mod pages;

use std::time::Instant;

use osez_search::{SearchRequest, SearchResults};

use crate::params::{ParamError, RawParams, parse_search};
use crate::{AppState, Directory, Ready};

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
        let store = ready.store.clone();
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
        tokio::spawn(async move {
            if let Err(e) = store.record_zero_result(&query, &filters.to_string()).await {
                tracing::warn!(error = %e, "could not record a search without results");
            }
        });
    }
    Ok(Searched { request, results, took_ms })
}

/// The fields of a posted form. A body that is not a form, or is too big,
/// gets a French page (400 or 413) instead of axum's plain-text refusal.
pub(crate) struct FormFields(pub std::collections::HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormFields {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::FormRejection;
        use axum::http::StatusCode;
        match axum::Form::<std::collections::HashMap<String, String>>::from_request(req, state).await {
            Ok(axum::Form(fields)) => Ok(FormFields(fields)),
            Err(e) => {
                let status = match &e {
                    FormRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let page = crate::views::ErrorPage {
                    title: "Formulaire illisible",
                    message: "Le formulaire envoyé est illisible ou trop volumineux. Revenez à la page précédente et réessayez."
                        .into(),
                    demo: false,
                };
                Err(crate::error::render(status, &page))
            }
        }
    }
}
