//! Moderation of the profiles that were reported.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use osez_core::AdviserId;
use osez_store::{Decision, HIDE_AFTER};

use crate::backoffice::views::{CaseView, ModerationPage, ReportView};
use crate::directory::report::REPORT_REASONS;
use crate::kit::error::{ErrorPage, PageError, render};
use crate::kit::format::format_time;
use crate::kit::forms::FormFields;
use crate::kit::guard::{Guard, Moderators};
use crate::kit::page::no_store;
use crate::kit::session::{CurrentUser, checked, session_binding};
use crate::kit::state::AppState;
use crate::kit::tokens::form_token;
use crate::menu::chrome;

// ------------------------------------------------------------------ moderation

fn reason_label(slug: &str) -> &'static str {
    REPORT_REASONS.iter().find(|(v, _)| *v == slug).map(|(_, l)| *l).unwrap_or("Autre motif")
}

fn moderation_action(id: &str) -> String {
    format!("/admin/moderation/{id}")
}

async fn moderation_page(
    state: &AppState,
    current: &CurrentUser,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let ready = state.ready().ok_or(PageError::Starting)?;
    let cases = ready.store.moderation_queue().await?;
    let cases = cases
        .into_iter()
        .map(|c| CaseView {
            token: form_token(&ready.secrets, &session_binding(&moderation_action(&c.adviser_id), current)),
            reports: c
                .reports
                .iter()
                .map(|r| ReportView {
                    reason: reason_label(&r.reason),
                    message: r.message.clone(),
                    at: format_time(r.created_at_ms),
                })
                .collect(),
            adviser_id: c.adviser_id,
            name: c.name,
            hidden: c.hidden,
        })
        .collect();
    let page = ModerationPage {
        chrome: chrome(state, current, "/admin/moderation"),
        cases,
        hide_after: HIDE_AFTER,
        notice,
        base: state.base(),
    };
    Ok(no_store(render(StatusCode::OK, &page)))
}

pub async fn moderation(State(state): State<Arc<AppState>>, current: Guard<Moderators>) -> Result<Response, PageError> {
    moderation_page(&state, &current, None).await
}

const MAX_NOTE_CHARS: usize = 1_000;

pub async fn moderation_decide(
    State(state): State<Arc<AppState>>,
    current: Guard<Moderators>,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> Result<Response, PageError> {
    let Ok(adviser) = AdviserId::parse(&id) else { return Err(PageError::NotFound) };
    if let Err(res) = checked(&state, &current, &moderation_action(adviser.as_str()), &form).await {
        return Ok(res);
    }
    let decision = match form.get("decision").map(String::as_str) {
        Some("retenir") => Decision::Uphold,
        Some("rejeter") => Decision::Dismiss,
        _ => {
            let page = ErrorPage {
                title: "Décision manquante",
                message: "Choisissez « Retenir » ou « Rejeter ». Revenez à la page précédente.".into(),
                base: state.base(),
            };
            return Ok(no_store(render(StatusCode::UNPROCESSABLE_ENTITY, &page)));
        }
    };
    let note: String = form.get("note").map(|n| n.trim().chars().take(MAX_NOTE_CHARS).collect()).unwrap_or_default();
    let ready = state.ready().ok_or(PageError::Starting)?;
    if !ready.store.decide_reports(&adviser, decision, current.user.email.as_str(), &note).await? {
        return Err(PageError::NotFound);
    }
    ready.directory_changed();
    let notice = match decision {
        Decision::Uphold => format!("Signalements retenus : le profil {adviser} reste masqué."),
        Decision::Dismiss => format!("Signalements rejetés : le profil {adviser} est de nouveau publié."),
    };
    moderation_page(&state, &current, Some(notice)).await
}
