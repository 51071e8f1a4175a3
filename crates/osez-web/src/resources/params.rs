//! Parameters of a resource search, parsed at the edge into a typed
//! [`ResourceRequest`], or an error naming the parameter, in French.

use std::time::Instant;

use osez_core::resource::{ResourceType, Theme};
use osez_search::{ResourceRequest, ResourceResults};

use crate::kit::params::{ParamError, RawParams, paging, query_text, slug};
use crate::kit::state::{AppState, Library};

pub const MAX_QUERY_CHARS: usize = 200;
pub const DEFAULT_PER_PAGE: usize = 12;
pub const MAX_PER_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1_000;

/// Parses `q`, `type`, `theme`, `page` and `per_page`.
pub fn parse_resource_search(raw: &RawParams) -> Result<ResourceRequest, ParamError> {
    let q = query_text(raw, MAX_QUERY_CHARS)?;
    let kind =
        slug(raw, "type", ResourceType::from_slug, &ResourceType::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>())?;
    let theme = slug(raw, "theme", Theme::from_slug, &Theme::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>())?;
    let (page, per_page) = paging(raw, MAX_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
    Ok(ResourceRequest { q, kind, theme, page, per_page, typing: true })
}

pub(crate) struct Searched {
    pub request: ResourceRequest,
    pub results: ResourceResults,
    pub took_ms: f64,
}

/// Parses and runs a resource search.
pub(crate) fn run_resource_search(
    state: &AppState,
    library: &Library,
    raw: &RawParams,
) -> Result<Searched, ParamError> {
    let started = Instant::now();
    let request = parse_resource_search(raw)?;
    let results = library.engine.search(&request, &state.geo);
    Ok(Searched { request, results, took_ms: started.elapsed().as_secs_f64() * 1000.0 })
}
