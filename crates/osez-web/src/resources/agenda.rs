//! The agenda: coming and past events, and their iCalendar files (the
//! whole agenda, or one event to add to one's calendar), written with the
//! `icalendar` crate.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, Event, EventLike};
use osez_core::resource::Resource;

use crate::kit::error::{PageError, render};
use crate::kit::state::AppState;
use crate::kit::tokens::now_ms;
use crate::resources::views::{AgendaPage, ResourceCard, venue_address};

/// Past events the agenda and its feed keep: a year.
const PAST_KEPT_MS: i64 = 365 * 86_400_000;

fn utc(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn events(resources: &[Resource]) -> impl Iterator<Item = &Resource> {
    resources.iter().filter(|r| r.content.webinar.is_some())
}

/// The iCalendar file of `events`, with absolute links when the public
/// address is configured.
pub(crate) fn calendar(state: &AppState, name: &str, events: &[&Resource]) -> String {
    let base = state.config.public_url.as_deref().unwrap_or("").trim_end_matches('/');
    let mut cal = Calendar::new();
    cal.name(name);
    for r in events {
        let Some(w) = &r.content.webinar else { continue };
        let title = if r.is_demo { format!("{} (démonstration)", r.content.title) } else { r.content.title.clone() };
        let url = format!("{base}/ressources/{}", r.slug);
        let speakers = w.speakers.join(", ");
        cal.push(
            Event::new()
                .uid(&format!("{}@osez", r.slug))
                .timestamp(utc(r.updated_at))
                .starts(utc(w.starts_at))
                .ends(utc(w.ends_at()))
                .summary(&title)
                .description(&format!("{}\n\nIntervenants : {speakers}\n{url}", r.content.summary))
                .location(&w.venue.as_ref().map_or_else(|| "En ligne".into(), |v| venue_address(&state.geo, v)))
                .url(&url)
                .done(),
        );
    }
    cal.to_string()
}

fn ics(body: String, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{file}\"")),
        ],
        body,
    )
        .into_response()
}

/// `/agenda`: the coming events, soonest first, then the past year's,
/// newest first, with their replays.
pub async fn page(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let now = now_ms();
    let all: Vec<&Resource> = events(library.engine.resources()).collect();
    let ends = |r: &Resource| r.content.webinar.as_ref().map(|w| w.ends_at()).unwrap_or(0);
    let mut coming: Vec<&Resource> = all.iter().copied().filter(|r| ends(r) > now).collect();
    coming.sort_by_key(|r| ends(r));
    let mut past: Vec<&Resource> =
        all.iter().copied().filter(|r| ends(r) <= now && ends(r) > now - PAST_KEPT_MS).collect();
    past.sort_by_key(|r| std::cmp::Reverse(ends(r)));
    let page = AgendaPage {
        base: state.base(),
        coming: coming.into_iter().map(|r| ResourceCard::new(&state.geo, r, None)).collect(),
        past: past.into_iter().map(|r| ResourceCard::new(&state.geo, r, None)).collect(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// `/agenda.ics`: every event of the agenda.
pub async fn feed(State(state): State<Arc<AppState>>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let now = now_ms();
    let kept: Vec<&Resource> = events(library.engine.resources())
        .filter(|r| r.content.webinar.as_ref().is_some_and(|w| w.ends_at() > now - PAST_KEPT_MS))
        .collect();
    Ok(ics(calendar(&state, "Osez – agenda", &kept), "osez-agenda.ics"))
}

/// `/ressources/{slug}/calendrier.ics`: one event, to add to a calendar.
pub async fn one(State(state): State<Arc<AppState>>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let library = ready.library();
    let r = library.engine.find(&slug).filter(|r| r.content.webinar.is_some()).ok_or(PageError::NotFound)?;
    Ok(ics(calendar(&state, &r.content.title, &[r]), &format!("{slug}.ics")))
}
