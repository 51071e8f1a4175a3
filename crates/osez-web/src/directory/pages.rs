//! The directory's plain pages: home, a profile, accessibility, legal
//! notice, and the page for an address that leads nowhere.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::directory::views::{AccessibilityPage, FiguresView, HomePage, LegalPage, ProfilePage, specialty_links};
use crate::kit::error::{PageError, render};
use crate::kit::format::format_count;
use crate::kit::state::AppState;
use crate::kit::tokens::now_ms;
use crate::mail::retention_label;
use crate::resources::pages::{latest, upcoming, upcoming_where};

/// Coming events a profile lists.
const PROFILE_EVENTS: usize = 5;

pub async fn home(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let d = ready.directory();
    let library = ready.library();
    let f = &d.figures;
    Ok(render(
        StatusCode::OK,
        &HomePage {
            figures: FiguresView {
                total: format_count(f.total),
                activateurs: format_count(f.activateurs),
                ambassadeurs: format_count(f.ambassadeurs),
                departments: format_count(f.departments),
                remote: format_count(f.remote),
            },
            base: state.base(),
            specialties: specialty_links(),
            form_q: String::new(),
            form_near: String::new(),
            hidden: Vec::new(),
            events: upcoming(&state.geo, &library, now_ms(), 3),
            latest: latest(&state.geo, &library, 4),
        },
    ))
}

pub async fn profile(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let directory = ready.directory();
    let a = directory.engine.find(&id).ok_or(PageError::NotFound)?;
    let geo = &state.geo;
    let events = upcoming_where(geo, &ready.library(), now_ms(), PROFILE_EVENTS, |r, _| {
        r.organiser.as_ref().is_some_and(|o| o.as_str() == a.id.as_str())
    });
    Ok(render(
        StatusCode::OK,
        &ProfilePage {
            a,
            department: geo.department(&a.department).map(|d| format!("{} ({})", d.name, d.code)).unwrap_or_default(),
            region: geo.region(&a.region).map(|r| r.name.clone()).unwrap_or_default(),
            events,
            base: state.base(),
        },
    ))
}

pub async fn accessibility(State(state): State<Arc<AppState>>) -> Response {
    render(StatusCode::OK, &AccessibilityPage { base: state.base() })
}

pub async fn legal(State(state): State<Arc<AppState>>) -> Response {
    let retention = retention_label(state.config.retention_days);
    let assistant = osez_assistant::reply::privacy_facts(state.config.assistant_retention_days);
    render(StatusCode::OK, &LegalPage { base: state.base(), retention, assistant })
}

pub async fn not_found() -> PageError {
    PageError::NotFound
}
